#pragma once
/// Which user namespace range a new container gets: `auto` takes the first 65536-id slice of
/// mini's subordinate ids that no existing container of this store uses (the maps are kept in
/// each container's config.json, so `start` reuses it and `rm` frees it); `remap:` takes what
/// was given, checked against mini's ranges. A lock is held from the choice until the new
/// container's config is written, so two creates never pick the same slice.
#include <string>
#include <vector>

#include "common/fs.h"
#include "run/userns/userns.h"
#include "store/layout.h"

namespace mini::run {

/// flock on containers/.userns.lock; released on destruction.
class IdMapLease {
 public:
  IdMapLease() = default;
  explicit IdMapLease(const Layout& layout);

 private:
  UniqueFd fd_;
};

/// The map for a new container created with --userns=`mode` (none for "host"; then no lock is
/// taken). Throws Error: invalid mode, no user namespaces, no free slice, remap outside mini's
/// ranges.
IdMap ChooseContainerIdMap(const Layout& layout, const std::string& mode, IdMapLease* lease);

/// The maps of every container of the store.
std::vector<IdMap> UsedIdMaps(const Layout& layout);

}  // namespace mini::run
