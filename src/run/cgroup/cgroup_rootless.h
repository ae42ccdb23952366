#pragma once
/// Cgroups in rootless mode: only where they are delegated to the user (cgroup v2, a directory
/// the user owns on the path of its own cgroup, e.g. user@<uid>.service under systemd). Else the
/// container runs without a cgroup, and limits it asked for are ignored with one warning, as
/// podman does. (CreateRootlessCgroup itself is declared in cgroup.h, with the v1 and v2 ones.)
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "run/cgroup/cgroup.h"

namespace mini::run {

/// True if `res` asks for any limit.
bool HasLimits(const Resources& res);

/// The delegated cgroup v2 directory to put containers under: the outermost ancestor of our
/// own cgroup (the "0::<path>" line of `proc_self_cgroup`, under `mount` = /sys/fs/cgroup)
/// that `owned_by_us` accepts, together with every directory below it down to our own, so the
/// whole subtree is ours (systemd delegates user@<uid>.service that way). nullopt when there is
/// none. Pure but for `owned_by_us`.
std::optional<std::string> DelegatedCgroupDir(const std::string& proc_self_cgroup, const std::string& mount,
                                              const std::function<bool(const std::string&)>& owned_by_us);

}  // namespace mini::run
