#pragma once
/// A container's /etc/hosts on a bridge network: Docker's default lines, its own address with
/// its hostname, and on user-defined networks every peer's name, hostname and aliases. The
/// files are rewritten in place (same inode), so a change shows through the overlay mounts of
/// running containers whose init layer holds them.
#include <string>
#include <vector>

#include "net/ipam.h"

namespace mini::net {

/// Docker's /etc/hosts for a container without a bridge network (the first lines of any).
std::string DefaultHostsContent();

/// Pure: the hosts file of `self` among `members` (all leases of its network, itself
/// included); peers are listed only when `with_peers` (user-defined networks).
std::string HostsContentFor(const Lease& self, const std::vector<Lease>& members, bool with_peers);

/// Overwrites `path` in place (O_TRUNC, no rename, O_NOFOLLOW). Missing file: false.
bool RewriteInPlace(const std::string& path, const std::string& content);

/// Rewrites the hosts file of every live member of `network` (call under the network's lock).
void RefreshPeerHosts(const Layout& layout, const std::string& network);

}  // namespace mini::net
