#pragma once
/// Networking of rootless containers. A user namespace cannot create veth pairs on the host, so
/// a private network comes from slirp4netns (Debian `slirp4netns`, a user-mode TCP/IP stack
/// behind a tap device in the container's network namespace, as podman does), when installed;
/// else the container gets only its loopback. `--network none|host` work as with root.
#include <sys/types.h>

#include <string>

#include "common/fs.h"

namespace mini::net {

inline constexpr const char kSlirpNetwork[] = "slirp4netns";
inline constexpr const char kSlirpBinary[] = "/usr/bin/slirp4netns";
/// slirp4netns's built-in DNS forwarder (10.0.2.0/24 is its default network).
inline constexpr const char kSlirpResolvConf[] = "nameserver 10.0.2.3\n";

/// The network a rootless container gets for the one asked for: "none" and "host" as they are;
/// "bridge", "default", "" and "slirp4netns" -> "slirp4netns" when the binary is there and
/// /dev/net/tun may be opened, else "none" after a one-line notice on stderr; anything else
/// unchanged (refused later).
std::string RootlessNetworkMode(const std::string& requested);

/// A running slirp4netns serving the network namespace of one container. It exits when this
/// object goes away (its --exit-fd is closed), or when this process dies.
class SlirpNetwork {
 public:
  SlirpNetwork() = default;
  ~SlirpNetwork();
  SlirpNetwork(const SlirpNetwork&) = delete;
  SlirpNetwork& operator=(const SlirpNetwork&) = delete;

  /// Starts slirp4netns for the network namespace of `pid` (a tap0 interface with 10.0.2.100,
  /// gateway 10.0.2.2, DNS 10.0.2.3) and waits until it is configured. Throws Error.
  void Start(pid_t pid);

 private:
  pid_t pid_ = -1;
  UniqueFd exit_w_;
};

}  // namespace mini::net
