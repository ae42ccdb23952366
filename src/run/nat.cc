// nftables rules for mini's networks and published ports (table `ip mini`), see nat.h.
#include "run/nat.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/fs.h"
#include "run/nft_context.h"

namespace mini::run {
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

// The commands that make one network's chains and map entries (no skeleton).
std::string NetworkCommands(const std::string& br, const std::string& subnet) {
  std::string q = "\"" + br + "\"";
  return "add chain ip mini post-" + br + "\nflush chain ip mini post-" + br +
         "\nadd rule ip mini post-" + br + " oifname != " + q + " masquerade" +
         "\nadd rule ip mini post-" + br + " ct status dnat masquerade" +
         "\nadd chain ip mini fwd-" + br + "\nflush chain ip mini fwd-" + br +
         "\nadd rule ip mini fwd-" + br + " oifname != " + q + " oifname @bridges drop" +
         "\nadd rule ip mini fwd-" + br + " accept" +
         "\nadd element ip mini bridges { " + q + " }" +
         "\nadd element ip mini nets_post { " + subnet + " : jump post-" + br + " }" +
         "\nadd element ip mini nets_fwd { " + q + " : jump fwd-" + br + " }\n";
}

// Runs `commands`; if that fails (typically: no table yet), once more after the skeleton.
void RunWithSkeleton(NftContext& nft, const std::string& commands) {
  if (!nft.TryRun(commands, nullptr, nullptr)) nft.Run(kSkeleton + commands);
}

// --- iptables(-nft)'s `ip filter FORWARD` (dockerd's, policy DROP) ---

std::string FilterComment(const std::string& br) { return "mini:" + br; }

// Handles of the rules in `ip filter FORWARD` whose comment is `comment` (or starts with
// "mini:" when comment is empty); nullopt when that chain does not exist.
std::optional<std::vector<uint64_t>> FilterForwardRules(const std::string& comment) {
  NftContext nft(/*json=*/true);
  std::string out, err;
  if (!nft.TryRun("list chain ip filter FORWARD", &out, &err)) {
    if (err.find("No such file or directory") != std::string::npos) return std::nullopt;
    throw Error(err);
  }
  std::vector<uint64_t> handles;
  nlohmann::json doc = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc["nftables"].is_array()) throw Error("nftables: unreadable JSON listing");
  for (const auto& item : doc["nftables"]) {
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
  NftContext().Run(cmds);
}

void RemoveFilterForward(const std::string& comment) {
  std::optional<std::vector<uint64_t>> have = FilterForwardRules(comment);
  if (!have || have->empty()) return;
  std::string cmds;
  for (uint64_t h : *have) cmds += "delete rule ip filter FORWARD handle " + std::to_string(h) + "\n";
  NftContext().Run(cmds);
}

// --- published ports ---

std::string PortKey(const PortMapping& m) {
  if (m.proto != "tcp" && m.proto != "udp") throw Error("unsupported protocol \"" + m.proto + "\"");
  std::string key = m.proto + " . " + std::to_string(m.host_port);
  return m.host_ip.empty() ? key : CheckIp(m.host_ip) + " . " + key;
}

std::string PortMap(const PortMapping& m) { return m.host_ip.empty() ? "ports_any" : "ports_ip"; }

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

// The elements of one map of `ip mini` as (key, value) JSON pairs; empty if it is missing.
std::vector<std::pair<nlohmann::json, nlohmann::json>> MapElements(const std::string& map) {
  NftContext nft(/*json=*/true);
  std::string out;
  if (!nft.TryRun("list map ip mini " + map, &out, nullptr)) return {};
  nlohmann::json doc = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
  std::vector<std::pair<nlohmann::json, nlohmann::json>> elems;
  if (!doc.is_object() || !doc["nftables"].is_array()) throw Error("nftables: unreadable JSON listing");
  for (const auto& item : doc["nftables"]) {
    if (!item.contains("map") || !item["map"].contains("elem")) continue;
    for (const auto& e : item["map"]["elem"]) {
      if (!e.is_array() || e.size() != 2) continue;
      nlohmann::json key = e[0];
      if (key.is_object() && key.contains("elem")) key = key["elem"]["val"];  // with counters etc.
      elems.emplace_back(key, e[1]);
    }
  }
  return elems;
}

std::vector<nlohmann::json> Concat(const nlohmann::json& j) {
  if (j.is_object() && j.contains("concat") && j["concat"].is_array())
    return j["concat"].get<std::vector<nlohmann::json>>();
  return {j};
}

uint16_t AsPort(const nlohmann::json& j) { return j.is_number() ? j.get<uint16_t>() : 0; }
std::string AsString(const nlohmann::json& j) { return j.is_string() ? j.get<std::string>() : ""; }

}  // namespace

void EnsureNetworkRules(const std::string& bridge, const std::string& subnet_cidr) {
  WithContext("network rules for " + bridge, [&] {
    std::string br = CheckBridge(bridge), subnet = CanonicalSubnet(subnet_cidr);
    NftContext nft;
    RunWithSkeleton(nft, NetworkCommands(br, subnet));
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
    NftContext nft;
    std::string all;
    for (const std::string& s : steps) all += s;
    if (!nft.TryRun(all, nullptr, nullptr))
      for (const std::string& s : steps) nft.TryRun(s, nullptr, nullptr);
    RemoveFilterForward(FilterComment(br));
  });
}

void AddPortForwards(const std::string& container_ip, const std::vector<PortMapping>& mappings) {
  if (mappings.empty()) return;
  WithContext("publish ports of " + container_ip, [&] {
    std::string ip = CheckIp(container_ip), cmds;
    for (const PortMapping& m : mappings) cmds += AddForwardCommand(ip, m);
    NftContext nft;
    RunWithSkeleton(nft, cmds);
  });
}

void RemovePortForwards(const std::string& container_ip, const std::vector<PortMapping>& mappings) {
  if (mappings.empty()) return;
  WithContext("unpublish ports of " + container_ip, [&] {
    std::string ip = CheckIp(container_ip), all;
    std::vector<std::string> steps;
    for (const PortMapping& m : mappings) steps.push_back(RemoveForwardCommands(ip, m));
    for (const std::string& s : steps) all += s;
    NftContext nft;
    if (!nft.TryRun(all, nullptr, nullptr))
      for (const std::string& s : steps) nft.TryRun(s, nullptr, nullptr);
  });
}

std::vector<PortForward> ListPortForwards() {
  std::vector<PortForward> out;
  for (const char* map : {"ports_ip", "ports_any"}) {
    bool any = std::string(map) == "ports_any";
    for (const auto& [k, v] : MapElements(map)) {
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
  for (const auto& [k, v] : MapElements("nets_post")) {
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
  NftContext nft;
  std::string err;
  if (!nft.TryRun("delete table ip mini", nullptr, &err) &&
      err.find("No such file or directory") == std::string::npos)
    throw Error(err);
  RemoveFilterForward("");
}

}  // namespace mini::run
