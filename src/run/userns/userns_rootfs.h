#pragma once
/// The root filesystem of a container with a user namespace. The overlay is mounted by mini as
/// real root (init user namespace), before the clone, with the new mount API (fsopen "overlay",
/// one "lowerdir+" per layer, fsmount): a detached mount whose fd the container's first process
/// inherits and attaches in its own mount namespace (move_mount). Mounted from inside the user
/// namespace, overlayfs would only honour user.* xattrs, while our layers mark opaque dirs with
/// trusted.overlay.opaque.
///
/// The image's layers stay shared: each lower is an idmapped mount (open_tree(OPEN_TREE_CLONE)
/// + mount_setattr(MOUNT_ATTR_IDMAP) with a user namespace carrying the container's map), so
/// image root files are seen as the mapped root. Where the kernel refuses idmapped lowers
/// (mount_setattr ENOSYS/EINVAL/EPERM, or overlayfs EINVAL on them, as 5.12-5.18 do; detected
/// once per process) or MINI_USERNS_FORCE_COPY=1 is set, a chowned copy of each layer for the range is made once in
/// overlay2-idmap/<uid>-<gid>/<short id> (staging dir + rename) and reused. The container's
/// init layer and upper/work dirs are owned by the mapped root on disk, so what the container
/// writes appears on the host under the mapped ids.
#include <string>
#include <vector>

#include "common/fs.h"
#include "run/userns/userns.h"
#include "store/layout.h"

namespace mini::run {

/// The overlay of one container: `init` (its init layer dir), the image's lowers ("l/<short>"
/// links relative to overlay2/, top first), `upper` and `work` (absolute). Returns the detached
/// mount (O_CLOEXEC). Throws Error.
UniqueFd BuildUsernsOverlay(const Layout& layout, const std::string& init, const std::vector<std::string>& lowers,
                            const std::string& upper, const std::string& work, const IdMap& map,
                            bool volatile_upper = false);

/// Chowns a new container's init layer tree and its upper/work dirs to the mapped root.
void ChownContainerDirs(const std::string& init, const std::vector<std::string>& dirs, const IdMap& map);

/// Removes layer copies no container needs: ranges no existing container of `used` maps to,
/// and copies of layers that are gone. Returns bytes freed.
uint64_t PruneIdmapCopies(const Layout& layout, const std::vector<IdMap>& used);

}  // namespace mini::run
