#pragma once
/// The container's own cgroup at /sys/fs/cgroup, as Docker shows it. Runs in the container's
/// first process after it joined its cgroup and unshared a cgroup namespace (so the root of
/// every fresh cgroup mount is the container's cgroup), inside its mount namespace, with the
/// new /sys mounted under the rootfs.
///   v2: one cgroup2 mount.
///   v1 and hybrid: a tmpfs with a directory per host hierarchy, a fresh mount of those that
///   hold the container's cgroup (/sys/fs/cgroup/<controllers>), the host's symlinks
///   (cpu -> cpu,cpuacct) and one per name of a co-mounted directory.
/// Read-only unless `writable` (--privileged). Throws Error; `lenient` (rootless) skips a
/// hierarchy that refuses the mount instead.
#include <string>
#include <vector>

#include "common/in_root.h"

namespace mini::run {

/// v1: only the hierarchies in `own` (directory names under /sys/fs/cgroup that hold the
/// container's cgroup) are mounted; the others stay empty directories (their namespace root
/// would be the monitor's cgroup, with other containers' cgroups under it).
void MountCgroupView(const InRoot& root, bool writable, bool lenient, const std::vector<std::string>& own);

/// Pure: the directory names under /sys/fs/cgroup of v1 cgroup paths
/// ("/sys/fs/cgroup/cpu,cpuacct/mini/<id>" -> "cpu,cpuacct").
std::vector<std::string> CgroupViewDirs(const std::vector<std::string>& cgroup_paths);

}  // namespace mini::run
