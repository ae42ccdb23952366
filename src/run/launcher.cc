#include "run/launcher.h"

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
#include "run/cgroup.h"
#include "run/container_init.h"
#include "run/exit_status.h"
#include "run/namespaces.h"
#include "run/pty.h"
#include "run/security.h"

namespace mini::run {
namespace {

constexpr int kForwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

/// Blocks the signals the parent handles through a signalfd; restores the mask at the end.
class SignalBlock {
 public:
  SignalBlock() {
    sigset_t set;
    sigemptyset(&set);
    for (int s : kForwarded) sigaddset(&set, s);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGWINCH);
    sigprocmask(SIG_BLOCK, &set, &old_);
    fd_.reset(signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!fd_) ThrowErrno("signalfd");
  }
  ~SignalBlock() { sigprocmask(SIG_SETMASK, &old_, nullptr); }
  int fd() const { return fd_.get(); }
  const sigset_t& old() const { return old_; }

 private:
  sigset_t old_;
  UniqueFd fd_;
};

/// Kills and reaps the child unless Release()d: no process outlives a failed start.
class ChildGuard {
 public:
  explicit ChildGuard(pid_t pid) : pid_(pid) {}
  ~ChildGuard() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
  }
  void Release() { pid_ = -1; }

 private:
  pid_t pid_;
};

void Pipe(UniqueFd* r, UniqueFd* w) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) ThrowErrno("pipe");
  r->reset(p[0]);
  w->reset(p[1]);
}

std::string ReadAllFd(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

void Copy(int from, int to, bool* eof) {
  char buf[16384];
  ssize_t n = read(from, buf, sizeof(buf));
  if (n <= 0) {
    if (n == 0 || (errno != EINTR && errno != EAGAIN)) *eof = true;
    return;
  }
  try {
    WriteAll(to, buf, static_cast<size_t>(n), "tty");
  } catch (const Error&) {
  }
}

/// Waits for `pid`, forwarding signals and copying the pty; returns the wait status.
int WaitLoop(pid_t pid, const SignalBlock& sigs, const IoSpec& io, int master) {
  bool in_eof = io.in < 0 || master < 0, master_eof = master < 0;
  for (;;) {
    struct pollfd fds[3] = {{sigs.fd(), POLLIN, 0}, {master, POLLIN, 0}, {in_eof ? -1 : io.in, POLLIN, 0}};
    if (poll(fds, 3, -1) < 0 && errno != EINTR) ThrowErrno("poll");
    if (fds[1].revents && !master_eof) Copy(master, io.out, &master_eof);
    if (fds[2].revents && !in_eof) {
      Copy(io.in, master, &in_eof);
      if (in_eof) {
        char eot = 4;  // end of input: ^D to the terminal
        (void)write(master, &eot, 1);
      }
    }
    if (!(fds[0].revents & POLLIN)) continue;
    struct signalfd_siginfo si;
    while (read(sigs.fd(), &si, sizeof(si)) == sizeof(si)) {
      int s = static_cast<int>(si.ssi_signo);
      if (s == SIGWINCH) {
        if (master >= 0) CopyWindowSize(io.in >= 0 ? io.in : 0, master);
      } else if (s != SIGCHLD) {
        kill(pid, s);
      }
    }
    int status;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      // Drain what the container wrote to the pty before it went away.
      if (master >= 0) {
        fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
        while (!master_eof) Copy(master, io.out, &master_eof);
      }
      return status;
    }
  }
}

}  // namespace

bool EnsureVolume(const Layout& layout, const std::string& name, std::string* data_dir) {
  std::string dir = layout.VolumesDir() + "/" + name;
  *data_dir = dir + "/_data";
  if (IsDirectory(*data_dir)) return false;
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) ThrowErrno("mkdir " + dir);
  if (mkdir(data_dir->c_str(), 0755) != 0) {
    if (errno == EEXIST) return false;
    ThrowErrno("mkdir " + *data_dir);
  }
  return true;
}

LaunchResult LaunchContainer(const Layout& layout, const ContainerConfig& c, const IoSpec& io,
                             const StartedFn& started) {
  const RunSpec& spec = c.spec;
  ChildArgs a;
  a.rootfs.overlay2_dir = layout.Overlay2Dir();
  a.rootfs.overlay = MakeOverlayPlan(c.id, c.image.lowers, static_cast<size_t>(sysconf(_SC_PAGESIZE)));
  for (const auto& m : spec.mounts) {
    MountRequest r = m;
    bool seed = false;
    if (m.kind == MountRequest::Kind::kVolume) {
      seed = EnsureVolume(layout, m.source, &r.source);
      r.kind = MountRequest::Kind::kBind;
    }
    a.rootfs.mounts.push_back(r);
    a.rootfs.seed.push_back(seed);
  }
  a.rootfs.read_only = spec.read_only;
  a.rootfs.privileged = spec.privileged;
  a.hostname = c.hostname;
  a.new_net = spec.network != "host";
  a.process = c.process;
  a.last_cap = LastCap();
  a.caps = ComputeCaps(spec.privileged, spec.cap_add, spec.cap_drop, a.last_cap);

  UniqueFd devnull;
  int in = io.in;
  if (in < 0 && !io.tty) {
    devnull.reset(open("/dev/null", O_RDONLY | O_CLOEXEC));
    in = devnull.get();
  }
  a.stdio[0] = in;
  a.stdio[1] = io.out;
  a.stdio[2] = io.err;
  Pty pty;
  std::unique_ptr<RawMode> raw;
  if (io.tty) {
    pty = OpenPty();
    a.tty_slave = pty.slave.get();
    a.rootfs.console = pty.slave_path;
    if (io.in >= 0) CopyWindowSize(io.in, pty.master.get());
    else CopyWindowSize(io.out, pty.master.get());
  }

  std::unique_ptr<Cgroup> cgroup = CreateCgroup(c.id, spec.resources, spec.privileged);
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
  pid_t pid = CloneChild(flags, [&a] { return ChildMain(a); });
  ChildGuard guard(pid);
  sync_r.reset();
  err_w.reset();
  pty.slave.reset();

  if (write(sync_w.get(), "1", 1) != 1) ThrowErrno("sync with container");
  sync_w.reset();
  std::string msg = ReadAllFd(err_r.get());
  if (!msg.empty()) {
    int code;
    std::string text;
    ParseChildError(msg, c.process.argv[0], &code, &text);
    throw StartError(code, text);
  }
  guard.Release();
  if (io.tty && io.in >= 0) raw = std::make_unique<RawMode>(io.in);
  if (started) started(pid, cgroup->Paths());

  int status = WaitLoop(pid, sigs, io, io.tty ? pty.master.get() : -1);
  raw.reset();
  LaunchResult res;
  res.exit_code = ExitCodeFromWaitStatus(status);
  res.oom_killed = cgroup->OomKilled();
  if (res.oom_killed && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) res.exit_code = 137;
  cgroup->Destroy();
  return res;
}

}  // namespace mini::run
