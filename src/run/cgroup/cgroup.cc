#include "run/cgroup/cgroup.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "common/error.h"
#include "common/fs.h"

namespace mini::run {

namespace {
constexpr const char* kCgroupRoot = "/sys/fs/cgroup";
}

CgroupMode DetectCgroupMode() {
  static const CgroupMode mode = [] {
    struct statfs s;
    if (statfs(kCgroupRoot, &s) != 0) ThrowErrno(std::string("statfs ") + kCgroupRoot);
    return s.f_type == CGROUP2_SUPER_MAGIC ? CgroupMode::kV2 : CgroupMode::kV1;
  }();
  return mode;
}

const std::vector<DeviceRule>& DefaultDeviceRules() {
  static const std::vector<DeviceRule> k = {
      {'c', -1, -1, "m"},  {'b', -1, -1, "m"},   // mknod of anything; opening is what matters
      {'c', 1, 3, "rwm"},  {'c', 1, 5, "rwm"},   {'c', 1, 7, "rwm"},  {'c', 1, 8, "rwm"},
      {'c', 1, 9, "rwm"},  {'c', 5, 0, "rwm"},   {'c', 5, 1, "rwm"},  {'c', 5, 2, "rwm"},
      {'c', 136, -1, "rwm"},
  };
  return k;
}

std::vector<std::string> DiscardUnsupported(Resources* res) {
  std::vector<std::string> warnings;
  if (res->oom_kill_disable && DetectCgroupMode() == CgroupMode::kV2) {
    res->oom_kill_disable = false;
    warnings.push_back("Your kernel does not support OomKillDisable. OomKillDisable discarded.");
  }
  return warnings;
}

void WriteCgroupFile(const std::string& dir, const std::string& file, const std::string& value) {
  std::string path = dir + "/" + file;
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) ThrowErrno("write " + path);
  if (write(fd.get(), value.data(), value.size()) < 0) ThrowErrno("write " + path + " (" + value + ")");
}

uint64_t SharesToWeight(uint64_t shares) {
  if (shares == 0) return 0;
  if (shares < 2) shares = 2;
  if (shares > 262144) shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

void RemoveCgroupPaths(const std::vector<std::string>& paths) {
  for (const auto& p : paths) {
    // The last tasks of a dying pid namespace may still be in the cgroup for a moment.
    for (int i = 0; i < 200; i++) {
      if (rmdir(p.c_str()) == 0 || errno == ENOENT) break;
      if (errno != EBUSY) break;
      struct timespec ts = {0, 5 * 1000 * 1000};
      nanosleep(&ts, nullptr);
    }
  }
}

std::vector<std::string> CgroupfsDirsOf(const std::string& id) {
  std::vector<std::string> out;
  for (const char* c : {"devices", "memory", "cpu", "cpuacct", "cpuset", "pids", "blkio", "freezer", "unified", ""}) {
    char real[PATH_MAX];
    std::string base = std::string("/sys/fs/cgroup") + (*c ? "/" : "") + c;
    if (!realpath(base.c_str(), real)) continue;
    std::string dir = std::string(real) + "/mini/" + id;
    if (std::find(out.begin(), out.end(), dir) == out.end()) out.push_back(dir);
  }
  return out;
}

void JoinCgroupPaths(const std::vector<std::string>& paths) {
  // v1 "tasks" moves only the calling thread and skips the global threadgroup lock.
  for (const auto& p : paths) WriteCgroupFile(p, PathExists(p + "/tasks") ? "tasks" : "cgroup.procs", "0");
}

void UpdateCgroupResources(const std::vector<std::string>& paths, const Resources& res) {
  if (paths.empty()) throw Error("the container has no cgroup");
  if (DetectCgroupMode() == CgroupMode::kV2) return ApplyResourcesV2(paths.front(), res);
  ApplyResourcesV1(paths, res, /*update=*/true);
}

}  // namespace mini::run
