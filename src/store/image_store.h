#pragma once
/// Images by config digest, tags and digest references -> images, and the blobs they use.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/digest.h"
#include "store/layer_store.h"
#include "store/layout.h"
#include "store/oci_types.h"
#include "store/reference.h"

namespace mini {

struct ImageRecord {
  Digest id;                       ///< config digest (docker's image id)
  Digest manifest_digest;          ///< the manifest kept in blobs/ (exact bytes)
  std::string manifest_media_type;
  nlohmann::json manifest;
  nlohmann::json config;           ///< the parsed image config (OCI/Docker image config JSON)
  std::vector<Digest> diff_ids;    ///< bottom first
  std::vector<Digest> chain_ids;   ///< bottom first
  std::vector<std::string> repo_tags;     ///< familiar form, e.g. "busybox:latest"
  std::vector<std::string> repo_digests;  ///< familiar form, e.g. "busybox@sha256:..."
  uint64_t size = 0;  ///< sum of the unpacked layer sizes
  std::string created;  ///< config "created" (RFC 3339), may be empty
};

/// The image index. Metadata changes take the store lock; reads are lock-free snapshots.
class ImageStore {
 public:
  ImageStore(const Layout& layout, LayerStore& layers) : layout_(layout), layers_(layers) {}

  /// Records an image whose manifest and config are in the blob store and whose layers are all
  /// in the layer store. Returns the image id. Idempotent.
  Digest AddImage(const Digest& manifest_digest);

  /// Points `ref` (normalized, with a tag) at image `id`, replacing what it pointed at.
  void Tag(const Reference& ref, const Digest& id);
  /// Records `name@digest` as a RepoDigest of `id`.
  void AddDigestRef(const Reference& ref, const Digest& id);
  /// Removes a tag; returns false if it did not exist.
  bool Untag(const Reference& ref);

  /// Finds an image by reference ("busybox", "busybox:1", "x@sha256:.."), full id ("sha256:..",
  /// or 64 hex) or unique id prefix (>= 1 hex char, like docker). nullopt if nothing matches;
  /// throws Error on an ambiguous prefix.
  std::optional<ImageRecord> Find(const std::string& name_or_id) const;
  /// Like Find, throws Error("No such image: <name>") when absent.
  ImageRecord Resolve(const std::string& name_or_id) const;
  ImageRecord Get(const Digest& id) const;
  std::vector<ImageRecord> List() const;

  /// Writes `config` and an OCI manifest over `layers` (which must be in the blob and layer
  /// stores) as blobs, records the image and returns its id.
  Digest CreateImage(const nlohmann::json& config, const std::vector<Descriptor>& layers);

  /// `docker rmi` semantics for one name: a tag of an image with other tags is only untagged;
  /// the last tag, or an id, deletes the image with its layers and blobs that no other image
  /// uses. An id with several tags needs `force`. An image used by a container is refused.
  /// Returns the lines to print ("Untagged: busybox:latest", "Deleted: sha256:...").
  std::vector<std::string> Delete(const std::string& name, bool force);

  struct PruneResult {
    int layers = 0;
    int blobs = 0;
    uint64_t bytes = 0;
  };
  /// Removes layers and blobs that no image uses, and leftovers in tmp/.
  PruneResult Prune();

  /// Ids of the containers (containers/<id>/config.json "Image") that use image `id`.
  std::vector<std::string> ContainersUsing(const Digest& id) const;

 private:
  /// Deletes the image record and refs, then collects garbage. Caller holds the store lock.
  void RemoveImageLocked(const Digest& id);
  /// Removes layers/blobs not used by any image (only those in `candidates` when given).
  PruneResult CollectGarbageLocked(const std::vector<Digest>* candidate_layers,
                                   const std::vector<Digest>* candidate_blobs);

  const Layout& layout_;
  LayerStore& layers_;
};

}  // namespace mini
