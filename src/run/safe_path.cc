#include "run/safe_path.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "common/error.h"

namespace mini::run {
namespace {

std::vector<std::string> Components(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

bool g_no_openat2 = false;

/// Walk fallback: resolves each component by hand; ".." never climbs above the root and
/// absolute symlinks restart at the root.
UniqueFd WalkInRoot(int root_fd, const std::string& path, int flags) {
  std::vector<std::string> todo = Components(path);
  std::vector<std::string> stack;  // resolved components, for ".."
  int links = 0;
  size_t idx = 0;
  while (idx < todo.size()) {
    const std::string c = todo[idx++];
    if (c == ".") continue;
    if (c == "..") {
      if (!stack.empty()) stack.pop_back();
      continue;
    }
    std::string prefix;
    for (const auto& s : stack) prefix += s + "/";
    UniqueFd parent(prefix.empty() ? fcntl(root_fd, F_DUPFD_CLOEXEC, 0)
                                   : openat(root_fd, prefix.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!parent) return UniqueFd();
    struct stat st;
    if (fstatat(parent.get(), c.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
      if (++links > 40) {
        errno = ELOOP;
        return UniqueFd();
      }
      char buf[4096];
      ssize_t n = readlinkat(parent.get(), c.c_str(), buf, sizeof(buf) - 1);
      if (n < 0) return UniqueFd();
      std::string target(buf, static_cast<size_t>(n));
      if (!target.empty() && target[0] == '/') stack.clear();
      std::vector<std::string> rest = Components(target);
      rest.insert(rest.end(), todo.begin() + static_cast<long>(idx), todo.end());
      todo = std::move(rest);
      idx = 0;
      continue;
    }
    stack.push_back(c);
  }
  std::string full;
  for (const auto& s : stack) full += (full.empty() ? "" : "/") + s;
  if (full.empty()) full = ".";
  // Every component is now a non-symlink (checked above); open without following.
  return UniqueFd(openat(root_fd, full.c_str(), flags | O_NOFOLLOW | O_CLOEXEC));
}

}  // namespace

std::string FdPath(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

UniqueFd OpenInRoot(int root_fd, const std::string& path, int flags) {
  std::string rel = path;
  while (!rel.empty() && rel[0] == '/') rel.erase(0, 1);
  if (rel.empty()) rel = ".";
  if (!g_no_openat2) {
    struct open_how how = {};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    for (int tries = 0; tries < 16; tries++) {
      long fd = syscall(SYS_openat2, root_fd, rel.c_str(), &how, sizeof(how));
      if (fd >= 0) return UniqueFd(static_cast<int>(fd));
      if (errno == EAGAIN) continue;
      if (errno == ENOSYS) break;
      return UniqueFd();
    }
    if (errno != ENOSYS) return UniqueFd();
    g_no_openat2 = true;
  }
  return WalkInRoot(root_fd, rel, flags);
}

namespace {
UniqueFd MkdirAllInRootDepth(int root_fd, const std::string& path, mode_t mode, int depth);
}

UniqueFd MkdirAllInRoot(int root_fd, const std::string& path, mode_t mode) {
  return MkdirAllInRootDepth(root_fd, path, mode, 0);
}

namespace {

UniqueFd MkdirAllInRootDepth(int root_fd, const std::string& path, mode_t mode, int depth) {
  if (depth > 40) ThrowErrno("mkdir " + path, ELOOP);
  std::vector<std::string> comps = Components(path);
  UniqueFd cur = OpenInRoot(root_fd, "/", O_PATH | O_DIRECTORY);
  if (!cur) ThrowErrno("open container root");
  std::string prefix;
  for (const auto& c : comps) {
    prefix += "/" + c;
    UniqueFd next = OpenInRoot(root_fd, prefix, O_PATH | O_DIRECTORY);
    if (!next && errno == ENOENT) {
      // Create the component under the resolved parent, never through a symlink.
      if (mkdirat(cur.get(), c.c_str(), mode) != 0 && errno != EEXIST) ThrowErrno("mkdir " + prefix);
      next = OpenInRoot(root_fd, prefix, O_PATH | O_DIRECTORY);
      if (!next && errno == ENOENT) {
        // A dangling symlink: create its target, inside the root (runc's MkdirAllInRoot).
        char buf[4096];
        ssize_t n = readlinkat(cur.get(), c.c_str(), buf, sizeof(buf) - 1);
        if (n > 0) {
          std::string target(buf, static_cast<size_t>(n));
          std::string parent = prefix.substr(0, prefix.size() - c.size());
          MkdirAllInRootDepth(root_fd, target[0] == '/' ? target : parent + target, mode, depth + 1);
          next = OpenInRoot(root_fd, prefix, O_PATH | O_DIRECTORY);
        } else {
          errno = ENOENT;
        }
      }
    }
    if (!next) ThrowErrno("open " + prefix + " in container root");
    cur = std::move(next);
  }
  return cur;
}

}  // namespace

UniqueFd EnsureMountTarget(int root_fd, const std::string& path, bool dir) {
  if (dir) return MkdirAllInRoot(root_fd, path);
  UniqueFd fd = OpenInRoot(root_fd, path, O_PATH);
  if (fd) return fd;
  if (errno != ENOENT) ThrowErrno("open " + path + " in container root");
  size_t slash = path.find_last_of('/');
  std::string parent = slash == std::string::npos ? "/" : path.substr(0, slash);
  std::string leaf = path.substr(slash == std::string::npos ? 0 : slash + 1);
  UniqueFd pfd = MkdirAllInRoot(root_fd, parent.empty() ? "/" : parent);
  // An O_PATH fd cannot be used with openat(O_CREAT): reopen the directory for real.
  UniqueFd dfd(openat(pfd.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dfd) ThrowErrno("open " + parent);
  UniqueFd f(openat(dfd.get(), leaf.c_str(), O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!f && errno != EEXIST) ThrowErrno("create " + path);
  fd = OpenInRoot(root_fd, path, O_PATH);
  if (!fd) ThrowErrno("open " + path + " in container root");
  return fd;
}

}  // namespace mini::run
