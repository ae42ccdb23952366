#pragma once
/// The container's root filesystem, set up by the container's first process inside its new
/// mount namespace: private propagation, the overlay mount, /proc /sys /dev, user mounts, then
/// pivot_root (crun's do_pivot) and the masked / read-only paths. Every target inside the
/// rootfs is resolved by fd (common/in_root.h). Runs in the child; throws Error.
#include <string>
#include <vector>

#include "run/rootfs/mount_plan.h"
#include "run/rootfs/view_mounts.h"
#include "run/run_spec.h"

namespace mini::run {

struct RootfsConfig {
  std::string overlay2_dir;  ///< absolute path of the store's overlay2/
  OverlayPlan overlay;
  /// -v / --tmpfs; volumes already turned into binds of volumes/<name>/_data by the parent.
  std::vector<MountRequest> mounts;
  /// Named volumes created by this run: copy the image's content at the target into them first.
  std::vector<bool> seed;
  bool read_only = false;
  bool privileged = false;
  std::string console;  ///< host path of the pty slave to bind on /dev/console ("" = none)
  /// --userns: the overlay, already built by the parent as a detached mount (userns_rootfs.h),
  /// is attached at overlay.merged; device nodes are bind-mounted from the host's /dev (mknod
  /// is not allowed in a user namespace); once the host paths are open, the process becomes
  /// root of its user namespace (run/userns/userns.h).
  bool userns = false;
  int overlay_fd = -1;
  /// Devices, sysctls, /dev/shm and the cgroup view (view_mounts.h, cgroup_view.h).
  RootfsView view;
};

/// Does everything up to and including pivot_root and the /proc masks; afterwards "/" is the
/// container's root and the cwd is "/".
void SetupRootfs(const RootfsConfig& cfg);

}  // namespace mini::run
