#include "common/staging.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mini {

bool IsEntryBeingMade(const std::string& dir, const std::string& name) {
  std::string p = dir + "/" + name;
  if (name.rfind(kNewEntryPrefix, 0) == 0) {
    struct stat st;
    return lstat(p.c_str(), &st) == 0 && st.st_mtime + kNewEntryGraceSeconds > time(nullptr);
  }
  int fd = open(p.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return false;
  bool held = flock(fd, LOCK_EX | LOCK_NB) != 0;
  close(fd);
  return held;
}

}  // namespace mini
