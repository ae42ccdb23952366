#pragma once
/// Cgroups in rootless mode: only where they are delegated to the user (cgroup v2, a directory
/// the user owns on the path of its own cgroup, e.g. user@<uid>.service under systemd). Else the
/// container runs without a cgroup, and limits it asked for are ignored with one warning, as
/// podman does. (CreateRootlessCgroup itself is declared in cgroup.h, with the v1 and v2 ones.)
#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "run/cgroup/cgroup.h"
#include "run/cgroup/systemd_bus.h"

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

/// The properties of rootless mini's own transient scope `mini-<pid>.scope` in the user's
/// systemd instance, with `pid` as its process: Description, PIDs, Delegate, CollectMode. Pure.
std::vector<UnitProperty> UserScopeProperties(pid_t pid);

/// Called before the user namespace is entered (the user's systemd checks the D-Bus peer's
/// uid). On pure cgroup v2, when this process's own cgroup is not delegated to the user (an ssh
/// or su session's session-N.scope, a root service's cgroup) but the user's systemd instance
/// runs (user@<uid>.service; its socket in $XDG_RUNTIME_DIR, else /run/user/<uid>): moves
/// this process into a new scope mini-<pid>.scope of that instance, as podman does for itself, so containers get their cgroups under the delegated
/// user@<uid>.service. Best effort: without the instance nothing changes (limits are then
/// ignored with the warning). The scope goes when its last process exits.
void EnterUserScopeIfUndelegated();

}  // namespace mini::run
