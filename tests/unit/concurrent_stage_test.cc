/// Tests of store/concurrent_stage: a layer unpacked from the tar while it is packed is the same
/// layer as one unpacked from the blob afterwards; errors on either side stop the other.
#include "store/concurrent_stage.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <random>

#include "common/error.h"
#include "common/fs.h"
#include "store/tar_generate.h"
#include "tar_test_util.h"

namespace mini {
namespace {

struct Store {
  std::string root;
  Layout layout;
  LayerStore layers;
  explicit Store(const std::string& r) : root(r), layout(r), layers(layout) { layout.Ensure(); }
  ~Store() { RemoveTree(root); }
};

std::string TempDirPath(const char* prefix) {
  std::string t = std::string("/tmp/") + prefix + "XXXXXX";
  if (!mkdtemp(t.data())) ThrowErrno("mkdtemp");
  return t;
}

void Put(const std::string& path, const std::string& data) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) ThrowErrno("create " + path);
  WriteAll(fd.get(), data.data(), data.size(), path);
}

/// A tree with a few MiB of files (more than the channel queues at once) and some small ones.
std::string MakeTree() {
  std::string dir = TempDirPath("mini-cstage-tree-");
  std::mt19937 rng(7);
  MakeDirs(dir + "/a/b");
  for (int i = 0; i < 6; i++) {
    std::string big(3 << 20, '\0');
    for (auto& c : big) c = static_cast<char>(rng() % 7);
    Put(dir + "/a/big" + std::to_string(i), big);
  }
  for (int i = 0; i < 200; i++) Put(dir + "/a/b/f" + std::to_string(i), "file " + std::to_string(i) + "\n");
  if (symlink("a/b/f1", (dir + "/link").c_str()) != 0) ThrowErrno("symlink");
  return dir;
}

TEST(ConcurrentStage, StagesWhatIsPackedWhilePacking) {
  Store s(TempDirPath("mini-cstage-root-"));
  std::string tree = MakeTree();
  std::string blob = s.root + "/blob";
  UniqueFd out(open(blob.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  ConcurrentStage stage(s.layers, UnpackOptions{});
  PackOptions po;
  po.tar_copy = [&](const void* d, size_t n) { stage.Write(d, n); };
  PackResult pr = PackLayer(tree, out.get(), po);
  StagedLayer staged = stage.Finish();
  EXPECT_EQ(staged.result.diff_id, pr.diff_id);
  EXPECT_EQ(staged.result.tar_size, pr.tar_size);
  EXPECT_EQ(testutil::Snapshot(staged.dir->path() + "/diff"), testutil::Snapshot(tree));

  // The same layer through the blob, as commit did before.
  UniqueFd in(open(blob.c_str(), O_RDONLY | O_CLOEXEC));
  FdSource src(in.get(), blob);
  StagedLayer via_blob = s.layers.StageFromStream(src, pr.blob_digest, pr.blob_size, pr.diff_id);
  EXPECT_EQ(testutil::Snapshot(via_blob.dir->path() + "/diff"), testutil::Snapshot(staged.dir->path() + "/diff"));

  staged.result.blob_digest = pr.blob_digest;
  staged.result.blob_size = pr.blob_size;
  LayerInfo info = s.layers.CommitStaged(staged, std::nullopt);
  EXPECT_EQ(info.diff_id, pr.diff_id);
  EXPECT_EQ(info.blob_digest, pr.blob_digest);
  RemoveTree(tree);
}

TEST(ConcurrentStage, CorruptTarFailsTheWriterOrFinish) {
  Store s(TempDirPath("mini-cstage-root-"));
  std::string junk(64 << 10, 'x');  // not a tar
  auto run = [&] {
    ConcurrentStage stage(s.layers, UnpackOptions{});
    for (int i = 0; i < 400; i++) stage.Write(junk.data(), junk.size());  // 25 MiB: more than queued
    stage.Finish();
  };
  EXPECT_THROW(run(), Error);
  EXPECT_TRUE(ListDirNames(s.layout.TmpDir()).empty()) << "the staging dir is left behind";
}

TEST(ConcurrentStage, AbandonedByTheWriterLeavesNothing) {
  Store s(TempDirPath("mini-cstage-root-"));
  std::string tar = testutil::TarBuilder().File("a", std::string(100000, 'a')).Finish();
  {
    ConcurrentStage stage(s.layers, UnpackOptions{});
    stage.Write(tar.data(), tar.size() / 2);
  }  // destroyed without Finish (the packer failed): must not hang
  EXPECT_TRUE(ListDirNames(s.layout.TmpDir()).empty()) << "the staging dir is left behind";
}

}  // namespace
}  // namespace mini
