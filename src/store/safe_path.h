#pragma once
/// Path handling for unpacking untrusted trees: lexical cleaning of tar names as if rooted at
/// "/", and opening directories inside a root without ever leaving it (openat2 RESOLVE_IN_ROOT,
/// or an equivalent walk that resolves every symlink relative to the root).
#include <string>
#include <string_view>
#include <vector>

#include "common/fs.h"

namespace mini {

/// Cleans `name` lexically as if it were rooted at "/" (Docker semantics): "", "." and repeated
/// slashes vanish, ".." removes the previous component and stops at the root. Returns the
/// remaining components; an empty result names the root itself. Pure.
std::vector<std::string> CleanPathComponents(std::string_view name);
/// "a/b/c" from components; "" for the root. Pure.
std::string JoinPath(const std::vector<std::string>& comps);

/// A directory tree whose paths are resolved inside it: symlinks met on the way are followed as
/// if the root were "/", ".." stops at the root. Single-threaded use; the tree must not be
/// changed concurrently by others (it is a private staging directory).
class RootDir {
 public:
  /// Opens `path`, which must be an existing directory; throws Error.
  explicit RootDir(const std::string& path);
  int fd() const { return fd_.get(); }

  /// Opens (O_RDONLY|O_DIRECTORY) the directory named by `comps` inside the root. Intermediate
  /// symlinks are resolved inside the root. With `create`, missing directories are made (0755,
  /// owned by the caller). Throws Error("<path>: <reason>") if it is not a directory or missing.
  UniqueFd OpenDir(const std::vector<std::string>& comps, bool create) const;

  /// The same walk without openat2, for tests of the fallback.
  UniqueFd OpenDirByWalk(const std::vector<std::string>& comps, bool create) const;

 private:
  UniqueFd DupRoot() const;
  UniqueFd ReopenResolved(const std::vector<std::string>& resolved) const;
  UniqueFd fd_;
};

/// Enables or disables the openat2 fast path (on by default; off forces the manual walk).
void SetOpenat2Enabled(bool on);

/// Removes the entry `name` of directory `dir_fd`, recursively if it is a directory, never
/// following a symlink. A missing entry is fine. Throws Error.
void RemoveEntryAt(int dir_fd, const std::string& name);

}  // namespace mini
