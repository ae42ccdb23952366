#include "store/store_lock.h"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>

#include "common/error.h"

namespace mini {

StoreLock::StoreLock(const Layout& layout) {
  std::string path = layout.LockFile();
  fd_.reset(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd_) {
    MakeDirs(layout.root());
    fd_.reset(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  }
  if (!fd_) ThrowErrno("open " + path);
  while (flock(fd_.get(), LOCK_EX) != 0) {
    if (errno != EINTR) ThrowErrno("lock " + path);
  }
}

StoreLock::~StoreLock() {
  if (fd_) flock(fd_.get(), LOCK_UN);
}

}  // namespace mini
