#include "store/lease.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "common/error.h"
#include "common/fs.h"

namespace mini {
namespace {

Digest D(char c) { return Digest::FromHex(std::string(64, c)); }

class LeaseTest : public ::testing::Test {
 protected:
  TempDir dir_{"/tmp", "mini-lease-"};
  Layout layout_{dir_.path() + "/root"};
  void SetUp() override { layout_.Ensure(); }
};

TEST_F(LeaseTest, TemporaryLeaseHoldsWhatWasAddedUntilDestroyed) {
  {
    LeaseScope scope(layout_, "pull");
    ASSERT_EQ(CurrentLease(), &scope.lease());
    LeaseResources r;
    r.blobs.insert(D('a'));
    r.layers.insert(D('b'));
    scope.lease().Add(r);
    auto live = LiveLeases(layout_);
    ASSERT_EQ(live.size(), 1u);
    EXPECT_EQ(live[0].kind, "pull");
    EXPECT_FALSE(live[0].persistent);
    EXPECT_TRUE(live[0].active);
    EXPECT_EQ(live[0].resources.blobs, std::set<Digest>{D('a')});
    EXPECT_EQ(live[0].resources.layers, std::set<Digest>{D('b')});
  }
  EXPECT_EQ(CurrentLease(), nullptr);
  EXPECT_TRUE(LiveLeases(layout_).empty());
  EXPECT_TRUE(ListDirNames(layout_.LeasesDir()).empty());
}

TEST_F(LeaseTest, AKilledHoldersLeaseIsCollected) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto l = Lease::Temporary(layout_, "build");
    l->AddBlob(D('c'));
    _exit(0);  // as a kill -9: no destructor runs, the file stays, the flock goes
  }
  int status;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_EQ(ListDirNames(layout_.LeasesDir()).size(), 1u);  // left behind
  EXPECT_TRUE(LiveLeases(layout_).empty());                 // but it holds nothing
  EXPECT_TRUE(ListDirNames(layout_.LeasesDir()).empty());   // and the collection removed it
}

TEST_F(LeaseTest, CollectStaleRemovesDeadTemporaryLeasesOnly) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    (void)Lease::Temporary(layout_, "load").release();
    _exit(0);
  }
  ASSERT_EQ(waitpid(pid, nullptr, 0), pid);
  Lease::CreatePersistent(layout_, "container-x", "container", "x", {});
  auto mine = Lease::Temporary(layout_, "push");
  CollectStale(layout_);
  auto names = ListDirNames(layout_.LeasesDir());
  std::sort(names.begin(), names.end());
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[0], "container-x");
  EXPECT_EQ(names[1], mine->name());
}

TEST_F(LeaseTest, PersistentLeaseIsActiveWhileHeld) {
  LeaseResources r;
  r.images.insert(D('d'));
  r.dirs = {"cid", "cid-init"};
  MakeDirs(layout_.ImageDir(D('d')));
  WriteFileAtomic(layout_.ImageDir(D('d')) + "/manifest", D('f').str());  // the image must exist
  Lease::CreatePersistent(layout_, "container-cid", "container", "cid", r);
  auto live = LiveLeases(layout_);
  ASSERT_EQ(live.size(), 1u);
  EXPECT_FALSE(live[0].active);
  EXPECT_EQ(live[0].owner, "cid");
  EXPECT_EQ(live[0].resources.dirs, (std::set<std::string>{"cid", "cid-init"}));
  {
    UniqueFd held = Lease::HoldActive(layout_, "container-cid");
    ASSERT_TRUE(held);
    EXPECT_TRUE(LiveLeases(layout_)[0].active);
  }
  EXPECT_FALSE(LiveLeases(layout_)[0].active);
  Lease::RemovePersistent(layout_, "container-cid");
  EXPECT_TRUE(LiveLeases(layout_).empty());
}

TEST_F(LeaseTest, PersistentLeaseOnAMissingLayerOrImageIsRefused) {
  LeaseResources r;
  r.layers.insert(D('e'));
  try {
    Lease::CreatePersistent(layout_, "container-y", "container", "y", r);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "layer " + D('e').str() + ": not in the store (was its image just removed?)");
  }
  LeaseResources i;
  i.images.insert(D('e'));
  try {
    Lease::CreatePersistent(layout_, "container-y", "container", "y", i);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "No such image: " + D('e').str());
  }
  EXPECT_TRUE(ListDirNames(layout_.LeasesDir()).empty());
}

}  // namespace
}  // namespace mini
