#pragma once
/// COPY and ADD with Docker's and BuildKit's rules, writing straight into a new layer directory:
/// sources are expanded (globs, symlinks resolved inside their tree, no escape from it), a
/// directory's contents are copied (not the directory), a trailing-slash destination (or an
/// existing directory) receives files by base name, owner is root unless --chown, --chmod
/// (octal or symbolic) overrides modes, mtimes are preserved, --exclude patterns drop entries
/// below each source, --parents keeps the source's directories. ADD extracts local tar archives
/// (plain, gzip, zstd).
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "build/chmod_mode.h"
#include "build/ignore_patterns.h"
#include "build/source_tree.h"
#include "common/digest.h"

namespace mini::build {

class FileHashCache;

struct CopyOptions {
  std::string what = "COPY";  ///< "COPY" or "ADD", for messages
  std::optional<uid_t> uid;   ///< --chown; root when unset
  std::optional<gid_t> gid;
  std::optional<ChmodMode> chmod;
  bool extract_archives = false;  ///< ADD of local sources
  std::string ignore_name = ".miniignore";  ///< named in "not found" errors
  bool parents = false;                     ///< --parents
  /// --exclude: matched against the path below each source (below the pivot with --parents);
  /// a source itself is never excluded (BuildKit's fsutil copy).
  IgnorePatterns excludes;
};

/// Components of a path in a source tree.
using SourcePath = std::vector<std::string>;

/// One source after expansion: a resolved path in one tree.
struct ExpandedSource {
  const SourceTree* tree = nullptr;
  std::vector<std::string> path;   ///< resolved components in `tree`
  /// --parents: where below the destination the entry goes (its path from the pivot), and the
  /// pivot in `tree` (the parents between them are made with the source's metadata).
  bool keep_parents = false;
  std::vector<std::string> under;
  std::vector<std::string> pivot;
  bool extract = false;   ///< ADD may unpack it (a local archive)
  bool hash_cache = false;  ///< its files may use the FileHashCache (build-context files)
  /// When set, the cache-key text of this source instead of hashing its files (a URL's
  /// content digest, a git commit, a here-document).
  std::string key;
};

/// Expands the sources as written (after substitution) against `tree`: globs, then symlinks
/// followed inside the tree; with opts.parents, BuildKit's --parents (an optional `/./` pivot,
/// globs incl. `**` matched below it; a wildcard matching nothing copies nothing). Throws
/// Error("COPY failed: forbidden path outside the build context: ../x") for a `..` escape and
/// Error("COPY failed: file not found in build context or excluded by .miniignore: x") for a
/// missing source or a glob matching nothing (without --parents).
std::vector<ExpandedSource> ExpandSources(const SourceTree& tree, const std::vector<std::string>& sources,
                                          const CopyOptions& opts);

/// Digest over the expanded sources: per entry its path, type, permission bits, owner, size,
/// link target, device number and file content, after --exclude. Not the mtime nor the atime
/// (Docker: "the last-modified and last-accessed times are not considered"; BuildKit's
/// content hash drops them too). Sources with a `key` contribute that text instead. With
/// `hashes`, file contents of `hash_cache` sources come from that cache when their stat data
/// did not change.
Digest HashSources(const std::vector<ExpandedSource>& sources, const CopyOptions& opts,
                   FileHashCache* hashes = nullptr);

/// Copies the expanded sources to `dest` (absolute in the image; a trailing '/' means "a
/// directory") into `layer_dir`, which becomes the step's layer. `image` is the stage's
/// filesystem below the new layer (empty for --link): destination symlinks are resolved
/// through it and existing parent directories keep their metadata. Throws Error.
void CopyToLayer(const std::vector<ExpandedSource>& sources, const std::string& dest, const LayerView& image,
                 const std::string& layer_dir, const CopyOptions& opts);

/// BuildKit's --parents split of one source: the pivot (before "/./", else the root) and the
/// cleaned pattern after it. Pure.
void SplitParentsSource(const std::string& src, std::vector<std::string>* pivot, std::string* pattern);

}  // namespace mini::build
