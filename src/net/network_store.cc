#include "net/network_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/human.h"
#include "net/netlink.h"
#include "net/rootless_net.h"

namespace mini::net {
namespace {

using nlohmann::json;

bool ValidNetworkName(const std::string& n) {
  if (n.empty() || n.size() > 64 || !std::isalnum(static_cast<unsigned char>(n[0]))) return false;
  for (char c : n)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') return false;
  return true;
}

json ToJson(const NetworkConfig& n) {
  return {{"Name", n.name},         {"Id", n.id},           {"Driver", n.driver},
          {"Bridge", n.bridge},     {"Subnet", n.subnet},   {"Gateway", n.gateway},
          {"Created", n.created},   {"Internal", n.internal}, {"Labels", n.labels}};
}

NetworkConfig FromJson(const json& j) {
  NetworkConfig n;
  n.name = j.value("Name", "");
  n.id = j.value("Id", "");
  n.driver = j.value("Driver", "bridge");
  n.bridge = j.value("Bridge", "");
  n.subnet = j.value("Subnet", "");
  n.gateway = j.value("Gateway", "");
  n.created = j.value("Created", "");
  n.internal = j.value("Internal", false);
  n.labels = j.value("Labels", std::map<std::string, std::string>{});
  ParseCidr(n.subnet, &n.net, &n.prefix);
  n.gw = ParseIpv4(n.gateway);
  return n;
}

}  // namespace

FileLock::FileLock(const std::string& path) : fd_(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
  if (!fd_) ThrowErrno("open " + path);
  while (flock(fd_.get(), LOCK_EX) != 0)
    if (errno != EINTR) ThrowErrno("lock " + path);
}

std::string NetworkNameFor(const std::string& mode) {
  if (mode == "bridge" || mode == "default" || mode.empty()) return kDefaultNetwork;
  return mode;
}

bool UsesBridgeNetwork(const std::string& mode) {
  // slirp4netns: rootless, no bridge; container:NAME joins another container's namespace
  return mode != "none" && mode != "host" && mode != kSlirpNetwork && mode.rfind("container:", 0) != 0 &&
         mode != "container";
}

bool SubnetsOverlap(uint32_t a, int alen, uint32_t b, int blen) {
  int len = std::min(alen, blen);
  return (a & PrefixMask(len)) == (b & PrefixMask(len));
}

std::pair<uint32_t, int> PickFreeSubnet(int first, const std::vector<std::pair<uint32_t, int>>& taken) {
  for (int second = first; second <= 254; second++) {
    uint32_t net = (10u << 24) | (static_cast<uint32_t>(second) << 16);
    bool clash = false;
    for (const auto& [t, len] : taken)
      if (len > 0 && SubnetsOverlap(net, 16, t, len)) clash = true;
    if (!clash) return {net, 16};
  }
  throw Error("could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network");
}

std::optional<NetworkConfig> NetworkStore::Load(const std::string& name) const {
  if (!ValidNetworkName(name)) return std::nullopt;
  auto text = ReadFileIfExists(layout_.NetworkConfig(name), 1 << 20);
  if (!text) return std::nullopt;
  return WithContext("network " + name, [&] {
    auto j = json::parse(*text, nullptr, false);
    if (!j.is_object()) throw Error("corrupt config.json");
    return FromJson(j);
  });
}

void NetworkStore::Save(const NetworkConfig& n) const {
  std::string dir = layout_.NetworkDir(n.name);
  MakeDirs(layout_.NetworkLeasesDir(n.name), 0700);
  WriteFileAtomic(layout_.NetworkConfig(n.name), ToJson(n).dump(2) + "\n", 0644);
}

std::optional<NetworkConfig> NetworkStore::Find(const std::string& name) const {
  if (name == kDefaultNetwork) return EnsureDefault();
  return Load(name);
}

NetworkConfig NetworkStore::Get(const std::string& name) const {
  auto n = Find(name);
  if (!n) throw Error("network " + name + " not found");
  return *n;
}

NetworkConfig NetworkStore::Resolve(const std::string& key) const {
  if (auto n = Find(key)) return *n;
  std::optional<NetworkConfig> match;
  for (const auto& n : List()) {
    if (key.empty() || n.id.compare(0, key.size(), key) != 0) continue;
    if (match) throw Error("network " + key + " is ambiguous (" + std::to_string(2) + " matches found based on ID prefix)");
    match = n;
  }
  if (!match) throw Error("network " + key + " not found");
  return *match;
}

std::vector<NetworkConfig> NetworkStore::List() const {
  std::vector<NetworkConfig> out;
  for (const auto& name : ListDirNames(layout_.NetworksDir())) {
    try {
      if (auto n = Load(name)) out.push_back(*n);
    } catch (const Error&) {
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

std::vector<std::pair<uint32_t, int>> NetworkStore::TakenSubnets() const {
  std::vector<std::pair<uint32_t, int>> taken;
  for (const auto& r : Netlink().DumpRoutes()) taken.emplace_back(r.dst, r.prefix);
  for (const auto& n : List()) taken.emplace_back(n.net, n.prefix);
  return taken;
}

NetworkConfig NetworkStore::EnsureDefault() const {
  if (auto n = Load(kDefaultNetwork)) return *n;
  MakeDirs(layout_.NetworksDir(), 0700);
  FileLock lock(layout_.NetworksLock());
  if (auto n = Load(kDefaultNetwork)) return *n;
  NetworkConfig n;
  n.name = kDefaultNetwork;
  n.id = NewRandomId();
  n.bridge = kDefaultBridge;
  n.created = NowRfc3339();
  // Another store on this host may have made mini0 already: share its subnet.
  Netlink nl;
  int index = nl.LinkIndex(kDefaultBridge);
  auto addrs = index ? nl.LinkAddresses(index) : std::vector<std::pair<uint32_t, int>>{};
  if (!addrs.empty()) {
    n.gw = addrs[0].first;
    n.prefix = addrs[0].second;
    n.net = n.gw & PrefixMask(n.prefix);
  } else {
    std::tie(n.net, n.prefix) = PickFreeSubnet(88, TakenSubnets());
    n.gw = n.net + 1;
  }
  n.subnet = FormatIpv4(n.net) + "/" + std::to_string(n.prefix);
  n.gateway = FormatIpv4(n.gw);
  Save(n);
  return n;
}

NetworkConfig NetworkStore::Create(const NetworkCreateRequest& req) const {
  if (!ValidNetworkName(req.name))
    throw Error("invalid network name \"" + req.name + "\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  if (req.name == "bridge" || req.name == "host" || req.name == "none" || req.name == kDefaultNetwork)
    throw Error("network with name " + req.name + " already exists");
  if (req.driver != "bridge") throw Error("plugin \"" + req.driver + "\" not found (only the bridge driver is supported)");
  if (req.subnet.empty() && !req.gateway.empty()) throw Error("gateway " + req.gateway + " requires --subnet");
  MakeDirs(layout_.NetworksDir(), 0700);
  FileLock lock(layout_.NetworksLock());
  if (Load(req.name)) throw Error("network with name " + req.name + " already exists");
  NetworkConfig n;
  n.name = req.name;
  n.id = NewRandomId();
  n.bridge = "mini-" + n.id.substr(0, 10);
  n.created = NowRfc3339();
  n.internal = req.internal;
  n.labels = req.labels;
  if (req.subnet.empty()) {
    std::tie(n.net, n.prefix) = PickFreeSubnet(89, TakenSubnets());
    n.gw = n.net + 1;
  } else {
    ParseCidr(req.subnet, &n.net, &n.prefix);
    if (n.prefix > 30) throw Error("invalid subnet " + req.subnet + ": too small for containers (at most /30)");
    for (const auto& o : List())
      if (SubnetsOverlap(n.net, n.prefix, o.net, o.prefix))
        throw Error("invalid pool request: Pool overlaps with other one on this address space (subnet " + req.subnet +
                    " overlaps network " + o.name + ", " + o.subnet + ")");
    if (req.gateway.empty()) {
      n.gw = n.net + 1;
    } else {
      n.gw = ParseIpv4(req.gateway);
      uint32_t bcast = n.net | ~PrefixMask(n.prefix);
      if ((n.gw & PrefixMask(n.prefix)) != n.net || n.gw == n.net || n.gw == bcast)
        throw Error("invalid gateway " + req.gateway + ": not a host address of subnet " + req.subnet);
    }
  }
  n.subnet = FormatIpv4(n.net) + "/" + std::to_string(n.prefix);
  n.gateway = FormatIpv4(n.gw);
  Save(n);
  return n;
}

void NetworkStore::Remove(const NetworkConfig& n) const {
  FileLock lock(layout_.NetworksLock());
  RemoveTree(layout_.NetworkDir(n.name));
}

}  // namespace mini::net
