#pragma once
/// Pieces of store_check.cc shared with store_repair.cc and the unit tests.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "common/digest.h"
#include "store/layout.h"
#include "store/store_check.h"

namespace mini::check_internal {

/// What the check read of one layers/<chain> record and its overlay2/<chain>/link.
struct LayerFacts {
  bool has_record = false;  ///< layers/<chain>/diff-id exists (LayerStore::Has)
  std::optional<Digest> diff_id, parent, blob_digest;
  bool parent_known = false;  ///< the parent file was read: parent, or none for a bottom layer
  std::optional<uint64_t> blob_size;
  std::optional<std::string> link_raw;  ///< the link file's content, if readable
  std::string link_error;               ///< why it could not be read (empty: absent or fine)
  std::optional<std::string> link;      ///< link_raw when it is a valid short id
};

/// 26 characters of base32 (A-Z, 2-7), as LayerStore makes them.
bool IsShortId(const std::string& s);

/// The `lower` a layer must have: "l/<parent's link>:l/<grandparent's link>:...", top first;
/// "" for a bottom layer; nullopt when an ancestor's record or link cannot be read (that
/// ancestor has its own fault).
std::optional<std::string> ExpectedLower(const std::map<Digest, LayerFacts>& layers, const Digest& chain);

/// Runs the check: hashes blobs, then takes the store lock, checks the rest and, still under
/// the lock, calls `locked` (may be null) with the result.
StoreCheck RunCheck(const Layout& layout, const CheckOptions& opts, const std::function<void(StoreCheck&)>& locked);

}  // namespace mini::check_internal
