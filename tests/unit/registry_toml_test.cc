// The TOML subset parser of registries.conf: what it reads, and the exact errors (with line
// numbers) for what it refuses.
#include <gtest/gtest.h>

#include "error_of.h"
#include "registry/toml_subset.h"

namespace mini::registry {
namespace {

using nlohmann::json;

json P(const std::string& text) { return ParseTomlSubset(text, "f.conf"); }
std::string Err(const std::string& text) {
  return ErrorOf([&] { P(text); });
}

TEST(TomlSubset, RegistriesConfShape) {
  json j = P(R"(# comment
unqualified-search-registries = ["docker.io", 'quay.io',]   # trailing comma

[[registry]]
prefix = "example.com/foo"
location = "internal:5000/bar"
insecure = true
blocked = false

[[registry.mirror]]
location = "mirror-1.local"
[[registry.mirror]]
location = "mirror-2.local"
insecure = true

[[registry]]
location = "other.io"

[aliases]
"opensuse/leap" = "registry.opensuse.org/opensuse/leap"
  busybox = "docker.io/library/busybox"
)");
  EXPECT_EQ(j["unqualified-search-registries"], json({"docker.io", "quay.io"}));
  ASSERT_EQ(j["registry"].size(), 2u);
  EXPECT_EQ(j["registry"][0]["prefix"], "example.com/foo");
  EXPECT_EQ(j["registry"][0]["insecure"], true);
  EXPECT_EQ(j["registry"][0]["blocked"], false);
  ASSERT_EQ(j["registry"][0]["mirror"].size(), 2u);
  EXPECT_EQ(j["registry"][0]["mirror"][1]["location"], "mirror-2.local");
  EXPECT_EQ(j["registry"][0]["mirror"][1]["insecure"], true);
  EXPECT_EQ(j["registry"][1], json({{"location", "other.io"}}));
  EXPECT_EQ(j["aliases"]["opensuse/leap"], "registry.opensuse.org/opensuse/leap");
  EXPECT_EQ(j["aliases"]["busybox"], "docker.io/library/busybox");
}

TEST(TomlSubset, StringsAndMultiLineArrays) {
  json j = P("a = \"q\\\"\\\\\\t\\u00e9\"\nb = 'c:\\x'\nc = [\n  \"x\", # one\n  # between\n  \"y\"\n]\nd.e = true\n");
  EXPECT_EQ(j["a"], "q\"\\\t\xc3\xa9");
  EXPECT_EQ(j["b"], "c:\\x");
  EXPECT_EQ(j["c"], json({"x", "y"}));
  EXPECT_EQ(j["d"]["e"], true);
  EXPECT_EQ(P(""), json::object());
  EXPECT_EQ(P("x = []"), json({{"x", json::array()}}));
}

TEST(TomlSubset, RefusesWhatItDoesNotUnderstand) {
  EXPECT_EQ(Err("a = 1"), "f.conf:1: unsupported value 1 (only strings, booleans and arrays of strings)");
  EXPECT_EQ(Err("\n\na = {x = 1}"), "f.conf:3: inline tables are not supported");
  EXPECT_EQ(Err("a = \"\"\"x\"\"\""), "f.conf:1: multi-line strings are not supported");
  EXPECT_EQ(Err("a = [true]"), "f.conf:1: only arrays of strings are supported");
  EXPECT_EQ(Err("a = \"x\" b = 1"), "f.conf:1: expected the end of the line, got 'b'");
  EXPECT_EQ(Err("a = \"x"), "f.conf:1: unterminated string");
  EXPECT_EQ(Err("a ="), "f.conf:1: expected a value, got end of file");
  EXPECT_EQ(Err("a \"x\""), "f.conf:1: expected '=', got '\"'");
  EXPECT_EQ(Err("[a\nx=1"), "f.conf:1: expected ']', got end of line");
  EXPECT_EQ(Err("a = \"\\q\""), "f.conf:1: invalid escape \\q");
  EXPECT_EQ(Err("a = [\"x\" \"y\"]"), "f.conf:1: expected ',' or ']' in an array, got '\"'");
  EXPECT_EQ(Err("= 1"), "f.conf:1: expected a key, got '='");
}

TEST(TomlSubset, RefusesRedefinitions) {
  EXPECT_EQ(Err("a = \"x\"\na = \"y\""), "f.conf:2: key \"a\" defined twice");
  EXPECT_EQ(Err("[t]\n[t]"), "f.conf:2: table [t] defined twice");
  EXPECT_EQ(Err("t = \"x\"\n[t]"), "f.conf:2: \"t\" is not a table");
  EXPECT_EQ(Err("[t]\n[[t]]"), "f.conf:2: \"t\" is not an array of tables");
  EXPECT_EQ(Err("a = \"x\"\n[a.b]"), "f.conf:2: key \"a\" is not a table");
}

}  // namespace
}  // namespace mini::registry
