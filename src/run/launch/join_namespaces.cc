#include "run/launch/join_namespaces.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <dirent.h>
#include <limits.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>

#include "common/error.h"
#include "common/path.h"
#include "common/process.h"
#include "run/runtime_dir.h"

namespace mini::run {
namespace {

/// The running container `name`'s pid; throws Docker's "cannot join <what> of a non running
/// container: NAME".
pid_t RunningPid(const Layout& layout, const std::string& name, const std::string& what, ContainerConfig* cfg) {
  ContainerStore store(layout);
  std::string id = store.Resolve(name);
  ContainerState st = store.LoadState(id);
  if (st.status != ContainerStatus::kRunning || st.pid <= 0 || !ProcessAlive(st.pid, st.pid_start))
    throw Error(ErrorKind::kConflict, "cannot join " + what + " of a non running container: " + name);
  if (cfg) *cfg = store.LoadConfig(id);
  return st.pid;
}

UniqueFd OpenNs(pid_t pid, const char* kind) {
  std::string path = "/proc/" + std::to_string(pid) + "/ns/" + kind;
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) ThrowErrno("open " + path);
  return fd;
}

std::string SharedShmPath(const Layout& layout, const std::string& id) {
  return ContainerStore(layout).RuntimeDir(id) + "/shm";
}

}  // namespace

SharedShm::~SharedShm() {
  if (!path.empty()) umount2(path.c_str(), MNT_DETACH);
}

std::vector<DeviceNode> DevicesFromPath(const DeviceMapping& d) {
  auto failure = [&](const std::string& why) {
    return Error(ErrorKind::kInvalidInput,
                 "error gathering device information while adding custom device \"" + d.host + "\": " + why);
  };
  struct stat st;
  if (stat(d.host.c_str(), &st) != 0) throw failure(std::strerror(errno));
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) return {{d.host, d.container, st.st_mode, st.st_rdev}};
  if (!S_ISDIR(st.st_mode)) throw failure("not a device node");
  char resolved[PATH_MAX];
  if (!realpath(d.host.c_str(), resolved)) throw failure(std::strerror(errno));
  std::vector<DeviceNode> found;
  std::string top = resolved;
  std::function<void(const std::string&, const std::string&, int)> walk = [&](const std::string& dir, const std::string& in,
                                                                              int depth) {
    if (depth > 32) return;
    DIR* dp = opendir(dir.c_str());
    if (!dp) return;  // Docker ignores what it cannot read
    std::vector<std::string> names;
    while (struct dirent* e = readdir(dp))
      if (std::string n = e->d_name; n != "." && n != "..") names.push_back(n);
    closedir(dp);
    std::sort(names.begin(), names.end());  // filepath.Walk's lexical order
    for (const auto& n : names) {
      std::string p = dir + "/" + n;
      struct stat s;
      if (lstat(p.c_str(), &s) != 0) continue;
      if (S_ISCHR(s.st_mode) || S_ISBLK(s.st_mode)) found.push_back({p, in + "/" + n, s.st_mode, s.st_rdev});
      else if (S_ISDIR(s.st_mode)) walk(p, in + "/" + n, depth + 1);
    }
  };
  walk(top, d.container == "/" ? "" : d.container, 0);
  if (found.empty()) throw failure("not a device node");
  return found;
}

std::vector<MountRequest> SharedNetworkFileBinds(const Layout& layout, const RunSpec& spec) {
  View v = ParseView(spec);
  if (!v.net_container) return {};
  ContainerStore store(layout);
  std::string id = store.Resolve(*v.net_container);
  ContainerConfig other = store.LoadConfig(id);
  std::string init = other.spec.remove ? EphemeralLayersFor(layout, id, store.RuntimeDir(id)).init
                                       : layout.LayerDiff(id + "-init");
  std::vector<MountRequest> binds;
  for (const char* f : {"/etc/hosts", "/etc/resolv.conf"}) {
    bool own = false;
    for (const auto& m : spec.mounts) own |= CleanAbsPath(m.target) == f;
    if (own || !PathExists(init + f)) continue;
    MountRequest b;
    b.kind = MountRequest::Kind::kBind;
    b.source = init + f;
    b.target = f;
    binds.push_back(b);
  }
  return binds;
}

LaunchView PrepareLaunchView(const Layout& layout, const ContainerConfig& c, RootfsView* rootfs) {
  const RunSpec& spec = c.spec;
  View v = ParseView(spec);
  LaunchView lv;
  using K = NamespaceMode::Kind;
  if (v.net_container) {
    lv.net = OpenNs(RunningPid(layout, *v.net_container, "network", nullptr), "net");
    lv.no_new |= CLONE_NEWNET;
  }
  if (v.ipc.kind == K::kHost) {
    lv.no_new |= CLONE_NEWIPC;
    rootfs->shm_bind = "/dev/shm";
  } else if (v.ipc.kind == K::kContainer) {
    ContainerConfig other;
    pid_t pid = RunningPid(layout, v.ipc.container, "IPC", &other);
    std::string mode = other.spec.view.ipc_mode;
    if (mode != "shareable" && mode != "host")
      throw Error(ErrorKind::kInvalidInput, "non-shareable IPC (hint: use IpcMode:shareable for the donor container)");
    lv.ipc = OpenNs(pid, "ipc");
    lv.no_new |= CLONE_NEWIPC;
    rootfs->shm_bind = mode == "host" ? "/dev/shm" : SharedShmPath(layout, other.id);
  } else if (v.ipc.kind == K::kShareable) {
    std::string path = SharedShmPath(layout, c.id);
    if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) ThrowErrno("mkdir " + path);
    umount2(path.c_str(), MNT_DETACH);  // a previous run's, left by a killed monitor
    std::string data = "mode=1777,size=" + std::to_string(v.shm_size);
    if (mount("shm", path.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, data.c_str()) != 0)
      ThrowErrno("mount " + path);
    lv.shm.path = path;
    rootfs->shm_bind = path;
  } else if (v.ipc.kind == K::kNone) {
    rootfs->shm_none = true;
  }
  if (v.pid.kind == K::kHost) {
    lv.no_new |= CLONE_NEWPID;
  } else if (v.pid.kind == K::kContainer) {
    lv.pid = OpenNs(RunningPid(layout, v.pid.container, "PID", nullptr), "pid");
    lv.no_new |= CLONE_NEWPID;
  }
  rootfs->shm_size = v.shm_size;
  rootfs->sysctls = v.sysctls;
  for (const auto& d : v.devices)
    for (DeviceNode& n : DevicesFromPath(d)) {
      lv.device_rules.push_back({S_ISCHR(n.mode) ? 'c' : 'b', static_cast<long>(major(n.rdev)),
                                 static_cast<long>(minor(n.rdev)), d.perms});
      rootfs->devices.push_back(std::move(n));
    }
  lv.child.join_net = lv.net ? lv.net.get() : -1;
  lv.child.join_ipc = lv.ipc ? lv.ipc.get() : -1;
  lv.child.ulimits = v.ulimits;
  lv.child.domainname = spec.view.domainname;
  lv.child.group_add = spec.view.group_add;
  return lv;
}

void EnterJoinedNamespaces(const ChildView& v) {
  if (v.join_net >= 0 && setns(v.join_net, CLONE_NEWNET) != 0) ThrowErrno("join network namespace");
  if (v.join_ipc >= 0 && setns(v.join_ipc, CLONE_NEWIPC) != 0) ThrowErrno("join ipc namespace");
}

void SetDomainname(const std::string& name) {
  if (name.empty()) return;
  if (setdomainname(name.c_str(), name.size()) != 0) ThrowErrno("setdomainname " + name);
}

void ApplyUlimits(const std::vector<Ulimit>& ulimits) {
  for (const auto& u : ulimits) {
    auto lim = [](int64_t v) { return v < 0 ? RLIM_INFINITY : static_cast<rlim_t>(v); };
    struct rlimit r = {lim(u.soft), lim(u.hard)};
    if (setrlimit(u.resource, &r) != 0) ThrowErrno("setrlimit " + u.name);
  }
}

pid_t CloneInPidNamespace(int pid_ns, const std::function<pid_t()>& clone_fn) {
  if (pid_ns < 0) return clone_fn();
  UniqueFd own(open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC));
  if (!own) ThrowErrno("open /proc/self/ns/pid");
  if (setns(pid_ns, CLONE_NEWPID) != 0) ThrowErrno("join pid namespace");
  pid_t pid;
  try {
    pid = clone_fn();
  } catch (...) {
    setns(own.get(), CLONE_NEWPID);
    throw;
  }
  if (setns(own.get(), CLONE_NEWPID) != 0) ThrowErrno("restore pid namespace");
  return pid;
}

}  // namespace mini::run
