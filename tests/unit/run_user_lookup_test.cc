#include <gtest/gtest.h>

#include "common/error.h"
#include "run/security/user_lookup.h"

namespace mini::run {
namespace {

const std::string kPasswd = "root:x:0:0:root:/root:/bin/sh\n# comment\nbob:x:1000:1000:Bob:/home/bob:/bin/sh\nbad:line\n";
const std::string kGroup = "root:x:0:root\nwheel:x:10:root,bob\nbob:x:1000:\nstaff:x:50:bob\n";

TEST(UserLookup, DefaultIsRootWithHomeAndGroups) {
  ExecUser u = ResolveExecUser("", kPasswd, kGroup);
  EXPECT_EQ(u.uid, 0u);
  EXPECT_EQ(u.gid, 0u);
  EXPECT_EQ(u.home, "/root");
  EXPECT_EQ(u.sgids, (std::vector<gid_t>{0, 10}));
}

TEST(UserLookup, ByNameAndNumber) {
  ExecUser u = ResolveExecUser("bob", kPasswd, kGroup);
  EXPECT_EQ(u.uid, 1000u);
  EXPECT_EQ(u.gid, 1000u);
  EXPECT_EQ(u.home, "/home/bob");
  EXPECT_EQ(u.sgids, (std::vector<gid_t>{10, 50}));
  EXPECT_EQ(ResolveExecUser("1000", kPasswd, kGroup).home, "/home/bob");
  ExecUser n = ResolveExecUser("4242", kPasswd, kGroup);
  EXPECT_EQ(n.uid, 4242u);
  EXPECT_EQ(n.gid, 0u);
  EXPECT_EQ(n.home, "/");
}

TEST(UserLookup, ExplicitGroupHasNoSupplementaryGroups) {
  ExecUser u = ResolveExecUser("bob:staff", kPasswd, kGroup);
  EXPECT_EQ(u.gid, 50u);
  EXPECT_TRUE(u.sgids.empty());
  EXPECT_EQ(ResolveExecUser("bob:777", kPasswd, kGroup).gid, 777u);
}

TEST(UserLookup, Errors) {
  try {
    ResolveExecUser("alice", kPasswd, kGroup);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "unable to find user alice: no matching entries in passwd file");
  }
  try {
    ResolveExecUser("bob:nogroup", kPasswd, kGroup);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "unable to find group nogroup: no matching entries in group file");
  }
}

TEST(UserLookup, NoFiles) {
  ExecUser u = ResolveExecUser("", std::nullopt, std::nullopt);
  EXPECT_EQ(u.uid, 0u);
  EXPECT_EQ(u.home, "/");
  EXPECT_THROW(ResolveExecUser("bob", std::nullopt, std::nullopt), Error);
}

}  // namespace
}  // namespace mini::run
