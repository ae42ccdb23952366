#include "run/volume_mounts.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/process.h"

namespace mini::run {
namespace {

bool IsMountPoint(const std::string& path) {
  struct statx sx;
  if (statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx) != 0) return false;
  if (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) return sx.stx_attributes & STATX_ATTR_MOUNT_ROOT;
  struct stat a, b;  // kernels before 5.8: a mount of another filesystem changes st_dev
  return stat(path.c_str(), &a) == 0 && stat((path + "/..").c_str(), &b) == 0 && a.st_dev != b.st_dev;
}

/// Live users other than `except`; removes the entries of dead monitors.
int LiveUsers(const std::string& users_dir, const std::string& except) {
  int n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(users_dir, ec)) {
    std::string name = e.path().filename().string();
    if (name == except) continue;
    auto s = ReadFileIfExists(e.path().string(), 256);
    pid_t pid = 0;
    unsigned long long start = 0;
    if (s && std::sscanf(s->c_str(), "%d %llu", &pid, &start) == 2 && ProcessAlive(pid, start)) {
      n++;
    } else {
      unlink(e.path().c_str());
    }
  }
  return n;
}

class VolumeLock {
 public:
  explicit VolumeLock(const std::string& dir) : fd_(open((dir + "/mount.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    if (!fd_) ThrowErrno("open " + dir + "/mount.lock");
    while (flock(fd_.get(), LOCK_EX) != 0)
      if (errno != EINTR) ThrowErrno("lock " + dir + "/mount.lock");
  }

 private:
  UniqueFd fd_;
};

}  // namespace

void ParseMountOptions(const std::string& o, unsigned long* flags, std::string* data) {
  static const struct {
    const char* name;
    bool clear;
    unsigned long flag;
  } kFlags[] = {{"ro", false, MS_RDONLY},         {"rw", true, MS_RDONLY},          {"nosuid", false, MS_NOSUID},
                {"suid", true, MS_NOSUID},        {"nodev", false, MS_NODEV},       {"dev", true, MS_NODEV},
                {"noexec", false, MS_NOEXEC},     {"exec", true, MS_NOEXEC},        {"sync", false, MS_SYNCHRONOUS},
                {"async", true, MS_SYNCHRONOUS},  {"noatime", false, MS_NOATIME},   {"atime", true, MS_NOATIME},
                {"nodiratime", false, MS_NODIRATIME}, {"relatime", false, MS_RELATIME}, {"strictatime", false, MS_STRICTATIME},
                {"bind", false, MS_BIND},         {"rbind", false, MS_BIND | MS_REC}, {"remount", false, MS_REMOUNT},
                {"dirsync", false, MS_DIRSYNC},   {"mand", false, MS_MANDLOCK},     {"nomand", true, MS_MANDLOCK}};
  *flags = 0;
  data->clear();
  for (size_t a = 0, b; a <= o.size(); a = b + 1) {
    b = o.find(',', a);
    if (b == std::string::npos) b = o.size();
    std::string opt = o.substr(a, b - a);
    if (opt.empty() || opt == "defaults") continue;
    bool known = false;
    for (const auto& f : kFlags)
      if (opt == f.name) {
        *flags = f.clear ? (*flags & ~f.flag) : (*flags | f.flag);
        known = true;
      }
    if (!known) *data += (data->empty() ? "" : ",") + opt;
  }
}

VolumeMountUse::VolumeMountUse(const Layout& layout, const std::string& volume,
                               const std::map<std::string, std::string>& options, const std::string& container_id)
    : dir_(layout.VolumesDir() + "/" + volume), container_id_(container_id) {
  std::string data_dir = dir_ + "/_data";
  VolumeLock lock(dir_);
  MakeDirs(dir_ + "/users", 0700);
  LiveUsers(dir_ + "/users", container_id_);  // clears the dead ones
  if (!IsMountPoint(data_dir)) {
    auto get = [&](const char* k) {
      auto it = options.find(k);
      return it == options.end() ? std::string() : it->second;
    };
    std::string type = get("type"), device = get("device"), o = get("o"), mdata;
    unsigned long flags = 0;
    ParseMountOptions(o, &flags, &mdata);
    if (mount(device.c_str(), data_dir.c_str(), type.empty() ? nullptr : type.c_str(), flags,
              mdata.empty() ? nullptr : mdata.c_str()) != 0) {
      int e = errno;
      throw Error("error while mounting volume '" + data_dir + "': failed to mount local volume: mount " + device +
                  ":" + data_dir + ", data: " + o + ": " + std::strerror(e));
    }
  }
  WriteFileAtomic(dir_ + "/users/" + container_id_,
                  std::to_string(getpid()) + " " + std::to_string(ProcessStartTime(getpid())) + "\n", 0600);
}

VolumeMountUse::~VolumeMountUse() {
  try {
    VolumeLock lock(dir_);
    unlink((dir_ + "/users/" + container_id_).c_str());
    if (LiveUsers(dir_ + "/users", "") == 0) UnmountStaleVolume(dir_ + "/_data");
  } catch (const Error& e) {
    Warn("release volume " + dir_ + ": " + e.what());
  }
}

void UnmountStaleVolume(const std::string& data_dir) {
  for (int i = 0; i < 8 && IsMountPoint(data_dir); i++)
    if (umount2(data_dir.c_str(), MNT_DETACH) != 0) ThrowErrno("unmount " + data_dir);
}

}  // namespace mini::run
