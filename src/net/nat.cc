// nftables rules for mini's networks and published ports (table `ip mini`), see nat.h.
#include "net/nat.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/fs.h"
#include "net/netlink.h"
#include "net/network_store.h"
#include "net/nft_context.h"

namespace mini::net {
namespace {

// The table's fixed part. `add` of something that exists is a no-op; the base chains are
// flushed and refilled, so the whole skeleton is rewritten atomically and stays consistent.
constexpr char kSkeleton[] = R"(add table ip mini
add chain ip mini prerouting { type nat hook prerouting priority dstnat; policy accept; }
add chain ip mini output { type nat hook output priority -100; policy accept; }
add chain ip mini postrouting { type nat hook postrouting priority srcnat; policy accept; }
add chain ip mini forward { type filter hook forward priority filter; policy accept; }
add chain ip mini ports
add map ip mini ports_ip { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }
add map ip mini ports_any { type inet_proto . inet_service : ipv4_addr . inet_service; }
add map ip mini nets_post { type ipv4_addr : verdict; flags interval; }
add map ip mini nets_fwd { type ifname : verdict; }
add set ip mini bridges { type ifname; }
flush chain ip mini prerouting
flush chain ip mini output
flush chain ip mini postrouting
flush chain ip mini forward
flush chain ip mini ports
add rule ip mini prerouting fib daddr type local jump ports
add rule ip mini output fib daddr type local jump ports
add rule ip mini ports meta l4proto { tcp, udp } dnat ip to ip daddr . meta l4proto . th dport map @ports_ip
add rule ip mini ports meta l4proto { tcp, udp } dnat ip to meta l4proto . th dport map @ports_any
add rule ip mini postrouting oifname @bridges ip saddr 127.0.0.0/8 masquerade
add rule ip mini postrouting ip saddr vmap @nets_post
add rule ip mini forward iifname vmap @nets_fwd
add rule ip mini forward oifname @bridges ct state established,related accept
add rule ip mini forward oifname @bridges ct status dnat accept
)";

// Interface names go into nft text: only what Linux and nft both take plainly.
std::string CheckBridge(const std::string& name) {
  bool ok = !name.empty() && name.size() < 16;
  for (char c : name)
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_' || c == '.');
  if (!ok) throw Error("invalid bridge name \"" + name + "\"");
  return name;
}

std::string CheckIp(const std::string& ip) {
  in_addr a{};
  if (inet_pton(AF_INET, ip.c_str(), &a) != 1) throw Error("invalid IPv4 address \"" + ip + "\"");
  char out[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, out, sizeof(out));
  return out;
}

// "10.88.0.1/16" -> "10.88.0.0/16" (nft wants the network address).
std::string CanonicalSubnet(const std::string& cidr) {
  size_t slash = cidr.find('/');
  in_addr a{};
  int len = -1;
  if (slash != std::string::npos && slash + 1 < cidr.size() && cidr.size() - slash <= 3) {
    len = 0;
    for (char c : cidr.substr(slash + 1)) len = (c >= '0' && c <= '9') ? len * 10 + (c - '0') : 99;
  }
  if (len < 1 || len > 32 || inet_pton(AF_INET, cidr.substr(0, slash).c_str(), &a) != 1)
    throw Error("invalid IPv4 subnet \"" + cidr + "\"");
  uint32_t mask = len == 32 ? 0xffffffffu : ~(0xffffffffu >> len);
  a.s_addr = htonl(ntohl(a.s_addr) & mask);
  char out[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, out, sizeof(out));
  return std::string(out) + "/" + std::to_string(len);
}

void WriteSysctl(const std::string& path, const char* value) {
  std::optional<std::string> cur = ReadFileIfExists(path);
  if (!cur || cur->substr(0, cur->find('\n')) == value) return;
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) ThrowErrno("open " + path);
  WriteAll(fd.get(), value, strlen(value), path);
}

// The map entries of one network. Adding what is there is a no-op that deletes nothing, so
// this is the cheap "already there?" probe of EnsureNetworkRules: it fails when the table or
// the network's chains are missing (the chains are made with their rules, atomically).
std::string NetworkElements(const std::string& br, const std::string& subnet) {
  std::string q = "\"" + br + "\"";
  return "add element ip mini bridges { " + q + " }" +
         "\nadd element ip mini nets_post { " + subnet + " : jump post-" + br + " }" +
         "\nadd element ip mini nets_fwd { " + q + " : jump fwd-" + br + " }\n";
}

// The commands that (re)make one network's chains and map entries (no skeleton).
std::string NetworkCommands(const std::string& br, const std::string& subnet) {
  std::string q = "\"" + br + "\"";
  return "add chain ip mini post-" + br + "\nflush chain ip mini post-" + br +
         "\nadd rule ip mini post-" + br + " oifname != " + q + " masquerade" +
         "\nadd rule ip mini post-" + br + " ct status dnat masquerade" +
         "\nadd chain ip mini fwd-" + br + "\nflush chain ip mini fwd-" + br +
         "\nadd rule ip mini fwd-" + br + " oifname != " + q + " oifname @bridges drop" +
         "\nadd rule ip mini fwd-" + br + " accept\n" + NetworkElements(br, subnet);
}

NftContext& Nft() { return NftContext::Shared(); }

// Runs `commands`; if that fails (typically: no table yet), once more after the skeleton,
// which must be its own transaction (a verdict map made in the same batch as an element that
// jumps to a new chain makes the kernel refuse the element).
void RunWithSkeleton(const std::string& commands) {
  if (Nft().TryRun(commands, nullptr, nullptr)) return;
  Nft().Run(kSkeleton);
  Nft().Run(commands);
}

// A listing as JSON's "nftables" array; nullopt when what is listed does not exist.
std::optional<nlohmann::json> List(const std::string& command) {
  std::string out, err;
  if (!Nft().TryRun(command, &out, &err, /*json=*/true)) {
    if (err.find("No such file or directory") != std::string::npos) return std::nullopt;
    throw Error(err);
  }
  nlohmann::json doc = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc["nftables"].is_array())
    throw Error("nftables: " + command + ": unreadable JSON listing");
  return doc["nftables"];
}

using Elements = std::vector<std::pair<nlohmann::json, nlohmann::json>>;

// The elements of every map and set of `ip mini` (a set's values are null).
struct TableState {
  std::map<std::string, Elements> elems;
};

TableState ReadTable() {
  TableState st;
  std::optional<nlohmann::json> items = List("list table ip mini");
  if (!items) return st;
  for (const auto& item : *items) {
    for (const char* kind : {"map", "set"}) {
      if (!item.contains(kind)) continue;
      Elements& e = st.elems[item[kind].value("name", "")];
      if (!item[kind].contains("elem")) continue;
      for (const auto& el : item[kind]["elem"]) {
        bool pair = std::string(kind) == "map" && el.is_array() && el.size() == 2;
        nlohmann::json key = pair ? el[0] : el;
        if (key.is_object() && key.contains("elem")) key = key["elem"]["val"];  // with counters
        e.emplace_back(key, pair ? el[1] : nlohmann::json());
      }
    }
  }
  return st;
}

// --- iptables(-nft)'s `ip filter FORWARD` (dockerd's, policy DROP) ---

std::string FilterComment(const std::string& br) { return "mini:" + br; }

// Handles of the rules in `ip filter FORWARD` whose comment is `comment` (or starts with
// "mini:" when comment is empty); nullopt when that chain does not exist.
std::optional<std::vector<uint64_t>> FilterForwardRules(const std::string& comment) {
  std::optional<nlohmann::json> items = List("list chain ip filter FORWARD");
  if (!items) return std::nullopt;
  std::vector<uint64_t> handles;
  for (const auto& item : *items) {
    if (!item.contains("rule")) continue;
    const auto& rule = item["rule"];
    std::string c = rule.value("comment", "");
    bool match = comment.empty() ? c.rfind("mini:", 0) == 0 : c == comment;
    if (match && rule.contains("handle")) handles.push_back(rule["handle"].get<uint64_t>());
  }
  return handles;
}

// Two accept rules per bridge at the top of FORWARD, in iptables-compatible form
// (`-i BR -j ACCEPT -m comment --comment mini:BR`), so iptables and dockerd can still read it.
void EnsureFilterForward(const std::string& br) {
  std::optional<std::vector<uint64_t>> have = FilterForwardRules(FilterComment(br));
  if (!have || have->size() == 2) return;
  std::string cmds;
  for (uint64_t h : *have) cmds += "delete rule ip filter FORWARD handle " + std::to_string(h) + "\n";
  for (const char* dir : {"oifname", "iifname"})
    cmds += std::string("insert rule ip filter FORWARD ") + dir + " \"" + br + "\" counter accept comment \"" +
            FilterComment(br) + "\"\n";
  Nft().Run(cmds);
}

void RemoveFilterForward(const std::string& comment) {
  std::optional<std::vector<uint64_t>> have = FilterForwardRules(comment);
  if (!have || have->empty()) return;
  std::string cmds;
  for (uint64_t h : *have) cmds += "delete rule ip filter FORWARD handle " + std::to_string(h) + "\n";
  Nft().Run(cmds);
}

// --- published ports ---

bool AnyAddress(const PortMapping& m) { return m.host_ip.empty() || m.host_ip == "0.0.0.0"; }

std::string PortKey(const PortMapping& m) {
  if (m.proto != "tcp" && m.proto != "udp") throw Error("unsupported protocol \"" + m.proto + "\"");
  std::string key = m.proto + " . " + std::to_string(m.host_port);
  return AnyAddress(m) ? key : CheckIp(m.host_ip) + " . " + key;
}

std::string PortMap(const PortMapping& m) { return AnyAddress(m) ? "ports_any" : "ports_ip"; }

std::string AddForwardCommand(const std::string& ip, const PortMapping& m) {
  return "add element ip mini " + PortMap(m) + " { " + PortKey(m) + " : " + ip + " . " +
         std::to_string(m.container_port) + " }\n";
}

// Adding what is there is a no-op and adding over another container's entry fails, so
// "add then delete" deletes exactly our entry, or nothing, without listing first.
std::string RemoveForwardCommands(const std::string& ip, const PortMapping& m) {
  return AddForwardCommand(ip, m) + "delete element ip mini " + PortMap(m) + " { " + PortKey(m) +
         " }\n";
}

std::vector<nlohmann::json> Concat(const nlohmann::json& j) {
  if (j.is_object() && j.contains("concat") && j["concat"].is_array())
    return j["concat"].get<std::vector<nlohmann::json>>();
  return {j};
}

uint16_t AsPort(const nlohmann::json& j) { return j.is_number() ? j.get<uint16_t>() : 0; }
std::string AsString(const nlohmann::json& j) { return j.is_string() ? j.get<std::string>() : ""; }

}  // namespace

namespace {

// True when the two canonical subnets share an address.
bool Overlap(const std::string& a, const std::string& b) {
  uint32_t x, y;
  int xlen, ylen;
  ParseCidr(a, &x, &xlen);
  ParseCidr(b, &y, &ylen);
  return SubnetsOverlap(x, xlen, y, ylen);
}

// Before a network's rules are made: the rules of another network on an overlapping subnet
// would make the kernel refuse ours ("File exists"). Those of a bridge that no longer exists
// are stale (a store deleted without `network rm`, a bridge deleted by hand): removed. Those
// of a live bridge belong to another store's network: refused by name.
void ClearOverlappingRules(const std::string& br, const std::string& subnet) {
  for (const NetworkRules& n : ListNetworkRules()) {
    if (n.bridge == br || n.subnet_cidr.empty() || !Overlap(n.subnet_cidr, subnet)) continue;
    if (if_nametoindex(n.bridge.c_str()) != 0)
      throw Error("subnet " + subnet + " overlaps " + n.subnet_cidr + " of bridge " + n.bridge +
                  " (a network of another mini store?)");
    RemoveNetworkRules(n.bridge, n.subnet_cidr);
  }
}

}  // namespace

void EnsureNetworkRules(const std::string& bridge, const std::string& subnet_cidr) {
  WithContext("network rules for " + bridge, [&] {
    std::string br = CheckBridge(bridge), subnet = CanonicalSubnet(subnet_cidr);
    if (!Nft().TryRun(NetworkElements(br, subnet), nullptr, nullptr)) {
      Nft().Run(kSkeleton);
      ClearOverlappingRules(br, subnet);
      Nft().Run(NetworkCommands(br, subnet));
    }
    EnsureFilterForward(br);
    WriteSysctl("/proc/sys/net/ipv4/ip_forward", "1");
    WriteSysctl("/proc/sys/net/ipv4/conf/" + br + "/route_localnet", "1");
  });
}

void RemoveNetworkRules(const std::string& bridge, const std::string& subnet_cidr) {
  WithContext("remove network rules for " + bridge, [&] {
    std::string br = CheckBridge(bridge), subnet = CanonicalSubnet(subnet_cidr);
    std::string q = "\"" + br + "\"";
    // Re-adding first makes each delete succeed whether or not the piece was there; an entry
    // that belongs to another network makes its "add" fail, and is then left alone.
    std::vector<std::string> steps = {
        "add element ip mini bridges { " + q + " }\ndelete element ip mini bridges { " + q + " }\n",
        "add chain ip mini post-" + br + "\nadd element ip mini nets_post { " + subnet +
            " : jump post-" + br + " }\ndelete element ip mini nets_post { " + subnet + " }\n",
        "add chain ip mini fwd-" + br + "\nadd element ip mini nets_fwd { " + q + " : jump fwd-" +
            br + " }\ndelete element ip mini nets_fwd { " + q + " }\n",
        "add chain ip mini post-" + br + "\nflush chain ip mini post-" + br +
            "\ndelete chain ip mini post-" + br + "\n",
        "add chain ip mini fwd-" + br + "\nflush chain ip mini fwd-" + br +
            "\ndelete chain ip mini fwd-" + br + "\n"};
    std::string all;
    for (const std::string& s : steps) all += s;
    if (!Nft().TryRun(all, nullptr, nullptr))
      for (const std::string& s : steps) Nft().TryRun(s, nullptr, nullptr);
    RemoveFilterForward(FilterComment(br));
  });
}

void AddPortForwards(const std::string& container_ip, const std::vector<PortMapping>& mappings) {
  if (mappings.empty()) return;
  WithContext("publish ports of " + container_ip, [&] {
    std::string ip = CheckIp(container_ip), cmds;
    for (const PortMapping& m : mappings) cmds += AddForwardCommand(ip, m);
    RunWithSkeleton(cmds);
  });
}

void RemovePortForwards(const std::string& container_ip, const std::vector<PortMapping>& mappings) {
  if (mappings.empty()) return;
  WithContext("unpublish ports of " + container_ip, [&] {
    std::string ip = CheckIp(container_ip), all;
    std::vector<std::string> steps;
    for (const PortMapping& m : mappings) steps.push_back(RemoveForwardCommands(ip, m));
    for (const std::string& s : steps) all += s;
    if (!Nft().TryRun(all, nullptr, nullptr))
      for (const std::string& s : steps) Nft().TryRun(s, nullptr, nullptr);
  });
}

std::vector<PortForward> ListPortForwards() {
  std::vector<PortForward> out;
  TableState st = ReadTable();
  for (const char* map : {"ports_ip", "ports_any"}) {
    bool any = std::string(map) == "ports_any";
    for (const auto& [k, v] : st.elems[map]) {
      std::vector<nlohmann::json> key = Concat(k), val = Concat(v);
      if (key.size() != (any ? 2u : 3u) || val.size() != 2) continue;
      PortForward f;
      f.mapping.host_ip = any ? "" : AsString(key[0]);
      f.mapping.proto = AsString(key[any ? 0 : 1]);
      f.mapping.host_port = AsPort(key[any ? 1 : 2]);
      f.mapping.container_port = AsPort(val[1]);
      f.container_ip = AsString(val[0]);
      out.push_back(f);
    }
  }
  return out;
}

std::vector<NetworkRules> ListNetworkRules() {
  std::vector<NetworkRules> out;
  TableState st = ReadTable();
  for (const auto& [k, v] : st.elems["nets_post"]) {
    NetworkRules n;
    if (k.is_object() && k.contains("prefix"))
      n.subnet_cidr = AsString(k["prefix"]["addr"]) + "/" + std::to_string(k["prefix"].value("len", 0));
    else
      n.subnet_cidr = AsString(k) + "/32";
    if (v.is_object() && v.contains("jump")) n.bridge = AsString(v["jump"]["target"]);
    if (n.bridge.rfind("post-", 0) == 0) n.bridge = n.bridge.substr(5);
    out.push_back(n);
  }
  return out;
}

void RemoveAllNatRules() {
  std::string err;
  if (!Nft().TryRun("delete table ip mini", nullptr, &err) &&
      err.find("No such file or directory") == std::string::npos)
    throw Error(err);
  RemoveFilterForward("");
}

}  // namespace mini::net
