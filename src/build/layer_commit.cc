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
  {
    UniqueFd out(open(blob_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!out) ThrowErrno("create " + blob_path);
    pr = PackLayer(diff_dir, out.get());
    if (fsync(out.get()) != 0) ThrowErrno("fsync " + blob_path);
  }
  BlobStore blobs(layout);
  if (!blobs.Has(pr.blob_digest)) blobs.Adopt(blob_path, pr.blob_digest);
  LayerInfo info = layers.CreateFromDiffDir(diff_dir, parent, pr.blob_digest, pr.blob_size, pr.diff_id, pr.tar_size);
  if (PathExists(diff_dir)) RemoveTree(diff_dir);  // an identical layer existed already
  if (DebugEnabled()) {
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    Debug("packed layer: " + std::to_string(pr.tar_size) + " bytes of tar -> " + std::to_string(pr.blob_size) +
          " bytes of gzip, registered in " + std::to_string(static_cast<long>(s * 1000)) + " ms (" +
          std::to_string(static_cast<long>(pr.tar_size / 1e6 / std::max(s, 1e-6))) + " MB/s of tar)");
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
