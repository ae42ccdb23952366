#pragma once
/// overlayfs's own markers as they sit in an unpacked layer (diff/) or a container's upper dir:
/// a whiteout is a 0/0 character device, an opaque directory has trusted.overlay.opaque=y, or
/// user.overlay.opaque=y in a rootless store (overlayfs mounted with `userxattr` in a user
/// namespace, where trusted.* cannot be set).
/// The one place that knows their on-disk form; tar_extract/tar_generate convert to and from
/// the `.wh.` files of the OCI layer format.
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <string>

namespace mini {

inline constexpr const char kOpaqueXattr[] = "trusted.overlay.opaque";
inline constexpr const char kUserOpaqueXattr[] = "user.overlay.opaque";

/// The opaque marker of this store's mode: kUserOpaqueXattr when rootless (common/rootless.h),
/// else kOpaqueXattr. Chosen at run time, once per process.
const char* OpaqueXattr();

inline bool IsWhiteout(const struct stat& st) { return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0); }

/// True if the directory at `path` (not followed if a symlink) is marked opaque.
bool IsOpaqueDir(const std::string& path);

}  // namespace mini
