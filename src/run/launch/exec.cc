#include "run/launch/exec.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <memory>

#include "common/error.h"
#include "common/fs.h"
#include "common/path.h"
#include "run/cgroup/cgroup.h"
#include "run/container.h"
#include "run/launch/container_init.h"
#include "run/launch/exit_status.h"
#include "run/launch/namespaces.h"
#include "run/launch/pty.h"
#include "run/launch/supervise.h"
#include "run/process_spec.h"
#include "run/security/security.h"
#include "run/userns/rootless_userns.h"
#include "run/userns/userns.h"

namespace mini::run {
namespace {

constexpr int kJoinedInChild = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP;

/// The container's namespaces, held open: a pidfd (setns on it joins several at once, kernel
/// 5.8+), else one /proc/<pid>/ns/<name> fd per namespace, opened while the pid is verified.
class Namespaces {
 public:
  Namespaces(pid_t pid, uint64_t start, bool userns) : userns_(userns) {
    pidfd_.reset(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
    // setns(pidfd) needs 5.8; probe with the pid namespace, which only affects our children.
    if (pidfd_ && setns(pidfd_.get(), CLONE_NEWPID) == 0) {
      use_pidfd_ = true;
    } else {
      std::string base = "/proc/" + std::to_string(pid) + "/ns/";
      for (const auto& [flag, name] : kNames) {
        if (flag == CLONE_NEWUSER && !userns) continue;
        UniqueFd fd(open((base + name).c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) ThrowErrno("open " + base + name);
        fds_.push_back({flag, std::move(fd)});
      }
      for (auto& [flag, fd] : fds_)
        if (flag == CLONE_NEWPID && setns(fd.get(), CLONE_NEWPID) != 0) ThrowErrno("setns pid");
    }
    // The pid may have been reused between reading the state and opening it.
    if (!ProcessAlive(pid, start)) throw Error(ErrorKind::kConflict, "container is not running");
  }

  /// Joins the other namespaces (the user namespace first); runs in the child, which then is
  /// root of the container's user namespace.
  void JoinRest() const {
    if (use_pidfd_) {
      if (setns(pidfd_.get(), kJoinedInChild | (userns_ ? CLONE_NEWUSER : 0)) != 0) ThrowErrno("setns");
    } else {
      for (const auto& [flag, fd] : fds_)
        if (flag != CLONE_NEWPID && setns(fd.get(), flag) != 0) ThrowErrno("setns");
    }
    if (userns_) BecomeRootInUserns(false);
  }

 private:
  static constexpr std::pair<int, const char*> kNames[] = {
      {CLONE_NEWUSER, "user"}, {CLONE_NEWPID, "pid"}, {CLONE_NEWCGROUP, "cgroup"}, {CLONE_NEWIPC, "ipc"},
      {CLONE_NEWUTS, "uts"}, {CLONE_NEWNET, "net"},       {CLONE_NEWNS, "mnt"}};
  UniqueFd pidfd_;
  bool use_pidfd_ = false;
  bool userns_ = false;
  std::vector<std::pair<int, UniqueFd>> fds_;
};

/// The container's process with exec's overrides applied.
ProcessSpec ExecProcessSpec(const ContainerConfig& c, const ExecSpec& spec) {
  ProcessSpec p = c.process;
  p.argv = spec.argv;
  for (const auto& e : spec.env) {
    size_t eq = e.find('=');
    if (eq == std::string::npos) {
      if (const char* v = getenv(e.c_str())) SetEnv(&p.env, e, v);
    } else {
      SetEnv(&p.env, e.substr(0, eq), e.substr(eq + 1));
    }
  }
  if (spec.user) p.user = *spec.user;
  if (spec.workdir) {
    if (spec.workdir->empty() || (*spec.workdir)[0] != '/')
      throw StartError(kExitMiniFailure, "the working directory '" + *spec.workdir + "' is invalid, it needs to be an absolute path");
    p.cwd = CleanAbsPath(*spec.workdir);
  }
  return p;
}

}  // namespace

int ExecInContainer(const Layout& layout, const std::string& id, const ExecSpec& spec, const IoSpec& io) {
  if (spec.argv.empty()) throw StartError(kExitMiniFailure, "exec: no command given");
  ContainerStore store(layout);
  ContainerConfig c = store.LoadConfig(id);
  ContainerState st = store.LoadState(id);
  if (st.status == ContainerStatus::kRestarting)
    throw Error(ErrorKind::kConflict, "Container " + id + " is restarting, wait until the container is running");
  if (st.status != ContainerStatus::kRunning || !ProcessAlive(st.pid, st.pid_start))
    throw Error(ErrorKind::kConflict, "Container " + id + " is not running");  // Docker's words; exit 1
  ProcessSpec process = ExecProcessSpec(c, spec);
  int last_cap = LastCap();
  CapSet caps = ComputeCaps(c.spec.privileged || spec.privileged, c.spec.cap_add, c.spec.cap_drop, last_cap);
  ContainerConfig seccomp_cfg = c;
  seccomp_cfg.spec.privileged = c.spec.privileged || spec.privileged;
  SeccompProgram seccomp = SeccompFor(layout, seccomp_cfg.spec, caps);
  JoinUserNamespaceOf(st.pid);  // rootless: first into the container's user namespace
  Namespaces ns(st.pid, st.pid_start, c.idmap.enabled());  // from here on our children are in its pid namespace

  UniqueFd devnull;
  int stdio[3] = {io.in, io.out, io.err};
  if (spec.detach || (io.in < 0 && !io.tty)) {
    devnull.reset(open("/dev/null", O_RDWR | O_CLOEXEC));
    stdio[0] = devnull.get();
    if (spec.detach) stdio[1] = stdio[2] = devnull.get();
  }
  Pty pty;
  std::unique_ptr<RawMode> raw;
  if (io.tty) {
    pty = OpenPty();
    CopyWindowSize(io.in >= 0 ? io.in : io.out, pty.master.get());
  }
  UniqueFd err_r, err_w;
  Pipe(&err_r, &err_w);
  SignalBlock sigs;
  const std::vector<std::string>& cgroups = st.cgroup_paths;
  std::vector<Ulimit> ulimits = ParseView(c.spec).ulimits;
  int tty_slave = io.tty ? pty.slave.get() : -1;
  pid_t pid = CloneChild(0, [&] {
    try {
      WithContext("join cgroup", [&] { JoinCgroupPaths(cgroups); });
      ns.JoinRest();
      SetupStdio(tty_slave, stdio);
      ApplyUlimits(ulimits);  // the container's --ulimit and --group-add, as Docker's exec
      int err = ExecProcess({process, caps, last_cap, sigs.old(), false, &seccomp, /*init=*/false, &c.spec.view.group_add});
      Report(err_w.get(), "X" + std::to_string(err) + " " + process.argv[0]);
      return ExitCodeForExecErrno(err);
    } catch (const std::exception& e) {
      Report(err_w.get(), std::string("S") + e.what());
      return kExitMiniFailure;
    }
  });
  ChildGuard guard(pid);
  err_w.reset();
  pty.slave.reset();
  std::string msg = ReadAllFd(err_r.get());
  if (!msg.empty()) {
    int code;
    std::string text;
    ParseChildError(msg, process.argv[0], &code, &text);
    throw StartError(code, text);
  }
  guard.Release();
  if (spec.detach) return 0;  // the container's init inherits it
  if (io.tty && io.in >= 0) raw = std::make_unique<RawMode>(io.in);
  int status = WaitLoop(pid, sigs, io, io.tty ? pty.master.get() : -1);
  return ExitCodeFromWaitStatus(status);
}

}  // namespace mini::run
