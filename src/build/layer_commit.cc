#include "build/layer_commit.h"

#include <algorithm>
#include <chrono>

#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "store/blob_store.h"
#include "store/deferred_layer.h"
#include "store/tar_generate.h"

namespace mini::build {

LayerRef CommitLayerDir(const Layout& layout, LayerStore& layers, const std::string& diff_dir,
                        const std::optional<Digest>& parent) {
  auto start = std::chrono::steady_clock::now();
  // Packed only to hash it (diff id): compression waits for a push or save (store/deferred_layer.h).
  PackResult pr = PackLayer(diff_dir, -1);
  auto packed = std::chrono::steady_clock::now();
  LayerInfo info = layers.CreateFromDiffDir(diff_dir, parent, pr.diff_id, pr.tar_size, pr.diff_id, pr.tar_size,
                                            pr.tree_size);
  if (PathExists(diff_dir)) RemoveTree(diff_dir);  // an identical layer existed already
  if (DebugEnabled()) {
    auto ms = [](auto a, auto b) { return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count()); };
    auto end = std::chrono::steady_clock::now();
    double s = std::max(std::chrono::duration<double>(end - start).count(), 1e-6);
    Debug("packed layer: " + std::to_string(pr.tar_size) + " bytes of tar (compression deferred), registered in " +
          ms(start, end) + " ms (pack " + ms(start, packed) + ", register " + ms(packed, end) + ") (" +
          std::to_string(static_cast<long>(pr.tar_size / 1e6 / s)) + " MB/s of tar)");
  }
  return LayerRefOf(layers, info.chain_id);
}

LayerRef LayerRefOf(const LayerStore& layers, const Digest& chain_id) {
  LayerInfo info = layers.Get(chain_id);
  return {info.chain_id, info.diff_id, StoredLayerDescriptor(BlobStore(layers.layout()), info)};
}

}  // namespace mini::build
