#pragma once
/// OCI and Docker image documents: media types, descriptors, manifests, indexes, with shape
/// checks so a document is what it says it is (CVE-2021-41190).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/digest.h"

namespace mini {

namespace media {
inline constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr const char* kOciLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr const char* kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr const char* kOciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr const char* kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr const char* kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr const char* kDockerLayer = "application/vnd.docker.image.rootfs.diff.tar";
inline constexpr const char* kDockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
}  // namespace media

struct Descriptor {
  std::string media_type;
  Digest digest;
  uint64_t size = 0;
  nlohmann::json platform;     ///< null when absent
  nlohmann::json annotations;  ///< null when absent
};

/// Parses a descriptor; throws Error if digest or size are missing or invalid.
Descriptor ParseDescriptor(const nlohmann::json& j);
nlohmann::json DescriptorToJson(const Descriptor& d);

struct Manifest {
  std::string media_type;  ///< from the document (or the Content-Type when it has none)
  std::string artifact_type;  ///< "artifactType" (an SBOM, a signature...), "" for an image
  Descriptor config;
  std::vector<Descriptor> layers;
};

/// Parses an image manifest (OCI or Docker schema2). `content_type` is the type the transport
/// claimed (may be empty). Refuses documents whose shape disagrees with their type.
Manifest ParseManifest(const std::string& bytes, const std::string& content_type = "");

struct Index {
  std::string media_type;
  std::vector<Descriptor> manifests;
};
Index ParseIndex(const std::string& bytes, const std::string& content_type = "");

bool IsIndexMediaType(const std::string& t);
bool IsManifestMediaType(const std::string& t);

/// Serializes a JSON document the way mini stores documents it creates: compact, keys sorted.
std::string CanonicalJson(const nlohmann::json& j);

/// Parses JSON, throwing Error("<what>: invalid JSON: ...") instead of nlohmann's exception.
nlohmann::json ParseJson(const std::string& bytes, const std::string& what);

}  // namespace mini
