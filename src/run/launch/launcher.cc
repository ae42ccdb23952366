#include "run/launch/launcher.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "common/fs.h"
#include "common/timing.h"
#include "net/network_endpoint.h"
#include "net/rootless_net.h"
#include "run/cgroup/cgroup.h"
#include "run/launch/attach.h"
#include "run/launch/container_init.h"
#include "run/launch/exit_status.h"
#include "run/launch/namespaces.h"
#include "run/launch/pty.h"
#include "run/rootfs/cgroup_view.h"
#include "run/launch/supervise.h"
#include "run/runtime_dir.h"
#include "run/volume_mounts.h"
#include "run/volumes.h"
#include "run/security/seccomp_default.h"
#include "run/security/security.h"
#include "run/userns/userns_rootfs.h"

namespace mini::run {

bool EnsureVolume(const Layout& layout, const std::string& name, std::string* data_dir) {
  std::string dir = layout.VolumesDir() + "/" + name;
  *data_dir = dir + "/_data";
  // Docker's rule: a volume is seeded from the image while it is empty (a new volume, an
  // anonymous one made at create time, or one emptied since).
  if (IsDirectory(*data_dir)) return IsEmptyDirectory(*data_dir);
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) ThrowErrno("mkdir " + dir);
  if (mkdir(data_dir->c_str(), 0755) != 0) {
    if (errno == EEXIST) return false;
    ThrowErrno("mkdir " + *data_dir);
  }
  return true;
}

SeccompProgram SeccompFor(const Layout& layout, const RunSpec& spec, CapSet caps) {
  if (spec.privileged || spec.seccomp == "unconfined") return {};
  std::optional<SeccompProfile> profile;
  if (spec.seccomp.empty() || spec.seccomp == "default")
    profile = DefaultSeccompProfile();
  else
    profile = ParseSeccompProfile(spec.seccomp, "seccomp profile");
  if (!profile) return {};
  return SeccompProgram::ForProfile(layout, *profile, caps);
}

/// Writes one byte to the child's sync pipe; false with errno set when it fails (EPIPE when the
/// child is gone, without the SIGPIPE that would end this monitor).
static bool TellChild(int fd, char c) {
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  ssize_t n;
  do n = write(fd, &c, 1);
  while (n < 0 && errno == EINTR);
  int err = errno;
  if (n < 0 && err == EPIPE) {
    struct timespec zero = {0, 0};
    sigtimedwait(&pipe_set, nullptr, &zero);  // the pending SIGPIPE of this write
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = err;
  return n == 1;
}

LaunchResult LaunchContainer(const Layout& layout, const ContainerConfig& c, const IoSpec& io,
                             const StartedFn& started) {
  const RunSpec& spec = c.spec;
  ChildArgs a;
  a.rootfs.overlay2_dir = layout.Overlay2Dir();
  size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  if (c.spec.remove) {
    EphemeralLayers l = EphemeralLayersFor(layout, c.id, ContainerStore(layout).RuntimeDir(c.id));
    a.rootfs.overlay = MakeOverlayPlanAt(l.init, l.upper, l.work, l.merged, c.image.lowers, page);
    a.rootfs.overlay.volatile_upper = true;  // deleted when it ends: no sync of the store's disk
  } else {
    a.rootfs.overlay = MakeOverlayPlan(c.id, c.image.lowers, page);
    // A build step's upper dir becomes its layer, made durable once at the end (RunStep's
    // syncfs): the fsyncs of the step's own processes (dpkg's, one per file) need not each
    // wait for the disk meanwhile. A step cut short by a crash is discarded anyway.
    a.rootfs.overlay.volatile_upper = c.spec.build;
  }
  UniqueFd userns_overlay;  // --userns: built here as real root, attached by the child
  if (c.idmap.enabled()) {
    EphemeralLayers l = EphemeralLayersFor(layout, c.id, ContainerStore(layout).RuntimeDir(c.id));
    if (!c.spec.remove)
      l = {layout.LayerDiff(c.id + "-init"), layout.LayerDiff(c.id), layout.LayerDir(c.id) + "/work", ""};
    userns_overlay =
        BuildUsernsOverlay(layout, l.init, c.image.lowers, l.upper, l.work, c.idmap, c.spec.remove || c.spec.build);
    a.rootfs.overlay_fd = userns_overlay.get();
    a.rootfs.userns = true;
  }
  for (MountRequest& b : SharedNetworkFileBinds(layout, spec)) {
    a.rootfs.mounts.push_back(std::move(b));
    a.rootfs.seed.push_back(false);
  }
  std::vector<std::unique_ptr<VolumeMountUse>> volume_mounts;  // driver mounts, while it runs
  for (const auto& m : spec.mounts) {
    MountRequest r = m;
    bool seed = false;
    if (m.kind == MountRequest::Kind::kVolume) {
      if (auto opts = VolumeOptions(layout, m.source); !opts.empty())
        volume_mounts.push_back(std::make_unique<VolumeMountUse>(layout, m.source, opts, c.id));
      bool fresh = EnsureVolume(layout, m.source, &r.source);
      seed = fresh && !m.no_copy;
      // A new volume belongs to the container's root.
      if (fresh && c.idmap.enabled() && chown(r.source.c_str(), c.idmap.uid_base, c.idmap.gid_base) != 0)
        ThrowErrno("chown " + r.source);
      r.kind = MountRequest::Kind::kBind;
    }
    a.rootfs.mounts.push_back(r);
    a.rootfs.seed.push_back(seed);
  }
  a.rootfs.read_only = spec.read_only;
  a.rootfs.privileged = spec.privileged;
  a.hostname = c.hostname;
  LaunchView view = PrepareLaunchView(layout, c, &a.rootfs.view);
  a.view = &view.child;
  a.new_net = spec.network != "host" && !(view.no_new & CLONE_NEWNET);
  a.process = c.process;
  a.init = spec.supervise.init;
  a.last_cap = LastCap();
  a.caps = ComputeCaps(spec.privileged, spec.cap_add, spec.cap_drop, a.last_cap);
  SeccompProgram seccomp = SeccompFor(layout, spec, a.caps);
  a.seccomp = &seccomp;

  UniqueFd devnull;
  int in = io.in, out = io.out, err = io.err;
  if (io.relay) io.relay->PrepareStart(&in, &out, &err);  // the monitor's pipes
  if (in < 0 && !io.tty) {
    devnull.reset(open("/dev/null", O_RDONLY | O_CLOEXEC));
    in = devnull.get();
  }
  a.stdio[0] = in;
  a.stdio[1] = out;
  a.stdio[2] = err;
  Pty pty;
  std::unique_ptr<RawMode> raw;
  if (io.tty) {
    pty = OpenPty();
    a.tty_slave = pty.slave.get();
    a.rootfs.console = pty.slave_path;
    // The container's root (and its tty group) must be able to open it as /dev/console.
    if (c.idmap.enabled() && fchown(pty.slave.get(), c.idmap.HostUid(0), c.idmap.HostGid(5)) != 0)
      ThrowErrno("chown " + pty.slave_path);
    if (io.in >= 0) CopyWindowSize(io.in, pty.master.get());
    else CopyWindowSize(io.out, pty.master.get());
    if (io.relay) io.relay->SetPty(pty.master.get());
  }

  TimingMark("prepare launch");
  // Bridge networks: lease and /etc/hosts now, the veth once the child's netns exists. The
  // endpoint outlives the child guard below, so a failed start kills the child first.
  std::unique_ptr<net::Endpoint> endpoint;
  if (net::UsesBridgeNetwork(spec.network)) {
    std::string init = c.spec.remove ? EphemeralLayersFor(layout, c.id, ContainerStore(layout).RuntimeDir(c.id)).init
                                     : layout.LayerDiff(c.id + "-init");
    net::EndpointRequest req{.container_id = c.id, .name = c.name, .hostname = c.hostname, .network = spec.network,
                        .ip = spec.ip, .aliases = spec.network_aliases, .ports = spec.ports,
                        .domainname = spec.view.domainname, .extra_hosts = {}};
    for (const auto& h : ParseView(spec).extra_hosts) req.extra_hosts.emplace_back(h.name, h.ip);
    endpoint = std::make_unique<net::Endpoint>(layout, req, init + "/etc/hosts");
    a.net = endpoint->ChildConfig();
  }
  std::unique_ptr<Cgroup> cgroup = CreateCgroup(c.id, spec.resources, spec.privileged, view.device_rules, c.cgroup_manager);
  a.rootfs.view.cgroup_dirs = CgroupViewDirs(cgroup->Paths());
  TimingMark("create cgroup");
  UniqueFd sync_r, sync_w, err_r, err_w;
  Pipe(&sync_r, &sync_w);
  Pipe(&err_r, &err_w);
  a.sync_fd = sync_r.get();
  a.err_fd = err_w.get();

  SignalBlock sigs;
  a.mask = sigs.old();
  a.cgroup = cgroup.get();
  int flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID;
  if (a.new_net) flags |= CLONE_NEWNET;
  if (c.idmap.enabled()) flags |= CLONE_NEWUSER;
  flags &= ~view.no_new;
  pid_t pid = CloneInPidNamespace(view.pid.get(), [&] { return CloneChild(flags, [&a] { return ChildMain(a); }); });
  ChildGuard guard(pid);
  TimingMark("clone (namespaces)");
  if (c.idmap.enabled()) WithContext("user namespace", [&] { WriteIdMaps(pid, c.idmap); });
  userns_overlay.reset();  // the child holds its own copy
  net::SlirpNetwork slirp;  // rootless private network; stops when the container is gone
  if (spec.network == net::kSlirpNetwork) slirp.Start(pid);
  sync_r.reset();
  err_w.reset();
  pty.slave.reset();
  // The child sets up its root meanwhile; it waits for the second byte before eth0. A child
  // that failed meanwhile has said why on err_r: a byte it can no longer read is no error here.
  if (!TellChild(sync_w.get(), '1')) ThrowErrno("sync with container");
  if (endpoint) {
    try {
      endpoint->Plug(pid);
    } catch (const Error&) {
      // A child that failed first (and so took its netns away) says why; else the veth's error.
      sync_w.reset();
      std::string msg = ReadAllFd(err_r.get());
      if (msg.empty()) throw;
      int code;
      std::string text;
      ParseChildError(msg, c.process.argv[0], &code, &text);
      throw StartError(code, text);
    }
    if (!TellChild(sync_w.get(), '2') && errno != EPIPE) ThrowErrno("sync with container");
  }
  sync_w.reset();
  std::string msg = ReadAllFd(err_r.get());
  if (!msg.empty()) {
    int code;
    std::string text;
    ParseChildError(msg, c.process.argv[0], &code, &text);
    throw StartError(code, text);
  }
  guard.Release();
  TimingMark("container set up, exec'd");
  if (io.tty && io.in >= 0) raw = std::make_unique<RawMode>(io.in);
  if (started) started(pid, cgroup->Paths(), endpoint ? &endpoint->settings() : nullptr);
  TimingMark("state: running");

  int master = io.tty ? pty.master.get() : -1;
  int status = io.relay ? RelayWaitLoop(pid, sigs, *io.relay, master) : WaitLoop(pid, sigs, io, master);
  raw.reset();
  LaunchResult res;
  res.exit_code = ExitCodeFromWaitStatus(status);
  res.oom_killed = cgroup->OomKilled();
  if (res.oom_killed && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) res.exit_code = 137;
  TimingMark("container exited (wait)");
  cgroup->Destroy();
  TimingMark("remove cgroup");
  endpoint.reset();
  return res;
}

}  // namespace mini::run
