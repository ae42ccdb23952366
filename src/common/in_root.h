#pragma once
/// The one resolver of paths inside a root directory (a layer being unpacked, a COPY layer, a
/// container rootfs): symlinks met on the way are followed as if the root were "/", ".." stops at
/// the root, magic links are refused, so an untrusted tree can never point a write, a mount or a
/// chdir at the host (crun's safe_openat, SECURITY.md). openat2(RESOLVE_IN_ROOT |
/// RESOLVE_NO_MAGICLINKS) when the kernel has it (retried on EAGAIN), else a component-by-component
/// walk by fds (common/path.h's ResolveInScope) that never lets the kernel follow a symlink.
/// The tree must not be changed concurrently by others while a lookup runs.
#include <sys/stat.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/fs.h"

namespace mini {

/// Enables or disables the openat2 fast path, process-wide (on by default; off forces the walk,
/// for tests of it). It also goes off by itself on a kernel without openat2.
void SetOpenat2Enabled(bool on);

class InRoot {
 public:
  /// Opens the directory `path` as the root; throws Error("open <path>: <reason>").
  explicit InRoot(const std::string& path);
  /// Takes an open directory fd (O_PATH is enough) as the root.
  explicit InRoot(UniqueFd root);
  int fd() const { return fd_.get(); }

  /// Opens `path` (absolute or relative, both taken inside the root; "" and "/" name the root)
  /// with `flags` (O_CLOEXEC is added). Symlinks are followed, the last one too, but never out
  /// of the root. Returns an invalid fd with errno set on failure; never throws.
  UniqueFd Open(std::string_view path, int flags) const;

  /// Opens (O_RDONLY | O_DIRECTORY) the directory `comps` names. With `create`, missing
  /// directories are made, 0755 exactly, owned by the caller (a symlink to a missing place gets
  /// its target made, inside the root). Throws Error("<a/b>: <reason>"), or "mkdir <a/b>: ..."
  /// when making one failed ("/" names the root).
  UniqueFd OpenDir(const std::vector<std::string>& comps, bool create) const;

  /// `mkdir -p` of `path` inside the root with `mode` (less the umask); returns an O_PATH fd on
  /// the directory. Throws Error("<path>: <reason>") as OpenDir does.
  UniqueFd MkdirAll(std::string_view path, mode_t mode = 0755) const;

  /// Makes sure `path` exists as a directory (`dir`) or else as a file (an empty 0644 one, its
  /// parents made as directories) and returns an O_PATH fd on it: a mount target. Throws Error.
  UniqueFd EnsureMountTarget(std::string_view path, bool dir) const;

  /// lstat of `path`: its parent resolved inside the root, the last component not followed.
  /// nullopt when it does not exist (ENOENT, ENOTDIR); throws Error on other failures.
  std::optional<struct stat> Lstat(std::string_view path) const;

 private:
  struct Create {
    bool on = false;
    mode_t mode = 0755;
    bool exact = false;  ///< fchmod to `mode` after mkdir (no umask)
  };
  /// The walk or openat2; on failure errno is set and `*failed_op` names a failed mkdir.
  UniqueFd Resolve(const std::vector<std::string>& comps, int flags, const Create& create,
                   const char** failed_op) const;
  UniqueFd ResolveOrThrow(std::string_view path, const std::vector<std::string>& comps, int flags,
                          const Create& create) const;

  UniqueFd fd_;
};

/// Removes the entry `name` of directory `dir_fd`, recursively if it is a directory, never
/// following a symlink. A missing entry is fine. Throws Error.
void RemoveEntryAt(int dir_fd, const std::string& name);

/// "/proc/self/fd/<fd>": a path the classic mount API and path-based calls (setxattr, chmod)
/// accept for a file held by fd, also an O_PATH one.
std::string FdPath(int fd);

}  // namespace mini
