#include "run/launch/reaper.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "common/error.h"
#include "run/launch/exit_status.h"

namespace mini::run {
namespace {

/// Signals the reaper never forwards: the synchronous ones (faults of its own) and the job
/// control ones a tty sends the foreground group directly.
bool Forwarded(int s) {
  switch (s) {
    case SIGCHLD: case SIGFPE: case SIGILL: case SIGSEGV: case SIGBUS: case SIGABRT: case SIGTRAP:
    case SIGSYS: case SIGTTIN: case SIGTTOU: case SIGKILL: case SIGSTOP:
      return false;
    default:
      return true;
  }
}

/// Closes every fd but the stdio: the reaper must not hold the setup pipes open (the monitor
/// reads the error pipe to EOF).
void CloseNonStdio() {
  std::vector<int> fds;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (struct dirent* e = readdir(d)) {
      int fd = atoi(e->d_name);
      if (fd > 2 && fd != dirfd(d)) fds.push_back(fd);
    }
    closedir(d);
  } else {
    for (int fd = 3; fd < 1024; fd++) fds.push_back(fd);
  }
  for (int fd : fds) close(fd);
}

/// /proc/1/cmdline reads "mini-init" (the argv area, the monitor's command line, is wiped).
void NameItself() {
  prctl(PR_SET_NAME, "mini-init");
  char buf[4096];
  int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  static const char kName[] = "mini-init";
  if (n < static_cast<ssize_t>(sizeof kName)) return;
  memset(program_invocation_name, 0, static_cast<size_t>(n));
  memcpy(program_invocation_name, kName, sizeof kName);
}

}  // namespace

void BecomeInitReaper(const sigset_t& mask) {
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);  // before the fork: no signal is lost between
  pid_t child = fork();
  if (child < 0) ThrowErrno("fork the init's child");
  if (child == 0) {
    setpgid(0, 0);
    if (isatty(0)) tcsetpgrp(0, getpid());  // SIGTTOU is blocked here
    sigprocmask(SIG_SETMASK, &mask, nullptr);
    return;
  }
  CloseNonStdio();
  NameItself();
  for (;;) {
    siginfo_t info;
    int s = sigwaitinfo(&all, &info);
    if (s < 0) continue;
    if (s != SIGCHLD) {
      if (Forwarded(s)) kill(child, s);
      continue;
    }
    int status;
    pid_t r;
    while ((r = waitpid(-1, &status, WNOHANG)) > 0)
      if (r == child) _exit(ExitCodeFromWaitStatus(status));
  }
}

}  // namespace mini::run
