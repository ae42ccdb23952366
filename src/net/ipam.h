#pragma once
/// Address leases of a network, as files networks/<name>/leases/<ip> (like CNI host-local):
/// a lease is made with one link(2) of a complete temp file, so it appears atomically with
/// its content or not at all. It holds the container's id, names (for peers' /etc/hosts), its
/// host veth and published ports. Its owner (the container's monitor) holds a shared flock on
/// it: a lease nobody holds is dead, whatever happened to its processes, and any later mini
/// may collect it.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/fs.h"
#include "net/network_store.h"
#include "net/port_spec.h"
#include "store/layout.h"

namespace mini::net {

struct Lease {
  std::string ip;  ///< dotted, the file name
  std::string container_id;
  std::string name;      ///< container name
  std::string hostname;
  std::vector<std::string> aliases;
  std::string domainname;   ///< --domainname: the own line is "ip host.domain host"
  std::string extra_hosts;  ///< --add-host lines ("IP\tNAME\n"), after Docker's defaults
  std::string host_veth;   ///< host end of its veth pair
  std::string hosts_file;  ///< its /etc/hosts in the init layer (updated in place)
  std::string mac;
  std::string endpoint_id;
  pid_t monitor_pid = 0;       ///< informational: the monitor that took it
  uint64_t monitor_start = 0;
  bool alive = false;          ///< set by ListLeases: someone holds its flock
  /// Published ports (so that a collector can remove their forwards).
  std::vector<PortMapping> ports;
};

/// Takes an address for `lease` (its ip filled in): `requested` if given (must be a free host
/// address of the subnet, not the gateway), else the lowest free one. `*hold` gets the fd
/// whose shared flock keeps the lease alive (already locked when the lease appears; keep it
/// open, across fork, until the lease is released). Throws Error.
Lease AllocateLease(const Layout& layout, const NetworkConfig& n, Lease lease, std::optional<uint32_t> requested,
                    UniqueFd* hold);
/// Removes the lease file (missing is fine).
void ReleaseLease(const Layout& layout, const std::string& network, const std::string& ip);
/// Removes the lease of `ip` only if it still belongs to `container_id` (call under the
/// network's lock, so that a lease re-taken meanwhile is never removed).
void ReleaseLeaseOf(const Layout& layout, const std::string& network, const std::string& ip,
                    const std::string& container_id);
/// Removes temp files of lease writers that died before linking them.
void RemoveStaleLeaseTemps(const Layout& layout, const std::string& network);
/// Every readable lease of a network, with `alive` filled in.
std::vector<Lease> ListLeases(const Layout& layout, const std::string& network);
/// True while its owner holds the lease (as found by ListLeases).
inline bool LeaseAlive(const Lease& l) { return l.alive; }

}  // namespace mini::net
