#include "common/in_root.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "common/error.h"
#include "common/path.h"

namespace mini {
namespace {

constexpr int kMaxSymlinks = 40;  // the kernel's limit
constexpr int kEagainRetries = 64;
std::atomic<bool> g_openat2_enabled{true};

/// Directory fds (O_PATH) along the resolved prefix of a walk, from the root down; a lookup
/// reuses the part its prefix shares with the previous one.
class DirChain {
 public:
  explicit DirChain(int root) : root_(root) {}

  /// The fd of the directory named by the first `n` components of `comps`, which the walk has
  /// found to be real directories. -1 with errno set if one cannot be opened.
  int At(const std::vector<std::string>& comps, size_t n) {
    size_t keep = 0;
    while (keep < names_.size() && keep < n && names_[keep] == comps[keep]) keep++;
    names_.resize(keep);
    fds_.erase(fds_.begin() + static_cast<long>(keep), fds_.end());
    while (names_.size() < n) {
      const std::string& c = comps[names_.size()];
      UniqueFd next(openat(fds_.empty() ? root_ : fds_.back().get(), c.c_str(),
                           O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!next) return -1;
      fds_.push_back(std::move(next));
      names_.push_back(c);
    }
    return fds_.empty() ? root_ : fds_.back().get();
  }

 private:
  int root_;
  std::vector<std::string> names_;
  std::vector<UniqueFd> fds_;
};

std::string Describe(const std::vector<std::string>& comps) {
  std::string p = JoinPath(comps);
  return p.empty() ? "/" : p;
}

}  // namespace

void SetOpenat2Enabled(bool on) { g_openat2_enabled = on; }

std::string FdPath(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

InRoot::InRoot(const std::string& path) : fd_(open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
  if (!fd_) ThrowErrno("open " + path);
}

InRoot::InRoot(UniqueFd root) : fd_(std::move(root)) {}

UniqueFd InRoot::Resolve(const std::vector<std::string>& comps, int flags, const Create& create,
                         const char** failed_op) const {
  *failed_op = nullptr;
  if (g_openat2_enabled && !comps.empty()) {
    std::string rel = JoinPath(comps);
    open_how how{};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    for (int i = 0; i < kEagainRetries; i++) {
      long r = syscall(SYS_openat2, fd_.get(), rel.c_str(), &how, sizeof how);
      if (r >= 0) return UniqueFd(static_cast<int>(r));
      if (errno != EAGAIN && errno != EINTR) break;
    }
    if (errno == ENOSYS || errno == EPERM || errno == E2BIG) {
      g_openat2_enabled = false;  // no openat2 here (old kernel, seccomp): the walk from now on
    } else if (errno != EAGAIN && !(create.on && errno == ENOENT)) {
      return UniqueFd();  // the answer; a missing directory to create is left to the walk
    }
  }

  DirChain chain(fd_.get());
  auto lookup = [&](const std::vector<std::string>& at, bool last) -> ScopeEntry {
    int parent = chain.At(at, at.size() - 1);
    if (parent < 0) return {errno, std::nullopt};
    const char* name = at.back().c_str();
    struct stat st;
    if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT || !create.on) return {errno, std::nullopt};
      if (mkdirat(parent, name, create.mode) != 0 && errno != EEXIST) {
        *failed_op = "mkdir";
        return {errno, std::nullopt};
      }
      if (create.exact) {
        UniqueFd made(openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!made) return {errno, std::nullopt};
        if (fchmod(made.get(), create.mode) != 0) {
          *failed_op = "chmod";
          return {errno, std::nullopt};
        }
      }
      return {};
    }
    if (S_ISLNK(st.st_mode)) {
      char buf[4097];
      ssize_t n = readlinkat(parent, name, buf, sizeof buf - 1);
      if (n < 0) {
        *failed_op = "readlink";
        return {errno, std::nullopt};
      }
      if (n == 0) return {ENOENT, std::nullopt};
      if (static_cast<size_t>(n) == sizeof buf - 1) return {ENAMETOOLONG, std::nullopt};
      return {0, std::string(buf, static_cast<size_t>(n))};
    }
    if (!last && !S_ISDIR(st.st_mode)) return {ENOTDIR, std::nullopt};
    return {};
  };
  ScopedPath r = ResolveInScope(comps, true, kMaxSymlinks, lookup);
  if (r.error != 0) {
    errno = r.error;
    return UniqueFd();
  }
  if (r.comps.empty()) return UniqueFd(openat(fd_.get(), ".", flags | O_CLOEXEC));
  int parent = chain.At(r.comps, r.comps.size() - 1);
  if (parent < 0) return UniqueFd();
  // No component is a symlink now (each was looked at): open the last one without following.
  return UniqueFd(openat(parent, r.comps.back().c_str(), flags | O_NOFOLLOW | O_CLOEXEC));
}

UniqueFd InRoot::ResolveOrThrow(std::string_view what, const std::vector<std::string>& comps, int flags,
                                const Create& create) const {
  const char* op = nullptr;
  UniqueFd fd = Resolve(comps, flags, create, &op);
  if (!fd) {
    std::string name = what.empty() ? "/" : std::string(what);
    ThrowErrno(op ? std::string(op) + " " + name : name);
  }
  return fd;
}

UniqueFd InRoot::Open(std::string_view path, int flags) const {
  const char* op = nullptr;
  return Resolve(SplitPath(path), flags, Create{}, &op);
}

UniqueFd InRoot::OpenDir(const std::vector<std::string>& comps, bool create) const {
  return ResolveOrThrow(Describe(comps), comps, O_RDONLY | O_DIRECTORY, Create{create, 0755, true});
}

UniqueFd InRoot::MkdirAll(std::string_view path, mode_t mode) const {
  return ResolveOrThrow(path, SplitPath(path), O_PATH | O_DIRECTORY, Create{true, mode, false});
}

UniqueFd InRoot::EnsureMountTarget(std::string_view path, bool dir) const {
  if (dir) return MkdirAll(path);
  UniqueFd fd = Open(path, O_PATH);
  if (fd) return fd;
  std::string name(path);
  if (errno != ENOENT) ThrowErrno(name);
  std::vector<std::string> parent = SplitPath(path);
  std::string leaf = parent.back();  // not empty: the root itself always exists
  parent.pop_back();
  // O_CREAT needs a real directory fd, not an O_PATH one.
  UniqueFd dir_fd = ResolveOrThrow("/" + JoinPath(parent), parent, O_RDONLY | O_DIRECTORY, Create{true, 0755, false});
  UniqueFd f(openat(dir_fd.get(), leaf.c_str(), O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!f && errno != EEXIST) ThrowErrno("create " + name);
  fd = Open(path, O_PATH);
  if (!fd) ThrowErrno(name);
  return fd;
}

std::optional<struct stat> InRoot::Lstat(std::string_view path) const {
  std::vector<std::string> comps = SplitPath(path);
  struct stat st;
  if (comps.empty() || comps.back() == "..") {  // a directory: followed, as the kernel does
    UniqueFd fd = Open(path, O_PATH);
    if (!fd && (errno == ENOENT || errno == ENOTDIR)) return std::nullopt;
    if (!fd || fstat(fd.get(), &st) != 0) ThrowErrno("stat " + std::string(path));
    return st;
  }
  std::string leaf = comps.back();
  comps.pop_back();
  const char* op = nullptr;
  UniqueFd parent = Resolve(comps, O_PATH | O_DIRECTORY, Create{}, &op);
  if (parent && fstatat(parent.get(), leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) return st;
  if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
  ThrowErrno("stat " + std::string(path));
}

void RemoveEntryAt(int dir_fd, const std::string& name) {
  struct stat st;
  if (fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return;
    ThrowErrno("stat " + name);
  }
  if (!S_ISDIR(st.st_mode)) {
    if (unlinkat(dir_fd, name.c_str(), 0) != 0 && errno != ENOENT) ThrowErrno("remove " + name);
    return;
  }
  {
    int fd = openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) ThrowErrno("open " + name);
    DIR* d = fdopendir(fd);
    if (!d) {
      close(fd);
      ThrowErrno("open " + name);
    }
    std::vector<std::string> children;
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") children.push_back(std::move(n));
    }
    try {
      for (const auto& child : children) RemoveEntryAt(dirfd(d), child);
    } catch (...) {
      closedir(d);
      throw;
    }
    closedir(d);
  }
  if (unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) ThrowErrno("remove " + name);
}

}  // namespace mini
