// registries.conf and daemon.json: drop-in merging, prefix matching (longest wins), mirror
// order and location rewriting, blocked and insecure registries, short names.
#include <gtest/gtest.h>

#include "error_of.h"
#include "registry/registries_conf.h"
#include "registry/toml_subset.h"

namespace mini::registry {
namespace {

using nlohmann::json;

RegistriesConfig Conf(const std::string& toml, const std::string& daemon_json = "") {
  RegistriesConfig c;
  MergeRegistriesConf(c, ParseTomlSubset(toml, "/etc/containers/registries.conf"), "/etc/containers/registries.conf");
  if (!daemon_json.empty()) MergeDaemonJson(c, json::parse(daemon_json), "/etc/docker/daemon.json");
  return c;
}

std::string Where(const std::vector<Endpoint>& eps) {
  std::string out;
  for (const auto& e : eps)
    out += (out.empty() ? "" : " ") + e.domain + "/" + e.repo + (e.insecure ? "(insecure)" : "") + (e.mirror ? "(mirror)" : "");
  return out;
}

const char* kConf = R"(
[[registry]]
prefix = "example.com"
location = "example.com"
[[registry.mirror]]
location = "m1.local:5000"
[[registry.mirror]]
location = "m2.local/cache"
insecure = true

[[registry]]
prefix = "example.com/team"
location = "internal.example:5000/mirrored/team"
insecure = true

[[registry]]
prefix = "example.com/teamwork"
blocked = true

[[registry]]
prefix = "*.bad.io"
blocked = true
)";

TEST(RegistriesConf, LongestPrefixWinsAtPathBoundaries) {
  RegistriesConfig c = Conf(kConf);
  EXPECT_EQ(FindRegistry(c, "example.com/x")->prefix, "example.com");
  EXPECT_EQ(FindRegistry(c, "example.com/team/app")->prefix, "example.com/team");
  EXPECT_EQ(FindRegistry(c, "example.com/team")->prefix, "example.com/team");
  EXPECT_EQ(FindRegistry(c, "example.com/teamwork/app")->prefix, "example.com/teamwork");
  EXPECT_EQ(FindRegistry(c, "example.com/teams/app")->prefix, "example.com");
  EXPECT_EQ(FindRegistry(c, "example.community/x"), nullptr);
  EXPECT_EQ(FindRegistry(c, "a.bad.io:5000/x")->prefix, "*.bad.io");
  EXPECT_EQ(FindRegistry(c, "bad.io/x"), nullptr);
}

TEST(RegistriesConf, MirrorsInOrderThenTheLocation) {
  RegistriesConfig c = Conf(kConf);
  EXPECT_EQ(Where(PullEndpoints(c, ParseReference("example.com/ns/app:1"))),
            "m1.local:5000/ns/app(mirror) m2.local/cache/ns/app(insecure)(mirror) example.com/ns/app");
  EXPECT_EQ(Where(PullEndpoints(c, ParseReference("example.com/team/app"))),
            "internal.example:5000/mirrored/team/app(insecure)");
  EXPECT_EQ(Where(PullEndpoints(c, ParseReference("other.io/app"))), "other.io/app");
}

TEST(RegistriesConf, BlockedIsRefusedWithTheFile) {
  RegistriesConfig c = Conf(kConf);
  EXPECT_EQ(ErrorOf([&] { PullEndpoints(c, ParseReference("example.com/teamwork/x")); }),
            "registry \"example.com/teamwork\" is blocked in /etc/containers/registries.conf");
  EXPECT_EQ(ErrorOf([&] { CheckNotBlocked(c, ParseReference("x.bad.io/y")); }),
            "registry \"*.bad.io\" is blocked in /etc/containers/registries.conf");
  EXPECT_EQ(ErrorOf([&] { CheckNotBlocked(c, ParseReference("example.com/team/x")); }), "(no error)");
}

TEST(RegistriesConf, DropInsReplaceByPrefixAndMergeAliases) {
  RegistriesConfig c = Conf("unqualified-search-registries = [\"a.io\"]\n[[registry]]\nprefix = \"x.io\"\nblocked = true\n"
                            "[aliases]\nbox = \"a.io/box\"\nold = \"a.io/old\"\n");
  MergeRegistriesConf(c, ParseTomlSubset("[[registry]]\nprefix = \"x.io\"\ninsecure = true\n[aliases]\nbox = \"b.io/box\"\n", "d.conf"),
                      "/etc/containers/registries.conf.d/d.conf");
  ASSERT_EQ(c.registries.size(), 1u);
  EXPECT_FALSE(c.registries[0].blocked);
  EXPECT_TRUE(c.registries[0].insecure);
  EXPECT_EQ(c.registries[0].source, "/etc/containers/registries.conf.d/d.conf");
  EXPECT_EQ(c.aliases["box"], "b.io/box");
  EXPECT_EQ(c.aliases["old"], "a.io/old");
  EXPECT_EQ(c.search, std::vector<std::string>{"a.io"});  // not set in the drop-in: kept
  MergeRegistriesConf(c, ParseTomlSubset("unqualified-search-registries = []", "e.conf"), "e.conf");
  EXPECT_TRUE(c.search.empty());
}

TEST(RegistriesConf, RefusesWrongShapes) {
  EXPECT_EQ(ErrorOf([] { Conf("[[registry]]\ninsecure = true\n"); }),
            "/etc/containers/registries.conf: [[registry]] needs a prefix or a location");
  EXPECT_EQ(ErrorOf([] { Conf("[[registry]]\nprefix = \"a.io\"\ninsecure = \"yes\"\n"); }),
            "/etc/containers/registries.conf: [[registry]]: \"insecure\" must be true or false");
  EXPECT_EQ(ErrorOf([] { Conf("[[registry]]\nprefix = \"*.a.io\"\nlocation = \"b.io\"\n"); }),
            "/etc/containers/registries.conf: [[registry]] with the wildcard prefix \"*.a.io\" cannot have a location");
  EXPECT_EQ(ErrorOf([] { Conf("unqualified-search-registries = \"a.io\""); }),
            "/etc/containers/registries.conf: \"unqualified-search-registries\" must be an array of strings");
  EXPECT_EQ(ErrorOf([] { Conf("", R"({"registry-mirrors": ["mirror.local"]})"); }),
            "/etc/docker/daemon.json: registry mirror \"mirror.local\" must be an http:// or https:// URL");
}

TEST(DaemonJson, MirrorsAreForDockerHubOnlyAndInsecureTakesCidrs) {
  RegistriesConfig c = Conf("", R"({"registry-mirrors": ["https://hub-mirror.local:5000/", "http://plain.local"],
                                     "insecure-registries": ["10.1.0.0/16", "reg.local:5000"], "debug": true})");
  EXPECT_EQ(Where(PullEndpoints(c, ParseReference("busybox"))),
            "hub-mirror.local:5000/library/busybox(mirror) plain.local/library/busybox(insecure)(mirror) docker.io/library/busybox");
  EXPECT_EQ(Where(PullEndpoints(c, ParseReference("quay.io/x/y"))), "quay.io/x/y");
  EXPECT_TRUE(IsInsecureRegistry(c, "10.1.200.3:5000"));
  EXPECT_FALSE(IsInsecureRegistry(c, "10.2.0.1:5000"));
  EXPECT_TRUE(IsInsecureRegistry(c, "reg.local:5000"));
  EXPECT_FALSE(IsInsecureRegistry(c, "reg.local:5001"));
  EXPECT_EQ(MirrorLines(c), (std::vector<std::string>{"https://hub-mirror.local:5000/", "http://plain.local/"}));
  EXPECT_EQ(InsecureLines(c), (std::vector<std::string>{"127.0.0.0/8", "::1/128", "10.1.0.0/16", "reg.local:5000"}));
}

// Docker's isSecureIndex: a CIDR matches a host name by the addresses it resolves to
// (localhost through /etc/hosts); a name that does not resolve matches none.
TEST(DaemonJson, InsecureCidrsMatchResolvedHostNames) {
  RegistriesConfig c = Conf("", R"({"insecure-registries": ["127.0.0.0/8"]})");
  EXPECT_TRUE(IsInsecureRegistry(c, "localhost:5000"));
  EXPECT_TRUE(IsInsecureRegistry(c, "127.0.0.7:5000"));
  EXPECT_FALSE(IsInsecureRegistry(c, "no-such-registry.invalid:5000"));
  EXPECT_FALSE(IsInsecureRegistry(Conf("", R"({"insecure-registries": ["10.9.0.0/16"]})"), "localhost:5000"));
}

TEST(ShortNames, DockerRuleAliasesAndSearchRegistries) {
  auto names = [](const RegistriesConfig& c, const std::string& in) {
    std::string out;
    for (const auto& r : ShortNameCandidates(c, in)) out += (out.empty() ? "" : " ") + r.String();
    return out;
  };
  RegistriesConfig none;
  EXPECT_EQ(names(none, "busybox"), "docker.io/library/busybox:latest");
  RegistriesConfig c = Conf("unqualified-search-registries = [\"quay.io\", \"docker.io\"]\n[aliases]\n"
                            "\"box\" = \"reg.example/tools/box\"\n\"bad\" = \"short\"\n");
  EXPECT_EQ(names(c, "box:2"), "reg.example/tools/box:2");
  EXPECT_EQ(names(c, "busybox:1.36"), "quay.io/busybox:1.36 docker.io/library/busybox:1.36");
  EXPECT_EQ(names(c, "localhost:5000/busybox"), "localhost:5000/busybox:latest");
  EXPECT_EQ(names(c, "reg.example/busybox"), "reg.example/busybox:latest");
  EXPECT_EQ(ErrorOf([&] { names(c, "bad"); }), "alias \"bad\" = \"short\" is not a fully qualified image name");
  EXPECT_EQ(ErrorOf([&] { names(c, "Busybox"); }), ErrorOf([] { ParseReference("Busybox"); }));
}

}  // namespace
}  // namespace mini::registry
