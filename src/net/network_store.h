#pragma once
/// Network definitions in the store: networks/<name>/config.json (name, id, driver, bridge,
/// subnet, gateway, created, internal, labels), the default network `mini` (bridge mini0)
/// made on first use, user networks with the next free private /16 or a validated
/// --subnet/--gateway, and the flocks that serialise changes. No kernel calls but a route dump
/// (to keep subnets clear of the host's).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/fs.h"
#include "store/layout.h"

namespace mini::net {

inline constexpr const char* kDefaultNetwork = "mini";
inline constexpr const char* kDefaultBridge = "mini0";

struct NetworkConfig {
  std::string name;
  std::string id;  ///< 64 hex
  std::string driver = "bridge";
  std::string bridge;   ///< the host's bridge interface
  std::string subnet;   ///< "10.88.0.0/16"
  std::string gateway;  ///< "10.88.0.1": the bridge's address
  std::string created;  ///< RFC 3339
  bool internal = false;
  std::map<std::string, std::string> labels;

  uint32_t net = 0;  ///< parsed subnet (host order), filled by Load/Create
  int prefix = 0;
  uint32_t gw = 0;
  bool is_default() const { return name == kDefaultNetwork; }
};

/// What `mini network create` asks for.
struct NetworkCreateRequest {
  std::string name;
  std::string driver = "bridge";
  std::string subnet, gateway;  ///< empty = pick
  bool internal = false;
  std::map<std::string, std::string> labels;
};

/// An exclusive flock on a file (created if missing), released on destruction.
class FileLock {
 public:
  explicit FileLock(const std::string& path);

 private:
  UniqueFd fd_;
};

/// "bridge"/"default"/"mini" -> "mini"; other names unchanged. "none"/"host" are not networks.
std::string NetworkNameFor(const std::string& mode);
/// True when `mode` puts the container on a bridge network (anything but none, host and the
/// rootless slirp4netns).
bool UsesBridgeNetwork(const std::string& mode);

/// Pure: the first candidate /16 in 10.<first>.0.0 .. 10.254.0.0 that overlaps none of
/// `taken` (net, prefix pairs). Throws Error when all are used.
std::pair<uint32_t, int> PickFreeSubnet(int first, const std::vector<std::pair<uint32_t, int>>& taken);
/// Pure: do the two prefixes overlap?
bool SubnetsOverlap(uint32_t a, int alen, uint32_t b, int blen);

/// The networks of one store.
class NetworkStore {
 public:
  explicit NetworkStore(const Layout& layout) : layout_(layout) {}

  /// Loads network `name`; for the default network creates it first when missing.
  /// Throws Error("network <name> not found").
  NetworkConfig Get(const std::string& name) const;
  std::optional<NetworkConfig> Find(const std::string& name) const;
  /// Finds by name, full id or unique id prefix; throws Error("network x not found").
  NetworkConfig Resolve(const std::string& name_or_id) const;
  /// Every network of the store (the default one included once made), sorted by name.
  std::vector<NetworkConfig> List() const;
  /// Creates a user network; throws Error on a bad name, a duplicate, a bad or clashing subnet.
  NetworkConfig Create(const NetworkCreateRequest& req) const;
  /// Removes the definition (the caller checked it is unused and removed its bridge).
  void Remove(const NetworkConfig& n) const;
  /// The default network, created when missing (adopting mini0's subnet if another store made it).
  NetworkConfig EnsureDefault() const;

 private:
  std::optional<NetworkConfig> Load(const std::string& name) const;
  void Save(const NetworkConfig& n) const;
  /// Subnets of the host's routes and of this store's networks.
  std::vector<std::pair<uint32_t, int>> TakenSubnets() const;

  const Layout& layout_;
};

}  // namespace mini::net
