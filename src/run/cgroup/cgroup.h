#pragma once
/// Cgroups behind one interface: a v1 implementation (also used for the hybrid layout: v1
/// controllers under /sys/fs/cgroup/<ctrl>, an almost empty v2 mount) and a v2 one. The mode is
/// detected once, by statfs of /sys/fs/cgroup. A container lives in `mini/<id>` under each
/// controller it uses.
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "run/run_spec.h"

namespace mini::run {

enum class CgroupMode { kV1, kV2 };

/// statfs(/sys/fs/cgroup): CGROUP2_SUPER_MAGIC -> v2; tmpfs (v1 or hybrid) -> v1. Cached.
CgroupMode DetectCgroupMode();

/// A device rule for the device controller: type 'c', 'b' or 'a'; -1 = any major/minor.
struct DeviceRule {
  char type;
  long major, minor;
  std::string access;  ///< "rwm" subset
};
/// deny-all, then mknod of any node, then null zero full random urandom tty console ptmx pts.
const std::vector<DeviceRule>& DefaultDeviceRules();

/// One container's cgroup(s). Destroy (also run by the destructor unless Release()d) removes
/// the directories, retrying while the last tasks are being reaped.
class Cgroup {
 public:
  virtual ~Cgroup() = default;
  /// Moves `pid` into the cgroup(s) (cgroup.procs: takes the global threadgroup lock, which
  /// costs an RCU grace period, ~15 ms, per write on cgroup v1).
  virtual void AddProcess(pid_t pid) = 0;
  /// Moves the calling single-threaded process into the cgroup(s) by writing "0" to each
  /// `tasks` file (v1: no global lock, microseconds) or cgroup.procs (v2). Called by the
  /// container's first process before it does anything else.
  virtual void JoinSelf() = 0;
  /// True if the OOM killer killed something in this cgroup.
  virtual bool OomKilled() const = 0;
  /// Removes the directories; best effort, never throws.
  virtual void Destroy() = 0;
  /// The directories, for state files (so `mini rm` can clean up after a killed monitor).
  virtual std::vector<std::string> Paths() const = 0;
};

/// Creates mini/<id> with `res` applied and the device rules (allow-all when privileged), or with
/// `manager` "systemd" the scope of cgroup_systemd.h (defined in cgroup_manager.cc, which also
/// chooses the manager; rootless mini always uses its delegated directory). Throws Error naming
/// the file that could not be written; nothing is left behind on failure. `devices` (--device)
/// are allowed after the defaults.
std::unique_ptr<Cgroup> CreateCgroup(const std::string& id, const Resources& res, bool privileged,
                                     const std::vector<DeviceRule>& devices = {}, const std::string& manager = "");
std::unique_ptr<Cgroup> CreateCgroupV1(const std::string& root, const std::string& id,
                                       const Resources& res, bool privileged,
                                       const std::vector<DeviceRule>& devices = {});
std::unique_ptr<Cgroup> CreateCgroupV2(const std::string& root, const std::string& id,
                                       const Resources& res, bool privileged,
                                       const std::vector<DeviceRule>& devices = {});
/// A v2 cgroup at `dir`, under `chain` (the directories above it, top first, each enabling the
/// controllers for the next; all but the first made when missing): the systemd driver's
/// container/ inside its scope. CreateCgroupV2 is this with {root, root/mini}, root/mini/<id>.
std::unique_ptr<Cgroup> CreateCgroupV2Under(const std::vector<std::string>& chain, const std::string& dir,
                                            const Resources& res, bool privileged,
                                            const std::vector<DeviceRule>& devices = {});
/// The cgroup of a rootless container: a v2 cgroup under the delegated directory when there is
/// one (no device program: a user namespace may not load BPF; /dev holds only bind mounts of
/// harmless nodes), else an empty one and, when `res` has limits, the warning
/// "mini: warning: resource limits are ignored: cgroups are not delegated to user X" on stderr
/// (or naming the error when the delegated directory refuses the cgroup).
std::unique_ptr<Cgroup> CreateRootlessCgroup(const std::string& id, const Resources& res);

/// Writes the limits `res` sets (unset fields are left alone) into a container's existing
/// cgroup directories (ContainerState::cgroup_paths): `mini update`, and create. v1 keeps
/// memory <= memory+swap at every step; `update` marks a change of a running container.
/// Throws Error naming the file (or "no memory cgroup for this container").
void UpdateCgroupResources(const std::vector<std::string>& paths, const Resources& res);
void ApplyResourcesV1(const std::vector<std::string>& dirs, const Resources& res, bool update);
void ApplyResourcesV2(const std::string& dir, const Resources& res);
/// The directory of v1 controller `ctrl` ("memory", "cpuacct") among `dirs` (.../<ctrl[,ctrl]>/mini/<id>), or "".
std::string CgroupV1DirFor(const std::vector<std::string>& dirs, const std::string& ctrl);

/// Removes cgroup directories recorded earlier (missing ones are fine). Best effort.
void RemoveCgroupPaths(const std::vector<std::string>& paths);

/// Every directory the cgroupfs driver may have made for container `id` under /sys/fs/cgroup
/// (each v1 controller's mini/<id>, the v2 mini/<id>, hybrid's unified/mini/<id>): what a
/// monitor killed between making them and recording them leaves. They need not exist.
std::vector<std::string> CgroupfsDirsOf(const std::string& id);

/// Moves the calling (single-threaded) process into each recorded cgroup directory (`mini
/// exec`). Throws Error naming the file.
void JoinCgroupPaths(const std::vector<std::string>& paths);

/// Clears what this host's cgroups cannot do and returns Docker's warning for each (printed as
/// "WARNING: ..." at create time): --oom-kill-disable on cgroup v2.
std::vector<std::string> DiscardUnsupported(Resources* res);

/// Writes `value` to `dir/file`; throws Error("write <dir/file>: <errno>").
void WriteCgroupFile(const std::string& dir, const std::string& file, const std::string& value);
/// v2 weight for v1 shares (runc's conversion): 1 + ((shares - 2) * 9999) / 262142.
uint64_t SharesToWeight(uint64_t shares);

/// Attaches a BPF_PROG_TYPE_CGROUP_DEVICE program implementing `rules` (first match wins, default
/// deny) to the v2 cgroup open at `cgroup_fd`. Throws Error.
void AttachDeviceProgram(int cgroup_fd, const std::vector<DeviceRule>& rules);

}  // namespace mini::run
