#pragma once
/// BuildKit's WORKDIR: besides setting config.WorkingDir, a WORKDIR other than "/" is a step
/// with a layer of its own: `mkdir -p` of the path (0755, owned by the stage's USER), an empty
/// layer when the directory already exists (BuildKit's exporter keeps that empty layer; its
/// history entry is not an empty_layer one).
#include <sys/types.h>

#include <string>

#include "build/source_tree.h"

namespace mini::build {

/// Writes into `diff_dir` (an empty staging directory) what `mkdir -p wd` over `image` changes:
/// the missing directories (0755, uid:gid) and, above them, the existing parents with their
/// metadata (as an overlay upper dir holds them). Symlinks in `wd` are followed inside the image.
/// Nothing when the directory exists. Throws Error("mkdir /a/b: /a is not a directory").
void MakeWorkdirDiff(const LayerView& image, const std::string& wd, uid_t uid, gid_t gid, const std::string& diff_dir);

}  // namespace mini::build
