#include "run/lifecycle.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <functional>

#include "common/fs.h"
#include "common/log.h"
#include "common/rootless.h"
#include "common/timing.h"
#include "net/hosts_file.h"
#include "net/netlink.h"
#include "net/network_endpoint.h"
#include "net/network_store.h"
#include "net/rootless_net.h"
#include "run/anonymous_volumes.h"
#include "run/cgroup/cgroup.h"
#include "run/cgroup/cgroup_manager.h"
#include "run/cgroup/freezer.h"
#include "run/launch/attach.h"
#include "run/container_events.h"
#include "run/launch/exit_status.h"
#include "run/rootfs/init_layer.h"
#include "run/runtime_dir.h"
#include "run/supervisor.h"
#include "run/view_setup.h"
#include "run/launch/supervise.h"
#include "run/userns/rootless_userns.h"
#include "run/userns/userns_container.h"
#include "run/userns/userns_rootfs.h"
#include "store/lease.h"

namespace mini::run {
namespace {

/// Docker's rules for --network, --ip and --network-alias; the network must exist (the
/// default one is made here on first use).
void CheckNetworkRequest(const Layout& layout, const RunSpec& spec) {
  bool user_network = false;
  if (net::UsesBridgeNetwork(spec.network)) {
    net::NetworkConfig n = net::NetworkStore(layout).Get(net::NetworkNameFor(spec.network));
    user_network = !n.is_default();
    if (!spec.ip.empty()) {
      uint32_t ip = net::ParseIpv4(spec.ip);
      if ((ip & net::PrefixMask(n.prefix)) != n.net)
        throw Error(ErrorKind::kInvalidInput, "invalid --ip " + spec.ip + ": not in subnet " + n.subnet + " of network " + n.name);
    }
  }
  if (!spec.ip.empty() && !user_network) throw Error(ErrorKind::kInvalidInput, "user specified IP address is supported on user defined networks only");
  if (!spec.network_aliases.empty() && !user_network)
    throw Error(ErrorKind::kInvalidInput, "network-scoped alias is supported only for containers in user defined networks");
}

/// Waits up to `ms` (-1 = forever) for a process that is not our child to exit. True if gone.
bool WaitForExit(pid_t pid, uint64_t start, int ms) {
  if (!ProcessAlive(pid, start)) return true;
  UniqueFd pfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (pfd && ProcessAlive(pid, start)) {
    struct pollfd p = {pfd.get(), POLLIN, 0};
    int r;
    do r = poll(&p, 1, ms);
    while (r < 0 && errno == EINTR);
    return r > 0 || !ProcessAlive(pid, start);
  }
  // No pidfd: poll /proc.
  for (int waited = 0; ms < 0 || waited < ms; waited += 20) {
    if (!ProcessAlive(pid, start)) return true;
    usleep(20000);
  }
  return !ProcessAlive(pid, start);
}

/// The final state write of a monitor; the container may have been removed meanwhile (rm -f).
void SaveFinalState(const ContainerStore& store, const std::string& id, const ContainerState& s) {
  if (!IsDirectory(store.Dir(id))) return;
  try {
    store.SaveState(id, s);
  } catch (const Error&) {
  }
}

/// Runs `c` with this process as its monitor: records the "running" state once the command is
/// exec'd (then calls `on_running`), and the final state afterwards, or removes the container
/// when it was run with --rm. A failed start is recorded the same way, then rethrown. With a
/// restart policy (run/supervisor.h) it runs the container again while the policy says so;
/// `on_restart` is called once, with the first exit code, before the first restart (then the
/// later runs' output goes to stdout/stderr as they are: the caller points them at the log).
LaunchResult Supervise(const Layout& layout, const ContainerConfig& c, const IoSpec& io,
                       const std::function<void()>& on_running, std::function<void(int)> on_restart = nullptr) {
  ContainerStore store(layout);
  // Marks the lease active while this monitor lives: `rmi` tells running containers by it.
  UniqueFd active = mini::Lease::HoldActive(layout, ContainerLeaseName(c.id));
  ContainerState st;
  st.monitor_pid = getpid();
  st.monitor_start = ProcessStartTime(st.monitor_pid);
  Supervisor sup(layout, c);
  auto finish = [&] {
    st.status = ContainerStatus::kExited;
    RecordContainerEnd(layout, c, st.exit_code);
    if (c.spec.remove) {
      store.Remove(c.id);
      RemoveAnonymousVolumes(layout, c);  // Docker's --rm takes its anonymous volumes along
    } else
      SaveFinalState(store, c.id, st);
  };
  LaunchResult res;
  IoSpec run_io = io;
  for (;;) {
    int64_t began = MonotonicNowMs();
    try {
      res = LaunchContainer(layout, c, run_io, [&](pid_t pid, const std::vector<std::string>& cg, const net::NetworkSettings* net) {
        st.status = ContainerStatus::kRunning;
        st.exit_code = 0;  // a restart's previous exit is over (Docker shows 0 while it runs)
        st.oom_killed = false;
        st.pid = pid;
        st.pid_start = ProcessStartTime(pid);
        st.started_at = NowRfc3339();
        st.cgroup_paths = cg;
        if (net) st.network = *net;
        store.SaveState(c.id, st);
        RecordContainerEvent(layout, c, "start");
        sup.Started(st);
        if (on_running) on_running();
      });
    } catch (const StartError& e) {
      st.exit_code = e.code();
      st.error = e.what();
      st.finished_at = NowRfc3339();
      finish();
      throw;
    } catch (const Error& e) {
      st.exit_code = kExitMiniFailure;
      st.error = e.what();
      finish();
      throw;
    }
    st.exit_code = res.exit_code;
    st.oom_killed = res.oom_killed;
    st.finished_at = NowRfc3339();
    st.cgroup_paths.clear();
    st.network.reset();
    if (!sup.WillRestart(&st, MonotonicNowMs() - began)) break;
    if (on_restart) {
      on_restart(res.exit_code);
      on_restart = nullptr;
      run_io = IoSpec{};
      run_io.tty = c.spec.tty;
    }
    if (!sup.WaitBackoff()) break;
  }
  finish();
  return res;
}

}  // namespace

ContainerConfig CreateContainer(const Layout& layout, const ImageInfo& image, const RunSpec& spec,
                                const std::string& name, bool start_now) {
  ContainerConfig c;
  c.id = NewRandomId();
  c.name = name;
  c.created = NowRfc3339();
  c.hostname = spec.hostname.empty() ? c.id.substr(0, 12) : spec.hostname;
  c.image = image;
  c.spec = spec;
  c.cgroup_manager = CgroupManagerName(CgroupManagerForNewContainers());  // throws for one this host lacks
  AnonymousVolumes anonymous(layout, image.config, &c.spec);  // removed again if the create fails
  if (IsRootless()) {
    c.spec.network = net::RootlessNetworkMode(spec.network);
    if (net::UsesBridgeNetwork(c.spec.network))
      throw Error("network \"" + spec.network + "\" needs root: rootless mini supports none, host and slirp4netns");
  }
  CheckNetworkRequest(layout, c.spec);
  ParseLogOptions(c.spec.log);  // Docker's messages for a bad --log-driver, --log-opt, --detach-keys
  ParseDetachKeys(c.spec.log.detach_keys);
  View view = CheckViewRequest(layout, &c);
  for (const auto& m : c.spec.mounts) {
    if (m.kind != MountRequest::Kind::kBind) continue;
    if (m.create_source && !PathExists(m.source)) MakeDirs(m.source, 0755);  // Docker's -v
    if (!PathExists(m.source))
      throw Error(ErrorKind::kInvalidInput, "invalid mount config for type \"bind\": bind source path does not exist: " + m.source);
  }
  if (c.spec.publish_all) {
    std::vector<net::PortRequest> exposed = net::ExposedPortRequests(image.config);
    c.spec.ports.insert(c.spec.ports.end(), exposed.begin(), exposed.end());
  }
  if (!net::UsesBridgeNetwork(c.spec.network) && !c.spec.ports.empty()) {
    Warn("Published ports are discarded when using " + c.spec.network + " network mode");
    c.spec.ports.clear();
  }
  c.process = MakeProcessSpec(image.config, spec, c.hostname, [](const std::string& k) { return getenv(k.c_str()); });
  ValidateSupervise(c.spec, image.config);
  HealthConfigFor(c.spec.supervise, image.config);  // throws Docker's messages for bad --health-* flags

  InitLayerFiles files;
  files.hostname = c.hostname;
  if (c.spec.network == "host") {
    files.hosts = ReadFileIfExists("/etc/hosts", 1 << 20).value_or(net::DefaultHostsContent());
    files.resolv_conf = ReadFileIfExists("/etc/resolv.conf", 1 << 20).value_or("");
  } else {
    files.hosts = net::DefaultHostsContent();
    files.resolv_conf = FilterResolvConf(ReadFileIfExists("/etc/resolv.conf", 1 << 20).value_or(""));
  }
  if (c.spec.network == net::kSlirpNetwork) files.resolv_conf = net::kSlirpResolvConf;
  ApplyViewToInitLayer(layout, c, view, files.resolv_conf, &files);
  ContainerStore store(layout);
  // The container's lease: the layers it stands on, its image (`rmi` asks) and its own layer
  // directories stay in the store for as long as the container exists. Made first, so a
  // collection running meanwhile never sees the directories unheld.
  mini::Lease::CreatePersistent(layout, ContainerLeaseName(c.id), "container", c.id,
                                ContainerLeaseResources(c.id, image.id, image.top_layer, spec.build));
  IdMapLease idmap_lease;  // held until config.json records the chosen map
  try {
    c.idmap = ChooseContainerIdMap(layout, spec.userns, &idmap_lease);
    if (spec.remove) {
      // --rm: config, state and init layer on tmpfs; the writable layer on the store's disk.
      store.Create(&c, start_now);
      try {
        EphemeralLayers l = EphemeralLayersFor(layout, c.id, store.RuntimeDir(c.id));
        CreateEphemeralLayers(l, files);
        if (c.idmap.enabled()) ChownContainerDirs(l.init, {l.upper, l.work}, c.idmap);
      } catch (...) {
        store.Remove(c.id);
        throw;
      }
      RecordContainerEvent(layout, c, "create");
      TimingMark("create container (--rm)");
      WriteCidFile(c);
      anonymous.Keep();
      return c;
    }
    CreateContainerLayers(layout, c.id, files);
    try {
      if (c.idmap.enabled())
        ChownContainerDirs(layout.LayerDiff(c.id + "-init"), {layout.LayerDiff(c.id), layout.LayerDir(c.id) + "/work"},
                           c.idmap);
      store.Create(&c, start_now);
    } catch (...) {
      RemoveContainerLayers(layout, c.id);
      throw;
    }
  } catch (...) {
    mini::Lease::RemovePersistent(layout, ContainerLeaseName(c.id));
    throw;
  }
  RecordContainerEvent(layout, c, "create");
  TimingMark("create container (store)");
  WriteCidFile(c);
  anonymous.Keep();
  return c;
}

int RunInProcess(const Layout& layout, const ContainerConfig& c, const IoSpec& io) {
  LaunchResult res = Supervise(layout, c, io, nullptr);
  TimingMark(c.spec.remove ? "remove container" : "save final state");
  return res.exit_code;
}

int RunAttached(const Layout& layout, const ContainerConfig& c, const IoSpec& io) {
  SignalBlock sigs;  // before the fork: a signal sent meanwhile is forwarded, not lost
  AttachedRun plan = PlanAttachedRun(c, io.tty, io.in >= 0);  // -i -t: the client relays the terminal
  UniqueFd err_r, err_w;
  Pipe(&err_r, &err_w);
  fflush(stdout);
  fflush(stderr);
  pid_t mon = fork();
  if (mon < 0) ThrowErrno("fork");
  if (mon == 0) {
    // The monitor, in a session of its own: the terminal's signals and hangup reach only this
    // client, which forwards them (Docker's --sig-proxy). It keeps our stdio.
    setsid();
    sigprocmask(SIG_SETMASK, &sigs.old(), nullptr);
    err_r.reset();
    auto report = [&](int code, const std::string& what) {
      std::string m = std::to_string(code) + " " + what;
      (void)!write(err_w.get(), m.data(), m.size());
      net::DeleteDeferredVeths();
      _exit(code);
    };
    // --rm: the client goes as soon as the container is removed (the exit code on the pipe),
    // and this monitor deletes the host veth after that, as its last work.
    if (c.spec.remove) net::DeferVethDeletion();
    try {
      IoSpec mio = io;
      std::unique_ptr<IoRelay> relay = StartMonitorRelay(layout, c, &plan, &mio);
      // A restart policy: the client returns the first exit status, the monitor goes on
      // restarting with its output in the log (docker run without -d does the same).
      auto on_restart = [&](int code) {
        std::string m = "=" + std::to_string(code);
        (void)!write(err_w.get(), m.data(), m.size());
        err_w.reset();
        if (relay) {
          // The relay goes on writing the log; the terminal it copied to is the client's.
          UniqueFd null(open("/dev/null", O_RDWR | O_CLOEXEC));
          for (int fd = 0; fd < 3 && null; fd++) dup2(null.get(), fd);
        } else {
          RedirectStdioToLog(ContainerStore(layout).LogPath(c.id));
        }
      };
      LaunchResult r = Supervise(layout, c, mio, nullptr, on_restart);
      TimingMark(c.spec.remove ? "remove container" : "save final state");
      if (relay) relay->Finish(r.exit_code);
      if (c.spec.remove && err_w) {
        std::string m = "=" + std::to_string(r.exit_code);
        (void)!write(err_w.get(), m.data(), m.size());
        err_w.reset();
        net::DeleteDeferredVeths();
      }
      _exit(r.exit_code);
    } catch (const StartError& e) {
      report(e.code(), e.what());
    } catch (const std::exception& e) {
      report(kExitMiniFailure, e.what());
    }
  }
  err_w.reset();
  TimingMark("monitor forked");
  if (plan.client) {
    plan.monitor_end.reset();
    AttachClientOptions o{.in = io.in, .tty = true, .detach_keys = ParseDetachKeys(c.spec.log.detach_keys), .stdin_once = true};
    int code;
    if (RunAttachClient(plan.client.get(), o, sigs.fd(), [&](int s) { return kill(mon, s), false; }, &code) == AttachEnd::kDetached)
      return 0;  // the container runs on
  }
  std::string msg;
  int status = 0;
  bool exited = false;
  while (!exited || err_r) {
    struct pollfd p[2] = {{sigs.fd(), POLLIN, 0}, {err_r ? err_r.get() : -1, POLLIN, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      ThrowErrno("poll");
    }
    if (p[1].revents) {
      char buf[4096];
      ssize_t n = read(err_r.get(), buf, sizeof buf);
      if (n > 0) msg.append(buf, static_cast<size_t>(n));
      else if (n == 0 || errno != EINTR) err_r.reset();
      if (!err_r && !msg.empty() && msg[0] == '=') return atoi(msg.c_str() + 1);  // restarting on
    }
    // With err_r closed, look for the exit too: a relay client may have read its SIGCHLD.
    if (!(p[0].revents & POLLIN) && err_r) continue;
    struct signalfd_siginfo si;
    while (read(sigs.fd(), &si, sizeof si) == static_cast<ssize_t>(sizeof si))
      if (si.ssi_signo != SIGCHLD) kill(mon, static_cast<int>(si.ssi_signo));
    if (!exited && waitpid(mon, &status, WNOHANG) == mon) exited = true;
  }
  if (!msg.empty()) {
    size_t sp = msg.find(' ');
    throw StartError(atoi(msg.c_str()), sp == std::string::npos ? "start failed" : msg.substr(sp + 1));
  }
  return ExitCodeFromWaitStatus(status);
}

void RunDetached(const Layout& layout, const ContainerConfig& c) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) ThrowErrno("pipe");
  UniqueFd ready_r(p[0]), ready_w(p[1]);
  fflush(stdout);
  fflush(stderr);
  pid_t mid = fork();
  if (mid < 0) ThrowErrno("fork");
  if (mid == 0) {
    // Middle: a new session, then the monitor as an orphan (reparented to init).
    setsid();
    pid_t mon = fork();
    if (mon != 0) _exit(mon < 0 ? 1 : 0);
    int code = 0;
    try {
      int keep = ready_w.get();
      DIR* d = opendir("/proc/self/fd");
      if (d) {
        std::vector<int> fds;
        while (struct dirent* e = readdir(d)) {
          int fd = atoi(e->d_name);
          if (fd >= 3 && fd != keep && fd != dirfd(d)) fds.push_back(fd);
        }
        closedir(d);
        for (int fd : fds) close(fd);
      }
      UniqueFd null(open("/dev/null", O_RDWR | O_CLOEXEC));
      if (!null) ThrowErrno("open /dev/null");
      for (int fd = 0; fd < 3; fd++) dup2(null.get(), fd);
      if (chdir("/") != 0) ThrowErrno("chdir /");
      IoSpec io;
      io.tty = c.spec.tty;
      std::unique_ptr<IoRelay> relay = StartMonitorRelay(layout, c, nullptr, &io);  // log, attach socket
      try {
        LaunchResult r = Supervise(layout, c, io, [&] {
          (void)!write(ready_w.get(), "ok", 2);
          ready_w.reset();
        });
        relay->Finish(r.exit_code);
      } catch (const StartError& e) {
        std::string m = "E" + std::to_string(e.code()) + " " + e.what();
        (void)!write(ready_w.get(), m.data(), m.size());
        _exit(e.code());
      }
    } catch (const std::exception& e) {
      std::string m = std::string("E125 ") + e.what();
      if (ready_w) (void)!write(ready_w.get(), m.data(), m.size());
      code = kExitMiniFailure;
    }
    _exit(code);
  }
  ready_w.reset();
  while (waitpid(mid, nullptr, 0) < 0 && errno == EINTR) {
  }
  std::string msg;
  char buf[4096];
  for (;;) {
    ssize_t n = read(ready_r.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    msg.append(buf, static_cast<size_t>(n));
  }
  if (msg == "ok") return;
  if (msg.size() > 1 && msg[0] == 'E') {
    int code = atoi(msg.c_str() + 1);
    size_t sp = msg.find(' ');
    throw StartError(code, sp == std::string::npos ? "start failed" : msg.substr(sp + 1));
  }
  throw StartError(kExitMiniFailure, "container monitor exited before the container started");
}

void StartContainer(const Layout& layout, const std::string& id, bool attach, bool interactive, int* exit_code) {
  ContainerStore store(layout);
  ContainerState prev = store.LoadState(id);
  if (prev.status == ContainerStatus::kRunning || prev.status == ContainerStatus::kRestarting) return;
  // A monitor killed with -9 (or a reboot's) left its cgroups; the container died with it.
  if (!prev.cgroup_paths.empty()) RemoveCgroupPaths(prev.cgroup_paths);
  ContainerConfig c = store.LoadConfig(id);
  if (!attach) {
    RunDetached(layout, c);
    return;
  }
  IoSpec io;
  io.tty = c.spec.tty;
  io.in = interactive ? 0 : -1;
  int code = RunAttached(layout, c, io);
  if (exit_code) *exit_code = code;
}

namespace {

/// A frozen container cannot act on a signal: after SIGTERM/SIGKILL, thaw it (Docker's order).
void ThawAfterSignal(const std::string& id, const ContainerState& st) {
  try {
    if (IsFrozen(id, st.cgroup_paths)) SetFrozen(id, st.cgroup_paths, false);
  } catch (const Error& e) {
    Warn("unpause " + id.substr(0, 12) + ": " + e.what());
  }
}

}  // namespace

void KillContainer(const Layout& layout, const std::string& id, int sig) {
  ContainerStore store(layout);
  ContainerState st = store.LoadState(id);
  if (st.status == ContainerStatus::kRunning || st.status == ContainerStatus::kRestarting)
    MarkManuallyStopped(layout, store.LoadConfig(id));  // the user's kill ends the restart policy
  if (st.status == ContainerStatus::kRestarting) return;  // the monitor sees the mark (Docker: no signal to send)
  if (st.status != ContainerStatus::kRunning || !ProcessAlive(st.pid, st.pid_start))
    throw Error(ErrorKind::kConflict, "Cannot kill container: " + id.substr(0, 12) + ": container is not running");
  RecordContainerEvent(layout, id, "kill", {{"signal", std::to_string(sig)}});
  if (kill(st.pid, sig) != 0) ThrowErrno("kill container " + id.substr(0, 12));
  if (sig == SIGKILL || sig == SIGTERM) ThawAfterSignal(id, st);
}

bool IsPaused(const std::string& id, const ContainerState& st) {
  return st.status == ContainerStatus::kRunning && IsFrozen(id, st.cgroup_paths);
}

bool IsPaused(const Layout& layout, const std::string& id) { return IsPaused(id, ContainerStore(layout).LoadState(id)); }

void PauseContainer(const Layout& layout, const std::string& id) {
  ContainerState st = ContainerStore(layout).LoadState(id);
  if (st.status != ContainerStatus::kRunning || !ProcessAlive(st.pid, st.pid_start))
    throw Error(ErrorKind::kConflict, "Container " + id + " is not running");
  if (IsFrozen(id, st.cgroup_paths)) throw Error(ErrorKind::kConflict, "Container " + id + " is already paused");
  SetFrozen(id, st.cgroup_paths, true);
  RecordContainerEvent(layout, id, "pause");
}

void UnpauseContainer(const Layout& layout, const std::string& id) {
  ContainerState st = ContainerStore(layout).LoadState(id);
  if (st.status != ContainerStatus::kRunning || !IsFrozen(id, st.cgroup_paths))
    throw Error(ErrorKind::kConflict, "Container " + id + " is not paused");
  SetFrozen(id, st.cgroup_paths, false);
  RecordContainerEvent(layout, id, "unpause");
}

void RestartContainer(const Layout& layout, const std::string& id, int timeout_s) {  // timeout_s < 0: the container's
  StopContainer(layout, id, timeout_s);
  StartContainer(layout, id, false, false, nullptr);
  RecordContainerEvent(layout, id, "restart");
}

void StopContainer(const Layout& layout, const std::string& id, int timeout_s) {
  ContainerStore store(layout);
  ContainerState st = store.LoadState(id);
  if (st.status != ContainerStatus::kRunning && st.status != ContainerStatus::kRestarting) return;
  ContainerConfig c = store.LoadConfig(id);
  MarkManuallyStopped(layout, c);  // before the signal: the monitor must not restart it
  int sig = SIGTERM;
  try {
    sig = StopSignalFor(c.spec.supervise, c.image.config);
  } catch (const Error&) {
  }
  if (timeout_s < 0) timeout_s = StopTimeoutFor(c.spec.supervise);
  // A restarting monitor may start the next run meanwhile: look again until it is gone.
  for (int round = 0; round < 3; round++) {
    if (st.status == ContainerStatus::kRunning && ProcessAlive(st.pid, st.pid_start)) {
      RecordContainerEvent(layout, c, "kill", {{"signal", std::to_string(sig)}});
      kill(st.pid, sig);
      ThawAfterSignal(id, st);
      if (!WaitForExit(st.pid, st.pid_start, timeout_s * 1000)) {
        RecordContainerEvent(layout, c, "kill", {{"signal", "9"}});
        kill(st.pid, SIGKILL);
        WaitForExit(st.pid, st.pid_start, 10000);
      }
    }
    if (WaitForExit(st.monitor_pid, st.monitor_start, HasRestartPolicy(c) ? 2000 : 10000)) break;
    st = store.LoadState(id);
    if (st.status != ContainerStatus::kRunning && st.status != ContainerStatus::kRestarting) break;
  }
  RecordContainerEvent(layout, c, "stop");
}

int WaitContainer(const Layout& layout, const std::string& id) {
  ContainerStore store(layout);
  ContainerState st = store.LoadState(id);
  if (st.status == ContainerStatus::kRunning && !HasRestartPolicy(store.LoadConfig(id))) {
    WaitForExit(st.monitor_pid, st.monitor_start, -1);
    if (!IsDirectory(store.Dir(id))) return st.exit_code;  // removed by --rm
    st = store.LoadState(id);
  } else if (st.status == ContainerStatus::kRunning || st.status == ContainerStatus::kRestarting) {
    return WaitForRunEnd(layout, id, st);  // a restart policy: the next end of a run
  }
  return st.exit_code;
}

void RemoveContainer(const Layout& layout, const std::string& id, bool force, bool volumes) {
  ContainerStore store(layout);
  ContainerState st = store.LoadState(id);
  ContainerConfig c = store.LoadConfig(id);
  if (st.status == ContainerStatus::kRunning || st.status == ContainerStatus::kRestarting) {
    if (!force)
      throw Error(ErrorKind::kConflict, std::string("You cannot remove a ") + ToString(st.status) + " container " + id +
                  ". Stop the container before attempting removal or force remove");
    MarkManuallyStopped(layout, c);
    // Docker's rm -f: kill (signal=9), die, destroy.
    if (ProcessAlive(st.pid, st.pid_start) && kill(st.pid, SIGKILL) == 0)
      RecordContainerEvent(layout, c, "kill", {{"signal", "9"}});
    ThawAfterSignal(id, st);
    WaitForExit(st.pid, st.pid_start, 10000);
    WaitForExit(st.monitor_pid, st.monitor_start, 10000);
  }
  // Rootless: killed above as the namespace's owner (this process stays outside, for the next
  // container); files owned by sub-ids need root in a user namespace.
  RecordContainerEvent(layout, id, "destroy");
  RunInRootlessUserNamespace([&] { store.Remove(id); });
  if (volumes) RemoveAnonymousVolumes(layout, c);
  // A monitor killed with -9 could not release its address, veth and ports: do it now.
  if (!IsRootless()) net::CollectDeadEndpoints(layout);
}

}  // namespace mini::run
