#pragma once
/// From a reference to a verified image description: fetches the manifest (or index -> the
/// platform's manifest) and the config, checking every document against its digest and size,
/// its Content-Type against its declared mediaType and shape, and the config's diff_ids against
/// the layers. Nothing is written to the store here. Thread-safe as far as the client is.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/digest.h"
#include "registry/platform.h"
#include "registry/registry_client.h"
#include "store/oci_types.h"
#include "store/reference.h"

namespace mini::registry {

enum class DocumentKind { kManifest, kIndex };

/// Decides whether a fetched document is a manifest or an index from its Content-Type, falling
/// back to its own mediaType and then its shape when the Content-Type is generic. Sets
/// *parse_type to the content type the parser must hold the document to ("" = none claimed).
/// Throws Error for schema1 and for documents that are neither.
DocumentKind ClassifyDocument(const std::string& bytes, const std::string& content_type, std::string* parse_type);

/// Layer media types mini can unpack (tar, gzip, zstd; Docker and OCI spellings).
bool IsSupportedLayerType(const std::string& media_type);

struct ResolvedImage {
  Digest pulled_digest;         ///< digest of what the reference named (the index for an index)
  std::string pulled_media_type;
  std::string index_bytes;      ///< the index, when the reference named one
  Digest manifest_digest;       ///< the image manifest (platform-specific for an index)
  std::string manifest_bytes;
  Manifest manifest;
  std::string config_bytes;
  nlohmann::json config;
  std::vector<Digest> diff_ids;  ///< bottom first, one per manifest layer
};

/// Resolves `ref` on the registry behind `client`. Throws Error naming the failing document.
ResolvedImage ResolveImage(RegistryClient& client, const Reference& ref, const Platform& platform);

/// Checks a manifest and its config belong together and returns the diff ids (bottom first):
/// config media type, rootfs.diff_ids count, layer media types. Pure.
std::vector<Digest> CheckImage(const Manifest& m, const nlohmann::json& config);

}  // namespace mini::registry
