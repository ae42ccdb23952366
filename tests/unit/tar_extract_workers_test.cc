/// Tests of the parallel part of UnpackLayer (store/tar_extract_workers.h): small files are
/// written by worker threads, and the result must be the one of writing every entry in tar
/// order, also when later entries replace, link to or white out files still queued.
#include "store/tar_extract_workers.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <atomic>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/fs.h"
#include "store/tar_extract.h"
#include "tar_test_util.h"

namespace mini {
namespace {

using testutil::Sandbox;
using testutil::TarBuilder;

struct Recorder : ExtractWorkers::Job {
  std::vector<int>* out;
  int value;
  bool fail;
  Recorder(std::vector<int>* o, int v, bool f = false) : out(o), value(v), fail(f) {}
  void Run() override {
    if (fail) throw Error("job " + std::to_string(value) + " failed");
    out->push_back(value);
  }
};

TEST(ExtractWorkers, KeepsTheOrderOfAShardAndReportsTheFirstError) {
  std::vector<int> a, b;
  ExtractWorkers w(2, 64, 4);  // tiny queues: Submit has to wait
  for (int i = 0; i < 200; i++) {
    w.Submit(0, 10, std::make_unique<Recorder>(&a, i));
    w.Submit(1, 10, std::make_unique<Recorder>(&b, i));
  }
  w.Drain();
  ASSERT_EQ(a.size(), 200u);
  ASSERT_EQ(b.size(), 200u);
  for (int i = 0; i < 200; i++) EXPECT_EQ(a[i], i);
  for (int i = 0; i < 200; i++) EXPECT_EQ(b[i], i);
  w.Submit(0, 10, std::make_unique<Recorder>(&a, 7, true));
  try {
    w.Drain();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "job 7 failed");
  }
}

std::string Content(int d, int f) { return "dir " + std::to_string(d) + " file " + std::to_string(f) + "\n"; }

mode_t TypeOf(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & S_IFMT;
}

class UnpackParallelTest : public ::testing::Test {
 protected:
  UnpackResult Unpack(const std::string& tar) {
    MakeDirs(dest_);
    StringSource src(tar);
    return UnpackLayer(src, dest_, {});
  }
  std::string D(const std::string& rel) { return dest_ + "/" + rel; }
  Sandbox sb_;
  std::string dest_ = sb_ / "root";
};

TEST_F(UnpackParallelTest, ManyFilesInManyDirectoriesLandWithTheirMetadata) {
  TarBuilder t;
  for (int d = 0; d < 12; d++) {
    t.Dir("d" + std::to_string(d));
    for (int f = 0; f < 400; f++) {
      t.Entry("d" + std::to_string(d) + "/f" + std::to_string(f), AE_IFREG, f % 2 ? 0600 : 0755, Content(d, f),
              [&](archive_entry* e) { archive_entry_set_mtime(e, 1500000000 + f, 0); });
    }
  }
  t.File("d0/f3", "the second d0/f3 wins");
  Unpack(t.Finish());
  for (int d = 0; d < 12; d++) {
    for (int f = 0; f < 400; f++) {
      std::string p = D("d" + std::to_string(d) + "/f" + std::to_string(f));
      if (d == 0 && f == 3) continue;
      ASSERT_EQ(ReadFile(p), Content(d, f)) << p;
      struct stat st;
      ASSERT_EQ(lstat(p.c_str(), &st), 0);
      EXPECT_EQ(st.st_mode & 07777, f % 2 ? 0600u : 0755u) << p;
      EXPECT_EQ(st.st_mtim.tv_sec, 1500000000 + f) << p;
    }
  }
  EXPECT_EQ(ReadFile(D("d0/f3")), "the second d0/f3 wins");
}

TEST_F(UnpackParallelTest, LaterEntriesSeeTheQueuedFiles) {
  TarBuilder t;
  auto many = [&](const std::string& dir) {
    t.Dir(dir);
    for (int f = 0; f < 300; f++) t.File(dir + "/f" + std::to_string(f), dir + std::to_string(f));
  };
  many("a");
  t.File("a", "a is a file now");  // replaces a directory full of queued files
  many("b");
  t.Symlink("b", "c");  // so does a symlink
  many("c");
  t.Hardlink("h", "c/f7");                      // to a file that may still be queued
  t.File("c/f9", std::string(100 * 1024, 'L'));  // a big file (written in place) over a queued one
  many("w");
  t.File("w/.wh.f3");  // a whiteout of a queued file
  t.File("w/f4/x", "under a file");  // through a queued file: fails, as in tar order
  std::string tar = t.Finish();
  try {
    Unpack(tar);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "layer entry \"w/f4/x\": w/f4: Not a directory");
  }
  EXPECT_EQ(ReadFile(D("a")), "a is a file now");
  EXPECT_EQ(TypeOf(D("b")), S_IFLNK);
  EXPECT_EQ(ReadFile(D("c/f8")), "c8");
  EXPECT_EQ(ReadFile(D("h")), "c7");
  struct stat h, c7;
  ASSERT_EQ(lstat(D("h").c_str(), &h), 0);
  ASSERT_EQ(lstat(D("c/f7").c_str(), &c7), 0);
  EXPECT_EQ(h.st_ino, c7.st_ino);
  EXPECT_EQ(ReadFile(D("c/f9")), std::string(100 * 1024, 'L'));
  struct stat wh;
  ASSERT_EQ(lstat(D("w/f3").c_str(), &wh), 0);
  EXPECT_TRUE(S_ISCHR(wh.st_mode));
  EXPECT_EQ(wh.st_rdev, makedev(0, 0));
  EXPECT_EQ(ReadFile(D("w/f299")), "w299");
}

TEST_F(UnpackParallelTest, AWorkersErrorNamesItsEntry) {
  TarBuilder t;
  t.Dir("d");
  for (int f = 0; f < 100; f++) t.File("d/f" + std::to_string(f), "x");
  std::string longname = "d/" + std::string(300, 'n');  // over NAME_MAX: openat fails
  t.File(longname, "x");
  for (int f = 0; f < 100; f++) t.File("e/f" + std::to_string(f), "x");
  try {
    Unpack(t.Finish());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "layer entry \"" + longname + "\": create: File name too long");
  }
}

TEST_F(UnpackParallelTest, TheTreeSizeIsCountedWhileUnpacking) {
  TarBuilder t;
  t.Dir("d").File("d/a", "12345").File("d/big", std::string(100 * 1024, 'b')).Symlink("d/l", "a");
  t.Hardlink("d/h", "d/a");
  for (int f = 0; f < 50; f++) t.File("e/f" + std::to_string(f), std::string(static_cast<size_t>(f), 'x'));
  std::string tar = t.Finish();
  UnpackResult r = Unpack(tar);
  ASSERT_TRUE(r.tree_size.has_value());
  EXPECT_EQ(*r.tree_size, TreeSize(dest_));
  EXPECT_EQ(*r.tree_size, 5u + 100 * 1024 + 1 + 49 * 50 / 2);
  // Into a directory that is not empty, or with an entry that replaces another: not known.
  StringSource again(tar);
  EXPECT_FALSE(UnpackLayer(again, dest_, {}).tree_size.has_value());
  RemoveTree(dest_);
  EXPECT_FALSE(Unpack(TarBuilder().File("x", "1").File("x", "22").Finish()).tree_size.has_value());
}

}  // namespace
}  // namespace mini
