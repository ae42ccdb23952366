#pragma once
/// `-t`: a real pseudo-terminal for the container, the host terminal in raw mode while it runs.
#include <termios.h>

#include <string>

#include "common/fs.h"

namespace mini::run {

/// A new pty pair (both ends O_CLOEXEC; the child dup2s the slave onto 0 1 2).
struct Pty {
  UniqueFd master, slave;
  std::string slave_path;
};
Pty OpenPty();

/// Copies the window size of `from` (a terminal) to `to` (the pty master); no-op if `from` is
/// not a terminal.
void CopyWindowSize(int from, int to);

/// Puts a terminal in raw mode and restores it on destruction (every exit path of `mini run`).
class RawMode {
 public:
  explicit RawMode(int fd);
  ~RawMode();
  RawMode(const RawMode&) = delete;
  RawMode& operator=(const RawMode&) = delete;

 private:
  int fd_;
  bool active_ = false;
  struct termios saved_;
};

}  // namespace mini::run
