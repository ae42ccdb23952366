#pragma once
/// Docker's first-use copy: a new named volume gets what the image has at its mount point.
#include <string>

#include "common/in_root.h"

namespace mini::run {

/// Copies the tree at `target` inside the container root (resolved in-root; nothing happens if
/// it is missing or not a directory) into the empty host directory `dest`: directories, regular
/// files and symlinks with their modes, owners and times, all through fds. Throws Error.
void SeedVolume(const InRoot& root, const std::string& target, const std::string& dest);

}  // namespace mini::run
