// Host port reservation: bound sockets hold ports, a second bind fails with Docker's message.
#include "net/port_reservation.h"

#include <gtest/gtest.h>

#include "common/error.h"

using mini::Error;
using namespace mini::net;

namespace {

std::string ReserveError(const std::vector<PortRequest>& reqs) {
  try {
    ReservePorts(reqs);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(PortReservation, RandomPortThenConflict) {
  PortReservation res = ReservePorts(ParsePublish("127.0.0.1::80"));
  ASSERT_EQ(res.mappings().size(), 1u);
  const PortMapping& m = res.mappings()[0];
  EXPECT_NE(m.host_port, 0);
  EXPECT_EQ(m.host_ip, "127.0.0.1");
  EXPECT_EQ(m.container_port, 80);
  std::string port = std::to_string(m.host_port);
  // Also for a request that first binds something else: that is released again.
  EXPECT_EQ(ReserveError(ParsePublish("127.0.0.1:" + port + ":80")),
            "Bind for 127.0.0.1:" + port + " failed: port is already allocated");
  EXPECT_EQ(ReserveError(ParsePublish(port + ":80")),
            "Bind for 0.0.0.0:" + port + " failed: port is already allocated");
  // The same port in UDP is a different port.
  PortReservation udp = ReservePorts(ParsePublish("127.0.0.1:" + port + ":80/udp"));
  EXPECT_EQ(udp.mappings()[0].host_port, m.host_port);
  res.Release();
  EXPECT_TRUE(res.mappings().empty());
  PortReservation again = ReservePorts(ParsePublish("127.0.0.1:" + port + ":80"));
  EXPECT_EQ(again.mappings()[0].host_port, m.host_port);
}

TEST(PortReservation, FailureReleasesWhatWasBound) {
  PortReservation held = ReservePorts(ParsePublish("127.0.0.1::80"));
  std::string busy = std::to_string(held.mappings()[0].host_port);
  PortReservation probe = ReservePorts(ParsePublish("127.0.0.1::81"));
  std::string first = std::to_string(probe.mappings()[0].host_port);
  probe.Release();
  EXPECT_NE(ReserveError({ParsePublish("127.0.0.1:" + first + ":81")[0],
                          ParsePublish("127.0.0.1:" + busy + ":80")[0]}),
            "no error");
  // `first` was bound by the failed call and must be free again.
  EXPECT_EQ(ReservePorts(ParsePublish("127.0.0.1:" + first + ":81")).mappings()[0].host_port,
            std::stoi(first));
}

TEST(PortReservation, HostRangeTakesAFreePort) {
  PortReservation held = ReservePorts(ParsePublish("127.0.0.1::80"));
  uint16_t busy = held.mappings()[0].host_port;
  if (busy >= 65535) GTEST_SKIP() << "kernel picked the last port";
  std::string range = std::to_string(busy) + "-" + std::to_string(busy + 1);
  PortReservation r = ReservePorts(ParsePublish("127.0.0.1:" + range + ":80"));
  EXPECT_EQ(r.mappings()[0].host_port, busy + 1);
  EXPECT_EQ(ReserveError(ParsePublish("127.0.0.1:" + range + ":80")),
            "Bind for 127.0.0.1:" + range + " failed: port is already allocated");
}

}  // namespace
