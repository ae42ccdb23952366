// Host ports held by bound, non-listening sockets (Docker's port reservation).
#include "net/port_reservation.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"

namespace mini::net {
namespace {

// A host range that is full is named as the range: "Bind for 0.0.0.0:8000-8001 failed".
[[noreturn]] void ThrowBind(const std::string& ip, unsigned first, unsigned last, int err) {
  std::string port = std::to_string(first) + (last > first ? "-" + std::to_string(last) : "");
  std::string what = "Bind for " + (ip.empty() ? "0.0.0.0" : ip) + ":" + port + " failed: ";
  throw Error(what + (err == EADDRINUSE ? "port is already allocated" : strerror(err)));
}

// Binds one socket; returns -errno on failure (the fd is closed then).
int TryBind(const PortRequest& r, uint16_t port, UniqueFd& out) {
  int type = (r.proto == "udp" ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC;
  UniqueFd fd(socket(AF_INET, type, 0));
  if (!fd) return -errno;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_ANY);
  if (!r.host_ip.empty() && inet_pton(AF_INET, r.host_ip.c_str(), &sa.sin_addr) != 1)
    throw Error("invalid host IP address: " + r.host_ip);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) return -errno;
  out = std::move(fd);
  return 0;
}

uint16_t BoundPort(int fd) {
  sockaddr_in sa{};
  socklen_t len = sizeof(sa);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) ThrowErrno("getsockname");
  return ntohs(sa.sin_port);
}

}  // namespace

std::vector<int> PortReservation::fds() const {
  std::vector<int> out;
  for (const UniqueFd& fd : fds_) out.push_back(fd.get());
  return out;
}

void PortReservation::Release() {
  fds_.clear();
  mappings_.clear();
}

PortReservation ReservePorts(const std::vector<PortRequest>& requests) {
  PortReservation res;  // on a throw, its destructor releases what was bound so far
  for (const PortRequest& r : requests) {
    if (r.proto != "tcp" && r.proto != "udp") throw Error("unsupported protocol: " + r.proto);
    unsigned last = r.host_port_end > r.host_port ? r.host_port_end : r.host_port;
    UniqueFd fd;
    int err = 0;
    for (unsigned port = r.host_port; port <= last; ++port) {
      err = TryBind(r, static_cast<uint16_t>(port), fd);
      if (err != -EADDRINUSE) break;  // bound, or an error another port would not cure
    }
    if (err != 0) ThrowBind(r.host_ip, r.host_port, last, -err);
    PortMapping m{r.host_ip, BoundPort(fd.get()), r.container_port, r.proto};
    res.mappings_.push_back(m);
    res.fds_.push_back(std::move(fd));
  }
  return res;
}

}  // namespace mini::net
