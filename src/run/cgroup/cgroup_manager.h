#pragma once
/// Which cgroup manager (driver) makes a new container's cgroup: mini's own cgroupfs driver
/// (cgroup.h: mini/<id> under /sys/fs/cgroup) or systemd's (cgroup_systemd.h: a transient scope
/// mini-<id>.scope under mini.slice, made through systemd's D-Bus API), as podman's
/// --cgroup-manager. Chosen once per process: the --cgroup-manager flag, else
/// $MINI_CGROUP_MANAGER, else systemd when this host can use it (PID 1 is systemd, the host is
/// pure cgroup v2, systemd's bus is there, not rootless, mini built with libsystemd), else
/// cgroupfs. A container records the manager that made it (ContainerConfig::cgroup_manager), so
/// start/stop/rm/update/stats/pause of it do not depend on the flag of a later command.
#include <string>

namespace mini::run {

enum class CgroupManager { kCgroupfs, kSystemd };

/// "cgroupfs" / "systemd".
const char* CgroupManagerName(CgroupManager m);
/// The manager a container record names: "systemd", else cgroupfs (also "" of older records).
CgroupManager CgroupManagerFromRecord(const std::string& name);

/// What the choice depends on, read from the host by ProbeCgroupHost().
struct CgroupHost {
  bool built_with_systemd = false;  ///< mini was built with libsystemd (sd-bus)
  bool rootless = false;
  bool cgroup_v2 = false;     ///< /sys/fs/cgroup is cgroup2 (pure v2, not hybrid)
  bool pid1_systemd = false;  ///< /proc/1/comm is "systemd"
  bool bus = false;           ///< /run/systemd/private or the system bus socket exists
};
CgroupHost ProbeCgroupHost();

/// The manager for new containers. `requested`: "" (choose), "cgroupfs" or "systemd"; `source`
/// names where it came from for messages ("--cgroup-manager", "MINI_CGROUP_MANAGER"). Pure.
/// Throws Error (invalid input) for another name, or naming what is missing when systemd is
/// asked for on a host (or a build) that cannot do it.
CgroupManager ChooseCgroupManager(const std::string& requested, const std::string& source, const CgroupHost& host);

/// The global --cgroup-manager flag ("" when not given); checks the name (throws Error).
void SetCgroupManagerFlag(const std::string& name);
/// ChooseCgroupManager for this process's flag, environment and host; decided once, cached.
CgroupManager CgroupManagerForNewContainers();

}  // namespace mini::run
