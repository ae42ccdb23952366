#include "run/launch/pty.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/error.h"

namespace mini::run {

Pty OpenPty() {
  Pty p;
  p.master.reset(posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!p.master) ThrowErrno("open pty");
  if (grantpt(p.master.get()) != 0 || unlockpt(p.master.get()) != 0) ThrowErrno("unlock pty");
  char name[128];
  if (ptsname_r(p.master.get(), name, sizeof(name)) != 0) ThrowErrno("ptsname");
  p.slave_path = name;
  p.slave.reset(open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!p.slave) ThrowErrno("open " + p.slave_path);
  return p;
}

void CopyWindowSize(int from, int to) {
  struct winsize ws;
  if (ioctl(from, TIOCGWINSZ, &ws) == 0) ioctl(to, TIOCSWINSZ, &ws);
}

RawMode::RawMode(int fd) : fd_(fd) {
  if (!isatty(fd) || tcgetattr(fd, &saved_) != 0) return;
  struct termios raw = saved_;
  cfmakeraw(&raw);
  if (tcsetattr(fd, TCSADRAIN, &raw) == 0) active_ = true;
}

RawMode::~RawMode() {
  if (active_) tcsetattr(fd_, TCSADRAIN, &saved_);
}

}  // namespace mini::run
