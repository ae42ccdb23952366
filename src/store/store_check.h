#pragma once
/// `mini system check`: verifies blobs, layer records with their overlay2 directories, and
/// images against each other, finds garbage, and repairs by removing what cannot be trusted
/// together with everything that depends on it (the next pull, load or build restores it).
/// Pure store code: what containers use comes from the caller (CheckOptions).
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/digest.h"
#include "store/layout.h"

namespace mini {

/// One thing wrong in the store, printed as one line (Line()).
struct StoreFault {
  enum class Kind {
    kBlob,          ///< blobs/sha256/<hex> does not hash to its name, or cannot be read (digest)
    kLayer,         ///< layers/<chain> or overlay2/<chain> is inconsistent, or its blob-size is not
                    ///< its blob's (digest = chain id)
    kImage,         ///< images/<id>: its manifest, config, a layer or blob it needs, or a size its
                    ///< manifest gives a blob (digest = id)
    kOrphanDir,     ///< overlay2/<name> without a layer record, not a container's (name)
    kDanglingLink,  ///< overlay2/l/<short> that does not lead to its layer's diff/ (name = short)
    kDanglingRef,   ///< a refs.json entry naming a missing image (name = the stored reference)
    kStray,         ///< anything else that does not belong (name = path under the root)
  };
  Kind kind;
  Digest digest;
  std::string name;
  std::string what;  ///< e.g. "digest mismatch (content is sha256:..)"

  /// "blob sha256:..: digest mismatch (content is sha256:..)", "layer sha256:..: l/ABC.. link
  /// missing", "overlay2/x: directory without a layer record", "refs.json: tag t points at ...".
  std::string Line() const;
};

/// What a check found, and the dependency graph as far as it could be read (for PlanRepair).
struct StoreCheck {
  std::vector<StoreFault> faults;
  size_t blobs = 0, layers = 0, images = 0;  ///< how many were checked
  uint64_t blob_bytes = 0;                   ///< bytes hashed
  /// Every layer record: chain id -> parent chain id (nullopt for a bottom or unreadable one).
  std::map<Digest, std::optional<Digest>> layer_parent;
  struct ImageDeps {
    std::vector<Digest> chain_ids;  ///< bottom first
    std::vector<Digest> blobs;      ///< manifest, config and layer blobs
  };
  std::map<Digest, ImageDeps> images_deps;
  bool clean() const { return faults.empty(); }
  /// "checked 6 blobs (1.1MB), 2 layers, 2 images: no faults" (or ": 3 faults").
  std::string Summary() const;
};

struct CheckOptions {
  /// Whether a container uses the layer (directly or under its own layers). Such layers are
  /// reported but never removed, nor the images above them. Null: nothing is in use.
  std::function<bool(const Digest& chain_id)> layer_in_use;
  /// Whether overlay2/<name> belongs to a container (its rw or -init layer), not to the layer
  /// graph. Null: none does.
  std::function<bool(const std::string& name)> is_container_dir;
  /// Threads that hash blobs; 0: one per CPU, at most 4.
  unsigned hash_threads = 0;
};

/// What the store's live leases hold (store/lease.h): the layers under them (with ancestors) are
/// in use, and the overlay2 directories they name belong to containers. Takes the store lock.
CheckOptions CheckOptionsFromLeases(const Layout& layout);

/// Checks the whole store: hashes every blob (without the store lock: blobs never change in
/// place), then checks layers, images, refs and garbage under the store lock. Throws Error only
/// when the store cannot be read at all.
StoreCheck CheckStore(const Layout& layout, const CheckOptions& opts = {});

/// What a repair removes: the untrusted things, their dependents, and the garbage.
struct RepairPlan {
  std::vector<Digest> images;
  std::vector<Digest> layers;  ///< top first: a parent is never removed before its child
  std::vector<Digest> blobs;
  std::vector<std::string> paths;  ///< garbage under the root: overlay2/<x>, overlay2/l/<s>, ...
  std::vector<std::string> refs;   ///< refs.json entries ("tags"/"digests" keys)
  std::vector<Digest> kept_layers;  ///< untrusted but in use: reported, not removed
  std::vector<Digest> kept_images;  ///< would go only because of a kept layer
  size_t unrepairable = 0;          ///< faults no removal fixes (an unreadable refs.json)
  bool empty() const {
    return images.empty() && layers.empty() && blobs.empty() && paths.empty() && refs.empty();
  }
  /// What a repair leaves wrong: kept layers and images, and unrepairable faults.
  size_t left() const { return kept_layers.size() + kept_images.size() + unrepairable; }
  /// "removed 1 image, 2 layers, 0 blobs, 1 garbage entry; 0 left".
  std::string Summary() const;
};

/// Pure: what to remove for `check`'s faults. A broken layer takes the layers above it and the
/// images using any of them; a broken blob takes the images that list it; an image fault takes
/// the image. Layers for which `layer_in_use` is true (and their ancestors) are kept.
RepairPlan PlanRepair(const StoreCheck& check, const std::function<bool(const Digest&)>& layer_in_use);

struct RepairResult {
  StoreCheck check;                 ///< what was found (before removing)
  RepairPlan plan;                  ///< what was removed or kept
  std::vector<std::string> lines;   ///< "removed layer sha256:..", "kept layer sha256:..: in use, not removed"
};

/// Checks and repairs in one hold of the store lock (after hashing blobs), so nothing can start
/// using a layer between the check and its removal. Afterwards a check is clean except for what
/// was kept because it is in use.
RepairResult RepairStore(const Layout& layout, const CheckOptions& opts = {});

}  // namespace mini
