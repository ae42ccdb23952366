#pragma once
/// Read-only file trees that COPY reads from: the build context (with its ignore file applied)
/// and an image's merged filesystem seen through its layer directories (whiteouts hide entries,
/// opaque directories stop the search), plus Docker's in-scope symlink resolution on both.
#include <sys/stat.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/overlay_marks.h"  // IsWhiteout, IsOpaqueDir for layer walks
#include "build/ignore_patterns.h"

namespace mini::build {

/// One entry of a tree: its lstat and where its bytes are on the host.
struct TreeEntry {
  struct stat st {};
  std::string host_path;
};

class SourceTree {
 public:
  virtual ~SourceTree() = default;
  /// The entry at `comps` (no symlink followed, not even the last); nullopt when absent.
  virtual std::optional<TreeEntry> Lstat(const std::vector<std::string>& comps) const = 0;
  /// Names in the directory at `comps`, sorted.
  virtual std::vector<std::string> List(const std::vector<std::string>& comps) const = 0;

  /// Resolves symlinks in `path` as if the tree were "/" (absolute targets start at the root,
  /// ".." stops there: Docker's FollowSymlinkInScope; common/path.h's ResolveInScope, the walk
  /// of common/in_root.h too). The last component is followed only with `follow_last`. Missing
  /// components are kept as they are. Throws Error on a symlink loop.
  std::vector<std::string> Resolve(const std::string& path, bool follow_last) const;
  /// Contents of a regular file at `path` (symlinks followed in scope), nullopt if absent.
  std::optional<std::string> ReadFile(const std::string& path) const;
};

/// The build context directory; excluded paths do not exist.
class ContextTree : public SourceTree {
 public:
  ContextTree(std::string dir, IgnorePatterns ignore) : dir_(std::move(dir)), ignore_(std::move(ignore)) {}
  std::optional<TreeEntry> Lstat(const std::vector<std::string>& comps) const override;
  std::vector<std::string> List(const std::vector<std::string>& comps) const override;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  IgnorePatterns ignore_;
};

/// The merged view of layer diff directories, top first (overlayfs semantics).
class LayerView : public SourceTree {
 public:
  explicit LayerView(std::vector<std::string> diff_dirs_top_first) : dirs_(std::move(diff_dirs_top_first)) {}
  std::optional<TreeEntry> Lstat(const std::vector<std::string>& comps) const override;
  std::vector<std::string> List(const std::vector<std::string>& comps) const override;
  const std::vector<std::string>& dirs() const { return dirs_; }

 private:
  std::vector<std::string> dirs_;
};

/// The Minifile of a build: `file` when given (it must exist: "Cannot locate specified
/// Minifile: x"), else CONTEXT/Minifile, else CONTEXT/Dockerfile. Throws Error.
std::string FindMinifile(const std::string& context, const std::string& file);
/// The build context with its ignore file applied (.miniignore, else .dockerignore);
/// `ignore_name` receives the name used in "not found" errors. Throws Error for bad patterns.
std::unique_ptr<ContextTree> OpenContext(const std::string& context, std::string* ignore_name);

}  // namespace mini::build
