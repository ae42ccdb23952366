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

std::vector<std::string> Words(const std::string& line) {
  std::vector<std::string> w;
  for (size_t a = 0; a < line.size();) {
    size_t b = line.find(' ', a);
    if (b == std::string::npos) b = line.size();
    if (b > a) w.push_back(line.substr(a, b - a));
    a = b + 1;
  }
  return w;
}

UniqueFd OpenAt(int dir, const std::string& name, int flags) {
  UniqueFd fd(openat(dir, name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) ThrowErrno("open /sys/fs/cgroup/" + name);
  return fd;
}

}  // namespace

std::vector<CgroupHierarchy> CgroupHierarchies(const std::string& mountinfo) {
  std::vector<CgroupHierarchy> out;
  for (size_t i = 0; i < mountinfo.size();) {
    size_t j = mountinfo.find('\n', i);
    if (j == std::string::npos) j = mountinfo.size();
    std::vector<std::string> w = Words(mountinfo.substr(i, j - i));
    i = j + 1;
    // id parent maj:min root mountpoint opts [optional...] - fstype source superopts
    size_t dash = 0;
    while (dash < w.size() && w[dash] != "-") dash++;
    if (dash < 5 || dash + 3 >= w.size()) continue;
    const std::string& mp = w[4];
    const std::string& type = w[dash + 1];
    if (type != "cgroup" && type != "cgroup2") continue;
    if (mp.rfind(kPrefix, 0) != 0) continue;
    std::string name = mp.substr(std::string(kPrefix).size());
    if (name.empty() || name.find('/') != std::string::npos) continue;
    std::string opts;
    if (type == "cgroup") {
      // Keep the controller and name= options; drop rw/ro and the like.
      const std::string& super = w[dash + 3];
      for (size_t a = 0; a <= super.size();) {
        size_t b = super.find(',', a);
        if (b == std::string::npos) b = super.size();
        std::string o = super.substr(a, b - a);
        a = b + 1;
        if (o.empty() || o == "rw" || o == "ro" || o == "xattr" || o.rfind("release_agent=", 0) == 0 ||
            o == "clone_children" || o == "noprefix" || o == "cpuset_v2_mode")
          continue;
        opts += (opts.empty() ? "" : ",") + o;
      }
      if (opts.rfind("name=", 0) == 0) opts = "none," + opts;
    }
    bool dup = false;
    for (const auto& h : out) dup = dup || h.name == name;
    if (!dup) out.push_back({name, type, opts});
  }
  return out;
}

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
  std::vector<CgroupHierarchy> hs = CgroupHierarchies(ReadFile("/proc/self/mountinfo"));
  Mount("tmpfs", FdPath(target.get()), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755", "/sys/fs/cgroup");
  UniqueFd dir = root.Open("/sys/fs/cgroup", O_RDONLY | O_DIRECTORY);
  if (!dir) ThrowErrno("open /sys/fs/cgroup");
  std::vector<std::string> names;
  for (const auto& h : hs) {
    if (mkdirat(dir.get(), h.name.c_str(), 0755) != 0) ThrowErrno("mkdir /sys/fs/cgroup/" + h.name);
    if (std::find(own.begin(), own.end(), h.name) == own.end()) continue;
    UniqueFd d = OpenAt(dir.get(), h.name, O_PATH | O_DIRECTORY);
    std::string at = FdPath(d.get());
    if (mount("cgroup", at.c_str(), h.fstype.c_str(), flags, h.options.empty() ? nullptr : h.options.c_str()) != 0) {
      if (lenient) continue;
      ThrowErrno("mount " + h.fstype + " " + h.options + " on /sys/fs/cgroup/" + h.name);
    }
    names.push_back(h.name);
  }
  // The host's symlinks (cpu -> cpu,cpuacct), and each name of a co-mounted directory.
  auto link = [&](const std::string& to, const std::string& name) {
    if (symlinkat(to.c_str(), dir.get(), name.c_str()) != 0 && errno != EEXIST)
      ThrowErrno("symlink /sys/fs/cgroup/" + name);
  };
  if (DIR* d = opendir("/sys/fs/cgroup")) {
    while (dirent* e = readdir(d)) {
      if (e->d_type != DT_LNK) continue;
      std::string to(256, '\0');
      ssize_t n = readlinkat(dirfd(d), e->d_name, to.data(), to.size());
      if (n <= 0) continue;
      to.resize(static_cast<size_t>(n));
      bool known = false;
      for (const auto& nm : names) known = known || nm == to;
      if (known) link(to, e->d_name);
    }
    closedir(d);
  }
  for (const auto& nm : names) {
    if (nm.find(',') == std::string::npos) continue;
    for (size_t a = 0; a <= nm.size();) {
      size_t b = nm.find(',', a);
      if (b == std::string::npos) b = nm.size();
      link(nm, nm.substr(a, b - a));
      a = b + 1;
    }
  }
  if (!writable) {
    UniqueFd top = root.Open("/sys/fs/cgroup", O_PATH);
    if (!top) ThrowErrno("reopen /sys/fs/cgroup");
    Mount("", FdPath(top.get()), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "",
          "/sys/fs/cgroup read-only");
  }
}

}  // namespace mini::run
