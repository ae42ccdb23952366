#pragma once
/// The build cache: explicit keys (BuildKit style, not Docker's compare-the-config trick).
/// key(step) = sha256(key(previous step), the instruction after substitution, the content hash
/// of its inputs (COPY/ADD sources), the build args in scope). A hit maps to the step's result:
/// its layer (if any) and the history timestamp, so a fully cached rebuild yields the same image.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/digest.h"
#include "store/layer_store.h"
#include "store/layout.h"

namespace mini::build {

struct CacheEntry {
  std::string created;              ///< the history entry's timestamp
  std::optional<Digest> chain_id;   ///< the layer the step made; none for metadata steps
};

class BuildCache {
 public:
  explicit BuildCache(const Layout& layout) : dir_(layout.BuildCacheDir()) {}

  /// The key of a step. `args` are NAME=VALUE of the build args in scope. Pure.
  static Digest Key(const Digest& parent, const std::string& instruction, const std::string& inputs,
                    const std::vector<std::string>& args);

  /// The entry for `key` if it exists and its layer (and the layer's blob) are still stored.
  std::optional<CacheEntry> Lookup(const Digest& key, const LayerStore& layers, const Layout& layout) const;
  /// Records an entry (atomic write; failures are only warned about: the cache is advisory).
  void Store(const Digest& key, const CacheEntry& e) const;

 private:
  std::string dir_;
};

}  // namespace mini::build
