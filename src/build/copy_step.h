#pragma once
/// COPY and ADD with Docker's rules, writing straight into a new layer directory: sources are
/// expanded (globs, symlinks resolved inside their tree, no escape from it), a directory's
/// contents are copied (not the directory), a trailing-slash destination (or an existing
/// directory) receives files by base name, owner is root unless --chown, --chmod overrides
/// modes, mtimes are preserved. ADD extracts local tar archives (plain, gzip, zstd).
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "build/source_tree.h"
#include "common/digest.h"

namespace mini::build {

class FileHashCache;

struct CopyOptions {
  std::string what = "COPY";  ///< "COPY" or "ADD", for messages
  std::optional<uid_t> uid;   ///< --chown; root when unset
  std::optional<gid_t> gid;
  std::optional<mode_t> chmod;
  bool extract_archives = false;  ///< ADD
  std::string ignore_name = ".miniignore";  ///< named in "not found" errors
};

/// One source after expansion: its resolved components in the source tree.
using SourcePath = std::vector<std::string>;

/// Expands the sources as written (after substitution) against `tree`: globs, then symlinks
/// followed inside the tree. Throws Error("COPY failed: forbidden path outside the build
/// context: ../x") for a `..` escape and Error("COPY failed: file not found in build context
/// or excluded by .miniignore: x") for a missing source or a glob matching nothing.
std::vector<SourcePath> ExpandSources(const SourceTree& tree, const std::vector<std::string>& sources,
                                      const CopyOptions& opts);

/// Digest over paths, types, modes, sizes, mtimes, link targets and file contents of the
/// expanded sources (the COPY part of a cache key).
/// With `hashes`, file contents come from that cache when their stat data did not change.
Digest HashSources(const SourceTree& tree, const std::vector<SourcePath>& sources,
                   FileHashCache* hashes = nullptr);

/// Copies the expanded sources to `dest` (absolute in the image; a trailing '/' means "a
/// directory") into `layer_dir`, which becomes the step's layer. `image` is the stage's
/// filesystem below the new layer: destination symlinks are resolved through it and existing
/// parent directories keep their metadata. Throws Error.
void CopyToLayer(const SourceTree& tree, const std::vector<SourcePath>& sources, const std::string& dest,
                 const LayerView& image, const std::string& layer_dir, const CopyOptions& opts);

/// Parses --chown=user[:group] (names looked up in the image's /etc/passwd and /etc/group,
/// numbers taken as they are; a missing group means the group named like the user, or the
/// same number). Throws Error("unable to find user x").
void ResolveChown(const std::string& spec, const SourceTree& image, uid_t* uid, gid_t* gid);

}  // namespace mini::build
