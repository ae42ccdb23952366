// `mini cp`: Docker's copy rules over tar streams, container paths resolved in the root.
#include "run/container_copy.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <map>
#include <optional>
#include <thread>

#include "common/error.h"
#include "common/fs.h"
#include "common/in_root.h"
#include "common/io.h"
#include "common/path.h"
#include "common/process.h"
#include "run/container.h"
#include "run/rootfs/init_layer.h"
#include "run/rootfs/mount_call.h"
#include "run/rootfs/mount_plan.h"
#include "run/runtime_dir.h"
#include "run/security/user_lookup.h"
#include "store/tar_extract.h"
#include "store/tar_stream.h"

namespace mini::run {
namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
/// Docker's assertsDirectory: "x/" or "x/.".
bool AssertsDirectory(const std::string& p) { return EndsWith(p, "/") || EndsWith(p, "/.") || p == "."; }

/// The cleaned path's parent and base, for a path that may be relative ("a/b" -> "a", "b").
std::string ParentOf(const std::string& p) {
  bool abs = !p.empty() && p[0] == '/';
  std::vector<std::string> c = SplitPath(p);
  if (c.empty()) return abs ? "/" : ".";
  c.pop_back();
  std::string j = JoinPath(c);
  return abs ? "/" + j : (j.empty() ? "." : j);
}
std::string BaseOf(const std::string& p) {
  std::vector<std::string> c = SplitPath(p);
  return c.empty() ? "." : c.back();
}

std::string StatError(const char* op, const std::string& path, int err) {
  return std::string(op) + " " + path + ": " + (err == ENOENT ? "no such file or directory" : strerror(err));
}

/// Who owns what a copy writes: the tar's owners, or one fixed owner.
struct Owner {
  bool keep = true;
  uid_t uid = 0;
  gid_t gid = 0;
  IdMap map;  ///< kept ids are the container's: shifted to the host's through its user namespace
  uid_t Uid(uid_t u) const { return keep ? (map.enabled() ? map.HostUid(u) : u) : uid; }
  gid_t Gid(gid_t g) const { return keep ? (map.enabled() ? map.HostGid(g) : g) : gid; }
};

/// A file of the container's root, nullopt when it is missing.
std::optional<std::string> ReadInRoot(const InRoot& root, const std::string& path) {
  UniqueFd fd = root.Open(path, O_RDONLY);
  if (!fd) return std::nullopt;
  std::string out;
  char buf[65536];
  while (size_t n = ReadSome(fd.get(), buf, sizeof buf, path)) {
    out.append(buf, n);
    if (out.size() > (4u << 20)) break;
  }
  return out;
}

/// Writes a tree to a tar stream by file descriptors (never following a symlink below the
/// top), with the top entry renamed.
class TreeTar {
 public:
  TreeTar(int out_fd, Owner owner)
      : owner_(owner),
        tar_(TarStream::Format::kPax, [out_fd](const void* d, size_t n) { WriteAll(out_fd, d, n, "copy stream"); },
             "copy: ", "copying") {}

  /// Adds the entry open as `fd` (O_PATH) under `name` ("" puts a directory's entries at the top).
  void Add(int fd, const std::string& name) {
    struct stat st;
    if (fstat(fd, &st) != 0) ThrowErrno("stat " + name);
    if (!name.empty()) Header(fd, st, name);
    if (!S_ISDIR(st.st_mode)) return;
    UniqueFd dir(openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) ThrowErrno("open " + name);
    for (const std::string& child : ListSorted(dir.get(), name)) {
      UniqueFd c(openat(dir.get(), child.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
      if (!c) ThrowErrno("open " + name + "/" + child);
      Add(c.get(), name.empty() ? child : name + "/" + child);
    }
  }
  void Close() { tar_.Close(); }

 private:
  static std::vector<std::string> ListSorted(int dir_fd, const std::string& what) {
    UniqueFd d(dup(dir_fd));
    DIR* dp = d ? fdopendir(d.get()) : nullptr;
    if (!dp) ThrowErrno("list " + what);
    d.release();
    std::vector<std::string> out;
    while (struct dirent* e = readdir(dp))
      if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) out.push_back(e->d_name);
    closedir(dp);
    std::sort(out.begin(), out.end());
    return out;
  }

  void Header(int fd, const struct stat& st, const std::string& name) {
    if (S_ISSOCK(st.st_mode)) return;  // Docker's tar skips sockets too
    TarStream::EntryPtr e = tar_.NewEntry();
    archive_entry_set_pathname(e.get(), S_ISDIR(st.st_mode) ? (name + "/").c_str() : name.c_str());
    archive_entry_set_mode(e.get(), st.st_mode);
    archive_entry_set_uid(e.get(), owner_.Uid(st.st_uid));
    archive_entry_set_gid(e.get(), owner_.Gid(st.st_gid));
    archive_entry_set_mtime(e.get(), st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
      auto [it, fresh] = links_.emplace(std::make_pair(st.st_dev, st.st_ino), name);
      if (!fresh) {
        archive_entry_set_hardlink(e.get(), it->second.c_str());
        archive_entry_set_size(e.get(), 0);
        tar_.WriteHeader(e.get());
        return;
      }
    }
    if (S_ISLNK(st.st_mode)) {
      char buf[PATH_MAX + 1];
      ssize_t n = readlinkat(fd, "", buf, PATH_MAX);
      if (n < 0) ThrowErrno("readlink " + name);
      archive_entry_set_symlink(e.get(), std::string(buf, static_cast<size_t>(n)).c_str());
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      archive_entry_set_rdevmajor(e.get(), major(st.st_rdev));
      archive_entry_set_rdevminor(e.get(), minor(st.st_rdev));
    }
    if (!S_ISREG(st.st_mode)) {
      tar_.WriteHeader(e.get());
      return;
    }
    archive_entry_set_size(e.get(), st.st_size);
    // Docker's archive keeps one xattr of a regular file: its file capabilities (setcap).
    char cap[256];
    ssize_t cn = getxattr(FdPath(fd).c_str(), "security.capability", cap, sizeof cap);
    if (cn > 0) archive_entry_xattr_add_entry(e.get(), "security.capability", cap, static_cast<size_t>(cn));
    tar_.WriteHeader(e.get());
    UniqueFd data(open(FdPath(fd).c_str(), O_RDONLY | O_CLOEXEC));  // reopens this very inode
    if (!data) ThrowErrno("open " + name);
    tar_.CopyData(data.get(), static_cast<uint64_t>(st.st_size));
  }

  Owner owner_;
  TarStream tar_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
};

/// Packs the entry `fd` as `name` on a thread and unpacks the stream into the directory `dst_dir_fd`.
void CopyTree(int fd, const std::string& name, Owner owner, int dst_dir_fd) {
  UniqueFd r, w;
  Pipe(&r, &w);
  std::exception_ptr pack_error;
  std::thread packer([&] {
    try {
      TreeTar t(w.get(), owner);
      t.Add(fd, name);
      t.Close();
    } catch (...) {
      pack_error = std::current_exception();
    }
    w.reset();
  });
  try {
    FdSource src(r.get(), "copy stream");
    UnpackOptions uo;
    uo.convert_whiteouts = false;
    uo.hash_blob = false;
    UnpackLayer(src, FdPath(dst_dir_fd), uo);
  } catch (...) {
    r.reset();  // the packer's writes fail now
    packer.join();
    if (pack_error) std::rethrow_exception(pack_error);
    throw;
  }
  packer.join();
  if (pack_error) std::rethrow_exception(pack_error);
}

/// Mounts the stopped container's overlay and its binds and volumes in this (child) process's
/// own mount namespace; returns its root.
InRoot MountStoppedRoot(const Layout& layout, const ContainerStore& store, const ContainerConfig& c) {
  if (unshare(CLONE_NEWNS) != 0) ThrowErrno("unshare mount namespace");
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) ThrowErrno("make mounts private");
  size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  OverlayPlan plan;
  if (c.spec.remove) {
    EphemeralLayers l = EphemeralLayersFor(layout, c.id, store.RuntimeDir(c.id));
    plan = MakeOverlayPlanAt(l.init, l.upper, l.work, l.merged, c.image.lowers, page);
  } else {
    plan = MakeOverlayPlan(c.id, c.image.lowers, page);
  }
  if (chdir(layout.Overlay2Dir().c_str()) != 0) ThrowErrno("chdir " + layout.Overlay2Dir());
  Mount("overlay", plan.merged, "overlay", 0, plan.Options(), "overlay of container " + c.id.substr(0, 12));
  InRoot root(plan.merged[0] == '/' ? plan.merged : layout.Overlay2Dir() + "/" + plan.merged);
  for (const MountRequest& m : c.spec.mounts) {
    std::string src;
    if (m.kind == MountRequest::Kind::kBind) src = m.source;
    else if (m.kind == MountRequest::Kind::kVolume) src = layout.VolumesDir() + "/" + m.source + "/_data";
    else continue;  // tmpfs: nothing in it while stopped
    if (!PathExists(src)) continue;  // made at start (a volume), or refused then (a bind)
    struct stat ss;
    bool dir = stat(src.c_str(), &ss) != 0 || S_ISDIR(ss.st_mode);
    UniqueFd target = root.EnsureMountTarget(m.target, dir);  // as the start makes it (Docker's cp too)
    Mount(src, FdPath(target.get()), nullptr, MS_BIND | MS_REC, "", "bind " + m.target);
    if (m.read_only) Mount("", FdPath(target.get()), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, "", "read-only " + m.target);
  }
  return root;
}

/// Runs `fn` with the container's root as it sees it (see the header); a stopped container's in
/// a child process, whose error comes back as this process's Error.
void WithContainerRoot(const Layout& layout, const std::string& id, const std::function<void(const InRoot&)>& fn) {
  ContainerStore store(layout);
  ContainerState st = store.LoadState(id);
  if (st.status == ContainerStatus::kRunning && ProcessAlive(st.pid, st.pid_start)) {
    std::string proc_root = "/proc/" + std::to_string(st.pid) + "/root";
    UniqueFd r(open(proc_root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!r) ThrowErrno("open " + proc_root);
    fn(InRoot(std::move(r)));
    return;
  }
  ContainerConfig c = store.LoadConfig(id);
  UniqueFd er, ew;
  Pipe(&er, &ew);
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) ThrowErrno("fork");
  if (pid == 0) {
    er.reset();
    int code = 0;
    try {
      fn(MountStoppedRoot(layout, store, c));
    } catch (const std::exception& e) {
      std::string m = e.what();
      (void)!write(ew.get(), m.data(), m.size());
      code = 1;
    }
    _exit(code);
  }
  ew.reset();
  std::string msg;
  char buf[4096];
  for (ssize_t n; (n = read(er.get(), buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    msg.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!msg.empty()) throw Error(msg);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw Error("copy: the helper process failed");
}

}  // namespace

CopyPlan PlanCopy(const std::string& src, bool src_is_dir, const std::string& dst, bool dst_exists, bool dst_is_dir) {
  CopyPlan p;
  bool contents = src_is_dir && (EndsWith(src, "/.") || src == ".");
  if (dst_exists && dst_is_dir) {
    p.dst_dir = dst;
    p.contents_only = contents;
    if (!contents) p.top_name = BaseOf(src);
    return p;
  }
  if (dst_exists && src_is_dir) throw Error(ErrorKind::kInvalidInput, "cannot copy directory");
  if (!dst_exists && !src_is_dir && AssertsDirectory(dst)) throw Error(ErrorKind::kInvalidInput, "no such directory");
  // A file onto a file, or onto / as a missing DEST: the source takes DEST's name in its parent.
  p.dst_dir = ParentOf(dst);
  p.top_name = BaseOf(dst);
  return p;
}

void CopyFromContainer(const Layout& layout, const std::string& id, const std::string& container,
                       const std::string& src, const std::string& dst, const CopyOptions& opts, int out_fd) {
  Owner owner;
  if (!opts.archive && dst != "-") owner = {false, geteuid(), getegid(), {}};
  WithContainerRoot(layout, id, [&](const InRoot& root) {
    std::string clean = CleanAbsPath(src);
    Error missing(ErrorKind::kNotFound, "Could not find the file " + src + " in container " + container);
    auto st = root.Lstat(clean);
    if (!st) throw missing;
    UniqueFd fd;
    if (S_ISLNK(st->st_mode) && (opts.follow_link || AssertsDirectory(src))) {
      fd = root.Open(clean, O_PATH);  // the link's target, inside the root
    } else {
      UniqueFd parent = root.Open(ParentOf(clean), O_PATH | O_DIRECTORY);
      if (parent) fd = UniqueFd(clean == "/" ? dup(parent.get()) : openat(parent.get(), BaseOf(clean).c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    }
    struct stat fst;
    if (!fd || fstat(fd.get(), &fst) != 0) throw missing;
    bool is_dir = S_ISDIR(fst.st_mode);
    if (AssertsDirectory(src) && !is_dir) throw Error(ErrorKind::kInvalidInput, "lstat " + src + ": not a directory");
    if (dst == "-") {
      TreeTar t(out_fd, owner);
      t.Add(fd.get(), is_dir && EndsWith(src, "/.") ? "" : BaseOf(clean));
      t.Close();
      return;
    }
    struct stat dstat;
    bool dst_exists = stat(dst.c_str(), &dstat) == 0;
    if (!dst_exists) {
      if (errno != ENOENT) throw Error(StatError("stat", dst, errno));
      std::string parent = ParentOf(dst);
      struct stat ps;
      if (stat(parent.c_str(), &ps) != 0)
        throw Error(ErrorKind::kNotFound, "invalid output path: directory \"" + parent + "\" does not exist");
      if (!S_ISDIR(ps.st_mode)) throw Error(ErrorKind::kInvalidInput, "not a directory");
    }
    CopyPlan plan = PlanCopy(src, is_dir, dst, dst_exists, dst_exists && S_ISDIR(dstat.st_mode));
    UniqueFd dir(open(plan.dst_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) ThrowErrno("open " + plan.dst_dir);
    CopyTree(fd.get(), plan.top_name, owner, dir.get());
  });
}

void CopyToContainer(const Layout& layout, const std::string& id, const std::string& container,
                     const std::string& src, const std::string& dst, const CopyOptions& opts, int in_fd) {
  // Docker 20.10 keeps the source's uid/gid (what its docs say of -a); -a makes them the
  // container's user (Config.User) when it has one.
  ContainerConfig cfg = ContainerStore(layout).LoadConfig(id);
  Owner owner;
  owner.map = cfg.idmap;
  UniqueFd src_fd;
  bool src_is_dir = false;
  if (src != "-") {
    struct stat ls;
    if (lstat(src.c_str(), &ls) != 0) throw Error(ErrorKind::kNotFound, StatError("lstat", src, errno));
    bool follow = opts.follow_link || AssertsDirectory(src);
    src_fd = UniqueFd(open(src.c_str(), O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW)));
    struct stat fst;
    if (!src_fd || fstat(src_fd.get(), &fst) != 0) throw Error(ErrorKind::kNotFound, StatError("stat", src, errno));
    src_is_dir = S_ISDIR(fst.st_mode);
    if (AssertsDirectory(src) && !src_is_dir) throw Error(ErrorKind::kInvalidInput, "not a directory");
  }
  WithContainerRoot(layout, id, [&](const InRoot& root) {
    if (opts.archive && !cfg.process.user.empty()) {
      ExecUser u = ResolveExecUser(cfg.process.user, ReadInRoot(root, "/etc/passwd"), ReadInRoot(root, "/etc/group"));
      owner.keep = false;
      owner.uid = cfg.idmap.enabled() ? cfg.idmap.HostUid(u.uid) : u.uid;
      owner.gid = cfg.idmap.enabled() ? cfg.idmap.HostGid(u.gid) : u.gid;
    }
    std::string clean = CleanAbsPath(dst);
    UniqueFd d = root.Open(clean, O_PATH);  // a symlink DEST is followed, inside the root
    struct stat dstat;
    bool exists = d && fstat(d.get(), &dstat) == 0;
    bool is_dir = exists && S_ISDIR(dstat.st_mode);
    if (src == "-") {
      if (!is_dir) throw Error(ErrorKind::kInvalidInput, "destination \"" + container + ":" + dst + "\" must be a directory");
      FdSource in(in_fd, "stdin");
      UnpackOptions uo;
      uo.convert_whiteouts = false;
      uo.hash_blob = false;
      UnpackLayer(in, FdPath(d.get()), uo);
      return;
    }
    CopyPlan plan = PlanCopy(src, src_is_dir, dst, exists, is_dir);
    std::string dir_path = CleanAbsPath(plan.dst_dir);
    UniqueFd dir = root.Open(dir_path, O_RDONLY | O_DIRECTORY);
    if (!dir)
      throw Error(ErrorKind::kNotFound, "Could not find the file " + dir_path + " in container " + container);
    CopyTree(src_fd.get(), plan.contents_only ? "" : plan.top_name, owner, dir.get());
  });
}

}  // namespace mini::run
