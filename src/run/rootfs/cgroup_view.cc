#include "run/rootfs/cgroup_view.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "common/error.h"
#include "common/fs.h"
#include "run/cgroup/cgroup.h"
#include "run/rootfs/mount_call.h"

namespace mini::run {
namespace {

constexpr const char* kPrefix = "/sys/fs/cgroup/";

UniqueFd OpenAt(int dir, const std::string& name, int flags) {
  UniqueFd fd(openat(dir, name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) ThrowErrno("open /sys/fs/cgroup/" + name);
  return fd;
}

}  // namespace

std::vector<std::string> CgroupViewDirs(const std::vector<std::string>& cgroup_paths) {
  std::vector<std::string> out;
  for (const auto& p : cgroup_paths) {
    if (p.rfind(kPrefix, 0) != 0) continue;
    std::string rest = p.substr(std::string(kPrefix).size());
    std::string name = rest.substr(0, rest.find('/'));
    if (!name.empty() && std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  return out;
}

void MountCgroupView(const InRoot& root, bool writable, bool lenient, const std::vector<std::string>& own) {
  unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC | (writable ? 0 : MS_RDONLY);
  UniqueFd target = root.Open("/sys/fs/cgroup", O_PATH | O_DIRECTORY);
  if (!target) ThrowErrno("open /sys/fs/cgroup");
  if (DetectCgroupMode() == CgroupMode::kV2) {
    if (mount("cgroup2", FdPath(target.get()).c_str(), "cgroup2", flags, nullptr) != 0) {
      if (lenient) return;
      ThrowErrno("mount cgroup2 on /sys/fs/cgroup");
    }
    return;
  }
  // The host's hierarchies (directories) and their symlinks (cpu -> cpu,cpuacct), as this
  // process sees them before pivot_root.
  std::vector<std::string> dirs;
  std::vector<std::pair<std::string, std::string>> links;  // name, target
  if (DIR* d = opendir("/sys/fs/cgroup")) {
    while (dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      if (e->d_type == DT_DIR) {
        dirs.push_back(name);
      } else if (e->d_type == DT_LNK) {
        std::string to(256, '\0');
        ssize_t n = readlinkat(dirfd(d), e->d_name, to.data(), to.size());
        if (n > 0) links.emplace_back(name, to.substr(0, static_cast<size_t>(n)));
      }
    }
    closedir(d);
  }
  Mount("tmpfs", FdPath(target.get()), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755", "/sys/fs/cgroup");
  UniqueFd dir = root.Open("/sys/fs/cgroup", O_RDONLY | O_DIRECTORY);
  if (!dir) ThrowErrno("open /sys/fs/cgroup");
  auto link = [&](const std::string& to, const std::string& name) {
    if (symlinkat(to.c_str(), dir.get(), name.c_str()) != 0 && errno != EEXIST)
      ThrowErrno("symlink /sys/fs/cgroup/" + name);
  };
  for (const auto& name : dirs) {
    if (mkdirat(dir.get(), name.c_str(), 0755) != 0) ThrowErrno("mkdir /sys/fs/cgroup/" + name);
    // Only where the container has its cgroup: a controller hierarchy, named by its controllers.
    if (std::find(own.begin(), own.end(), name) == own.end()) continue;
    UniqueFd d = OpenAt(dir.get(), name, O_PATH | O_DIRECTORY);
    if (mount("cgroup", FdPath(d.get()).c_str(), "cgroup", flags, name.c_str()) != 0) {
      if (lenient) continue;
      ThrowErrno("mount cgroup " + name + " on /sys/fs/cgroup/" + name);
    }
    if (name.find(',') == std::string::npos) continue;
    for (size_t a = 0; a <= name.size();) {  // each name of a co-mounted one
      size_t b = name.find(',', a);
      if (b == std::string::npos) b = name.size();
      link(name, name.substr(a, b - a));
      a = b + 1;
    }
  }
  for (const auto& [name, to] : links)
    if (std::find(dirs.begin(), dirs.end(), to) != dirs.end()) link(to, name);
  if (!writable) {
    UniqueFd top = root.Open("/sys/fs/cgroup", O_PATH);
    if (!top) ThrowErrno("reopen /sys/fs/cgroup");
    Mount("", FdPath(top.get()), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "",
          "/sys/fs/cgroup read-only");
  }
}

}  // namespace mini::run
