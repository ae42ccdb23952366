#include "common/fs.h"

#include <dirent.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <set>
#include <system_error>
#include <vector>

#include "common/error.h"
#include "common/staging.h"

namespace mini {

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) close(fd_);
  fd_ = fd;
}

size_t ReadSome(int fd, void* buf, size_t n, const std::string& what) {
  for (;;) {
    ssize_t r = read(fd, buf, n);
    if (r >= 0) return static_cast<size_t>(r);
    if (errno != EINTR) ThrowErrno("read " + what);
  }
}

void WriteAll(int fd, const void* data, size_t n, const std::string& what) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      ThrowErrno("write " + what);
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
}

std::optional<std::string> ReadFileIfExists(const std::string& path, uint64_t max_size) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;  // no such file, either way
    ThrowErrno("open " + path);
  }
  std::string out;
  char buf[65536];
  for (;;) {
    size_t n = ReadSome(fd.get(), buf, sizeof buf, path);
    if (n == 0) break;
    if (out.size() + n > max_size) throw Error(path + ": larger than " + std::to_string(max_size) + " bytes");
    out.append(buf, n);
  }
  return out;
}

std::string ReadFile(const std::string& path, uint64_t max_size) {
  auto s = ReadFileIfExists(path, max_size);
  if (!s) ThrowErrno("open " + path, ENOENT);
  return *s;
}

void WriteFileAtomic(const std::string& path, std::string_view data, mode_t mode) {
  std::string tmp = path + ".tmp-" + RandomString(8);
  UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (!fd) ThrowErrno("create " + tmp);
  try {
    WriteAll(fd.get(), data.data(), data.size(), tmp);
    if (fchmod(fd.get(), mode) != 0) ThrowErrno("chmod " + tmp);
    if (fsync(fd.get()) != 0) ThrowErrno("fsync " + tmp);
    fd.reset();
    if (rename(tmp.c_str(), path.c_str()) != 0) ThrowErrno("rename " + tmp + " to " + path);
  } catch (...) {
    unlink(tmp.c_str());
    throw;
  }
}

void WriteOutputFile(const std::string& path, const std::string& what, const std::function<void(int fd)>& write) {
  struct stat st;
  if (stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    if (S_ISDIR(st.st_mode)) throw Error(what + ": " + path + " is a directory");
    UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) ThrowErrno(what + ": open " + path);
    write(fd.get());
    return;
  }
  std::string tmp = path + ".mini-tmp-" + RandomString(8);
  UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd) ThrowErrno(what + ": create " + tmp);
  try {
    write(fd.get());
    if (fsync(fd.get()) != 0) ThrowErrno(what + ": fsync " + tmp);
    fd.reset();
    if (rename(tmp.c_str(), path.c_str()) != 0) ThrowErrno(what + ": rename to " + path);
  } catch (...) {
    unlink(tmp.c_str());
    throw;
  }
}

void MakeDirs(const std::string& path, mode_t mode) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) throw Error("mkdir " + path + ": " + ec.message());
  (void)mode;
}

namespace {

/// Removes `name` in `dir_fd` without following symlinks, trying the cheap calls first: unlink,
/// then rmdir, and only for a directory that is not empty a readdir (whose d_type saves the
/// stat of every entry). A --rm container's removal is mostly empty directories.
void RemoveAt(int dir_fd, const std::string& name, const std::string& shown, bool known_dir) {
  if (!known_dir) {
    if (unlinkat(dir_fd, name.c_str(), 0) == 0 || errno == ENOENT) return;
    if (errno != EISDIR && errno != EPERM) ThrowErrno("remove " + shown);
  }
  if (unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) == 0 || errno == ENOENT) return;
  if (errno != ENOTEMPTY && errno != EEXIST) ThrowErrno("remove " + shown);
  int fd = openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) ThrowErrno("open " + shown);
  DIR* d = fdopendir(fd);
  if (!d) {
    close(fd);
    ThrowErrno("open " + shown);
  }
  std::vector<std::pair<std::string, bool>> children;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") children.emplace_back(std::move(n), e->d_type == DT_DIR);
  }
  try {
    for (const auto& [child, is_dir] : children) RemoveAt(dirfd(d), child, shown + "/" + child, is_dir);
  } catch (...) {
    closedir(d);
    throw;
  }
  closedir(d);
  if (unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) ThrowErrno("remove " + shown);
}

}  // namespace

void RemoveTree(const std::string& path) {
  while (path.size() > 1 && path.back() == '/') return RemoveTree(path.substr(0, path.size() - 1));
  RemoveAt(AT_FDCWD, path, path, false);
}

std::vector<std::string> ListDirNames(const std::string& path) {
  std::vector<std::string> out;
  DIR* d = opendir(path.c_str());
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(std::move(n));
  }
  closedir(d);
  return out;
}

std::vector<std::string> ListDirNamesAt(int dirfd) {
  UniqueFd it(dup(dirfd));  // readdir moves the offset of the fd it is given
  if (!it) ThrowErrno("dup");
  DIR* d = fdopendir(it.get());
  if (!d) ThrowErrno("opendir");
  it.release();
  std::vector<std::string> out;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(std::move(n));
  }
  closedir(d);
  return out;
}

bool PathExists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool IsEmptyDirectory(const std::string& path) {
  DIR* d = opendir(path.c_str());
  if (!d) return false;
  bool empty = true;
  while (struct dirent* e = readdir(d)) {
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
      empty = false;
      break;
    }
  }
  closedir(d);
  return empty;
}

std::string RandomString(size_t n, bool upper) {
  static const char* kLower = "abcdefghijklmnopqrstuvwxyz0123456789";
  static const char* kBase32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out(n, '\0');
  std::string raw(n, '\0');
  size_t got = 0;
  while (got < n) {
    ssize_t r = getrandom(raw.data() + got, n - got, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      ThrowErrno("getrandom");
    }
    got += static_cast<size_t>(r);
  }
  for (size_t i = 0; i < n; i++) {
    unsigned char c = static_cast<unsigned char>(raw[i]);
    out[i] = upper ? kBase32[c % 32] : kLower[c % 36];
  }
  return out;
}

std::string NewRandomId() {
  unsigned char b[32];
  if (getrandom(b, sizeof(b), 0) != static_cast<ssize_t>(sizeof(b))) ThrowErrno("getrandom");
  static const char* kHex = "0123456789abcdef";
  std::string s;
  for (unsigned char c : b) {
    s += kHex[c >> 4];
    s += kHex[c & 15];
  }
  return s;
}

void Pipe(UniqueFd* r, UniqueFd* w) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) ThrowErrno("pipe");
  r->reset(p[0]);
  w->reset(p[1]);
}

uint64_t TreeSize(const std::string& path) {
  uint64_t total = 0;
  std::error_code ec;
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return 0;
  if (!S_ISDIR(st.st_mode)) return static_cast<uint64_t>(st.st_size);
  // A file with several hard links is counted once, as Docker counts (busybox's ~400 links to
  // one binary are 1 MB, not 400).
  TreeSizer sizer;
  for (auto it = std::filesystem::recursive_directory_iterator(
           path, std::filesystem::directory_options::skip_permission_denied, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
    if (lstat(it->path().c_str(), &st) == 0) total += sizer.Count(st);
  return total;
}

uint64_t TreeSizer::Count(const struct stat& st) {
  if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) return 0;
  if (st.st_nlink > 1 && !linked_.insert({st.st_dev, st.st_ino}).second) return 0;
  return static_cast<uint64_t>(st.st_size);
}

// Names under construction are made as kNewEntryPrefix + name, locked, then renamed to their
// real name, so that a cleaner never finds an entry unlocked while its creator still lives
// (common/staging.h).

TempDir::TempDir(const std::string& parent, const std::string& prefix) {
  MakeDirs(parent);
  for (int i = 0; i < 10; i++) {
    std::string name = prefix + RandomString(12);
    std::string fresh = parent + "/" + kNewEntryPrefix + name, p = parent + "/" + name;
    if (mkdir(fresh.c_str(), 0700) != 0) {
      if (errno == EEXIST) continue;
      ThrowErrno("mkdir " + fresh);
    }
    lock_fd_.reset(open(fresh.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!lock_fd_ || flock(lock_fd_.get(), LOCK_EX) != 0 || rename(fresh.c_str(), p.c_str()) != 0) {
      int err = errno;
      rmdir(fresh.c_str());
      ThrowErrno("create " + p, err);
    }
    path_ = p;
    return;
  }
  throw Error("cannot create a temp dir in " + parent);
}

UniqueFd CreateLockedFile(const std::string& dir, const std::string& prefix, std::string* path) {
  MakeDirs(dir);
  for (int i = 0; i < 10; i++) {
    std::string name = prefix + RandomString(16);
    std::string fresh = dir + "/" + kNewEntryPrefix + name, p = dir + "/" + name;
    UniqueFd fd(open(fresh.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd) {
      if (errno == EEXIST) continue;
      ThrowErrno("create " + fresh);
    }
    if (flock(fd.get(), LOCK_EX) != 0 || rename(fresh.c_str(), p.c_str()) != 0) {
      int err = errno;
      unlink(fresh.c_str());
      ThrowErrno("create " + p, err);
    }
    *path = p;
    return fd;
  }
  throw Error("cannot create a temp file in " + dir);
}

void RemoveTreeAway(const std::string& path, const std::string& prefix) {
  UniqueFd lock(open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!lock) {
    if (errno == ENOENT) return;
    ThrowErrno("open " + path);
  }
  if (flock(lock.get(), LOCK_EX) != 0) ThrowErrno("lock " + path);
  std::string parent = path.substr(0, path.rfind('/'));
  for (int i = 0; i < 10; i++) {
    std::string gone = parent + "/" + prefix + RandomString(12);
    if (renameat2(AT_FDCWD, path.c_str(), AT_FDCWD, gone.c_str(), RENAME_NOREPLACE) == 0) return RemoveTree(gone);
    if (errno == ENOENT) return;
    if (errno != EEXIST) ThrowErrno("rename " + path);
  }
  throw Error("cannot rename " + path + " away");
}

TempDir::~TempDir() {
  if (released_ || path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace mini

namespace mini {

int RemoveStaleEntries(const std::string& dir, const std::string& prefix) {
  int removed = 0;
  for (const auto& n : ListDirNames(dir)) {
    std::string p = dir + "/" + n;
    bool fresh = n.rfind(kNewEntryPrefix, 0) == 0;
    if ((fresh ? n.compare(sizeof kNewEntryPrefix - 1, prefix.size(), prefix) : n.compare(0, prefix.size(), prefix)) != 0)
      continue;  // not one of the entries asked for
    if (IsEntryBeingMade(dir, n)) continue;  // being made, or in use
    RemoveTree(p);
    removed++;
  }
  return removed;
}

}  // namespace mini
