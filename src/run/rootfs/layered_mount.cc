#include "run/rootfs/layered_mount.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/fs.h"
#include "run/rootfs/mount_call.h"
#include "run/rootfs/rootless_dev.h"

namespace mini::run {

namespace {

/// A private copy of the file at `from_fd` (O_PATH), for a writable bind of a single file.
std::string CopyFile(int from_fd, const struct stat& st, const std::string& to) {
  UniqueFd in(open(FdPath(from_fd).c_str(), O_RDONLY | O_CLOEXEC));
  if (!in) ThrowErrno("open bind source");
  UniqueFd out(open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 07777));
  if (!out) ThrowErrno("create " + to);
  char buf[65536];
  for (;;) {
    size_t n = ReadSome(in.get(), buf, sizeof buf, "read bind source");
    if (n == 0) break;
    WriteAll(out.get(), buf, n, "write " + to);
  }
  if (fchown(out.get(), st.st_uid, st.st_gid) != 0) ThrowErrno("chown " + to);
  if (fchmod(out.get(), st.st_mode & 07777) != 0) ThrowErrno("chmod " + to);
  return to;
}

}  // namespace

void MountLayered(const InRoot& root, const MountRequest& m) {
  if (m.lowers.empty()) throw Error("bind mount without a source tree");
  std::string view = m.lowers[0];
  if (m.lowers.size() > 1) {
    std::string opts = "lowerdir=";
    for (size_t i = 0; i < m.lowers.size(); i++) opts += (i ? ":" : "") + m.lowers[i];
    if (opts.size() + 1 > static_cast<size_t>(sysconf(_SC_PAGESIZE)))
      throw Error("too many layers to mount (" + std::to_string(m.lowers.size()) + ")");
    view = m.scratch + "/view";
    MakeDirs(view, 0755);
    Mount("overlay", view, "overlay", MS_RDONLY, RootlessOverlayOptions(opts), "source view");
  }
  InRoot tree(view);
  UniqueFd src = tree.Open(m.source, O_PATH);
  if (!src) throw Error(m.source + ": not found in the mount's source");
  struct stat st;
  if (fstat(src.get(), &st) != 0) ThrowErrno("stat " + m.source);
  bool dir = S_ISDIR(st.st_mode);
  std::string from = FdPath(src.get());
  if (!m.read_only && !m.scratch.empty()) {  // else writable in place (a cache directory)
    if (dir) {
      std::string rw = m.scratch + "/rw", upper = m.scratch + "/upper", work = m.scratch + "/work";
      for (const auto& d : {rw, upper, work}) MakeDirs(d, 0755);
      // The upper root takes the source's owner and mode, as the merged directory shows them.
      if (chown(upper.c_str(), st.st_uid, st.st_gid) != 0 || chmod(upper.c_str(), st.st_mode & 07777) != 0)
        ThrowErrno("prepare " + upper);
      Mount("overlay", rw, "overlay", 0,
            RootlessOverlayOptions("lowerdir=" + from + ",upperdir=" + upper + ",workdir=" + work), "writable view");
      from = rw;
    } else {
      from = CopyFile(src.get(), st, m.scratch + "/file");
    }
  }
  UniqueFd t = root.EnsureMountTarget(m.target, dir);
  Mount(from, FdPath(t.get()), nullptr, MS_BIND | MS_REC, "", "bind " + m.source);
  if (m.read_only) {
    UniqueFd top = root.Open(m.target, O_PATH);
    if (!top) ThrowErrno("reopen " + m.target);
    Mount("", FdPath(top.get()), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "",
          "read-only " + m.source);
  }
}

}  // namespace mini::run
