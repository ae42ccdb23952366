#pragma once
/// Path resolution scoped into a container root: every mount target and the working directory
/// go through here, so a symlink in an image can never point a mount at the host (crun's
/// safe_openat). openat2(RESOLVE_IN_ROOT) when the kernel has it, else a component walk that
/// resolves symlinks itself, relative to the root.
#include <sys/types.h>

#include <string>

#include "common/fs.h"

namespace mini::run {

/// Opens `path` (absolute or relative, both taken inside `root_fd`) with `flags` (O_CLOEXEC is
/// added). Symlinks are followed but can never leave the root; magic links are refused.
/// Returns an invalid fd with errno set on failure.
UniqueFd OpenInRoot(int root_fd, const std::string& path, int flags);

/// Like `mkdir -p` inside the root; returns an O_PATH fd on the final directory. Throws Error
/// naming the path when a component exists and is not a directory or cannot be created.
UniqueFd MkdirAllInRoot(int root_fd, const std::string& path, mode_t mode = 0755);

/// Makes sure `path` exists inside the root as a regular file (parents created as dirs) or as a
/// directory (dir = true), and returns an O_PATH fd on it (the mount target).
UniqueFd EnsureMountTarget(int root_fd, const std::string& path, bool dir);

/// "/proc/self/fd/<fd>": a path the classic mount API accepts for a target held by fd.
std::string FdPath(int fd);

}  // namespace mini::run
