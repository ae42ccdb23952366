#include "net/network_admin.h"

#include <algorithm>

#include "common/digest.h"
#include "common/error.h"
#include "common/log.h"
#include "net/nat.h"
#include "net/netlink.h"
#include "net/network_endpoint.h"
#include "store/event_log.h"

namespace mini::net {
namespace {

using nlohmann::json;

/// Docker's predefined networks that are not bridges: stable ids of their own.
std::string PredefinedId(const std::string& name) { return Sha256Of("mini network " + name).hex(); }

bool Predefined(const std::string& name) {
  return name == "host" || name == "none" || name == "bridge" || name == kDefaultNetwork;
}

json PredefinedJson(const std::string& name) {
  return {{"Name", name},          {"Id", PredefinedId(name)},  {"Created", "0001-01-01T00:00:00Z"},
          {"Scope", "local"},      {"Driver", name == "host" ? "host" : "null"},
          {"EnableIPv6", false},   {"IPAM", {{"Driver", "default"}, {"Options", nullptr}, {"Config", json::array()}}},
          {"Internal", false},     {"Attachable", false},       {"Ingress", false},
          {"ConfigFrom", {{"Network", ""}}}, {"ConfigOnly", false}, {"Containers", json::object()},
          {"Options", json::object()}, {"Labels", json::object()}};
}

void RemoveBridgeAndRules(const NetworkConfig& n) {
  try {
    RemoveNetworkRules(n.bridge, n.subnet);
  } catch (const Error& e) {
    Warn(e.what());
  }
  Netlink().DeleteLink(n.bridge);
}

}  // namespace

std::vector<NetworkRow> ListNetworkRows(const Layout& layout) {
  NetworkStore store(layout);
  store.EnsureDefault();
  std::vector<NetworkRow> rows;
  for (const auto& n : store.List()) rows.push_back({n.id, n.name, n.driver});
  rows.push_back({PredefinedId("host"), "host", "host"});
  rows.push_back({PredefinedId("none"), "none", "null"});
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return rows;
}

json InspectNetwork(const Layout& layout, const std::string& key) {
  if (key == "host" || key == "none") return PredefinedJson(key);
  NetworkConfig n = NetworkStore(layout).Resolve(NetworkNameFor(key));
  json containers = json::object();
  for (const auto& l : ActiveEndpoints(layout, n.name))
    containers[l.container_id] = {{"Name", l.name},
                                  {"EndpointID", l.endpoint_id},
                                  {"MacAddress", MacForIp(ParseIpv4(l.ip))},
                                  {"IPv4Address", l.ip + "/" + std::to_string(n.prefix)},
                                  {"IPv6Address", ""}};
  json options = {{"com.docker.network.bridge.name", n.bridge}};
  if (n.is_default()) {
    options["com.docker.network.bridge.default_bridge"] = "true";
    options["com.docker.network.bridge.enable_ip_masquerade"] = "true";
  }
  return {{"Name", n.name},
          {"Id", n.id},
          {"Created", n.created},
          {"Scope", "local"},
          {"Driver", n.driver},
          {"EnableIPv6", false},
          {"IPAM",
           {{"Driver", "default"}, {"Options", json::object()},
            {"Config", json::array({{{"Subnet", n.subnet}, {"Gateway", n.gateway}}})}}},
          {"Internal", n.internal},
          {"Attachable", false},
          {"Ingress", false},
          {"ConfigFrom", {{"Network", ""}}},
          {"ConfigOnly", false},
          {"Containers", containers},
          {"Options", options},
          {"Labels", n.labels}};
}

void RemoveNetwork(const Layout& layout, const std::string& key) {
  NetworkStore store(layout);
  if (key == "host" || key == "none" || key == "bridge" || key == kDefaultNetwork)
    throw Error(key + " is a pre-defined network and cannot be removed");
  NetworkConfig n = store.Resolve(key);
  if (Predefined(n.name)) throw Error(n.name + " is a pre-defined network and cannot be removed");
  CollectDeadEndpoints(layout, n.name);
  FileLock lock(layout.NetworkLock(n.name));
  std::vector<std::string> users;
  for (const auto& l : ListLeases(layout, n.name))
    if (LeaseAlive(l)) users.push_back(l.name.empty() ? l.container_id.substr(0, 12) : l.name);
  if (!users.empty()) {
    std::string list;
    for (const auto& u : users) list += (list.empty() ? "" : ", ") + u;
    throw Error("error while removing network: network " + n.name + " id " + n.id.substr(0, 12) +
                " has active endpoints (" + list + ")");
  }
  RemoveBridgeAndRules(n);
  store.Remove(n);
  RecordEvent(layout, {"network", "destroy", n.id, {{"name", n.name}, {"type", "bridge"}}});
}

std::vector<std::string> PruneNetworks(const Layout& layout) {
  std::vector<std::string> out;
  for (const auto& n : NetworkStore(layout).List()) {
    if (Predefined(n.name)) continue;
    try {
      RemoveNetwork(layout, n.name);
      out.push_back(n.name);
    } catch (const Error&) {
    }
  }
  return out;
}

json NetworkSettingsJson(const std::string& mode, const NetworkSettings* s) {
  json ports = json::object();
  json networks = json::object();
  json top = {{"Bridge", ""},        {"SandboxID", ""},   {"SandboxKey", ""},      {"HairpinMode", false},
              {"LinkLocalIPv6Address", ""}, {"LinkLocalIPv6PrefixLen", 0},
              {"Ports", ports},      {"EndpointID", ""},  {"Gateway", ""},         {"GlobalIPv6Address", ""},
              {"GlobalIPv6PrefixLen", 0}, {"IPAddress", ""}, {"IPPrefixLen", 0},   {"IPv6Gateway", ""},
              {"MacAddress", ""}};
  std::string key = UsesBridgeNetwork(mode) ? NetworkNameFor(mode) : mode;
  json ep = {{"IPAMConfig", nullptr}, {"Links", nullptr},    {"Aliases", nullptr},   {"MacAddress", ""},
             {"NetworkID", ""},       {"EndpointID", ""},    {"Gateway", ""},        {"IPAddress", ""},
             {"IPPrefixLen", 0},      {"IPv6Gateway", ""},   {"GlobalIPv6Address", ""},
             {"GlobalIPv6PrefixLen", 0}, {"DNSNames", nullptr}};
  if (s) {
    key = s->network;
    for (const auto& m : s->ports) {
      json& list = top["Ports"][std::to_string(m.container_port) + "/" + m.proto];
      if (!list.is_array()) list = json::array();
      list.push_back({{"HostIp", m.host_ip.empty() ? "0.0.0.0" : m.host_ip}, {"HostPort", std::to_string(m.host_port)}});
    }
    ep["MacAddress"] = s->mac;
    ep["NetworkID"] = s->network_id;
    ep["EndpointID"] = s->endpoint_id;
    ep["Gateway"] = s->gateway;
    ep["IPAddress"] = s->ip;
    ep["IPPrefixLen"] = s->prefix;
    if (!s->aliases.empty()) ep["Aliases"] = s->aliases;
    if (!s->default_network) {
      json names = json::array();
      for (const auto& a : s->aliases) names.push_back(a);
      ep["DNSNames"] = names;
    }
    // Docker fills the top-level fields for the default bridge only.
    if (s->default_network) {
      top["EndpointID"] = s->endpoint_id;
      top["Gateway"] = s->gateway;
      top["IPAddress"] = s->ip;
      top["IPPrefixLen"] = s->prefix;
      top["MacAddress"] = s->mac;
    }
  }
  networks[key] = ep;
  top["Networks"] = networks;
  return top;
}

}  // namespace mini::net
