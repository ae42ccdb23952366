#pragma once
/// Images by config digest, tags and digest references -> images, and the blobs they use.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/digest.h"
#include "store/layer_store.h"
#include "store/lease.h"
#include "store/layout.h"
#include "store/oci_types.h"
#include "store/reference.h"

namespace mini {

/// A container that uses an image, as its lease says (store/lease.h).
struct ImageUser {
  std::string container;  ///< its id
  bool running = false;
};

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
  /// the last tag, or an id, deletes the image record and collects its layers and blobs that
  /// nothing else (image or lease) holds. An id with several tags needs `force`. An image a
  /// container uses: its last name is removed only with `force` (and a running container's
  /// image then stays, dangling); by id, a stopped container's needs `force`, a running
  /// container's is refused. Messages are Docker's. Returns the lines to print
  /// ("Untagged: busybox:latest", "Deleted: sha256:...").
  std::vector<std::string> Delete(const std::string& name, bool force);

  /// `image prune` / `system prune`: deletes the untagged images (every image with `all`) that
  /// no lease holds. Returns the lines to print; adds the image sizes to *reclaimed.
  std::vector<std::string> PruneImages(bool all, uint64_t* reclaimed);

  struct PruneResult {
    int layers = 0;
    int blobs = 0;
    uint64_t bytes = 0;
  };
  /// Removes layers and blobs that no image or lease uses, overlay2 directories nothing holds,
  /// dangling links, leftovers in tmp/ and the build cache.
  PruneResult Prune();

  /// What a lease must name to keep `rec` whole: its id, manifest, config and layer blobs and
  /// its top layer (with its ancestors).
  static LeaseResources ResourcesOf(const ImageRecord& rec);
  /// Adds `rec` to `lease`, checking under the store lock that it still exists. Throws Error.
  void Hold(Lease& lease, const ImageRecord& rec);

  /// The containers that use image `id`, running ones first (from their leases).
  std::vector<ImageUser> Users(const Digest& id) const;

  LayerStore& layers() const { return layers_; }

  /// Points image `id` at another manifest of the same config, already in the blob store: a
  /// committed image's, once its deferred layers have gzip blobs (deferred_layer.h). One atomic
  /// write under the store lock; nothing if the image was removed meanwhile.
  void ReplaceManifest(const Digest& id, const Digest& manifest_digest);

  /// Removes those of `layers` and `blobs` that nothing holds, ignoring the current lease (the
  /// undo of a failed pull or load, which made them).
  PruneResult CollectUnused(const std::vector<Digest>& layers, const std::vector<Digest>& blobs);

 private:
  std::vector<ImageUser> UsersLocked(const Digest& id) const;
  /// Deletes the image record and refs, then collects garbage. Caller holds the store lock.
  void RemoveImageLocked(const Digest& id);
  /// Removes layers/blobs that no image and no live lease (but `ignore`) uses; only those in
  /// the candidate lists when given. Caller holds the store lock.
  PruneResult CollectGarbageLocked(const std::vector<Digest>* candidate_layers,
                                   const std::vector<Digest>* candidate_blobs, const Lease* ignore);

  const Layout& layout_;
  LayerStore& layers_;
};

}  // namespace mini
