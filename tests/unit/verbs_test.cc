// The pure parts of events, stats, update and cp.
#include <gtest/gtest.h>

#include "error_of.h"
#include "run/container_copy.h"
#include "run/container_stats.h"
#include "run/container_update.h"
#include "store/event_query.h"

namespace mini {
namespace {

constexpr int64_t kNow = 1800000000LL * 1000000000LL;

TEST(EventTime, Forms) {
  EXPECT_EQ(ParseEventTime("1700000000", kNow), 1700000000LL * 1000000000LL);
  EXPECT_EQ(ParseEventTime("1700000000.5", kNow), 1700000000LL * 1000000000LL + 500000000);
  EXPECT_EQ(ParseEventTime("2026-12-01T14:00:00.123456789Z", kNow), 1796133600LL * 1000000000LL + 123456789);
  EXPECT_EQ(ParseEventTime("2026-12-01T15:00:00+01:00", kNow), 1796133600LL * 1000000000LL);
  EXPECT_EQ(ParseEventTime("2026-12-01", kNow), 1796083200LL * 1000000000LL);
  EXPECT_EQ(ParseEventTime("10m", kNow), kNow - 600LL * 1000000000LL);
  EXPECT_EQ(ParseEventTime("1h30m", kNow), kNow - 5400LL * 1000000000LL);
  EXPECT_EQ(ParseEventTime("0s", kNow), kNow);
  EXPECT_FALSE(ParseEventTime("yesterday", kNow));
  EXPECT_FALSE(ParseEventTime("10x", kNow));
  EXPECT_FALSE(ParseEventTime("", kNow));
  EXPECT_EQ(ParseGoDuration("500ms"), 500000000);
  EXPECT_EQ(ParseGoDuration("2.5s"), 2500000000);
}

Event ContainerEvent(const std::string& action) {
  return {"container", action, "abcdef0123", {{"name", "web"}, {"image", "busybox:1.36"}, {"team", "a"}}, 1796133600123456789};
}

TEST(EventFilter, DockerRules) {
  Event e = ContainerEvent("start");
  EXPECT_TRUE(EventFilter({}).Match(e));
  EXPECT_TRUE(EventFilter({"type=container", "event=start"}).Match(e));
  EXPECT_TRUE(EventFilter({"event=stop", "event=start"}).Match(e));  // one key's values OR
  EXPECT_FALSE(EventFilter({"type=container", "event=die"}).Match(e));  // keys AND
  EXPECT_TRUE(EventFilter({"container=web"}).Match(e));
  EXPECT_TRUE(EventFilter({"container=abc"}).Match(e));  // id prefix
  EXPECT_FALSE(EventFilter({"container=other"}).Match(e));
  EXPECT_TRUE(EventFilter({"image=busybox"}).Match(e));  // without its tag
  EXPECT_TRUE(EventFilter({"image=busybox:1.36"}).Match(e));
  EXPECT_FALSE(EventFilter({"image=alpine"}).Match(e));
  EXPECT_TRUE(EventFilter({"label=team"}).Match(e));
  EXPECT_TRUE(EventFilter({"label=team=a"}).Match(e));
  EXPECT_FALSE(EventFilter({"label=team=a", "label=x"}).Match(e));
  EXPECT_FALSE(EventFilter({"volume=web"}).Match(e));  // a set filter of another type excludes
  EXPECT_TRUE(EventFilter({"event=health_status"}).Match(ContainerEvent("health_status: healthy")));
  EXPECT_EQ(ErrorOf([] { EventFilter({"foo=bar"}); }), "Invalid filter 'foo'");
  EXPECT_EQ(ErrorOf([] { EventFilter({"type"}); }), "bad format of filter (expected name=value)");
}

TEST(EventOutput, DockerShapes) {
  Event e = ContainerEvent("die");
  EXPECT_EQ(EventLine(e, 0), "2026-12-01T14:00:00.123456789Z container die abcdef0123 (image=busybox:1.36, name=web, team=a)");
  EXPECT_EQ(EventLine(e, 3600), "2026-12-01T15:00:00.123456789+01:00 container die abcdef0123 (image=busybox:1.36, name=web, team=a)");
  Event v{"volume", "create", "vol", {}, 1000000001};
  EXPECT_EQ(EventLine(v, 0), "1970-01-01T00:00:01.000000001Z volume create vol");
  EXPECT_EQ(EventJsonLine(v),
            R"({"Type":"volume","Action":"create","Actor":{"ID":"vol","Attributes":{}},"scope":"local","time":1,"timeNano":1000000001})");
  EXPECT_EQ(EventJsonLine(e).substr(0, 65), R"({"status":"die","id":"abcdef0123","from":"busybox:1.36","Type":"c)");
  nlohmann::json t = EventTemplateData(e);
  EXPECT_EQ(t["Actor"]["Attributes"]["name"], "web");
  EXPECT_EQ(t["From"], "busybox:1.36");
  Event parsed;
  EXPECT_TRUE(ParseEventLine(R"({"Type":"image","Action":"pull","ID":"x","Attributes":{"name":"x"},"timeNano":5})", &parsed));
  EXPECT_EQ(parsed.attributes["name"], "x");
  EXPECT_FALSE(ParseEventLine(R"({"Type":"ima)", &parsed));
}

TEST(Stats, Parsers) {
  using namespace run;
  EXPECT_EQ(KeyedValue("cache 10\ntotal_inactive_file 4096\n", "total_inactive_file"), 4096u);
  EXPECT_EQ(KeyedValue("usage_usec 1500\nuser_usec 1000\n", "usage_usec"), 1500u);
  EXPECT_EQ(KeyedValue("a 1\n", "b"), 0u);
  uint64_t rx, tx;
  ParseNetDev("Inter-|   Receive |  Transmit\n face |bytes packets errs drop fifo frame compressed multicast|bytes\n"
              "    lo:  100 1 0 0 0 0 0 0  100 1 0 0 0 0 0 0\n  eth0:  2048 3 0 0 0 0 0 0  512 2 0 0 0 0 0 0\n",
              &rx, &tx);
  EXPECT_EQ(rx, 2048u);
  EXPECT_EQ(tx, 512u);
  uint64_t r, w;
  ParseBlkioV1("8:0 Read 4096\n8:0 Write 1024\n8:0 Total 5120\n8:16 Read 4096\nTotal 9216\n", &r, &w);
  EXPECT_EQ(r, 8192u);
  EXPECT_EQ(w, 1024u);
  ParseIoStatV2("8:0 rbytes=100 wbytes=200 rios=1 wios=2\n8:16 rbytes=1 wbytes=2\n", &r, &w);
  EXPECT_EQ(r, 101u);
  EXPECT_EQ(w, 202u);
  EXPECT_EQ(ParseProcStatSystemNs("cpu  1 2 3 4 5 6 7 8 9 10\ncpu0 1 1 1 1\n", 100), 28u * 10000000u);
  EXPECT_EQ(MemUsageV1(10000, "total_inactive_file 4000\n"), 6000u);
  EXPECT_EQ(MemUsageV2(1000, "inactive_file 4000\n"), 0u);
  StatsSample a, b;
  a.cpu_ns = 1000;
  a.system_ns = 10000;
  b.cpu_ns = 3000;
  b.system_ns = 18000;
  b.online_cpus = 2;
  EXPECT_DOUBLE_EQ(CpuPercent(a, b), 50.0);
  EXPECT_DOUBLE_EQ(CpuPercent(b, b), 0.0);
  EXPECT_EQ(BinarySize(0), "0B");
  EXPECT_EQ(BinarySize(64 << 20), "64MiB");
  EXPECT_EQ(BinarySize(1536), "1.5KiB");
  EXPECT_EQ(BinarySize(2047.0 * 1024 * 1024), "1.999GiB");
}

TEST(Update, MergeAndDockerMessages) {
  using namespace run;
  Resources cur;
  cur.memory = 64 << 20;
  cur.memory_swap = 128 << 20;
  Resources req;
  req.memory = 200 << 20;
  EXPECT_EQ(ErrorOf([&] { MergeResources(cur, req, 2); }),
            "Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time");
  req.memory_swap = 300 << 20;
  Resources out = MergeResources(cur, req, 2);
  EXPECT_EQ(*out.memory, 200 << 20);
  EXPECT_EQ(*out.memory_swap, 300 << 20);
  req.memory_swap = 100 << 20;
  EXPECT_EQ(ErrorOf([&] { MergeResources(cur, req, 2); }), "Minimum memoryswap limit should be larger than memory limit, see usage");
  Resources small;
  small.memory = 1024;
  EXPECT_EQ(ErrorOf([&] { MergeResources({}, small, 2); }), "Minimum memory limit allowed is 6MB");
  Resources swap_only;
  swap_only.memory_swap = 1 << 30;
  EXPECT_EQ(ErrorOf([&] { MergeResources({}, swap_only, 2); }), "You should always set the Memory limit when using Memoryswap limit");
  Resources cpus;
  cpus.cpus = 3;
  EXPECT_EQ(ErrorOf([&] { MergeResources({}, cpus, 2); }), "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available");
  Resources pids;
  pids.pids_limit = 10;
  EXPECT_EQ(*MergeResources(cur, pids, 2).pids_limit, 10);
  EXPECT_EQ(*MergeResources(cur, pids, 2).memory, 64 << 20);  // unset fields stay
  EXPECT_EQ(ErrorOf([] { CheckRestartPolicy("on-failure:3"); }), "(no error)");
  EXPECT_EQ(ErrorOf([] { CheckRestartPolicy("sometimes"); }), "invalid restart policy 'sometimes'");
  EXPECT_EQ(ErrorOf([] { CheckRestartPolicy("on-failure:-1"); }), "maximum retry count cannot be negative");
}

TEST(CopyPlan, DockerRules) {
  using run::PlanCopy;
  auto plan = [](const std::string& s, bool sd, const std::string& d, bool de, bool dd) {
    run::CopyPlan p = PlanCopy(s, sd, d, de, dd);
    return p.dst_dir + "|" + p.top_name + (p.contents_only ? "|contents" : "");
  };
  // A file.
  EXPECT_EQ(plan("/etc/passwd", false, "/tmp/x", false, false), "/tmp|x");
  EXPECT_EQ(plan("/etc/passwd", false, "/tmp/x", true, false), "/tmp|x");
  EXPECT_EQ(plan("/etc/passwd", false, "/tmp", true, true), "/tmp|passwd");
  EXPECT_EQ(plan("/etc/passwd", false, "out", false, false), ".|out");
  EXPECT_EQ(ErrorOf([] { PlanCopy("/etc/passwd", false, "/tmp/new/", false, false); }), "no such directory");
  // A directory.
  EXPECT_EQ(plan("/etc", true, "/tmp/new", false, false), "/tmp|new");
  EXPECT_EQ(plan("/etc", true, "/tmp", true, true), "/tmp|etc");
  EXPECT_EQ(plan("/etc/", true, "/tmp", true, true), "/tmp|etc");
  EXPECT_EQ(plan("/etc/.", true, "/tmp", true, true), "/tmp||contents");
  EXPECT_EQ(plan("/etc/.", true, "/tmp/new", false, false), "/tmp|new");
  EXPECT_EQ(ErrorOf([] { PlanCopy("/etc", true, "/tmp/file", true, false); }), "cannot copy directory");
}

}  // namespace
}  // namespace mini
