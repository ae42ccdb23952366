#include "run/launch/supervise.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.h"
#include "run/launch/pty.h"

namespace mini::run {
namespace {

constexpr int kForwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

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

}  // namespace

SignalBlock::SignalBlock() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : kForwarded) sigaddset(&set, s);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGWINCH);
  sigprocmask(SIG_BLOCK, &set, &old_);
  fd_.reset(signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!fd_) ThrowErrno("signalfd");
}

SignalBlock::~SignalBlock() { sigprocmask(SIG_SETMASK, &old_, nullptr); }

ChildGuard::~ChildGuard() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
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

}  // namespace mini::run
