#include "store/safe_path.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <deque>

#include "common/error.h"

namespace mini {
namespace {

constexpr int kMaxSymlinks = 40;
constexpr int kEagainRetries = 64;
std::atomic<bool> g_openat2_enabled{true};

std::vector<std::string> SplitSlash(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find('/', i);
    if (j == std::string_view::npos) j = s.size();
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::string Describe(const std::vector<std::string>& comps) {
  std::string p = JoinPath(comps);
  return p.empty() ? "/" : p;
}

}  // namespace

std::vector<std::string> CleanPathComponents(std::string_view name) {
  std::vector<std::string> out;
  for (auto& c : SplitSlash(name)) {
    if (c == ".") continue;
    if (c == "..") {
      if (!out.empty()) out.pop_back();
      continue;
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::string JoinPath(const std::vector<std::string>& comps) {
  std::string s;
  for (const auto& c : comps) {
    if (!s.empty()) s += '/';
    s += c;
  }
  return s;
}

void SetOpenat2Enabled(bool on) { g_openat2_enabled = on; }

RootDir::RootDir(const std::string& path)
    : fd_(open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
  if (!fd_) ThrowErrno("open " + path);
}

UniqueFd RootDir::DupRoot() const {
  UniqueFd d(openat(fd_.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!d) ThrowErrno("open layer root");
  return d;
}

UniqueFd RootDir::OpenDir(const std::vector<std::string>& comps, bool create) const {
  if (comps.empty()) return DupRoot();
  if (g_openat2_enabled) {
    std::string rel = JoinPath(comps);
    open_how how{};
    how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    for (int i = 0; i < kEagainRetries; i++) {
      long r = syscall(SYS_openat2, fd_.get(), rel.c_str(), &how, sizeof how);
      if (r >= 0) return UniqueFd(static_cast<int>(r));
      if (errno == EAGAIN || errno == EINTR) continue;
      if (errno == ENOSYS || errno == EPERM || errno == E2BIG) g_openat2_enabled = false;
      break;  // ENOENT and the like: the walk creates or reports it with a precise reason
    }
  }
  return OpenDirByWalk(comps, create);
}

UniqueFd RootDir::ReopenResolved(const std::vector<std::string>& resolved) const {
  UniqueFd cur = DupRoot();
  for (const auto& c : resolved) {
    UniqueFd next(openat(cur.get(), c.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next) ThrowErrno(Describe(resolved));
    cur = std::move(next);
  }
  return cur;
}

UniqueFd RootDir::OpenDirByWalk(const std::vector<std::string>& comps, bool create) const {
  std::deque<std::string> todo(comps.begin(), comps.end());
  std::vector<std::string> resolved;  // real directories, from the root down
  UniqueFd cur = DupRoot();
  int links = 0;
  while (!todo.empty()) {
    std::string c = std::move(todo.front());
    todo.pop_front();
    if (c.empty() || c == ".") continue;
    if (c == "..") {
      if (!resolved.empty()) {
        resolved.pop_back();
        cur = ReopenResolved(resolved);
      }
      continue;
    }
    struct stat st;
    if (fstatat(cur.get(), c.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT || !create) ThrowErrno(Describe(comps));
      if (mkdirat(cur.get(), c.c_str(), 0755) != 0 && errno != EEXIST) ThrowErrno("mkdir " + Describe(comps));
      UniqueFd made(openat(cur.get(), c.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!made) ThrowErrno(Describe(comps));
      if (fchmod(made.get(), 0755) != 0) ThrowErrno("chmod " + Describe(comps));
      cur = std::move(made);
      resolved.push_back(std::move(c));
      continue;
    }
    if (S_ISLNK(st.st_mode)) {
      if (++links > kMaxSymlinks) ThrowErrno(Describe(comps), ELOOP);
      char buf[4097];
      ssize_t n = readlinkat(cur.get(), c.c_str(), buf, sizeof buf - 1);
      if (n < 0) ThrowErrno("readlink " + Describe(comps));
      if (n == 0) ThrowErrno(Describe(comps), ENOENT);
      std::string_view target(buf, static_cast<size_t>(n));
      auto parts = SplitSlash(target);
      todo.insert(todo.begin(), parts.begin(), parts.end());
      if (target[0] == '/') {  // absolute: relative to the root, never the host
        resolved.clear();
        cur = DupRoot();
      }
      continue;
    }
    if (!S_ISDIR(st.st_mode)) ThrowErrno(Describe(comps), ENOTDIR);
    UniqueFd next(openat(cur.get(), c.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next) ThrowErrno(Describe(comps));
    cur = std::move(next);
    resolved.push_back(std::move(c));
  }
  return cur;
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
