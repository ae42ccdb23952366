#pragma once
/// The overlay2 layer graph: one directory per layer under overlay2/<chain-id hex> with diff/,
/// link (26-char short id), lower (l/<short>:... of its ancestors, top first), work/, and the
/// overlay2/l/<short> -> ../<id>/diff links; facts in layers/<chain-id hex>/.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/digest.h"
#include "common/io.h"
#include "store/layer_blobs.h"
#include "store/layout.h"
#include "store/tar_extract.h"

namespace mini {

class TempDir;

/// A layer unpacked and verified in tmp/ but not yet part of the graph (see StageFromStream).
/// Its staging directory is removed when this is destroyed uncommitted.
struct StagedLayer {
  StagedLayer();
  StagedLayer(StagedLayer&&) noexcept;
  StagedLayer& operator=(StagedLayer&&) noexcept;
  ~StagedLayer();
  std::unique_ptr<TempDir> dir;  ///< holds diff/
  UnpackResult result;
  uint64_t size = 0;  ///< apparent size of diff/
};

struct LayerInfo {
  Digest chain_id;
  Digest diff_id;
  std::optional<Digest> parent;  ///< parent chain id; none for a bottom layer
  Digest blob_digest;            ///< the compressed blob this layer was first made from
  uint64_t blob_size = 0;
  uint64_t tar_size = 0;   ///< size of the uncompressed tar stream
  uint64_t size = 0;       ///< apparent size of the files in diff/
  std::string short_id;    ///< the 26-char link name
  /// Blobs compressed later in other formats (store/layer_blobs.h); kept and freed with the layer.
  std::vector<LayerBlob> extra_blobs;
};

/// Layer graph on disk. Thread-safe for concurrent creates (each unpacks into its own staging
/// dir; commits take the store lock). A layer exists once its layers/<chain> record exists.
class LayerStore {
 public:
  explicit LayerStore(const Layout& layout) : layout_(layout) {}

  /// chain id = diff id for a bottom layer, else sha256(parent chain id + " " + diff id).
  static Digest ChainId(const std::optional<Digest>& parent, const Digest& diff_id);

  bool Has(const Digest& chain_id) const;
  /// Throws Error("layer sha256:..: not found") if absent.
  LayerInfo Get(const Digest& chain_id) const;
  std::vector<LayerInfo> List() const;

  /// Unpacks the blob read from `src` on top of `parent` (which must exist), verifies it (blob
  /// digest and size if given, diff id if given), and commits it with one rename. On any failure
  /// nothing is left behind. If the layer already exists the bytes are still consumed and checked.
  LayerInfo CreateFromStream(ByteSource& src, const std::optional<Digest>& parent,
                             const std::optional<Digest>& expect_blob,
                             const std::optional<uint64_t>& expect_blob_size,
                             const std::optional<Digest>& expect_diff_id,
                             const UnpackOptions& opts = {});

  /// The first half of CreateFromStream, independent of the parent, so the layers of one image
  /// can unpack in parallel: unpacks and verifies into a staging dir (same checks and messages).
  /// Thread-safe; takes no store lock.
  StagedLayer StageFromStream(ByteSource& src, const std::optional<Digest>& expect_blob,
                              const std::optional<uint64_t>& expect_blob_size,
                              const std::optional<Digest>& expect_diff_id, const UnpackOptions& opts = {});
  /// The second half: commits a staged layer on top of `parent` (which must exist by now) with
  /// one rename under the store lock. If the layer already exists the staging is discarded.
  LayerInfo CommitStaged(StagedLayer& staged, const std::optional<Digest>& parent);

  /// Registers an already-unpacked diff directory (e.g. a container's upper dir packed by the
  /// builder) as a layer: `diff_dir` is moved (renamed) into place; digests come from packing,
  /// and so may its apparent size (`tree_size`, else TreeSize walks it).
  LayerInfo CreateFromDiffDir(const std::string& diff_dir, const std::optional<Digest>& parent,
                              const Digest& blob_digest, uint64_t blob_size, const Digest& diff_id,
                              uint64_t tar_size, std::optional<uint64_t> tree_size = std::nullopt);

  /// Records the compressed blob made later for a layer registered without one (a deferred
  /// layer, store/deferred_layer.h), under the store lock and in the current lease. blob-size is
  /// written before blob-digest: a kill in between leaves a record that is still deferred.
  void RecordBlob(const Digest& chain_id, const Digest& blob_digest, uint64_t blob_size);

  /// Adds `blob` (made from this layer's content, already in the blob store) to the layer's
  /// compressed-blobs, under the store lock and in the current lease; one already recorded for
  /// its format and level is kept (the same content gives the same bytes). Returns the recorded one.
  LayerBlob RecordExtraBlob(const Digest& chain_id, const LayerBlob& blob);

  /// overlay2/<chain hex>/diff
  std::string DiffDir(const Digest& chain_id) const { return layout_.LayerDiff(chain_id.hex()); }
  const Layout& layout() const { return layout_; }
  /// The "l/<short>" names of this layer and all its ancestors, top (this layer) first: the
  /// lowerdir list for mounting with overlay2/ as the working directory.
  std::vector<std::string> LowerLinks(const Digest& chain_id) const;

  /// Removes the layer (record first, then its directory and link). Children are not checked.
  void Remove(const Digest& chain_id);

 private:
  const Layout& layout_;
};

}  // namespace mini
