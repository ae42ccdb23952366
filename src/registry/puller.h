#pragma once
/// `mini pull`: resolve the reference, then download the missing layers concurrently, each
/// streamed once through sha256(blob) -> decompress -> sha256(diff) -> extract into its own
/// staging dir (layers unpack in parallel; LayerStore::StageFromStream), while the compressed
/// bytes are teed into a temp file kept as the blob (so push reproduces the digests). Only when
/// every layer is verified are they committed bottom-up, then the blobs, manifest, config, image
/// record and references. A failure anywhere leaves no image, layer, blob or temp dir behind.
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
