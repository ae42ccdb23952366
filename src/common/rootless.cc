#include "common/rootless.h"

#include <fcntl.h>
#include <pwd.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "common/error.h"
#include "common/fs.h"

namespace mini {
namespace {

bool InInitialUserNamespace() {
  // The initial namespace maps the whole 32-bit range onto itself.
  auto map = ReadFileIfExists("/proc/self/uid_map", 4096);
  if (!map) return true;  // no /proc: assume the host
  std::istringstream in(*map);
  unsigned long a = 1, b = 1, n = 0;
  in >> a >> b >> n;
  return a == 0 && b == 0 && n == 4294967295ul;
}

struct HostIds {
  bool rootless;
  uid_t uid;
  gid_t gid;
};

const HostIds& Ids() {
  static const HostIds ids = [] {
    HostIds h{geteuid() != 0 || !InInitialUserNamespace(), getuid(), getgid()};
    if (h.rootless && getuid() == 0) {
      // Already inside a user namespace (e.g. a re-entered mini): 0 maps to the host user.
      if (auto m = ReadFileIfExists("/proc/self/uid_map", 4096))
        if (auto u = MapToHost(*m, 0)) h.uid = static_cast<uid_t>(*u);
      if (auto m = ReadFileIfExists("/proc/self/gid_map", 4096))
        if (auto g = MapToHost(*m, 0)) h.gid = static_cast<gid_t>(*g);
    }
    return h;
  }();
  return ids;
}

std::string StripTrailingSlashes(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

}  // namespace

bool IsRootless() { return Ids().rootless; }
uid_t HostUid() { return Ids().uid; }
gid_t HostGid() { return Ids().gid; }

std::optional<unsigned long> MapToHost(const std::string& map_text, unsigned long inside) {
  std::istringstream in(map_text);
  unsigned long a, b, n;
  while (in >> a >> b >> n)
    if (inside >= a && inside - a < n) return b + (inside - a);
  return std::nullopt;
}

std::string DefaultStoreRootFor(bool rootless, const std::string& xdg_data_home, const std::string& home) {
  if (!rootless) return "/var/lib/mini";
  if (!xdg_data_home.empty() && xdg_data_home[0] == '/') return StripTrailingSlashes(xdg_data_home) + "/mini";
  if (home.empty() || home[0] != '/') throw Error("rootless mode: cannot find the home directory for the store (set $HOME or --root)");
  return StripTrailingSlashes(home) + "/.local/share/mini";
}

std::string DefaultStoreRoot() {
  if (!IsRootless()) return "/var/lib/mini";
  const char* xdg = getenv("XDG_DATA_HOME");
  const char* home = getenv("HOME");
  std::string h = home ? home : "";
  if (h.empty())
    if (struct passwd* pw = getpwuid(getuid())) h = pw->pw_dir;
  return DefaultStoreRootFor(true, xdg ? xdg : "", h);
}

std::string RootlessRuntimeBase() {
  static const std::string base = [] {
    uid_t me = getuid();  // the owner of the directory as this process sees it
    const char* xdg = getenv("XDG_RUNTIME_DIR");
    struct stat st;
    std::string dir;
    if (xdg && xdg[0] == '/' && stat(xdg, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == me) {
      dir = StripTrailingSlashes(xdg) + "/mini";
    } else {
      // A tmpfs when there is one for everybody: a --rm container's upper dir lives here, and
      // on a disk every run pays for the directory operations (tens of ms under load).
      struct statfs fs;
      bool shm = statfs("/dev/shm", &fs) == 0 && fs.f_type == TMPFS_MAGIC;
      dir = std::string(shm ? "/dev/shm" : "/tmp") + "/mini-run-" + std::to_string(HostUid());
    }
    // mkdir, then check with lstat that what is there is ours: /tmp is shared with other users.
    if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) ThrowErrno("mkdir " + dir);
    if (lstat(dir.c_str(), &st) != 0) ThrowErrno("stat " + dir);
    if (!S_ISDIR(st.st_mode) || st.st_uid != me || (st.st_mode & 0077) != 0)
      throw Error("runtime directory " + dir + " is not a private directory owned by uid " +
                  std::to_string(HostUid()) + "; remove it or set $XDG_RUNTIME_DIR");
    return dir;
  }();
  return base;
}

bool RootlessFirstTime(const std::string& marker) {
  try {
    std::string path = RootlessRuntimeBase() + "/" + marker;
    UniqueFd fd(open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600));
    return fd || errno != EEXIST;
  } catch (const Error&) {
    return true;
  }
}

}  // namespace mini
