#pragma once
/// A tiny rtnetlink client (raw NETLINK_ROUTE socket, no libnl): the handful of link, address
/// and route operations container networking needs, each in as few messages as possible.
/// Every call acts on the network namespace the socket was opened in; a kernel error comes
/// back as Error("<operation> <object>: <strerror>").
#include <netinet/in.h>
#include <sys/types.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "common/fs.h"

namespace mini::net {

/// An IPv4 route as the kernel lists it (destination prefix only).
struct Ipv4Route {
  uint32_t dst = 0;  ///< host byte order
  int prefix = 0;
};

/// What the host end of a container's veth pair looks like, and its peer.
struct VethRequest {
  std::string host_name;             ///< e.g. "veth3f2a9c01b7e"
  std::string peer_name = "eth0";    ///< its name inside the container
  pid_t peer_netns_pid = 0;          ///< the peer is created directly in this process's netns
  int master_index = 0;              ///< the bridge the host end joins (0 = none)
  std::array<uint8_t, 6> peer_mac{};  ///< all zero = the kernel picks one
  int mtu = 0;                       ///< 0 = default
};

class Netlink {
 public:
  /// Opens a NETLINK_ROUTE socket in the current network namespace. Throws Error.
  Netlink();

  /// The interface index of `name`, 0 when there is none.
  int LinkIndex(const std::string& name);
  /// Creates bridge `name` and brings it up (one message); returns its index. An existing
  /// link of that name is fine (made up again, its index returned).
  int EnsureBridge(const std::string& name);
  /// Creates the veth pair: host end up, attached to the master; the peer made directly in
  /// the container's netns, up (one message). Throws Error("create veth <name>: ...").
  void CreateVeth(const VethRequest& r);
  /// Adds an IPv4 address (EEXIST is fine when `exist_ok`).
  void AddAddress(int index, uint32_t addr, int prefix, const std::string& what, bool exist_ok);
  /// In the container's netns, one batch: lo up, `dev` up with `addr/prefix`, default route via
  /// `gateway`. Throws Error naming the failed step.
  void ConfigureContainerInterface(const std::string& dev, uint32_t addr, int prefix, uint32_t gateway);
  /// Deletes link `name`; false when there was none.
  bool DeleteLink(const std::string& name);
  /// All IPv4 routes of every table but `local` (for subnet clash checks).
  std::vector<Ipv4Route> DumpRoutes();
  /// The IPv4 addresses (with prefixes) of interface `index`.
  std::vector<std::pair<uint32_t, int>> LinkAddresses(int index);

  struct Request;  ///< a message buffer (netlink.cc)

 private:
  /// Sends the messages in `buf` (each asks for an ACK) and checks one ACK per message; the
  /// first kernel error is thrown as Error(<what[i]>: <strerror>) unless ignored.
  void Transact(const std::vector<char>& buf, const std::vector<std::string>& what,
                const std::vector<int>& ignore = {});
  /// Sends one dump request and calls `each` for every reply message until NLMSG_DONE.
  template <class F>
  void Dump(const std::vector<char>& req, const std::string& what, F each);

  UniqueFd fd_;
  uint32_t seq_ = 0;
};

/// Parses "a.b.c.d" (host byte order); throws Error("invalid IP address: ...").
uint32_t ParseIpv4(const std::string& s);
/// "a.b.c.d" from host byte order.
std::string FormatIpv4(uint32_t a);
/// Parses "a.b.c.d/n"; throws Error("invalid subnet: ...") (host bits must be zero).
void ParseCidr(const std::string& s, uint32_t* net, int* prefix);
/// The netmask of a prefix length (host byte order).
uint32_t PrefixMask(int prefix);

}  // namespace mini::net
