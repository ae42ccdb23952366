#pragma once
/// Holding published host ports the way Docker does: one bound (not listening) socket per
/// mapping, so that nothing else on the host can bind the port while the container runs. The
/// NAT rules (nat.h) take the packets before any socket sees them, so the bound socket never
/// answers a connection. The container's monitor holds the reservation for the container's
/// lifetime; when it exits, the kernel frees the ports.
#include <vector>

#include "common/fs.h"
#include "net/port_spec.h"

namespace mini::net {

/// Owns the sockets that hold a set of host ports. Movable, not copyable; closing (destroying)
/// it releases every port.
class PortReservation {
 public:
  PortReservation() = default;
  PortReservation(PortReservation&&) noexcept = default;
  PortReservation& operator=(PortReservation&&) noexcept = default;

  /// The resolved mappings, in request order, each with its real host port.
  const std::vector<PortMapping>& mappings() const { return mappings_; }
  /// The socket fds, in the order of mappings() (e.g. to keep them open across exec).
  std::vector<int> fds() const;
  /// Closes every socket now; mappings() becomes empty.
  void Release();

 private:
  friend PortReservation ReservePorts(const std::vector<PortRequest>& requests);
  std::vector<PortMapping> mappings_;
  std::vector<UniqueFd> fds_;
};

/// Binds one CLOEXEC socket per request (SOCK_STREAM for tcp, SOCK_DGRAM for udp; no
/// SO_REUSEADDR, no listen) on host_ip or INADDR_ANY. host_port 0 lets the kernel pick a free
/// port (read back with getsockname); a host range (host_port_end > host_port) takes its first
/// free port. On failure, everything already bound is released and Error is thrown, Docker's
/// text: `Bind for 127.0.0.1:18080 failed: port is already allocated` (EADDRINUSE), or
/// `Bind for 0.0.0.0:80 failed: <strerror>`.
PortReservation ReservePorts(const std::vector<PortRequest>& requests);

}  // namespace mini::net
