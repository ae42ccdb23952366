/// Tests of deferred compression (store/deferred_layer.h): a layer committed from a directory has
/// no blob and a tar descriptor; the export manifest compresses it once, deterministically, and
/// repoints the image; a record cut between its two writes is still deferred; a layer directory
/// that no longer packs to its diff id is refused.
#include "store/deferred_layer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/layer_commit.h"
#include "common/error.h"
#include "common/fs.h"
#include "store/compression.h"
#include "temp_store.h"

namespace mini {
namespace {

using Store = test::TempStore;

/// A layer of two files (one hard-linked) and a symlink, committed as a build step does.
build::LayerRef CommitTree(Store& s, const std::string& tag) {
  std::string dir = s.layout.TmpDir() + "/tree-" + tag;
  MakeDirs(dir + "/d");
  std::string big;
  for (int i = 0; i < 200000; i++) big += std::to_string(i) + "\n";
  WriteFileAtomic(dir + "/d/big", big);
  WriteFileAtomic(dir + "/tag", tag);
  if (link((dir + "/d/big").c_str(), (dir + "/d/hard").c_str()) != 0) ThrowErrno("link");
  if (symlink("big", (dir + "/d/sym").c_str()) != 0) ThrowErrno("symlink");
  struct timespec t[2] = {{1700000000, 0}, {1700000000, 0}};  // the same tree in any store
  for (const char* p : {"/d/big", "/d/sym", "/tag", "/d"})
    if (utimensat(AT_FDCWD, (dir + p).c_str(), t, AT_SYMLINK_NOFOLLOW) != 0) ThrowErrno("utimensat");
  return build::CommitLayerDir(s.layout, s.layers, dir, std::nullopt);
}

Digest ImageOf(Store& s, const build::LayerRef& l) {
  nlohmann::json config = {{"architecture", "amd64"}, {"os", "linux"},
                           {"rootfs", {{"type", "layers"}, {"diff_ids", {l.diff_id.str()}}}}};
  return s.images.CreateImage(config, {l.blob});
}

TEST(DeferredLayer, CommitStoresNoBlobAndExportCompressesOnce) {
  Store s(test::MakeTempDir("mini-deferred-"));
  BlobStore blobs(s.layout);
  build::LayerRef l = CommitTree(s, "a");
  EXPECT_EQ(l.blob.media_type, media::kOciLayer);
  EXPECT_EQ(l.blob.digest, l.diff_id);
  LayerInfo info = s.layers.Get(l.chain_id);
  EXPECT_EQ(l.blob.size, info.tar_size);
  EXPECT_FALSE(blobs.Has(l.diff_id));
  EXPECT_TRUE(IsDeferredLayer(blobs, info));

  Digest id = ImageOf(s, l);
  ImageRecord rec = s.images.Get(id);
  std::string stored = blobs.Read(rec.manifest_digest);
  std::string out = ManifestForExport(s.layout, s.images, rec, stored);
  ASSERT_NE(out, stored);
  Manifest m = ParseManifest(out);
  ASSERT_EQ(m.layers.size(), 1u);
  EXPECT_EQ(m.layers[0].media_type, media::kOciLayerGzip);
  ASSERT_TRUE(blobs.Has(m.layers[0].digest));
  EXPECT_EQ(blobs.Size(m.layers[0].digest), m.layers[0].size);
  // The blob inflates to the layer's tar.
  UniqueFd fd(open(s.layout.Blob(m.layers[0].digest).c_str(), O_RDONLY | O_CLOEXEC));
  FdSource raw(fd.get(), "blob");
  auto src = NewDecompressingSource(raw, "blob");
  Sha256 h;
  std::string buf(1 << 16, '\0');
  while (size_t n = src->Read(buf.data(), buf.size())) h.Update(buf.data(), n);
  EXPECT_EQ(h.Finish(), l.diff_id);
  // Recorded: the layer has its blob, the image the manifest that names it, its id unchanged.
  EXPECT_FALSE(IsDeferredLayer(blobs, s.layers.Get(l.chain_id)));
  EXPECT_EQ(s.layers.Get(l.chain_id).blob_digest, m.layers[0].digest);
  ImageRecord after = s.images.Get(id);
  EXPECT_EQ(after.manifest_digest, Sha256Of(out));
  EXPECT_EQ(ManifestForExport(s.layout, s.images, after, blobs.Read(after.manifest_digest)), out);

  // Another store, the same files: the same blob and manifest bytes.
  Store s2(test::MakeTempDir("mini-deferred-"));
  build::LayerRef l2 = CommitTree(s2, "a");
  ImageRecord rec2 = s2.images.Get(ImageOf(s2, l2));
  EXPECT_EQ(ManifestForExport(s2.layout, s2.images, rec2, BlobStore(s2.layout).Read(rec2.manifest_digest)), out);
}

TEST(DeferredLayer, ARecordCutBetweenItsWritesIsStillDeferred) {
  Store s(test::MakeTempDir("mini-deferred-"));
  BlobStore blobs(s.layout);
  build::LayerRef l = CommitTree(s, "b");
  // A kill after blob-size and before blob-digest.
  WriteFileAtomic(s.layout.LayerMeta(l.chain_id) + "/blob-size", "12345");
  LayerInfo info = s.layers.Get(l.chain_id);
  ASSERT_TRUE(IsDeferredLayer(blobs, info));
  Descriptor d = StoredLayerDescriptor(blobs, info);
  EXPECT_EQ(d.size, info.tar_size);
  Descriptor gz = EnsureLayerBlob(s.layout, s.layers, l.chain_id);
  EXPECT_EQ(s.layers.Get(l.chain_id).blob_size, gz.size);
  EXPECT_EQ(blobs.Size(gz.digest), gz.size);
}

TEST(DeferredLayer, ADirectoryThatNoLongerPacksToItsDiffIdIsRefused) {
  Store s(test::MakeTempDir("mini-deferred-"));
  build::LayerRef l = CommitTree(s, "c");
  WriteFileAtomic(s.layers.DiffDir(l.chain_id) + "/tag", "changed");
  try {
    EnsureLayerBlob(s.layout, s.layers, l.chain_id);
    FAIL() << "compressed a changed layer";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not to its diff id " + l.diff_id.str()), std::string::npos) << e.what();
  }
  EXPECT_TRUE(IsDeferredLayer(BlobStore(s.layout), s.layers.Get(l.chain_id)));
}

}  // namespace
}  // namespace mini
