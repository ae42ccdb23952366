// The pure parts of bridge networking: CIDR parsing, subnet choice, /etc/hosts content,
// Docker's NetworkSettings shape.
#include <gtest/gtest.h>

#include "common/error.h"
#include "net/hosts_file.h"
#include "net/netlink.h"
#include "net/network_admin.h"
#include "net/network_endpoint.h"
#include "net/network_store.h"

using mini::Error;
using namespace mini::net;

namespace {

std::string CidrError(const std::string& s) {
  try {
    uint32_t net;
    int prefix;
    ParseCidr(s, &net, &prefix);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

Lease L(const std::string& ip, const std::string& id, const std::string& name, std::vector<std::string> aliases = {}) {
  Lease l;
  l.ip = ip;
  l.container_id = id;
  l.name = name;
  l.hostname = id.substr(0, 4);
  l.aliases = std::move(aliases);
  return l;
}

}  // namespace

TEST(Network, ParseCidr) {
  uint32_t net;
  int prefix;
  ParseCidr("10.88.0.0/16", &net, &prefix);
  EXPECT_EQ(FormatIpv4(net), "10.88.0.0");
  EXPECT_EQ(prefix, 16);
  EXPECT_EQ(CidrError("10.88.0.1/16"), "invalid subnet 10.88.0.1/16: host bits set (did you mean 10.88.0.0/16?)");
  EXPECT_EQ(CidrError("10.88.0.0"), "invalid subnet 10.88.0.0: expected CIDR notation (a.b.c.d/n)");
  EXPECT_EQ(CidrError("10.88.0.0/33"), "invalid subnet 10.88.0.0/33: bad prefix length");
  EXPECT_EQ(CidrError("10.300.0.0/16"), "invalid subnet 10.300.0.0/16: bad address");
  EXPECT_EQ(PrefixMask(16), 0xffff0000u);
  EXPECT_EQ(PrefixMask(0), 0u);
  EXPECT_EQ(PrefixMask(32), 0xffffffffu);
}

TEST(Network, PickFreeSubnetAvoidsRoutesAndNetworks) {
  auto ip = [](const char* s) { return ParseIpv4(s); };
  // Nothing taken: 10.88.0.0/16.
  EXPECT_EQ(FormatIpv4(PickFreeSubnet(88, {}).first), "10.88.0.0");
  // A host route inside 10.88/16 and a network on 10.89/16: the next one.
  auto p = PickFreeSubnet(88, {{ip("10.88.3.0"), 24}, {ip("10.89.0.0"), 16}, {0, 0}});
  EXPECT_EQ(FormatIpv4(p.first), "10.90.0.0");
  EXPECT_EQ(p.second, 16);
  // A route covering all of 10/8 leaves nothing.
  EXPECT_THROW(PickFreeSubnet(88, {{ip("10.0.0.0"), 8}}), Error);
  // The default route (prefix 0) is not a clash.
  EXPECT_EQ(FormatIpv4(PickFreeSubnet(88, {{0, 0}, {ip("192.0.2.0"), 24}, {ip("172.17.0.0"), 16}}).first),
            "10.88.0.0");
  EXPECT_TRUE(SubnetsOverlap(ip("10.88.0.0"), 16, ip("10.88.5.0"), 24));
  EXPECT_FALSE(SubnetsOverlap(ip("10.88.0.0"), 16, ip("10.89.0.0"), 16));
}

TEST(Network, ModeNames) {
  EXPECT_EQ(NetworkNameFor("bridge"), "mini");
  EXPECT_EQ(NetworkNameFor("default"), "mini");
  EXPECT_EQ(NetworkNameFor("app"), "app");
  EXPECT_TRUE(UsesBridgeNetwork("bridge"));
  EXPECT_TRUE(UsesBridgeNetwork("app"));
  EXPECT_FALSE(UsesBridgeNetwork("none"));
  EXPECT_FALSE(UsesBridgeNetwork("host"));
  EXPECT_EQ(HostVethName("0123456789abcdef"), "veth0123456789a");
  EXPECT_EQ(MacForIp(ParseIpv4("10.88.0.2")), "02:42:0a:58:00:02");
}

TEST(Network, HostsOnTheDefaultNetworkHaveOnlyTheContainerItself) {
  Lease self = L("10.88.0.2", "aaaa1111", "web");
  Lease peer = L("10.88.0.3", "bbbb2222", "db");
  EXPECT_EQ(HostsContentFor(self, {self, peer}, false), DefaultHostsContent() + "10.88.0.2\taaaa\n");
}

TEST(Network, HostsOnAUserNetworkListPeersWithAliases) {
  Lease self = L("10.89.0.2", "aaaa1111", "web", {"www"});
  Lease db = L("10.89.0.4", "cccc3333", "db", {"database", "db"});
  Lease cache = L("10.89.0.3", "bbbb2222", "cache");
  EXPECT_EQ(HostsContentFor(self, {db, self, cache}, true),
            DefaultHostsContent() +
                "10.89.0.2\taaaa web www\n"
                "10.89.0.3\tcache bbbb\n"
                "10.89.0.4\tdb cccc database\n");
}

TEST(Network, SettingsJsonFollowsDocker) {
  NetworkSettings s;
  s.network = "mini";
  s.ip = "10.88.0.2";
  s.gateway = "10.88.0.1";
  s.prefix = 16;
  s.mac = "02:42:0a:58:00:02";
  s.default_network = true;
  mini::net::PortMapping m;
  m.host_ip = "127.0.0.1";
  m.host_port = 18080;
  m.container_port = 80;
  s.ports = {m};
  auto j = NetworkSettingsJson("bridge", &s);
  EXPECT_EQ(j["IPAddress"], "10.88.0.2");
  EXPECT_EQ(j["Networks"]["mini"]["Gateway"], "10.88.0.1");
  EXPECT_EQ(j["Ports"]["80/tcp"][0]["HostPort"], "18080");
  s.default_network = false;
  s.network = "app";
  j = NetworkSettingsJson("app", &s);
  EXPECT_EQ(j["IPAddress"], "");
  EXPECT_EQ(j["Networks"]["app"]["IPAddress"], "10.88.0.2");
  EXPECT_TRUE(NetworkSettingsJson("none", nullptr)["Networks"].contains("none"));
}
