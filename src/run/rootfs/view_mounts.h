#pragma once
/// The parts of a container's view that are mounts or files in its rootfs: --device nodes,
/// --sysctl values, /dev/shm (--shm-size, --ipc host|container:|none). Run in the container's
/// first process, before pivot_root; throw Error.
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/in_root.h"

namespace mini::run {

/// One --device, as the parent found it on the host.
struct DeviceNode {
  std::string host;       ///< the host node (bound instead of mknod in a user namespace)
  std::string container;  ///< absolute path in the container
  mode_t mode = 0;        ///< type and permission bits of the host node
  dev_t rdev = 0;
};

struct RootfsView {
  std::vector<DeviceNode> devices;
  std::vector<std::pair<std::string, std::string>> sysctls;  ///< "net.ipv4.ip_forward", "1"
  int64_t shm_size = 64 << 20;
  std::string shm_bind;   ///< host directory bound on /dev/shm (--ipc host, container:NAME)
  bool shm_none = false;  ///< --ipc none: no /dev/shm mount
  bool cgroup_view = true;
  std::vector<std::string> cgroup_dirs;  ///< v1: hierarchies with the container's cgroup (cgroup_view.h)
};

/// mknod (or, with `bind`, bind the host node on an empty file) of each device, its parent
/// directories made inside the root.
void MakeDeviceNodes(const InRoot& root, const std::vector<DeviceNode>& devices, bool bind);

/// Writes each value to <root>/proc/sys/<key with dots as slashes> (the new /proc).
void ApplySysctls(const InRoot& root, const std::vector<std::pair<std::string, std::string>>& sysctls);

/// /dev/shm on the directory open at `shm_dir`: a tmpfs of `view.shm_size`, or a bind of
/// `view.shm_bind`, or nothing.
void MountShm(int shm_dir, const RootfsView& view);

}  // namespace mini::run
