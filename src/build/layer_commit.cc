#include "build/layer_commit.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "store/blob_store.h"
#include "store/tar_generate.h"

namespace mini::build {

LayerRef CommitLayerDir(const Layout& layout, LayerStore& layers, const std::string& diff_dir,
                        const std::optional<Digest>& parent) {
  auto start = std::chrono::steady_clock::now();
  TempDir tmp(layout.TmpDir(), "pack-");
  std::string blob_path = tmp.path() + "/blob";
  PackResult pr;
  std::chrono::steady_clock::time_point packed;
  {
    UniqueFd out(open(blob_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!out) ThrowErrno("create " + blob_path);
    pr = PackLayer(diff_dir, out.get());
    packed = std::chrono::steady_clock::now();
    if (fsync(out.get()) != 0) ThrowErrno("fsync " + blob_path);
  }
  auto synced = std::chrono::steady_clock::now();
  BlobStore blobs(layout);
  if (!blobs.Has(pr.blob_digest)) blobs.Adopt(blob_path, pr.blob_digest);
  LayerInfo info = layers.CreateFromDiffDir(diff_dir, parent, pr.blob_digest, pr.blob_size, pr.diff_id, pr.tar_size,
                                            pr.tree_size);
  if (PathExists(diff_dir)) RemoveTree(diff_dir);  // an identical layer existed already
  if (DebugEnabled()) {
    auto ms = [](auto a, auto b) { return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count()); };
    auto end = std::chrono::steady_clock::now();
    double s = std::max(std::chrono::duration<double>(end - start).count(), 1e-6);
    Debug("packed layer: " + std::to_string(pr.tar_size) + " bytes of tar -> " + std::to_string(pr.blob_size) +
          " bytes of gzip, registered in " + ms(start, end) + " ms (pack " + ms(start, packed) + ", fsync " +
          ms(packed, synced) + ", register " + ms(synced, end) + ") (" +
          std::to_string(static_cast<long>(pr.tar_size / 1e6 / s)) + " MB/s of tar)");
  }
  LayerRef ref;
  ref.chain_id = info.chain_id;
  ref.diff_id = info.diff_id;
  ref.blob = {media::kOciLayerGzip, info.blob_digest, info.blob_size, nullptr, nullptr};
  if (!blobs.Has(info.blob_digest)) ref.blob = {media::kOciLayerGzip, pr.blob_digest, pr.blob_size, nullptr, nullptr};
  return ref;
}

LayerRef LayerRefOf(const LayerStore& layers, const Digest& chain_id) {
  LayerInfo info = layers.Get(chain_id);
  return {info.chain_id, info.diff_id, {media::kOciLayerGzip, info.blob_digest, info.blob_size, nullptr, nullptr}};
}

}  // namespace mini::build
