#pragma once
/// What the container's rootfs set-up does differently in rootless mode (common/rootless.h):
/// device nodes are bind mounts of the host's (mknod is refused in a user namespace), overlayfs
/// is mounted with `userxattr` (its markers are user.overlay.*; `volatile` for a --rm container
/// on a disk), and devpts gets gid=5 only
/// when that gid is mapped. Each is the identity when not rootless.
#include <string>

namespace mini::run {

/// Creates an empty file `name` in the open directory `dev_fd` (the container's /dev tmpfs)
/// and bind-mounts the host's /dev/<name> on it. Throws Error.
void BindHostDevice(int dev_fd, const char* name);

/// `options` plus ",userxattr" when rootless.
std::string RootlessOverlayOptions(const std::string& options);

/// `options` without "gid=5" when rootless and gid 5 is not mapped in this user namespace.
std::string DevptsOptions(const std::string& options);

}  // namespace mini::run
