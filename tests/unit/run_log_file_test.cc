/// The json-file log's pure parts (options, line format, chunking, times, filters), its writer's
/// rotation on a temp dir, and the detach keys.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "error_of.h"
#include "run/launch/attach.h"
#include "run/log_attrs.h"
#include "run/log_file.h"

namespace mini::run {
namespace {

LogSpec Spec(std::vector<std::string> opts, std::string driver = "json-file") {
  LogSpec s;
  s.driver = std::move(driver);
  s.opts = std::move(opts);
  return s;
}

TEST(LogOptions, DockerRulesAndMessages) {
  LogOptions o = ParseLogOptions(Spec({"max-size=10m", "max-file=3"}));
  EXPECT_EQ(o.max_size, 10000000);
  EXPECT_EQ(o.max_file, 3);
  EXPECT_TRUE(o.enabled);
  EXPECT_EQ(ParseLogOptions(Spec({"max-size=100k"})).max_size, 100000);
  EXPECT_EQ(ParseLogOptions(Spec({"max-size=1g"})).max_size, 1000000000);
  EXPECT_EQ(ParseLogOptions(Spec({"max-file=3"})).max_file, 1);  // only with max-size
  EXPECT_EQ(ParseLogOptions(Spec({})).max_size, -1);
  EXPECT_FALSE(ParseLogOptions(Spec({}, "none")).enabled);
  EXPECT_EQ(ErrorOf([] { ParseLogOptions(Spec({"foo=1"})); }), "unknown log opt 'foo' for json-file log driver");
  EXPECT_EQ(ErrorOf([] { ParseLogOptions(Spec({"max-size=lots"})); }), "invalid size: 'lots'");
  EXPECT_EQ(ErrorOf([] { ParseLogOptions(Spec({"max-size=0"})); }), "max-size must be a positive number");
  EXPECT_EQ(ErrorOf([] { ParseLogOptions(Spec({"max-size=1m", "max-file=0"})); }), "max-file cannot be less than 1");
  EXPECT_EQ(ErrorOf([] { ParseLogOptions(Spec({}, "syslog2")); }), "logger: no log driver named 'syslog2' is registered");
  EXPECT_EQ(ErrorOf([] { ParseLogOptions(Spec({"compress=true", "tag=x"})); }), "(no error)");
}

TEST(LogFile, FromHumanSizeIsDecimal) {
  EXPECT_EQ(FromHumanSize("100"), 100);
  EXPECT_EQ(FromHumanSize("10k"), 10000);
  EXPECT_EQ(FromHumanSize("10KB"), 10000);
  EXPECT_EQ(FromHumanSize("1.5m"), 1500000);
  EXPECT_EQ(FromHumanSize("2 GiB"), 2000000000);
  EXPECT_EQ(ErrorOf([] { FromHumanSize("k"); }), "invalid size: 'k'");
  EXPECT_EQ(ErrorOf([] { FromHumanSize("10x"); }), "invalid size: '10x'");
}

TEST(LogFile, SplitsLinesAndLongLines) {
  auto v = SplitLogChunk("a\nbb\ncc");
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0], "a\n");
  EXPECT_EQ(v[1], "bb\n");
  EXPECT_EQ(v[2], "cc");  // partial: no newline yet
  std::string big(kMaxLogEntry * 2 + 10, 'x');
  big += "\n";
  v = SplitLogChunk(big);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].size(), kMaxLogEntry);
  EXPECT_EQ(v[1].size(), kMaxLogEntry);
  EXPECT_EQ(v[2], std::string(10, 'x') + "\n");
  EXPECT_TRUE(SplitLogChunk("").empty());
}

TEST(LogFile, JsonLineIsDockers) {
  int64_t t = 1796133600123456789;  // 2026-12-01T14:00:00.123456789Z
  EXPECT_EQ(JsonLogLine("hello\n", false, t),
            "{\"log\":\"hello\\n\",\"stream\":\"stdout\",\"time\":\"2026-12-01T14:00:00.123456789Z\"}\n");
  EXPECT_EQ(JsonLogLine("x", true, 1796133600100000000),
            "{\"log\":\"x\",\"stream\":\"stderr\",\"time\":\"2026-12-01T14:00:00.1Z\"}\n");
  // Go's escaping: quotes, backslash, control characters, <>&, invalid UTF-8.
  EXPECT_EQ(JsonLogLine("\"\\\t\x01<a&b>\xff\xc3\xa9", false, 1796133600000000000),
            "{\"log\":\"\\\"\\\\\\t\\u0001\\u003ca\\u0026b\\u003e\\ufffd\xc3\xa9\",\"stream\":\"stdout\",\"time\":"
            "\"2026-12-01T14:00:00Z\"}\n");
  // What it writes, a JSON parser reads back.
  auto e = ParseJsonLogLine(JsonLogLine("tab\there\n", true, t));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->log, "tab\there\n");
  EXPECT_TRUE(e->is_stderr);
  EXPECT_EQ(e->time_ns, t);
  EXPECT_FALSE(ParseJsonLogLine("{\"log\":\"torn"));
}

TEST(LogFile, Times) {
  EXPECT_EQ(Rfc3339NanoFixed(1796133600100000000), "2026-12-01T14:00:00.100000000Z");
  EXPECT_EQ(ParseRfc3339Nano("2026-12-01T14:00:00.5Z"), 1796133600500000000);
  EXPECT_EQ(ParseRfc3339Nano("2026-12-01T16:00:00+02:00"), 1796133600000000000);
  EXPECT_FALSE(ParseRfc3339Nano("2026-12-01"));
  int64_t now = 1796133600000000000;
  EXPECT_EQ(ParseLogTime("10m", now), now - 600000000000);
  EXPECT_EQ(ParseLogTime("1h30m", now), now - 5400000000000);
  EXPECT_EQ(ParseLogTime("1796133000", now), 1796133000000000000);
  EXPECT_EQ(ParseLogTime("1796133000.25", now), 1796133000250000000);
  EXPECT_EQ(ParseLogTime("2026-12-01T13:00:00Z", now), now - 3600000000000);
  EXPECT_EQ(ErrorOf([&] { ParseLogTime("soon", now); }), "failed to parse value as time or duration: \"soon\"");
  EXPECT_EQ(ParseTail("all"), -1);
  EXPECT_EQ(ParseTail("2"), 2);
  EXPECT_EQ(ErrorOf([] { ParseTail("x"); }), "invalid value for \"tail\": \"x\"");
  LogFilter f;
  f.since_ns = 10;
  f.until_ns = 20;
  EXPECT_FALSE(PassesTimeFilter(f, 9));
  EXPECT_TRUE(PassesTimeFilter(f, 10));
  EXPECT_TRUE(PassesTimeFilter(f, 20));
  EXPECT_FALSE(PassesTimeFilter(f, 21));
}

TEST(LogFile, WriterRotatesWithinMaxSize) {
  TempDir dir("/tmp", "mini-logtest-");
  std::string path = dir.path() + "/c-json.log";
  LogOptions o;
  o.max_size = 1000;
  o.max_file = 2;
  {
    JsonLogWriter w(path, o);
    std::string line(50, 'a');
    line += "\n";
    for (int i = 0; i < 200; i++) w.WriteAt(false, line, 1796133600000000000);
  }
  EXPECT_FALSE(PathExists(path + ".2"));
  ASSERT_TRUE(PathExists(path + ".1"));
  std::string live = ReadFile(path), old = ReadFile(path + ".1");
  EXPECT_LE(live.size(), 1000u);
  EXPECT_LE(old.size(), 1000u);
  EXPECT_GT(old.size(), 900u);
  EXPECT_EQ(LogFilesOldestFirst(path), (std::vector<std::string>{path + ".1", path}));
  // Reopening appends (a restarted container).
  size_t before = live.size();
  if (before + 100 < 1000) {
    JsonLogWriter w(path, o);
    w.WriteAt(true, "again\n", 1796133600000000000);
    EXPECT_GT(ReadFile(path).size(), before);
  }
  // max-file 1 truncates in place.
  LogOptions one;
  one.max_size = 500;
  std::string p1 = dir.path() + "/one-json.log";
  JsonLogWriter w1(p1, one);
  for (int i = 0; i < 50; i++) w1.WriteAt(false, "0123456789012345678901234567890123456789\n", 1796133600000000000);
  EXPECT_LE(ReadFile(p1).size(), 500u);
  EXPECT_FALSE(PathExists(p1 + ".1"));
}

TEST(DetachKeys, DockerFormat) {
  EXPECT_EQ(ParseDetachKeys(""), "\x10\x11");
  EXPECT_EQ(ParseDetachKeys("ctrl-p,ctrl-q"), "\x10\x11");
  EXPECT_EQ(ParseDetachKeys("ctrl-x"), "\x18");
  EXPECT_EQ(ParseDetachKeys("a,ctrl-@,ctrl-[,ctrl-\\,ctrl-_"), std::string("a\0\x1b\x1c\x1f", 5));
  EXPECT_EQ(ErrorOf([] { ParseDetachKeys("ctrl-1"); }), "Invalid detach keys (ctrl-1) provided");
  EXPECT_EQ(ErrorOf([] { ParseDetachKeys("ab"); }), "Invalid detach keys (ab) provided");
}

TEST(LogFile, AttrsAsDockerWritesAndShowsThem) {
  ContainerConfig c;
  c.id = std::string(64, 'a');
  c.name = "web";
  c.image.id = "sha256:" + std::string(64, 'b');
  c.image.name = "busybox";
  c.image.config = {{"Labels", {{"team", "img"}, {"tier", "front"}}}};
  c.spec.view.labels = {"team=ops", "com.x.a=1", "com.x.b=2"};
  c.process.env = {"PATH=/bin", "STAGE=prod", "ZONE=eu west"};
  c.spec.log.opts = {"labels=team,absent", "labels-regex=^com\\.x\\.", "env=STAGE", "env-regex=^ZO", "tag={{.Name}}/{{.ID}}"};
  std::map<std::string, std::string> want = {{"team", "ops"},      {"com.x.a", "1"},        {"com.x.b", "2"},
                                             {"STAGE", "prod"},    {"ZONE", "eu west"},     {"tag", "web/aaaaaaaaaaaa"}};
  EXPECT_EQ(LogAttributes(c), want);
  c.spec.log.opts = {"max-size=1m"};
  EXPECT_TRUE(LogAttributes(c).empty());
  EXPECT_EQ(ErrorOf([] { ParseLogOptions(Spec({"env-regex=("})); }), "invalid log opt env-regex=(: not a regular expression");

  int64_t t = 1796133600000000000;
  std::string line = JsonLogLine("hi\n", false, t, R"({"a":"1"})");
  EXPECT_EQ(line, "{\"log\":\"hi\\n\",\"stream\":\"stdout\",\"attrs\":{\"a\":\"1\"},\"time\":\"2026-12-01T14:00:00Z\"}\n");
  auto e = ParseJsonLogLine(line);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->attrs, (std::vector<std::pair<std::string, std::string>>{{"a", "1"}}));
  // Sorted by key, url.QueryEscape'd, then a space; a space alone without attributes.
  EXPECT_EQ(DetailsPrefix({{"z", "a b"}, {"a", "x/y=z"}}), "a=x%2Fy%3Dz,z=a+b ");
  EXPECT_EQ(DetailsPrefix({}), " ");
}

TEST(DetachKeys, MatcherHoldsAPartialSequence) {
  bool d = false;
  DetachMatcher m("\x10\x11");
  EXPECT_EQ(m.Feed("ab", &d), "ab");
  EXPECT_FALSE(d);
  EXPECT_EQ(m.Feed("\x10", &d), "");  // held
  EXPECT_EQ(m.Feed("x", &d), "\x10x");  // not the sequence: sent on
  EXPECT_EQ(m.Feed("c\x10", &d), "c");
  EXPECT_EQ(m.Feed("\x11rest", &d), "");
  EXPECT_TRUE(d);
  DetachMatcher one("\x18");
  EXPECT_EQ(one.Feed("ab\x18z", &d), "ab");
  EXPECT_TRUE(d);
  DetachMatcher again("\x10\x11");
  EXPECT_EQ(again.Feed("\x10\x10\x11", &d), "\x10");
  EXPECT_TRUE(d);
}

}  // namespace
}  // namespace mini::run
