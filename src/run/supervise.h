#pragma once
/// Supervising a container process from the host: the signals `mini run` / `mini exec` forward,
/// a guard that kills a child whose start failed, pipes, and the wait loop that copies a pty.
#include <signal.h>
#include <sys/types.h>

#include <string>

#include "common/fs.h"
#include "run/launcher.h"

namespace mini::run {

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

/// pipe2(O_CLOEXEC); throws Error.
void Pipe(UniqueFd* r, UniqueFd* w);
/// Reads until EOF.
std::string ReadAllFd(int fd);
/// Waits for `pid` (our child), forwarding signals to it and copying between `io` and the pty
/// `master` (-1 = none); returns the wait status.
int WaitLoop(pid_t pid, const SignalBlock& sigs, const IoSpec& io, int master);

}  // namespace mini::run
