#pragma once
/// Firewall and NAT for mini's bridge networks and published ports, through libnftables (loaded
/// on first use, so commands that never touch the network do not pay for it).
///
/// Everything lives in one table, `ip mini`:
///   - base chains `prerouting` (nat, dstnat), `output` (nat, -100: the host's own connections
///     to local addresses), `postrouting` (nat, srcnat) and `forward` (filter);
///   - verdict maps keyed by subnet / bridge name that jump to one pair of regular chains per
///     network (`post-<bridge>`, `fwd-<bridge>`), so a network is added or removed as a whole
///     in one transaction, without rule handles;
///   - two DNAT maps for published ports, `ports_ip` (daddr . proto . port) and `ports_any`
///     (proto . port, for any local address), whose elements are added and deleted by key.
/// The only thing done outside that table: when iptables(-nft)'s `ip filter` table has a
/// `FORWARD` chain (dockerd makes one with policy DROP), two accept rules per bridge are
/// inserted there, commented `mini:<bridge>`, and found again by that comment to remove them.
///
/// All functions need CAP_NET_ADMIN, act in the caller's network namespace, and share one
/// libnftables context per process (not thread-safe: call them from one thread). Errors are
/// mini::Error with nft's message on one line: `<context>: nftables: <command>: <nft error>`.
/// Every function is idempotent. IPv4 only (no `ip6` table yet).
#include <cstdint>
#include <string>
#include <vector>

#include "net/port_spec.h"

namespace mini::net {

/// Makes sure the network `bridge` (an interface name) with IPv4 subnet `subnet_cidr`
/// ("10.88.0.0/16") is NATed and forwarded, Docker-style:
///   - traffic from the subnet leaving through another interface is masqueraded;
///   - forwarding into and out of the bridge is accepted, traffic between two mini networks is
///     dropped (Docker's network isolation);
///   - `ip saddr 127.0.0.0/8` leaving through the bridge is masqueraded and route_localnet=1 is
///     set on the bridge, so published ports answer on 127.0.0.1 from the host;
///   - traffic from the subnet DNATed back into the bridge (a container reaching a published
///     port through the host's address) is masqueraded, so hairpin works without br_netfilter
///     (a container reaching its own published port also needs hairpin mode on its bridge
///     port, IFLA_BRPORT_MODE, which is the bridge code's job);
///   - net.ipv4.ip_forward=1;
///   - accept rules for the bridge in `ip filter FORWARD` if that chain exists.
/// Cheap when everything is already there (~0.3 ms): one transaction of idempotent element
/// adds that fails only when the table or the network's chains are missing (then the skeleton
/// and the network's chains are (re)made), plus one listing of `ip filter FORWARD`. A rule
/// deleted by hand inside an existing chain is not noticed: RemoveNetworkRules + Ensure repairs.
/// The bridge need not exist yet, except for route_localnet (skipped while
/// /proc/sys/net/ipv4/conf/<bridge> is missing). Two networks with one subnet: Error.
void EnsureNetworkRules(const std::string& bridge, const std::string& subnet_cidr);

/// Removes what EnsureNetworkRules added for this network (its chains, its map elements, its
/// rules in `ip filter FORWARD`). Missing pieces are fine. Leaves ip_forward and the shared
/// table skeleton alone; route_localnet goes away with the bridge.
void RemoveNetworkRules(const std::string& bridge, const std::string& subnet_cidr);

/// DNATs each mapping to container_ip:container_port: in prerouting (from outside and from
/// containers) and in output (from the host itself), for packets to host_ip, or to any local
/// address when host_ip is "". Adds the table skeleton if missing. Adding the same forward
/// twice is fine; a key already forwarded to another container is an error. Atomic: all or
/// none.
void AddPortForwards(const std::string& container_ip, const std::vector<PortMapping>& mappings);

/// Deletes the forwards of these mappings that point at container_ip; missing ones, and ones
/// that now point at another container, are left alone without error. Note: after any nft
/// deletion the kernel frees the old objects after an RCU grace period, and closing the
/// netlink socket (at process exit: the context is shared and kept) waits for it, ~5-10 ms
/// here; work done between this call and exit overlaps that wait.
void RemovePortForwards(const std::string& container_ip, const std::vector<PortMapping>& mappings);

/// One DNAT entry, as listed from the maps.
struct PortForward {
  PortMapping mapping;       ///< host side and container port (host_ip "" = any local address)
  std::string container_ip;
  bool operator==(const PortForward&) const = default;
};

/// Every published-port forward in the table (empty when the table does not exist), for leak
/// checks and garbage collection of forwards whose container is gone.
std::vector<PortForward> ListPortForwards();

/// One network known to the table.
struct NetworkRules {
  std::string bridge;
  std::string subnet_cidr;
  bool operator==(const NetworkRules&) const = default;
};

/// Every network that has rules (from the subnet verdict map), for leak checks and GC.
std::vector<NetworkRules> ListNetworkRules();

/// Deletes the whole `ip mini` table and every `mini:` rule in `ip filter FORWARD`. For tests
/// and a full cleanup only: it also cuts off running containers.
void RemoveAllNatRules();

}  // namespace mini::net
