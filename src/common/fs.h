#pragma once
/// Small filesystem helpers: an owning fd, whole-file reads, atomic writes, temp dirs.
#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace mini {

/// Owns one file descriptor; closes it on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) reset(o.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

/// Reads a whole file; throws Error naming the path. `max_size` caps what is accepted.
std::string ReadFile(const std::string& path, uint64_t max_size = UINT64_MAX);
/// Reads a whole file if it exists, nullopt if it does not (ENOENT, ENOTDIR); throws on other errors.
std::optional<std::string> ReadFileIfExists(const std::string& path, uint64_t max_size = UINT64_MAX);
/// Writes `data` to path via a temp file in the same directory, fsync, rename. Atomic.
void WriteFileAtomic(const std::string& path, std::string_view data, mode_t mode = 0644);
/// A command's output file (`save -o`, `export -o`, `build --output type=tar,dest=`): `write`
/// gets an fd to write into. A new or regular file is written beside the target and renamed over
/// it, so a failed write leaves no half archive; an existing non-regular file (/dev/null, a
/// FIFO, a tty) is written in place, never replaced. `what` names the command in errors.
void WriteOutputFile(const std::string& path, const std::string& what, const std::function<void(int fd)>& write);
/// Writes all of `data` to fd; throws on error.
void WriteAll(int fd, const void* data, size_t n, const std::string& what);
/// Reads up to n bytes, retrying on EINTR; returns bytes read (0 at EOF).
size_t ReadSome(int fd, void* buf, size_t n, const std::string& what);
/// mkdir -p.
void MakeDirs(const std::string& path, mode_t mode = 0755);
/// Names in a directory, without "." and ".."; empty if it cannot be opened. Unsorted.
std::vector<std::string> ListDirNames(const std::string& path);
/// The same for an open directory (the fd stays open and unmoved). Throws Error.
std::vector<std::string> ListDirNamesAt(int dirfd);
/// rm -rf without following symlinks; missing path is fine. Throws on failure.
void RemoveTree(const std::string& path);
bool PathExists(const std::string& path);
bool IsDirectory(const std::string& path);
/// True for a directory with no entries (false when it cannot be read).
bool IsEmptyDirectory(const std::string& path);
/// Random string from [a-z0-9] (or base32 upper-case for short ids when `upper` is set).
std::string RandomString(size_t n, bool upper = false);
/// 64 random lowercase hex characters: the ids of containers, networks and endpoints.
std::string NewRandomId();
/// pipe2(O_CLOEXEC); throws Error.
void Pipe(UniqueFd* r, UniqueFd* w);
/// Disk usage of a tree in bytes: apparent sizes of files and symlinks, each inode once (hard
/// links counted once), like docker's SIZE.
uint64_t TreeSize(const std::string& path);

/// What TreeSize adds for one entry: the apparent size of a file or symlink the first time its
/// inode is met (a file's hard links are one file's bytes), else 0. For walks that size as they go.
class TreeSizer {
 public:
  uint64_t Count(const struct stat& st);

 private:
  std::set<std::pair<dev_t, ino_t>> linked_;  ///< inodes with several links already counted
};

/// A directory that is removed (recursively) on destruction unless Release()d. While it lives
/// it holds an flock on itself, so a cleaner (RemoveStaleEntries) knows it is in use.
class TempDir {
 public:
  /// Creates `<parent>/<prefix><random>`.
  TempDir(const std::string& parent, const std::string& prefix);
  TempDir(TempDir&&) = delete;
  ~TempDir();
  const std::string& path() const { return path_; }
  void Release() { released_ = true; }

 private:
  std::string path_;
  bool released_ = false;
  UniqueFd lock_fd_;
};

/// Creates `<dir>/<prefix><random>` (mode 0600), holding an flock on it from before it has its
/// name (like TempDir), so a cleaner knows it is in use. Returns the fd; *path gets the name.
UniqueFd CreateLockedFile(const std::string& dir, const std::string& prefix, std::string* path);

/// Removes the record directory `path` so that no reader ever sees it half gone: holding an
/// flock on it, renames it to `<parent>/<prefix><random>` in one step, then removes that. A
/// process killed meanwhile leaves an unlocked `<prefix>` entry for RemoveStaleEntries. A
/// missing path is fine. Throws Error.
void RemoveTreeAway(const std::string& path, const std::string& prefix);

/// Removes every entry of `dir` that nobody holds an flock on (staging leftovers of crashed
/// processes; an entry still being made is left alone). Returns the number removed.
/// With `prefix`, only entries named <prefix>... (temp dirs beside real entries, as the layer
/// records' .tmp- dirs in layers/).
int RemoveStaleEntries(const std::string& dir, const std::string& prefix = "");

}  // namespace mini
