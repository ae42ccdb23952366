#include "run/rootfs/rootless_dev.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/error.h"
#include "common/fs.h"
#include "common/rootless.h"

namespace mini::run {

void BindHostDevice(int dev_fd, const char* name) {
  UniqueFd f(openat(dev_fd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0666));
  if (!f) ThrowErrno(std::string("create /dev/") + name);
  std::string src = std::string("/dev/") + name;
  std::string target = "/proc/self/fd/" + std::to_string(f.get());
  if (mount(src.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0)
    ThrowErrno("bind the host's " + src);
}

std::string RootlessOverlayOptions(const std::string& options) {
  if (!IsRootless()) return options;
  return options + ",userxattr";
}

std::string DevptsOptions(const std::string& options) {
  if (!IsRootless()) return options;
  auto map = ReadFileIfExists("/proc/self/gid_map", 4096);
  if (map && MapToHost(*map, 5)) return options;
  std::string out;
  for (size_t a = 0, b; a <= options.size(); a = b + 1) {
    b = options.find(',', a);
    if (b == std::string::npos) b = options.size();
    std::string o = options.substr(a, b - a);
    if (o.empty() || o == "gid=5") continue;
    out += (out.empty() ? "" : ",") + o;
  }
  return out;
}

}  // namespace mini::run
