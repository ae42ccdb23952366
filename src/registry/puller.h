#pragma once
/// `mini pull`: resolve the reference, then download the missing layers concurrently (biggest
/// first), each streamed once: the download thread writes the compressed bytes to a temp file
/// kept as the blob (so push reproduces the digests) and hashes them, while an unpack thread
/// decompresses (ISA-L igzip or zlib), hashes the tar (diff id) and extracts into the layer's
/// own staging dir (LayerStore::StageFromStream). Only when every layer is verified (blob size
/// and digest, diff id) are they committed bottom-up, then the blobs, manifest, config, image
/// record and references. A failure anywhere leaves no image, layer, blob or temp dir behind.
///
/// Durability: records (layer facts, image, references) are written to a temp file, fsynced
/// and renamed; the layer files themselves are not fsynced (no per-file fsync, no syncfs), as
/// Docker's overlay2 unpack and containerd by default (its sync_fs option is opt-in). After a
/// power loss shortly after a pull, a committed layer may hold empty or short files.
#include <optional>
#include <string>

#include "common/digest.h"
#include "registry/platform.h"
#include "registry/progress.h"
#include "registry/registry_client.h"
#include "store/image_store.h"
#include "store/layer_store.h"
#include "store/layout.h"
#include "store/reference.h"

namespace mini::registry {

struct PullOptions {
  Platform platform = HostPlatform();
  int max_concurrent = 3;  ///< layers downloaded (and unpacked) at once
};

struct PullResult {
  Digest image_id;
  Digest pulled_digest;    ///< what the reference named (the index digest for an index)
  Digest manifest_digest;  ///< the image's own manifest
  bool updated = false;    ///< false when the store already had the image under this name
};

/// Pulls `ref` (tag and/or digest) through `client` into the store. Thread-safe with respect
/// to other pulls into the same store (layers are committed under the store lock).
PullResult PullImage(RegistryClient& client, const Layout& layout, LayerStore& layers, ImageStore& images,
                     const Reference& ref, const PullOptions& opts, Progress& progress);

}  // namespace mini::registry
