#include "run/cgroup/cgroup_rootless.h"

#include <linux/magic.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/path.h"
#include "common/rootless.h"

namespace mini::run {
namespace {

/// No cgroup: the container stays in the cgroup of mini.
class NoCgroup : public Cgroup {
 public:
  void AddProcess(pid_t) override {}
  void JoinSelf() override {}
  bool OomKilled() const override { return false; }
  void Destroy() override {}
  std::vector<std::string> Paths() const override { return {}; }
};

constexpr const char* kCgroupMount = "/sys/fs/cgroup";

/// Our delegated directory (DelegatedCgroupDir of this process), or nullopt; also when
/// /sys/fs/cgroup is not cgroup v2.
std::optional<std::string> OwnDelegatedDir() {
  struct statfs s;
  if (statfs(kCgroupMount, &s) != 0 || s.f_type != CGROUP2_SUPER_MAGIC) return std::nullopt;
  auto text = ReadFileIfExists("/proc/self/cgroup", 1 << 16);
  if (!text) return std::nullopt;
  // Inside our user namespace the user shows as uid 0; outside as its own uid.
  uid_t me = getuid();
  return DelegatedCgroupDir(*text, kCgroupMount, [me](const std::string& d) {
    struct stat st;
    return stat(d.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == me &&
           access((d + "/cgroup.procs").c_str(), W_OK) == 0 &&
           access((d + "/cgroup.subtree_control").c_str(), W_OK) == 0;
  });
}

std::string UserName() {
  if (struct passwd* pw = getpwuid(HostUid())) return pw->pw_name;
  return std::to_string(HostUid());
}

}  // namespace

bool HasLimits(const Resources& r) {
  return r.memory || r.memory_swap || r.cpus || r.cpu_shares || r.cpuset_cpus || r.cpuset_mems || r.pids_limit;
}

std::optional<std::string> DelegatedCgroupDir(const std::string& proc_self_cgroup, const std::string& mount,
                                              const std::function<bool(const std::string&)>& owned_by_us) {
  std::istringstream in(proc_self_cgroup);
  std::string line, path;
  bool found = false;
  while (std::getline(in, line))
    if (line.rfind("0::", 0) == 0) {
      path = line.substr(3);
      found = true;
    }
  if (!found || path.empty() || path[0] != '/' || path.find("/..") != std::string::npos) return std::nullopt;
  // Walk down from the top; the first owned directory whose whole chain below is owned too.
  std::vector<std::string> dirs;  // mount + each prefix of path
  std::string cur = mount;
  dirs.push_back(cur);
  for (const auto& c : SplitPath(path)) dirs.push_back(cur += "/" + c);
  for (size_t i = 1; i < dirs.size(); i++) {  // never the root of the hierarchy
    bool all = true;
    for (size_t j = i; j < dirs.size() && all; j++) all = owned_by_us(dirs[j]);
    if (all) return dirs[i];
  }
  return std::nullopt;
}

std::unique_ptr<Cgroup> CreateRootlessCgroup(const std::string& id, const Resources& res) {
  static const std::optional<std::string> delegated = OwnDelegatedDir();
  if (delegated) {
    try {
      return CreateCgroupV2(*delegated, id, res, /*privileged=*/true);
    } catch (const Error& e) {
      // E.g. a delegated leaf that holds processes cannot enable controllers for children.
      if (HasLimits(res)) Warn(std::string("resource limits are ignored: ") + e.what());
      else Debug(std::string("rootless: no cgroup: ") + e.what());
      return std::make_unique<NoCgroup>();
    }
  }
  if (HasLimits(res))
    Warn("resource limits are ignored: cgroups are not delegated to user " + UserName());
  return std::make_unique<NoCgroup>();
}

std::vector<UnitProperty> UserScopeProperties(pid_t pid) {
  return {
      {"Description", std::string("mini (rootless) ") + std::to_string(pid)},
      {"PIDs", std::vector<uint32_t>{static_cast<uint32_t>(pid)}},
      {"Delegate", true},
      {"CollectMode", std::string("inactive-or-failed")},
  };
}

void EnterUserScopeIfUndelegated() {
  if (geteuid() == 0 || OwnDelegatedDir()) return;  // root, or delegated already
  struct statfs s;
  if (statfs(kCgroupMount, &s) != 0 || s.f_type != CGROUP2_SUPER_MAGIC) return;
  std::string service = std::string(kCgroupMount) + "/user.slice/user-" + std::to_string(getuid()) +
                        ".slice/user@" + std::to_string(getuid()) + ".service";
  if (!PathExists(service)) return;  // no systemd user instance
  std::string unit = "mini-" + std::to_string(getpid()) + ".scope";
  // Without $XDG_RUNTIME_DIR (sudo -u, runuser) the instance's socket is in /run/user/<uid>.
  const char* xdg = getenv("XDG_RUNTIME_DIR");
  std::string rt = xdg && xdg[0] == '/' ? xdg : "/run/user/" + std::to_string(getuid());
  try {
    SystemdBus::ConnectUser(rt)->StartTransientUnit(unit, UserScopeProperties(getpid()), 10000);
    Debug("rootless: moved into " + unit + " of user@" + std::to_string(getuid()) + ".service");
  } catch (const Error& e) {
    Debug(std::string("rootless: no scope of the user's systemd: ") + e.what());
  }
}

}  // namespace mini::run
