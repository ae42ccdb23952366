#include "run/launch/container_init.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/error.h"
#include "common/fs.h"
#include "common/in_root.h"
#include "common/timing.h"
#include "run/launch/exit_status.h"
#include "run/launch/namespaces.h"
#include "run/launch/reaper.h"
#include "run/security/security.h"
#include "run/security/user_lookup.h"

namespace mini::run {
namespace {

/// After pivot_root "/" is the container's root, so plain opens stay inside it; still, the
/// files come from the image: refuse anything but a small regular file.
std::optional<std::string> ReadImageFile(const char* path) {
  UniqueFd fd(open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd) {
    if (errno == ENOENT || errno == ELOOP) return std::nullopt;
    ThrowErrno(std::string("open ") + path);
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (1 << 20)) return std::nullopt;
  std::string out(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < out.size()) {
    size_t n = ReadSome(fd.get(), out.data() + got, out.size() - got, path);
    if (n == 0) break;
    got += n;
  }
  out.resize(got);
  return out;
}

/// execvpe with the container's PATH; returns the errno that explains the failure.
int Exec(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  std::vector<char*> av, ev;
  for (const auto& s : argv) av.push_back(const_cast<char*>(s.c_str()));
  av.push_back(nullptr);
  for (const auto& s : env) ev.push_back(const_cast<char*>(s.c_str()));
  ev.push_back(nullptr);
  const std::string& file = argv[0];
  if (file.find('/') != std::string::npos) {
    execve(file.c_str(), av.data(), ev.data());
    return errno;
  }
  const std::string* path_entry = FindEnv(env, "PATH");
  std::string path = path_entry ? path_entry->substr(5) : kDefaultPath;
  int result = ENOENT;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find(':', i);
    if (j == std::string::npos) j = path.size();
    std::string dir = path.substr(i, j - i);
    i = j + 1;
    std::string full = (dir.empty() ? "." : dir) + "/" + file;
    execve(full.c_str(), av.data(), ev.data());
    if (errno == EACCES || errno == ENOEXEC || errno == EISDIR || errno == ETXTBSY) result = errno;
    else if (errno != ENOENT && errno != ENOTDIR) return errno;
  }
  return result;
}

}  // namespace

void Report(int fd, const std::string& msg) {
  ssize_t r = write(fd, msg.data(), msg.size());
  (void)r;
}

void SetupStdio(int tty_slave, const int stdio[3]) {
  if (tty_slave >= 0) {
    if (setsid() < 0) ThrowErrno("setsid");
    if (ioctl(tty_slave, TIOCSCTTY, 0) != 0) ThrowErrno("set controlling terminal");
    for (int fd = 0; fd < 3; fd++)
      if (dup2(tty_slave, fd) < 0) ThrowErrno("dup2 tty");
  } else {
    for (int fd = 0; fd < 3; fd++)
      if (stdio[fd] >= 0 && stdio[fd] != fd && dup2(stdio[fd], fd) < 0) ThrowErrno("dup2 stdio");
  }
}

int ExecProcess(const ExecParams& p) {
  ExecUser user = WithContext("unable to find user", [&] {
    return ResolveExecUser(p.process.user, ReadImageFile("/etc/passwd"), ReadImageFile("/etc/group"));
  });
  if (p.group_add && !p.group_add->empty()) {
    std::vector<uint32_t> extra = ResolveGroupAdd(*p.group_add, ReadImageFile("/etc/group"));
    for (uint32_t g : extra)
      if (std::find(user.sgids.begin(), user.sgids.end(), g) == user.sgids.end()) user.sgids.push_back(g);
  }
  std::vector<std::string> env = p.process.env;
  DefaultEnv(&env, "HOME", user.home);

  // The working directory, resolved inside the root (created if missing, as Docker does for
  // the container's first process).
  {
    InRoot root(UniqueFd(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)));
    UniqueFd wd;
    if (p.create_cwd) {
      wd = root.MkdirAll(p.process.cwd);
    } else {
      wd = root.Open(p.process.cwd, O_PATH | O_DIRECTORY);
      if (!wd) ThrowErrno("chdir to cwd (\"" + p.process.cwd + "\")");
    }
    if (fchdir(wd.get()) != 0) ThrowErrno("chdir " + p.process.cwd);
  }

  ApplyPrivileges(user, p.caps, p.last_cap);
  CloseExtraFdsOnExec();
  // The cwd must be inside the new root (runc CVE-2024-21626).
  char cwd[4096];
  if (!getcwd(cwd, sizeof(cwd)) || cwd[0] != '/') throw Error("working directory is outside the container");

  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; s++) sigaction(s, &dfl, nullptr);
  sigprocmask(SIG_SETMASK, &p.mask, nullptr);

  TimingMark("child: user, caps, exec");
  if (p.seccomp) {
    if (int err = p.seccomp->Load()) throw Error(std::string("load seccomp filter: ") + std::strerror(err));
  }
  if (p.init) BecomeInitReaper(p.mask);
  return Exec(p.process.argv, env);
}

int ChildMain(const ChildArgs& a) {
  try {
    // Die with the parent (the monitor), and do not go on if it is already gone.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    auto wait_for_parent = [&a] {
      char c;
      ssize_t n;
      do n = read(a.sync_fd, &c, 1);
      while (n < 0 && errno == EINTR);
      return n == 1;
    };
    if (!wait_for_parent()) return kExitMiniFailure;
    if (!a.net) close(a.sync_fd);

    // Into its cgroup, then make that the root of a new cgroup namespace.
    if (a.cgroup) WithContext("join cgroup", [&] { a.cgroup->JoinSelf(); });
    if (unshare(CLONE_NEWCGROUP) != 0) ThrowErrno("unshare cgroup namespace");
    if (a.view) EnterJoinedNamespaces(*a.view);
    SetupStdio(a.tty_slave, a.stdio);

    TimingMark("child: sync, cgroup, cgroupns");
    SetupRootfs(a.rootfs);
    TimingMark("child: rootfs (overlay, pivot)");
    SetHostname(a.hostname);
    if (a.view) SetDomainname(a.view->domainname);
    if (a.net) {
      if (!wait_for_parent()) return kExitMiniFailure;  // the veth failed: the parent reports it
      close(a.sync_fd);
      net::ConfigureContainerNetwork(*a.net);
      TimingMark("child: network (lo, eth0, route)");
    } else if (a.new_net) {
      BringUpLoopback();
    }

    if (a.view) ApplyUlimits(a.view->ulimits);
    int err = ExecProcess({a.process, a.caps, a.last_cap, a.mask, true, a.seccomp, a.init, a.view ? &a.view->group_add : nullptr});
    Report(a.err_fd, "X" + std::to_string(err) + " " + a.process.argv[0]);
    return ExitCodeForExecErrno(err);
  } catch (const std::exception& e) {
    Report(a.err_fd, std::string("S") + e.what());
    return kExitMiniFailure;
  }
}

void ParseChildError(const std::string& msg, const std::string& argv0, int* code, std::string* text) {
  if (msg.size() > 1 && msg[0] == 'X') {
    int err = std::atoi(msg.c_str() + 1);
    *code = ExitCodeForExecErrno(err);
    bool search = argv0.find('/') == std::string::npos;
    if (search && err == ENOENT)
      *text = "exec: \"" + argv0 + "\": executable file not found in $PATH";
    else
      *text = "exec: \"" + argv0 + "\": " + std::strerror(err);
    return;
  }
  *code = kExitMiniFailure;
  *text = msg.size() > 1 ? msg.substr(1) : "container setup failed";
}

}  // namespace mini::run
