#include <gtest/gtest.h>

#include <set>

#include "common/error.h"
#include "common/rootless.h"
#include "run/cgroup/cgroup_rootless.h"
#include "run/userns/rootless_userns.h"

namespace mini::run {
namespace {

TEST(Rootless, FindSubIdRangeByNameOrUid) {
  const std::string text = "# comment\nalice:100000:65536\nbad line\nbob:x:5\nbob:200000:0\n1001:300000:1000\nbob:400000:70000\n";
  auto a = FindSubIdRange(text, "alice", 1000);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->start, 100000u);
  EXPECT_EQ(a->count, 65536u);
  auto b = FindSubIdRange(text, "bob", 1002);  // malformed and empty ranges skipped
  ASSERT_TRUE(b);
  EXPECT_EQ(b->start, 400000u);
  auto c = FindSubIdRange(text, "carol", 1001);  // by uid
  ASSERT_TRUE(c);
  EXPECT_EQ(c->start, 300000u);
  EXPECT_FALSE(FindSubIdRange(text, "dave", 1003));
  EXPECT_FALSE(FindSubIdRange(text, "", 1003));
  EXPECT_FALSE(FindSubIdRange("alic:1:2\n", "alice", 7));
}

TEST(Rootless, IdMapIsRootThenAtMost65536SubIds) {
  EXPECT_EQ(RootlessIdMap(1000, std::nullopt), (std::vector<unsigned long>{0, 1000, 1}));
  EXPECT_EQ(RootlessIdMap(1000, SubIdRange{100000, 65536}),
            (std::vector<unsigned long>{0, 1000, 1, 1, 100000, 65536}));
  EXPECT_EQ(RootlessIdMap(1000, SubIdRange{100000, 1u << 20}),
            (std::vector<unsigned long>{0, 1000, 1, 1, 100000, 65536}));
  EXPECT_EQ(RootlessIdMap(1000, SubIdRange{100000, 10}), (std::vector<unsigned long>{0, 1000, 1, 1, 100000, 10}));
}

TEST(Rootless, MapToHost) {
  const std::string map = "         0       1000          1\n         1     100000      65536\n";
  EXPECT_EQ(MapToHost(map, 0), 1000u);
  EXPECT_EQ(MapToHost(map, 1), 100000u);
  EXPECT_EQ(MapToHost(map, 1000), 100999u);
  EXPECT_EQ(MapToHost(map, 65536), 165535u);
  EXPECT_FALSE(MapToHost(map, 65537));
  EXPECT_EQ(MapToHost("0 0 4294967295\n", 42), 42u);
}

TEST(Rootless, DefaultStoreRoot) {
  EXPECT_EQ(DefaultStoreRootFor(false, "/x", "/home/a"), "/var/lib/mini");
  EXPECT_EQ(DefaultStoreRootFor(true, "/data/", "/home/a"), "/data/mini");
  EXPECT_EQ(DefaultStoreRootFor(true, "", "/home/a"), "/home/a/.local/share/mini");
  EXPECT_EQ(DefaultStoreRootFor(true, "relative", "/home/a/"), "/home/a/.local/share/mini");  // XDG: absolute only
  EXPECT_THROW(DefaultStoreRootFor(true, "", ""), Error);
}

TEST(Rootless, DelegatedCgroupIsTheOutermostOwnedChain) {
  const std::string self = "0::/user.slice/user-1000.slice/user@1000.service/app.slice/term.scope\n";
  std::set<std::string> owned = {"/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service",
                                 "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice",
                                 "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice/term.scope"};
  auto is_owned = [&](const std::string& d) { return owned.count(d) > 0; };
  EXPECT_EQ(DelegatedCgroupDir(self, "/sys/fs/cgroup", is_owned),
            "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service");
  // A directory in the chain below that is not ours: only the part below it counts.
  owned.erase("/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice");
  EXPECT_EQ(DelegatedCgroupDir(self, "/sys/fs/cgroup", is_owned),
            "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice/term.scope");
  // Hybrid hosts list v1 lines too; the v2 line of "/" (not delegated) gives nothing.
  EXPECT_FALSE(DelegatedCgroupDir("4:memory:/x\n0::/\n", "/sys/fs/cgroup", [](const std::string&) { return true; }));
  EXPECT_FALSE(DelegatedCgroupDir("4:memory:/x\n", "/sys/fs/cgroup", [](const std::string&) { return true; }));
  EXPECT_FALSE(DelegatedCgroupDir(self, "/sys/fs/cgroup", [](const std::string&) { return false; }));
}

TEST(Rootless, UserScopePropertiesDelegateToMiniItself) {
  auto props = UserScopeProperties(4242);
  std::set<std::string> names;
  for (const auto& p : props) names.insert(p.name);
  EXPECT_EQ(names, (std::set<std::string>{"Description", "PIDs", "Delegate", "CollectMode"}));
  for (const auto& p : props) {
    if (p.name == "PIDs") {
      EXPECT_EQ(std::get<std::vector<uint32_t>>(p.value), std::vector<uint32_t>{4242});
    } else if (p.name == "Delegate") {
      EXPECT_TRUE(std::get<bool>(p.value));
    } else if (p.name == "CollectMode") {
      EXPECT_EQ(std::get<std::string>(p.value), "inactive-or-failed");
    }
  }
}

TEST(Rootless, HasLimits) {
  Resources r;
  EXPECT_FALSE(HasLimits(r));
  r.pids_limit = 10;
  EXPECT_TRUE(HasLimits(r));
}

}  // namespace
}  // namespace mini::run
