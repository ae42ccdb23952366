#pragma once
/// `mini push`: uploads the blobs the registry lacks (HEAD first, then a cross-repository mount
/// when the image is known under another repository of the same registry, else POST + PUT or
/// chunked PATCHes), the config, and finally the manifest with its original media type and exact
/// bytes, so the registry's digests are the ones in the local store. Blobs upload concurrently
/// (PushOptions::max_concurrent); the manifest goes last, only after every blob is there.
/// Reads the store only (plus one RepoDigest at the end); safe alongside other commands.
#include <cstdint>
#include <string>

#include "common/digest.h"
#include "registry/progress.h"
#include "registry/registry_client.h"
#include "store/image_store.h"
#include "store/layer_compression.h"
#include "store/layout.h"
#include "store/reference.h"

namespace mini::registry {

enum class PushFormat { kKeep, kOci, kDocker };

struct PushOptions {
  PushFormat format = PushFormat::kKeep;  ///< kKeep: the stored manifest, byte for byte
  uint64_t chunk_size = 0;                ///< > 0: upload in PATCH chunks of this size
  int max_concurrent = 3;
  /// --compression-format/-level, --force-compression (store/layer_compression.h); zstd makes
  /// the manifest OCI, and refuses kDocker before any layer is compressed.
  CompressionOptions compression;
};

struct PushResult {
  Digest manifest_digest;
  uint64_t manifest_size = 0;
};

/// Converts a stored manifest to `format` (kKeep returns it unchanged). Docker schema2 cannot
/// carry zstd layers: Error. Pure.
std::string ConvertManifest(const std::string& bytes, const std::string& media_type, PushFormat format,
                            std::string* out_media_type);

/// Refuses options that cannot go together (zstd layers in a Docker schema2 manifest) with
/// Error (kInvalidInput), before anything is compressed or sent. Pure; PushImage calls it too.
void CheckPushOptions(const PushOptions& opts);

/// Pushes image `rec` as `dest` (its tag, or its digest when it has no tag). Records the pushed
/// manifest digest as a RepoDigest of the image.
PushResult PushImage(RegistryClient& client, const Layout& layout, ImageStore& images, const ImageRecord& rec,
                     const Reference& dest, const PushOptions& opts, Progress& progress);

}  // namespace mini::registry
