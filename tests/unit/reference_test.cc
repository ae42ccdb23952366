/// Table tests for ParseReference against docker/distribution's ParseNormalizedNamed +
/// TagNameOnly behaviour, including exact error messages.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/error.h"
#include "store/reference.h"

namespace mini {
namespace {

const std::string kHex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const std::string kDig = "sha256:" + kHex;

struct ValidCase {
  std::string input, domain, path, tag, digest, string, familiar;
};

std::vector<ValidCase> ValidCases() {
  return {
      {"busybox", "docker.io", "library/busybox", "latest", "", "docker.io/library/busybox:latest",
       "busybox:latest"},
      {"busybox:1.36", "docker.io", "library/busybox", "1.36", "", "docker.io/library/busybox:1.36",
       "busybox:1.36"},
      {"library/busybox", "docker.io", "library/busybox", "latest", "", "docker.io/library/busybox:latest",
       "busybox:latest"},
      {"docker.io/busybox", "docker.io", "library/busybox", "latest", "",
       "docker.io/library/busybox:latest", "busybox:latest"},
      {"docker.io/library/busybox:musl", "docker.io", "library/busybox", "musl", "",
       "docker.io/library/busybox:musl", "busybox:musl"},
      {"index.docker.io/library/busybox", "docker.io", "library/busybox", "latest", "",
       "docker.io/library/busybox:latest", "busybox:latest"},
      {"index.docker.io/busybox", "docker.io", "library/busybox", "latest", "",
       "docker.io/library/busybox:latest", "busybox:latest"},
      {"ns/repo", "docker.io", "ns/repo", "latest", "", "docker.io/ns/repo:latest", "ns/repo:latest"},
      {"library/a/b", "docker.io", "library/a/b", "latest", "", "docker.io/library/a/b:latest",
       "library/a/b:latest"},
      {"localhost/x", "localhost", "x", "latest", "", "localhost/x:latest", "localhost/x:latest"},
      {"localhost", "docker.io", "library/localhost", "latest", "", "docker.io/library/localhost:latest",
       "localhost:latest"},
      {"localhost:5000", "docker.io", "library/localhost", "5000", "", "docker.io/library/localhost:5000",
       "localhost:5000"},
      {"localhost:5000/ns/repo:tag", "localhost:5000", "ns/repo", "tag", "", "localhost:5000/ns/repo:tag",
       "localhost:5000/ns/repo:tag"},
      {"127.0.0.1:5000/a/b/c:v1.0", "127.0.0.1:5000", "a/b/c", "v1.0", "", "127.0.0.1:5000/a/b/c:v1.0",
       "127.0.0.1:5000/a/b/c:v1.0"},
      {"[::1]:5000/x", "[::1]:5000", "x", "latest", "", "[::1]:5000/x:latest", "[::1]:5000/x:latest"},
      {"[fe80::1]/x:y", "[fe80::1]", "x", "y", "", "[fe80::1]/x:y", "[fe80::1]/x:y"},
      {"registry.example.com/team/app@" + kDig, "registry.example.com", "team/app", "", kDig,
       "registry.example.com/team/app@" + kDig, "registry.example.com/team/app@" + kDig},
      {"Registry.Example.com/app", "Registry.Example.com", "app", "latest", "",
       "Registry.Example.com/app:latest", "Registry.Example.com/app:latest"},
      {"repo:tag@" + kDig, "docker.io", "library/repo", "tag", kDig, "docker.io/library/repo:tag@" + kDig,
       "repo:tag@" + kDig},
      {"busybox@" + kDig, "docker.io", "library/busybox", "", kDig, "docker.io/library/busybox@" + kDig,
       "busybox@" + kDig},
      {"a__b", "docker.io", "library/a__b", "latest", "", "docker.io/library/a__b:latest", "a__b:latest"},
      {"a-b--c", "docker.io", "library/a-b--c", "latest", "", "docker.io/library/a-b--c:latest",
       "a-b--c:latest"},
      {"a.b", "docker.io", "library/a.b", "latest", "", "docker.io/library/a.b:latest", "a.b:latest"},
      {"a_b-c/d.e", "docker.io", "a_b-c/d.e", "latest", "", "docker.io/a_b-c/d.e:latest", "a_b-c/d.e:latest"},
      {"foo.com/bar", "foo.com", "bar", "latest", "", "foo.com/bar:latest", "foo.com/bar:latest"},
      {"foo.com:8080/bar:1", "foo.com:8080", "bar", "1", "", "foo.com:8080/bar:1", "foo.com:8080/bar:1"},
      {"docker.io/localhost/x", "docker.io", "localhost/x", "latest", "", "docker.io/localhost/x:latest",
       "localhost/x:latest"},
      {"repo:UPPER_tag", "docker.io", "library/repo", "UPPER_tag", "", "docker.io/library/repo:UPPER_tag",
       "repo:UPPER_tag"},
      {"repo:_x", "docker.io", "library/repo", "_x", "", "docker.io/library/repo:_x", "repo:_x"},
      {"repo:" + std::string(128, 't'), "docker.io", "library/repo", std::string(128, 't'), "",
       "docker.io/library/repo:" + std::string(128, 't'), "repo:" + std::string(128, 't')},
      {"0", "docker.io", "library/0", "latest", "", "docker.io/library/0:latest", "0:latest"},
      {kHex.substr(0, 63), "docker.io", "library/" + kHex.substr(0, 63), "latest", "",
       "docker.io/library/" + kHex.substr(0, 63) + ":latest", kHex.substr(0, 63) + ":latest"},
  };
}

TEST(Reference, ValidTable) {
  auto cases = ValidCases();
  ASSERT_GE(cases.size(), 25u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.input);
    Reference r;
    ASSERT_NO_THROW(r = ParseReference(c.input));
    EXPECT_EQ(r.domain, c.domain);
    EXPECT_EQ(r.path, c.path);
    EXPECT_EQ(r.tag, c.tag);
    EXPECT_EQ(r.digest ? r.digest->str() : "", c.digest);
    EXPECT_EQ(r.String(), c.string);
    EXPECT_EQ(r.Familiar(), c.familiar);
    EXPECT_EQ(r.Name(), c.domain + "/" + c.path);
    // The canonical string round-trips to itself.
    EXPECT_EQ(ParseReference(r.String()).String(), c.string);
    // Docker quirk kept on purpose: docker.io/localhost/x familiarizes to "localhost/x",
    // which re-parses as registry "localhost"; every other familiar form round-trips.
    if (c.input != "docker.io/localhost/x") {
      EXPECT_EQ(ParseReference(r.Familiar()).String(), c.string);
    }
  }
}

TEST(Reference, FamiliarName) {
  EXPECT_EQ(ParseReference("docker.io/library/busybox:1").FamiliarName(), "busybox");
  EXPECT_EQ(ParseReference("ns/repo").FamiliarName(), "ns/repo");
  EXPECT_EQ(ParseReference("localhost:5000/x").FamiliarName(), "localhost:5000/x");
  EXPECT_EQ(ParseReference("quay.io/library/x").FamiliarName(), "quay.io/library/x");
}

TEST(Reference, NameLengthLimit) {
  // "registry.example.com/" is 21 characters; the name limit is 255 in total.
  std::string ok = "registry.example.com/" + std::string(234, 'a');
  ASSERT_EQ(ok.size(), 255u);
  EXPECT_EQ(ParseReference(ok).Name(), ok);
  // The limit applies to the normalized name: docker.io/library/ counts.
  EXPECT_TRUE(TryParseReference(std::string(237, 'a')));
  EXPECT_FALSE(TryParseReference(std::string(238, 'a')));
}

struct InvalidCase {
  std::string input, message;
};

std::string Msg(const std::string& in, const std::string& reason = "") {
  return "invalid reference format \"" + in + "\"" + (reason.empty() ? "" : ": " + reason);
}

std::vector<InvalidCase> InvalidCases() {
  std::string long_name = "registry.example.com/" + std::string(235, 'a');
  std::string long_tag = "repo:" + std::string(129, 't');
  const std::string lower = "repository name must be lowercase";
  return {
      {"", Msg("")},
      {"UPPER", Msg("UPPER", lower)},
      {"Busybox", Msg("Busybox", lower)},
      {"ns/Repo:tag", Msg("ns/Repo:tag", lower)},
      {"localhost:5000/Foo", Msg("localhost:5000/Foo", lower)},
      {":tag", Msg(":tag")},
      {"repo:", Msg("repo:")},
      {"repo:-bad", Msg("repo:-bad")},
      {"repo:.bad", Msg("repo:.bad")},
      {"a:b:c", Msg("a:b:c")},
      {"repo@sha256:short", Msg("repo@sha256:short")},
      {"repo@", Msg("repo@")},
      {"repo@md5:d41d8cd98f00b204e9800998ecf8427e", Msg("repo@md5:d41d8cd98f00b204e9800998ecf8427e",
                                                        "unsupported digest algorithm")},
      {"repo@sha512:" + kHex + kHex, Msg("repo@sha512:" + kHex + kHex, "unsupported digest algorithm")},
      {"repo@sha256:" + kHex.substr(0, 40), Msg("repo@sha256:" + kHex.substr(0, 40),
                                                "invalid checksum digest length")},
      {"repo@sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
       Msg("repo@sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
           "invalid checksum digest format")},
      {"a//b", Msg("a//b")},
      {"/a", Msg("/a")},
      {"a/", Msg("a/")},
      {"-a", Msg("-a")},
      {"a-", Msg("a-")},
      {"a..b", Msg("a..b")},
      {"a___b", Msg("a___b")},
      {"a b", Msg("a b")},
      {"a_b.c/d", Msg("a_b.c/d")},  // first component has '.', so it is a domain, and '_' is invalid there
      {"foo.com:port/x", Msg("foo.com:port/x")},
      {"foo.com:/x", Msg("foo.com:/x")},
      {"-foo.com/x", Msg("-foo.com/x")},
      {"[::1/x", Msg("[::1/x")},
      {"[zz::1]:5000/x", Msg("[zz::1]:5000/x")},
      {long_tag, Msg(long_tag)},
      {long_name, Msg(long_name, "repository name must not be more than 255 characters")},
      {kHex, Msg(kHex, "cannot specify 64-byte hexadecimal strings")},
  };
}

TEST(Reference, InvalidTable) {
  auto cases = InvalidCases();
  ASSERT_GE(cases.size(), 15u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.input);
    EXPECT_FALSE(TryParseReference(c.input));
    try {
      ParseReference(c.input);
      ADD_FAILURE() << "accepted: " << c.input;
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), c.message);
    }
  }
}

}  // namespace
}  // namespace mini
