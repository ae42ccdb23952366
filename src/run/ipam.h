#pragma once
/// Address leases of a network, as files networks/<name>/leases/<ip> (like CNI host-local):
/// a lease is made with one link(2) of a complete temp file, so it appears atomically with
/// its content or not at all. It holds the container's id, names (for peers' /etc/hosts), its
/// host veth and the monitor's pid + start time, so that a lease whose monitor is gone can be
/// collected by any later mini.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "run/network_store.h"
#include "run/port_spec.h"
#include "store/layout.h"

namespace mini::run {

struct Lease {
  std::string ip;  ///< dotted, the file name
  std::string container_id;
  std::string name;      ///< container name
  std::string hostname;
  std::vector<std::string> aliases;
  std::string host_veth;   ///< host end of its veth pair
  std::string hosts_file;  ///< its /etc/hosts in the init layer (updated in place)
  std::string mac;
  std::string endpoint_id;
  pid_t monitor_pid = 0;
  uint64_t monitor_start = 0;
  /// Published ports (so that a collector can remove their forwards).
  std::vector<PortMapping> ports;
};

/// Takes an address for `lease` (its ip filled in): `requested` if given (must be a free host
/// address of the subnet, not the gateway), else the lowest free one. Throws Error.
Lease AllocateLease(const Layout& layout, const NetworkConfig& n, Lease lease, std::optional<uint32_t> requested);
/// Rewrites an existing lease (e.g. to add ports); atomic (temp + rename).
void UpdateLease(const Layout& layout, const std::string& network, const Lease& lease);
/// Removes the lease file (missing is fine).
void ReleaseLease(const Layout& layout, const std::string& network, const std::string& ip);
/// Removes the lease of `ip` only if it still belongs to `container_id` (call under the
/// network's lock, so that a lease re-taken meanwhile is never removed).
void ReleaseLeaseOf(const Layout& layout, const std::string& network, const std::string& ip,
                    const std::string& container_id);
/// Every readable lease of a network.
std::vector<Lease> ListLeases(const Layout& layout, const std::string& network);
/// True while the lease's monitor runs.
bool LeaseAlive(const Lease& l);

}  // namespace mini::run
