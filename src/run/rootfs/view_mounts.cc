#include "run/rootfs/view_mounts.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.h"
#include "common/fs.h"
#include "run/rootfs/mount_call.h"

namespace mini::run {

void MakeDeviceNodes(const InRoot& root, const std::vector<DeviceNode>& devices, bool bind) {
  for (const auto& d : devices) {
    size_t slash = d.container.rfind('/');
    std::string parent = d.container.substr(0, slash), name = d.container.substr(slash + 1);
    if (name.empty()) throw Error("device " + d.container + ": not a file name");
    UniqueFd dir = root.MkdirAll(parent.empty() ? "/" : parent);
    UniqueFd real(openat(dir.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!real) ThrowErrno("open " + parent);
    unlinkat(real.get(), name.c_str(), 0);  // Docker replaces what the image has there
    if (bind) {
      UniqueFd f(openat(real.get(), name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600));
      if (!f) ThrowErrno("create " + d.container);
      Mount(d.host, FdPath(f.get()), nullptr, MS_BIND, "", "device " + d.host);
      continue;
    }
    if (mknodat(real.get(), name.c_str(), d.mode, d.rdev) != 0) ThrowErrno("mknod " + d.container);
    if (fchmodat(real.get(), name.c_str(), d.mode & 07777, 0) != 0) ThrowErrno("chmod " + d.container);
  }
}

void ApplySysctls(const InRoot& root, const std::vector<std::pair<std::string, std::string>>& sysctls) {
  for (const auto& [key, value] : sysctls) {
    std::string rel = key;
    for (char& c : rel)
      if (c == '.') c = '/';
    std::string path = "/proc/sys/" + rel;
    UniqueFd fd = root.Open(path, O_WRONLY);
    if (!fd) ThrowErrno("sysctl " + key);
    if (write(fd.get(), value.data(), value.size()) < 0) ThrowErrno("sysctl " + key + "=" + value);
  }
}

void MountShm(int shm_dir, const RootfsView& view) {
  if (view.shm_none) return;
  if (!view.shm_bind.empty()) {
    Mount(view.shm_bind, FdPath(shm_dir), nullptr, MS_BIND | MS_REC, "", "/dev/shm (bind " + view.shm_bind + ")");
    return;
  }
  Mount("shm", FdPath(shm_dir), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
        "mode=1777,size=" + std::to_string(view.shm_size), "/dev/shm");
}

}  // namespace mini::run
