// -p / -P parsing (Docker's rules) and `mini port` lines.
#include "net/port_spec.h"

#include <gtest/gtest.h>

#include "common/error.h"

using mini::Error;
using namespace mini::net;

namespace {

PortRequest Req(std::string ip, uint16_t host, uint16_t ctr, std::string proto = "tcp",
                uint16_t host_end = 0) {
  PortRequest r;
  r.host_ip = std::move(ip);
  r.host_port = host;
  r.host_port_end = host_end ? host_end : host;
  r.container_port = ctr;
  r.proto = std::move(proto);
  return r;
}

std::string ParseError(const std::string& spec) {
  try {
    ParsePublish(spec);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(PortSpec, ContainerPortOnly) {
  EXPECT_EQ(ParsePublish("80"), std::vector<PortRequest>{Req("", 0, 80)});
  EXPECT_EQ(ParsePublish("53/udp"), std::vector<PortRequest>{Req("", 0, 53, "udp")});
  EXPECT_EQ(ParsePublish("80/TCP"), std::vector<PortRequest>{Req("", 0, 80)});
  EXPECT_EQ(ParsePublish("80/"), std::vector<PortRequest>{Req("", 0, 80)});
}

TEST(PortSpec, HostAndContainer) {
  EXPECT_EQ(ParsePublish("8080:80"), std::vector<PortRequest>{Req("", 8080, 80)});
  EXPECT_EQ(ParsePublish(":80"), std::vector<PortRequest>{Req("", 0, 80)});
  EXPECT_EQ(ParsePublish("127.0.0.1:18080:80/udp"),
            std::vector<PortRequest>{Req("127.0.0.1", 18080, 80, "udp")});
  EXPECT_EQ(ParsePublish("127.0.0.1::80"), std::vector<PortRequest>{Req("127.0.0.1", 0, 80)});
  EXPECT_EQ(ParsePublish("0.0.0.0:1:65535"), std::vector<PortRequest>{Req("", 1, 65535)});
}

TEST(PortSpec, Ranges) {
  EXPECT_EQ(ParsePublish("8000-8001:80-81"),
            (std::vector<PortRequest>{Req("", 8000, 80), Req("", 8001, 81)}));
  EXPECT_EQ(ParsePublish("127.0.0.1::80-81/udp"),
            (std::vector<PortRequest>{Req("127.0.0.1", 0, 80, "udp"), Req("127.0.0.1", 0, 81, "udp")}));
  EXPECT_EQ(ParsePublish("80-82"),
            (std::vector<PortRequest>{Req("", 0, 80), Req("", 0, 81), Req("", 0, 82)}));
  // One container port with a host range: any free port of the range.
  EXPECT_EQ(ParsePublish("8000-8010:80"), std::vector<PortRequest>{Req("", 8000, 80, "tcp", 8010)});
}

TEST(PortSpec, Errors) {
  EXPECT_EQ(ParseError("x"), "invalid port \"x\": invalid containerPort: x");
  EXPECT_EQ(ParseError(""), "invalid port \"\": no port specified: <empty>");
  EXPECT_EQ(ParseError("8080:"), "invalid port \"8080:\": no port specified: 8080:<empty>");
  EXPECT_EQ(ParseError("y:80"), "invalid port \"y:80\": invalid hostPort: y");
  EXPECT_EQ(ParseError("65536"), "invalid port \"65536\": invalid containerPort: 65536");
  EXPECT_EQ(ParseError("81-80"), "invalid port \"81-80\": invalid containerPort: 81-80");
  EXPECT_EQ(ParseError("8000-8002:80-81"),
            "invalid port \"8000-8002:80-81\": invalid ranges specified for container and host "
            "Ports: 80-81 and 8000-8002");
  EXPECT_EQ(ParseError("80/icmp"), "invalid port \"80/icmp\": invalid proto: icmp");
  EXPECT_EQ(ParseError("80/sctp"),
            "invalid port \"80/sctp\": sctp is not supported, only tcp and udp");
  EXPECT_EQ(ParseError("1.2.3:80:80"), "invalid port \"1.2.3:80:80\": invalid IP address: 1.2.3");
  EXPECT_EQ(ParseError("010.0.0.1:1:2"), "invalid port \"010.0.0.1:1:2\": invalid IP address: 010.0.0.1");
  EXPECT_EQ(ParseError("[::1]:80:80"),
            "invalid port \"[::1]:80:80\": IPv6 host address ::1 is not supported, only IPv4");
  EXPECT_EQ(ParseError("::1:80:80"),
            "invalid port \"::1:80:80\": IPv6 host address ::1 is not supported, only IPv4");
}

TEST(PortSpec, ExposedPorts) {
  auto cfg = nlohmann::json::parse(R"({"config": {"ExposedPorts": {"80/tcp": {}, "53/udp": {},
      "443": {}, "53/tcp": {}}}})");
  EXPECT_EQ(ExposedPortRequests(cfg), (std::vector<PortRequest>{Req("", 0, 53), Req("", 0, 53, "udp"),
                                                                 Req("", 0, 80), Req("", 0, 443)}));
  EXPECT_EQ(ExposedPortRequests(cfg["config"]), ExposedPortRequests(cfg));
  EXPECT_TRUE(ExposedPortRequests(nlohmann::json::parse(R"({"config": {}})")).empty());
  EXPECT_TRUE(ExposedPortRequests(nlohmann::json::parse(R"({"ExposedPorts": null})")).empty());
  EXPECT_THROW(ExposedPortRequests(nlohmann::json::parse(R"({"ExposedPorts": {"x/tcp": {}}})")), Error);
  EXPECT_THROW(ExposedPortRequests(nlohmann::json::parse(R"({"ExposedPorts": {"1/sctp": {}}})")), Error);
}

TEST(PortSpec, Format) {
  EXPECT_EQ(FormatPortMapping({"127.0.0.1", 18080, 80, "tcp"}), "80/tcp -> 127.0.0.1:18080");
  EXPECT_EQ(FormatPortMapping({"", 32768, 53, "udp"}), "53/udp -> 0.0.0.0:32768");
  std::vector<PortMapping> v = {{"", 2, 81, "tcp"}, {"", 1, 80, "udp"}, {"", 3, 80, "tcp"}};
  SortPortMappings(v);
  EXPECT_EQ(v, (std::vector<PortMapping>{{"", 3, 80, "tcp"}, {"", 1, 80, "udp"}, {"", 2, 81, "tcp"}}));
}

}  // namespace
