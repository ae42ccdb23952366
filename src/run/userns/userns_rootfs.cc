#include "run/userns/userns_rootfs.h"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <set>

#include "common/error.h"
#include "common/log.h"
#include "common/path.h"
#include "common/timing.h"

namespace mini::run {
namespace {

int OpenTree(int dfd, const char* path, unsigned flags) {
  return static_cast<int>(syscall(SYS_open_tree, dfd, path, flags));
}
int MountSetattr(int dfd, const char* path, unsigned flags, struct mount_attr* a) {
  return static_cast<int>(syscall(SYS_mount_setattr, dfd, path, flags, a, sizeof(*a)));
}
int FsOpen(const char* fs, unsigned flags) { return static_cast<int>(syscall(SYS_fsopen, fs, flags)); }
int FsConfig(int fd, unsigned cmd, const char* key, const void* value, int aux) {
  return static_cast<int>(syscall(SYS_fsconfig, fd, cmd, key, value, aux));
}
int FsMount(int fd, unsigned flags, unsigned attrs) { return static_cast<int>(syscall(SYS_fsmount, fd, flags, attrs)); }

std::string FdProcPath(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

bool ForceCopy() {
  const char* e = getenv("MINI_USERNS_FORCE_COPY");
  return e && std::strcmp(e, "1") == 0;
}

/// Set once a mount_setattr(MOUNT_ATTR_IDMAP) was refused in this process.
bool g_idmap_unsupported = false;

/// An idmapped clone of the directory `path`, or an invalid fd when the kernel or the file
/// system refuses idmapped mounts (then g_idmap_unsupported is set). Throws on other errors.
UniqueFd IdmappedTree(const std::string& path, int userns_fd) {
  UniqueFd t(OpenTree(AT_FDCWD, path.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
  if (!t) {
    if (errno == ENOSYS) {
      g_idmap_unsupported = true;
      return {};
    }
    ThrowErrno("open_tree " + path);
  }
  struct mount_attr a = {};
  a.attr_set = MOUNT_ATTR_IDMAP;
  a.userns_fd = static_cast<uint64_t>(userns_fd);
  if (MountSetattr(t.get(), "", AT_EMPTY_PATH, &a) != 0) {
    if (errno == ENOSYS || errno == EINVAL || errno == EPERM || errno == EOPNOTSUPP) {
      Debug("userns: idmapped mount of " + path + " refused (" + std::strerror(errno) + "): using chowned copies");
      g_idmap_unsupported = true;
      return {};
    }
    ThrowErrno("mount_setattr idmap " + path);
  }
  return t;
}

/// Gives `name` in `dirfd` (not following a symlink) the host owner of `st`'s owner under `m`.
void ChownShiftedAt(int dirfd, const std::string& name, const struct stat& st, const IdMap& m) {
  if (fchownat(dirfd, name.c_str(), m.HostUid(st.st_uid), m.HostGid(st.st_gid), AT_SYMLINK_NOFOLLOW) != 0)
    ThrowErrno("chown " + name);
}

/// Copies one layer tree, shifting owners into the range; hard links stay hard links.
class ShiftedCopier {
 public:
  explicit ShiftedCopier(const IdMap& m) : m_(m) {}

  void CopyDir(int src, int dst, const std::string& rel, int depth) {
    if (depth > 512) throw Error("directory tree too deep");
    for (const std::string& n : ListDirNamesAt(src)) {
      WithContext(rel + n, [&] { CopyEntry(src, dst, n, rel, depth); });
    }
  }

  /// Owner, mode, xattrs and times of a copied inode open at `fd` (not a symlink).
  void CopyMeta(int src_fd, int fd, const struct stat& st) {
    if (fchown(fd, m_.HostUid(st.st_uid), m_.HostGid(st.st_gid)) != 0) ThrowErrno("chown");
    if (fchmod(fd, st.st_mode & 07777) != 0) ThrowErrno("chmod");
    CopyXattrs(src_fd, fd);
    struct timespec ts[2] = {st.st_atim, st.st_mtim};
    futimens(fd, ts);
  }

 private:
  void CopyXattrs(int src, int dst) {
    char names[65536];
    ssize_t n = flistxattr(src, names, sizeof(names));
    if (n <= 0) return;
    std::vector<char> val(65536);
    for (ssize_t i = 0; i < n; i += static_cast<ssize_t>(std::strlen(names + i)) + 1) {
      ssize_t v = fgetxattr(src, names + i, val.data(), val.size());
      if (v < 0) continue;
      if (fsetxattr(dst, names + i, val.data(), static_cast<size_t>(v), 0) != 0)
        ThrowErrno(std::string("set xattr ") + (names + i));
    }
  }

  void CopyEntry(int src, int dst, const std::string& n, const std::string& rel, int depth) {
    struct stat st;
    if (fstatat(src, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) ThrowErrno("stat");
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
      auto it = links_.find({st.st_dev, st.st_ino});
      if (it != links_.end()) {
        if (linkat(root_dst_, it->second.c_str(), dst, n.c_str(), 0) != 0) ThrowErrno("link");
        return;
      }
      links_[{st.st_dev, st.st_ino}] = rel + n;
    }
    if (S_ISDIR(st.st_mode)) {
      if (mkdirat(dst, n.c_str(), 0700) != 0) ThrowErrno("mkdir");
      UniqueFd s(openat(src, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      UniqueFd t(openat(dst, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!s || !t) ThrowErrno("open dir");
      CopyDir(s.get(), t.get(), rel + n + "/", depth + 1);
      CopyMeta(s.get(), t.get(), st);
    } else if (S_ISREG(st.st_mode)) {
      UniqueFd s(openat(src, n.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      UniqueFd t(openat(dst, n.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
      if (!s || !t) ThrowErrno("open file");
      for (off_t left = st.st_size; left > 0;) {
        ssize_t c = copy_file_range(s.get(), nullptr, t.get(), nullptr, static_cast<size_t>(left), 0);
        if (c < 0 && errno == EINTR) continue;
        if (c < 0) ThrowErrno("copy");
        if (c == 0) break;
        left -= c;
      }
      CopyMeta(s.get(), t.get(), st);
    } else if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
      ssize_t l = readlinkat(src, n.c_str(), target.data(), target.size());
      if (l < 0) ThrowErrno("readlink");
      target.resize(static_cast<size_t>(l));
      if (symlinkat(target.c_str(), dst, n.c_str()) != 0) ThrowErrno("symlink");
      ChownShiftedAt(dst, n, st, m_);
      struct timespec ts[2] = {st.st_atim, st.st_mtim};
      utimensat(dst, n.c_str(), ts, AT_SYMLINK_NOFOLLOW);
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode)) {
      // Whiteouts are 0/0 character devices: they must stay what they are.
      if (mknodat(dst, n.c_str(), st.st_mode & S_IFMT, st.st_rdev) != 0) ThrowErrno("mknod");
      ChownShiftedAt(dst, n, st, m_);
      if (fchmodat(dst, n.c_str(), st.st_mode & 07777, 0) != 0) ThrowErrno("chmod");
    }
    // Sockets are not layer content.
  }

 public:
  int root_dst_ = -1;

 private:
  IdMap m_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
};

/// overlay2-idmap/<uid>-<gid>/<short>: made once (staging in tmp/, then one rename).
std::string EnsureShiftedCopy(const Layout& layout, const std::string& link, const IdMap& m) {
  std::string short_id = BaseName(link);
  std::string dest = layout.IdmapCopy(m.uid_base, m.gid_base, short_id);
  if (IsDirectory(dest)) return dest;
  std::string src = layout.Overlay2Dir() + "/" + link;
  WithContext("copy layer " + short_id + " for user namespace " + std::to_string(m.uid_base), [&] {
    MakeDirs(layout.IdmapRangeDir(m.uid_base, m.gid_base), 0700);
    MakeDirs(layout.TmpDir(), 0700);
    TempDir stage(layout.TmpDir(), "idmap-");
    UniqueFd s(open(src.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!s) ThrowErrno("open " + src);
    UniqueFd t(open(stage.path().c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!t) ThrowErrno("open " + stage.path());
    ShiftedCopier c(m);
    c.root_dst_ = t.get();
    c.CopyDir(s.get(), t.get(), "", 0);
    struct stat st;
    if (fstat(s.get(), &st) != 0) ThrowErrno("stat " + src);
    c.CopyMeta(s.get(), t.get(), st);
    if (rename(stage.path().c_str(), dest.c_str()) != 0) {
      if (errno != EEXIST && errno != ENOTEMPTY) ThrowErrno("rename to " + dest);
      return;  // another container made it first; ours is removed with the staging dir
    }
    stage.Release();
  });
  return dest;
}

void ChownTree(int dirfd, const IdMap& m, int depth) {
  if (depth > 64) throw Error("init layer too deep");
  for (const std::string& n : ListDirNamesAt(dirfd)) {
    struct stat st;
    if (fstatat(dirfd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) ThrowErrno("stat " + n);
    ChownShiftedAt(dirfd, n, st, m);
    if (S_ISDIR(st.st_mode)) {
      UniqueFd sub(openat(dirfd, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub) ThrowErrno("open " + n);
      ChownTree(sub.get(), m, depth + 1);
    } else if (!S_ISLNK(st.st_mode)) {
      fchmodat(dirfd, n.c_str(), st.st_mode & 07777, 0);  // chown clears setuid bits
    }
  }
}

void ChownOne(const std::string& path, const IdMap& m) {
  if (chown(path.c_str(), m.uid_base, m.gid_base) != 0) ThrowErrno("chown " + path);
}

}  // namespace

namespace {

/// The process's cwd is /proc/self/fd while it lives (then back where it was), so that "N"
/// names our fd N.
class CwdInProcFds {
 public:
  CwdInProcFds() : old_(open(".", O_PATH | O_DIRECTORY | O_CLOEXEC)) {
    if (!old_) ThrowErrno("open the working directory");
    if (chdir("/proc/self/fd") != 0) ThrowErrno("chdir /proc/self/fd");
  }
  ~CwdInProcFds() { (void)!fchdir(old_.get()); }
  CwdInProcFds(const CwdInProcFds&) = delete;
  CwdInProcFds& operator=(const CwdInProcFds&) = delete;

 private:
  UniqueFd old_;
};

/// fsopen/fsconfig/fsmount of the overlay; returns an invalid fd with errno set (and `detail`
/// filled from the fs context's log) when the kernel refuses the configuration. The layers go
/// one "lowerdir+" each (Linux 6.8+). An older overlayfs (the legacy mount API: Debian 12's
/// 6.1, Ubuntu 22.04's 5.15) refuses that key at create with EINVAL, 6.5-6.7's at once; with
/// `may_join` they then go joined in one "lowerdir", named by their fd numbers relative to
/// /proc/self/fd, our cwd meanwhile (fsconfig takes at most 256 bytes there: "/proc/self/fd/N"
/// each held about 14 layers, "N" holds about 60). Not for detached (idmapped) trees: such an overlayfs cannot clone them
/// ("failed to clone lowerpath"), and its failed attempt would leave work/incompat/volatile
/// behind, which refuses the next mount.
UniqueFd MountOverlay(int init_fd, const std::vector<UniqueFd>& layers, const std::string& upper,
                      const std::string& work, bool volatile_upper, std::string* detail, bool may_join,
                      bool joined = false) {
  UniqueFd fs(FsOpen("overlay", FSOPEN_CLOEXEC));
  if (!fs) ThrowErrno("fsopen overlay");
  auto set = [&](const char* key, const std::string& value) {
    if (FsConfig(fs.get(), FSCONFIG_SET_STRING, key, value.c_str(), 0) != 0) ThrowErrno(std::string("overlay ") + key);
  };
  std::string all = std::to_string(init_fd);  // relative to /proc/self/fd (CwdInProcFds)
  for (const auto& f : layers) all += ":" + std::to_string(f.get());
  std::optional<CwdInProcFds> cwd;  // the joined names resolve at set (6.5-6.7) or create (older)
  if (joined) {
    cwd.emplace();
    set("lowerdir", all);
  } else {
    // 6.5-6.7: the new API without the key refuses it at once.
    if (FsConfig(fs.get(), FSCONFIG_SET_STRING, "lowerdir+", FdProcPath(init_fd).c_str(), 0) != 0) {
      if (errno != EINVAL) ThrowErrno("overlay lowerdir+");
      if (!may_join || all.size() >= 256) return {};
      return MountOverlay(init_fd, layers, upper, work, volatile_upper, detail, true, true);
    }
    for (const auto& f : layers) set("lowerdir+", FdProcPath(f.get()));
  }
  set("upperdir", upper);
  set("workdir", work);
  // Kernels before 5.10 have no `volatile` (EINVAL): then the upper dir is synced as usual.
  if (volatile_upper && FsConfig(fs.get(), FSCONFIG_SET_FLAG, "volatile", nullptr, 0) != 0 && errno != EINVAL)
    ThrowErrno("overlay volatile");
  if (FsConfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    int err = errno;
    char log[512];
    ssize_t n = read(fs.get(), log, sizeof(log) - 1);
    if (n > 0) *detail = ": " + std::string(log, static_cast<size_t>(n));
    if (may_join && !joined && err == EINVAL && all.size() < 256)
      return MountOverlay(init_fd, layers, upper, work, volatile_upper, detail, true, true);
    errno = err;
    return {};
  }
  UniqueFd mnt(FsMount(fs.get(), FSMOUNT_CLOEXEC, 0));
  if (!mnt) ThrowErrno("fsmount overlay");
  return mnt;
}

}  // namespace

UniqueFd BuildUsernsOverlay(const Layout& layout, const std::string& init, const std::vector<std::string>& lowers,
                            const std::string& upper, const std::string& work, const IdMap& map,
                            bool volatile_upper) {
  UniqueFd init_fd(open(init.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!init_fd) ThrowErrno("open " + init);
  std::string detail;
  if (!ForceCopy() && !g_idmap_unsupported) {
    std::vector<UniqueFd> layer_fds;
    UniqueFd userns = MakeUsernsFd(map);
    TimingMark("userns: map helper");
    for (const auto& l : lowers) {
      UniqueFd t = IdmappedTree(layout.Overlay2Dir() + "/" + l, userns.get());
      if (!t) break;
      layer_fds.push_back(std::move(t));
    }
    TimingMark("userns: idmapped lowers");
    if (!g_idmap_unsupported) {
      UniqueFd mnt = MountOverlay(init_fd.get(), layer_fds, upper, work, volatile_upper, &detail, false);
      if (mnt) {
        TimingMark("userns: overlay (fsmount)");
        return mnt;
      }
      // Kernels 5.12-5.18 make idmapped mounts but overlayfs refuses them as layers; up to
      // 6.7 it takes no detached ones (MountOverlay).
      if (errno != EINVAL) ThrowErrno("mount overlay" + detail);
      Debug("userns: overlayfs refused idmapped lowers" + detail + ": using chowned copies");
      g_idmap_unsupported = true;
    }
  }
  std::vector<UniqueFd> layer_fds;
  for (const auto& l : lowers) {
    std::string dir = EnsureShiftedCopy(layout, l, map);
    UniqueFd t(open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!t) ThrowErrno("open " + dir);
    layer_fds.push_back(std::move(t));
  }
  TimingMark("userns: chowned layer copies");
  UniqueFd mnt = MountOverlay(init_fd.get(), layer_fds, upper, work, volatile_upper, &detail, true);
  if (!mnt) ThrowErrno("mount overlay" + detail);
  TimingMark("userns: overlay (fsmount)");
  return mnt;
}

void ChownContainerDirs(const std::string& init, const std::vector<std::string>& dirs, const IdMap& map) {
  WithContext("chown container layers to the user namespace", [&] {
    UniqueFd d(open(init.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!d) ThrowErrno("open " + init);
    ChownTree(d.get(), map, 0);
    ChownOne(init, map);
    for (const auto& p : dirs) ChownOne(p, map);
  });
}

uint64_t PruneIdmapCopies(const Layout& layout, const std::vector<IdMap>& used) {
  uint64_t freed = 0;
  std::set<std::string> keep;
  for (const auto& m : used) keep.insert(std::to_string(m.uid_base) + "-" + std::to_string(m.gid_base));
  for (const auto& range : ListDirNames(layout.IdmapCopiesDir())) {
    std::string dir = layout.IdmapCopiesDir() + "/" + range;
    if (!keep.count(range)) {
      freed += TreeSize(dir);
      RemoveTree(dir);
      continue;
    }
    for (const auto& short_id : ListDirNames(dir)) {
      if (PathExists(layout.Link(short_id))) continue;
      freed += TreeSize(dir + "/" + short_id);
      RemoveTree(dir + "/" + short_id);
    }
  }
  return freed;
}

}  // namespace mini::run
