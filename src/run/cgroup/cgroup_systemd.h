#pragma once
/// The systemd cgroup driver (like podman's and runc's): each container gets a transient scope
/// mini-<id>.scope under mini.slice, started through systemd's D-Bus API with the calling
/// process (the container's monitor) as its first PID and Delegate=yes. Inside the delegated
/// scope mini makes two cgroups: monitor/ (the monitor moves there) and container/ (the
/// container and `exec`s; limits and the device program, written by the v2 code of
/// cgroup_v2.cc). systemd never writes inside a delegated subtree, so a daemon-reload cannot
/// reset the limits (it does reset the scope's own cgroup files to the unit's properties) and
/// `mini update` stays the one writer after create. The monitor outside the unit that started it
/// is what lets `mini run -d` from a service survive the service's end. The scope goes when the
/// monitor and the container are gone (systemd collects an empty scope); `rm` also stops it.
#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "run/cgroup/cgroup.h"
#include "run/cgroup/systemd_bus.h"

namespace mini::run {

inline constexpr const char* kMiniSlice = "mini.slice";

/// "mini-<id>.scope".
std::string ScopeUnitName(const std::string& id);
/// The properties of container `id`'s scope, with `pid` (the monitor) as its process: Slice,
/// Description, PIDs, Delegate, TasksMax=infinity (only mini's --pids-limit counts),
/// CollectMode=inactive-or-failed (a failed scope does not block the name), TimeoutStopUSec.
/// Pure.
std::vector<UnitProperty> ScopeProperties(const std::string& id, pid_t pid);
/// The "0::" path of /proc/self/cgroup's text, or nullopt.
std::optional<std::string> CgroupV2PathOf(const std::string& proc_self_cgroup);

/// Puts the calling process in container `id`'s scope (starting it, unless this process is
/// already its monitor: a restart) and creates container/ with `res` and the device rules.
/// Throws Error naming the unit and the D-Bus error, or the file.
std::unique_ptr<Cgroup> CreateSystemdCgroup(const std::string& id, const Resources& res, bool privileged,
                                            const std::vector<DeviceRule>& devices);
/// `rm`: stops container `id`'s scope if it is still there and this process is not in it (a
/// --rm container's monitor removes itself). Best effort, never throws.
void StopSystemdScope(const std::string& id);

}  // namespace mini::run
