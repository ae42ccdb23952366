#include "run/rootfs/rootfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/error.h"
#include "common/fs.h"
#include "common/in_root.h"
#include "common/rootless.h"
#include "common/timing.h"
#include "run/rootfs/cgroup_view.h"
#include "run/rootfs/layered_mount.h"
#include "run/rootfs/mount_call.h"
#include "run/rootfs/mount_propagation.h"
#include "run/rootfs/rootless_dev.h"
#include "run/rootfs/volume_seed.h"
#include "run/userns/userns.h"

namespace mini::run {
namespace {

/// A directory mount point inside the root that must be a real directory (never a symlink).
UniqueFd MountPointDir(const InRoot& root, const std::string& name) {
  auto st = root.Lstat(name);
  if (st && !S_ISDIR(st->st_mode))
    throw Error("image's /" + name + " is not a directory; refusing to mount over it");
  return root.MkdirAll(name);
}

void SetupDev(const InRoot& root, const RootfsConfig& cfg) {
  UniqueFd t = MountPointDir(root, "dev");
  Mount("tmpfs", FdPath(t.get()), "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k", "/dev");
  // Reopen: the fd above points under the new mount.
  UniqueFd dev = root.Open("/dev", O_RDONLY | O_DIRECTORY);
  if (!dev) ThrowErrno("open /dev");
  struct Node { const char* name; unsigned maj, min; };
  for (const Node& n : {Node{"null", 1, 3}, Node{"zero", 1, 5}, Node{"full", 1, 7},
                        Node{"random", 1, 8}, Node{"urandom", 1, 9}, Node{"tty", 5, 0}}) {
    if (cfg.userns || IsRootless()) {  // no mknod in a user namespace
      BindHostDevice(dev.get(), n.name);
      continue;
    }
    if (mknodat(dev.get(), n.name, S_IFCHR | 0666, makedev(n.maj, n.min)) != 0)
      ThrowErrno(std::string("mknod /dev/") + n.name);
    fchmodat(dev.get(), n.name, 0666, 0);  // umask
  }
  struct Link { const char* name; const char* target; };
  for (const Link& l : {Link{"ptmx", "pts/ptmx"}, Link{"fd", "/proc/self/fd"},
                        Link{"stdin", "/proc/self/fd/0"}, Link{"stdout", "/proc/self/fd/1"},
                        Link{"stderr", "/proc/self/fd/2"}, Link{"core", "/proc/kcore"}})
    if (symlinkat(l.target, dev.get(), l.name) != 0) ThrowErrno(std::string("symlink /dev/") + l.name);
  for (const char* d : {"pts", "shm", "mqueue"})
    if (mkdirat(dev.get(), d, 0755) != 0) ThrowErrno(std::string("mkdir /dev/") + d);
  auto sub = [&](const char* name) {
    UniqueFd fd(openat(dev.get(), name, O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) ThrowErrno(std::string("open /dev/") + name);
    return fd;
  };
  UniqueFd pts = sub("pts");
  Mount("devpts", FdPath(pts.get()), "devpts", MS_NOSUID | MS_NOEXEC,
        DevptsOptions("newinstance,ptmxmode=0666,mode=0620,gid=5"), "/dev/pts");
  UniqueFd shm = sub("shm");
  MountShm(shm.get(), cfg.view);
  UniqueFd mq = sub("mqueue");
  Mount("mqueue", FdPath(mq.get()), "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, "", "/dev/mqueue");
  if (!cfg.console.empty()) {
    UniqueFd c(openat(dev.get(), "console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!c) ThrowErrno("create /dev/console");
    Mount(cfg.console, FdPath(c.get()), nullptr, MS_BIND, "", "/dev/console");
  }
  MakeDeviceNodes(root, cfg.view.devices, cfg.userns || IsRootless());
}

void SetupUserMounts(const InRoot& root, const RootfsConfig& cfg, const std::string& root_mode) {
  // Parents before children: sort by depth, keep the given order otherwise.
  std::vector<size_t> order(cfg.mounts.size());
  for (size_t i = 0; i < order.size(); i++) order[i] = i;
  auto depth = [&](size_t i) { return std::count(cfg.mounts[i].target.begin(), cfg.mounts[i].target.end(), '/'); };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return depth(a) < depth(b); });
  for (size_t i : order) {
    const MountRequest& m = cfg.mounts[i];
    WithContext(m.target, [&] {
      if (m.kind == MountRequest::Kind::kLayered) return MountLayered(root, m);
      if (m.kind == MountRequest::Kind::kTmpfs) {
        UniqueFd t = root.MkdirAll(m.target);
        std::string data;
        bool exec = false;
        for (size_t a = 0, b; a <= m.options.size(); a = b + 1) {
          b = m.options.find(',', a);
          if (b == std::string::npos) b = m.options.size();
          std::string o = m.options.substr(a, b - a);
          if (o == "exec" || o == "noexec") exec = o == "exec";
          if (o.empty() || o == "ro" || o == "rw" || o == "exec" || o == "noexec") continue;
          data += (data.empty() ? "" : ",") + o;
        }
        if (data.find("mode=") == std::string::npos) data += std::string(data.empty() ? "" : ",") + "mode=1777";
        Mount("tmpfs", FdPath(t.get()), "tmpfs",
              MS_NOSUID | MS_NODEV | (exec ? 0 : MS_NOEXEC) | (m.read_only ? MS_RDONLY : 0), data, "tmpfs");
        return;
      }
      struct stat st;
      if (stat(m.source.c_str(), &st) != 0) ThrowErrno("bind source " + m.source);
      if (i < cfg.seed.size() && cfg.seed[i]) SeedVolume(root, m.target, m.source);
      UniqueFd t = root.EnsureMountTarget(m.target, S_ISDIR(st.st_mode));
      Mount(m.source, FdPath(t.get()), nullptr, MS_BIND | (m.non_recursive ? 0 : MS_REC), "", "bind " + m.source);
      // Under a private root a bind is already rprivate; under a slave or shared one it is
      // what its source is until told otherwise.
      std::string prop = m.propagation.empty() && root_mode != "private" ? "rprivate" : m.propagation;
      if (prop.empty() && !m.read_only) return;
      UniqueFd top = root.Open(m.target, O_PATH);  // the bind itself, not the dir under it
      if (!top) ThrowErrno("reopen");
      if (!prop.empty()) ApplyPropagation(FdPath(top.get()), prop);
      if (m.read_only)
        Mount("", FdPath(top.get()), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "",
              "read-only " + m.source);
    });
  }
}

/// move_mount of a detached mount (fsmount / open_tree) onto `target`.
void AttachMount(int mount_fd, const std::string& target) {
  if (syscall(SYS_move_mount, mount_fd, "", AT_FDCWD, target.c_str(), 0x00000004 /* MOVE_MOUNT_F_EMPTY_PATH */) != 0)
    ThrowErrno("attach overlay at " + target);
}

/// Opens every bind source (O_PATH) and points the mount at "/proc/self/fd/N/." instead, so
/// that it is reachable after the switch to the user namespace's root. The fds must live until
/// the mounts are done.
std::vector<UniqueFd> OpenBindSources(RootfsConfig* cfg) {
  std::vector<UniqueFd> fds;
  for (auto& m : cfg->mounts) {
    if (m.kind == MountRequest::Kind::kTmpfs) continue;
    if (m.kind == MountRequest::Kind::kLayered) throw Error(m.target + ": build mounts are not supported with --userns");
    UniqueFd fd(open(m.source.c_str(), O_PATH | O_CLOEXEC));
    if (!fd) ThrowErrno(m.target + ": bind source " + m.source);
    struct stat st;
    if (fstat(fd.get(), &st) != 0) ThrowErrno("stat " + m.source);
    m.source = FdPath(fd.get()) + (S_ISDIR(st.st_mode) ? "/." : "");
    fds.push_back(std::move(fd));
  }
  return fds;
}

/// crun's do_pivot: no put_old directory; the old root is stacked under "." and detached.
void PivotRoot(int new_root) {
  UniqueFd old_root(open("/", O_DIRECTORY | O_PATH | O_CLOEXEC));
  if (!old_root) ThrowErrno("open /");
  if (fchdir(new_root) != 0) ThrowErrno("fchdir new root");
  if (syscall(SYS_pivot_root, ".", ".") != 0) ThrowErrno("pivot_root");
  if (fchdir(old_root.get()) != 0) ThrowErrno("fchdir old root");
  if (mount(nullptr, ".", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) ThrowErrno("make old root private");
  if (umount2(".", MNT_DETACH) != 0) ThrowErrno("unmount old root");
  if (chdir("/") != 0) ThrowErrno("chdir /");
}

void MaskPaths() {
  for (const auto& p : MaskedPaths()) {
    struct stat st;
    if (lstat(p.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode))
      Mount("tmpfs", p, "tmpfs", MS_RDONLY, "size=0", "mask " + p);
    else
      Mount("/dev/null", p, nullptr, MS_BIND, "", "mask " + p);
  }
  for (const auto& p : ReadOnlyPaths()) {
    struct stat st;
    if (lstat(p.c_str(), &st) != 0) continue;
    Mount(p, p, nullptr, MS_BIND | MS_REC, "", "bind " + p);
    Mount("", p, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "", "read-only " + p);
  }
}

}  // namespace

void SetupRootfs(const RootfsConfig& given) {
  const std::string root_mode = RootPropagation(given.mounts);
  if (root_mode != "private")
    for (const auto& m : given.mounts)
      if (m.kind != MountRequest::Kind::kTmpfs) CheckSourcePropagation(m.source, m.propagation);
  PrepareRootPropagation(root_mode, given.overlay2_dir);  // merged is under it
  // Relative lowerdirs keep the option string under a page (Docker's mountFrom).
  if (chdir(given.overlay2_dir.c_str()) != 0) ThrowErrno("chdir " + given.overlay2_dir);
  if (given.overlay_fd < 0) {
    OverlayPlan plan = given.overlay;
    std::string opts = RootlessOverlayOptions(plan.Options());
    if (mount("overlay", plan.merged.c_str(), "overlay", 0, opts.c_str()) != 0) {
      // Kernels before 5.10 have no `volatile`: then the upper dir is synced as usual.
      if (errno != EINVAL || !plan.volatile_upper) ThrowErrno("mount overlay");
      plan.volatile_upper = false;
      Mount("overlay", plan.merged, "overlay", 0, RootlessOverlayOptions(plan.Options()), "overlay");
    }
  } else
    AttachMount(given.overlay_fd, given.overlay.merged);
  UniqueFd root_fd(open(given.overlay.merged.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root_fd) ThrowErrno("open rootfs");
  InRoot root(std::move(root_fd));
  if (chdir("/") != 0) ThrowErrno("chdir /");
  // --userns: host paths (the store and bind sources may be under 0700 root dirs) are opened
  // while this process is still host root; then it becomes root of its user namespace.
  RootfsConfig mapped;
  std::vector<UniqueFd> sources;
  if (given.userns) {
    mapped = given;
    sources = OpenBindSources(&mapped);
    BecomeRootInUserns(true);
  }
  const RootfsConfig& cfg = given.userns ? mapped : given;

  UniqueFd proc = MountPointDir(root, "proc");
  Mount("proc", FdPath(proc.get()), "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, "", "/proc");
  ApplySysctls(root, cfg.view.sysctls);
  UniqueFd sys = MountPointDir(root, "sys");
  unsigned long sysflags = MS_NOSUID | MS_NOEXEC | MS_NODEV | (cfg.privileged ? 0 : MS_RDONLY);
  if (mount("sysfs", FdPath(sys.get()).c_str(), "sysfs", sysflags, nullptr) != 0) {
    // Without a new network namespace sysfs may refuse a fresh instance: bind the host's.
    Mount("/sys", FdPath(sys.get()), nullptr, MS_BIND | MS_REC, "", "/sys");
    if (root_mode != "private") {  // the host's /sys must not become a peer of the container's
      UniqueFd top = root.Open("/sys", O_PATH);
      if (!top) ThrowErrno("reopen /sys");
      ApplyPropagation(FdPath(top.get()), "rprivate");
    }
    if (!cfg.privileged) {
      UniqueFd top = root.Open("/sys", O_PATH);
      Mount("", FdPath(top.get()), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | sysflags, "", "/sys read-only");
    }
  }
  TimingMark("child: proc, sys");
  if (cfg.view.cgroup_view) MountCgroupView(root, cfg.privileged, IsRootless(), cfg.view.cgroup_dirs);
  TimingMark("child: /sys/fs/cgroup");
  SetupDev(root, cfg);
  SetupUserMounts(root, cfg, root_mode);
  PivotRoot(root.fd());
  if (!cfg.privileged) MaskPaths();
  if (cfg.read_only && mount(nullptr, "/", nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0)
    ThrowErrno("remount / read-only");
}

}  // namespace mini::run
