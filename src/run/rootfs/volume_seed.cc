#include "run/rootfs/volume_seed.h"

#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.h"
#include "common/fs.h"
#include "common/in_root.h"

namespace mini::run {
namespace {

void CopyMeta(int fd, const struct stat& st) {
  if (fchown(fd, st.st_uid, st.st_gid) != 0) ThrowErrno("chown");
  if (fchmod(fd, st.st_mode & 07777) != 0) ThrowErrno("chmod");
  struct timespec ts[2] = {st.st_atim, st.st_mtim};
  futimens(fd, ts);
}

void CopyDir(int src, int dst, int depth) {
  if (depth > 256) throw Error("directory tree too deep");
  for (const std::string& n : ListDirNamesAt(src)) {
    struct stat st;
    if (fstatat(src, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) ThrowErrno("stat " + n);
    WithContext(n, [&] {
      if (S_ISDIR(st.st_mode)) {
        if (mkdirat(dst, n.c_str(), 0700) != 0) ThrowErrno("mkdir");
        UniqueFd s(openat(src, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        UniqueFd t(openat(dst, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!s || !t) ThrowErrno("open");
        CopyDir(s.get(), t.get(), depth + 1);
        CopyMeta(t.get(), st);
      } else if (S_ISREG(st.st_mode)) {
        UniqueFd s(openat(src, n.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        UniqueFd t(openat(dst, n.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!s || !t) ThrowErrno("open");
        off_t left = st.st_size;
        while (left > 0) {
          ssize_t w = sendfile(t.get(), s.get(), nullptr, static_cast<size_t>(left));
          if (w < 0) ThrowErrno("copy");
          if (w == 0) break;
          left -= w;
        }
        CopyMeta(t.get(), st);
      } else if (S_ISLNK(st.st_mode)) {
        char buf[4096];
        ssize_t l = readlinkat(src, n.c_str(), buf, sizeof(buf) - 1);
        if (l < 0) ThrowErrno("readlink");
        buf[l] = 0;
        if (symlinkat(buf, dst, n.c_str()) != 0) ThrowErrno("symlink");
        fchownat(dst, n.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
      }
      // Device nodes, fifos and sockets are not copied.
    });
  }
}

}  // namespace

void SeedVolume(const InRoot& root, const std::string& target, const std::string& dest) {
  UniqueFd src = root.Open(target, O_RDONLY | O_DIRECTORY);
  if (!src) return;
  UniqueFd dst(open(dest.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dst) ThrowErrno("open " + dest);
  WithContext("seed volume from " + target, [&] {
    CopyDir(src.get(), dst.get(), 0);
    struct stat st;
    if (fstat(src.get(), &st) == 0) CopyMeta(dst.get(), st);
  });
}

}  // namespace mini::run
