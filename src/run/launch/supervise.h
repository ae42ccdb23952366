#pragma once
/// Supervising a container process from the host: the signals `mini run` / `mini exec` forward,
/// a guard that kills a child whose start failed, where its stdio goes, and the wait loop that
/// copies a pty.
#include <signal.h>
#include <sys/types.h>

#include <string>

#include "common/fs.h"

namespace mini::run {

class IoRelay;  // launch/attach.h

/// Where the container's stdio goes (host fds, not owned).
struct IoSpec {
  bool tty = false;
  int in = -1;  ///< the container's stdin (copied into the pty with a tty); -1 = /dev/null
  int out = 1;  ///< stdout (with a tty, the pty's output is copied here)
  int err = 2;
  /// The monitor copies the container's stdio (log, attach clients; launch/attach.h): it gives
  /// each start its fds, and the wait loop is RelayWaitLoop. Null: the fds above are used as
  /// they are.
  IoRelay* relay = nullptr;
};

/// Blocks the forwarded signals (INT TERM HUP QUIT USR1 USR2), CHLD and WINCH, and reads them
/// through a signalfd; restores the previous mask on destruction.
class SignalBlock {
 public:
  SignalBlock();
  ~SignalBlock();
  SignalBlock(const SignalBlock&) = delete;
  SignalBlock& operator=(const SignalBlock&) = delete;
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
  ~ChildGuard();
  ChildGuard(const ChildGuard&) = delete;
  ChildGuard& operator=(const ChildGuard&) = delete;
  void Release() { pid_ = -1; }

 private:
  pid_t pid_;
};

/// Reads until EOF.
std::string ReadAllFd(int fd);
/// Waits for `pid` (our child), forwarding signals to it and copying between `io` and the pty
/// `master` (-1 = none); returns the wait status.
int WaitLoop(pid_t pid, const SignalBlock& sigs, const IoSpec& io, int master);

}  // namespace mini::run
