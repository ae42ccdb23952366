#pragma once
/// Turns a finished directory (a COPY staging dir, a container's upper dir) into a layer:
/// pack it (whiteouts -> `.wh.`) only to hash the tar (diff id), then move the directory into
/// the overlay2 graph. The files are never copied again, and the gzip blob is made only when a
/// push or save needs it (store/deferred_layer.h).
#include <optional>
#include <string>

#include "common/digest.h"
#include "store/layer_store.h"
#include "store/layout.h"
#include "store/oci_types.h"

namespace mini::build {

/// A layer of an image being built.
struct LayerRef {
  Digest chain_id;
  Digest diff_id;
  Descriptor blob;  ///< the manifest's descriptor: the gzip blob's, or the tar's while deferred
};

/// Packs (hashes) `diff_dir` and registers it on top of `parent`. The directory is moved into the
/// store (or removed when an identical layer already exists). Throws Error; on failure
/// `diff_dir` is left for its owner to clean up.
LayerRef CommitLayerDir(const Layout& layout, LayerStore& layers, const std::string& diff_dir,
                        const std::optional<Digest>& parent);

/// The LayerRef of a layer already in the store.
LayerRef LayerRefOf(const LayerStore& layers, const Digest& chain_id);

}  // namespace mini::build
