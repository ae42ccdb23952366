#include "store/tar_extract.h"

#include "store/overlay_marks.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/in_root.h"
#include "common/log.h"
#include "common/path.h"
#include "common/rootless.h"
#include "store/tar_extract_internal.h"
#include "store/tar_extract_workers.h"

namespace mini {
namespace {

using tar_detail::ArchiveReader;
using tar_detail::IsEmptyDir;
using tar_detail::kReadChunk;
using tar_detail::Meta;
using tar_detail::ReadMeta;
using tar_detail::SpreadDirectories;
using tar_detail::StartsWith;
using tar_detail::ThrowChown;

constexpr size_t kMaxPathLen = 4096;
/// Regular files up to this size are written by ExtractWorkers (their data copied out of the
/// tar); bigger ones by the extractor itself, streamed. Each worker holds up to kWorkerBytes of
/// such data and kWorkerTasks files before the extractor waits for it.
constexpr int64_t kSmallFile = 64 * 1024;
constexpr size_t kWorkerBytes = 1 << 20;
constexpr size_t kWorkerTasks = 4096;
/// The extractor drains the workers after this many queued files, which bounds what it
/// remembers of them (whatever the number of files in the layer).
constexpr size_t kMaxQueuedFiles = 32768;
constexpr const char kWhiteoutPrefix[] = ".wh.";
constexpr const char kOpaqueMarker[] = ".wh..wh..opq";

size_t PathHash(std::string_view path) { return std::hash<std::string_view>()(path); }

class Extractor;

/// A small regular file read out of the tar, written by a worker.
struct SmallFile : ExtractWorkers::Job {
  Extractor* ex = nullptr;
  std::shared_ptr<UniqueFd> parent;
  std::string base;
  std::string name;  ///< the entry's name, for errors
  Meta meta;
  std::string data;
  /// (offset, length) of data's parts when there are holes between; empty when data is the
  /// file from its start.
  std::vector<std::pair<int64_t, size_t>> pieces;
  int64_t size = 0;
  void Run() override;
};

/// Runs `f`; an Error it throws gets "layer entry "NAME": " before its message (the context
/// string is built only then: this runs for every entry).
template <class F>
void ForEntry(const std::string& name, F&& f) {
  try {
    f();
  } catch (const Error& e) {
    throw e.WithMessage("layer entry \"" + name + "\": " + e.what());
  }
}

/// Writes the tar's entries inside an InRoot, all through fds. Directory modes and times are kept
/// for a final pass that re-resolves each directory safely. Small regular files are written by
/// ExtractWorkers, sharded by directory; before any other entry that names a path a queued file
/// is at or under, or whose path runs through a queued file, and before every hard link and
/// whiteout, the queue is drained: the result is the same as writing every entry in tar order.
class Extractor {
 public:
  Extractor(const std::string& dest, const UnpackOptions& opts)
      : root_(dest), opts_(opts), dest_was_empty_(IsEmptyDir(root_.fd())) {
    if (opts_.spread_directories && dest_was_empty_) SpreadDirectories(root_.fd());
  }

  void Extract(ArchiveReader& reader, archive_entry* e, const std::string& name);
  /// Waits for the workers (throws their first error), then sets the directories' modes and times.
  void Finish();
  /// What TreeSize(dest) would count, when the entries' sizes tell it: dest was empty and no
  /// entry replaced another.
  std::optional<uint64_t> TreeSize() const {
    if (!dest_was_empty_ || replaced_) return std::nullopt;
    return tree_bytes_.load();
  }

 private:
  struct Deferred {
    std::vector<std::string> comps;
    mode_t perm;
    timespec times[2];
  };

  void FinishDirectories();
  /// Whether the entry at `key` (`comps` joined) may touch what a queued file touches.
  bool Conflicts(const std::vector<std::string>& comps, const std::string& key, bool dir) const;
  void Drain();
  void QueueSmallFile(ArchiveReader& reader, archive_entry* e, std::shared_ptr<UniqueFd> parent,
                      const std::vector<std::string>& comps, const std::string& key, const std::string& name,
                      const Meta& m);
  friend struct SmallFile;
  void WriteSmallFile(SmallFile& f);
  /// Creates `base` for writing (see the definition).
  UniqueFd CreateFileAt(int parent_fd, const std::string& base, mode_t perm);
  /// Removes what is at `base` before an entry is made there (noting that the entries' sizes no
  /// longer add up to the tree's).
  void ClearFor(int parent_fd, const std::string& base);
  /// Sparse tail, owner, mode, xattrs and times of a file just written through `fd`.
  void FinishFile(int fd, const Meta& m, int64_t want, int64_t end);

  void ExtractWhiteout(const std::vector<std::string>& parent, const std::string& base, const Meta& m);
  void ExtractDir(int parent_fd, const std::vector<std::string>& comps, const Meta& m);
  void ExtractFile(ArchiveReader& reader, archive_entry* e, int parent_fd, const std::string& base, const Meta& m);
  void ExtractHardlink(archive_entry* e, int parent_fd, const std::vector<std::string>& comps);
  void ExtractSpecial(int parent_fd, const std::string& base, mode_t type, dev_t rdev, const Meta& m);
  void ApplyToNode(int parent_fd, const std::string& base, const Meta& m, mode_t expect_type, bool chmod);
  void Defer(const std::vector<std::string>& comps, const Meta& m);
  struct stat Remember(int fd);
  static void SetXattrs(int fd, const std::string& path, const Meta& m, bool strict);

  InRoot root_;
  UnpackOptions opts_;
  std::shared_ptr<UniqueFd> parent_fd_;  ///< the directory of the previous file entry, while still valid
  std::vector<std::string> parent_comps_;
  std::vector<Deferred> dirs_;
  std::map<std::string, size_t> dir_index_;
  /// Every inode in an empty dest is this layer's (the common case: a fresh staging dir): then
  /// created_ is not kept, which would grow with the number of files.
  const bool dest_was_empty_;
  std::atomic<bool> replaced_{false};      ///< an entry replaced another
  std::atomic<uint64_t> tree_bytes_{0};    ///< sizes of the files and symlinks made (hard links: 0)
  std::mutex created_mu_;  // workers add to created_
  std::set<std::pair<dev_t, ino_t>> created_;  // inodes this layer made: hard link targets
  // Hashes of the paths of the files queued since the last drain, and of their ancestors; a
  // collision only costs a drain that was not needed.
  std::unordered_set<size_t> queued_files_;
  std::unordered_set<size_t> queued_dirs_;
  std::string queued_parent_;                     ///< the last queued file's directory ("" = none)
  std::unique_ptr<ExtractWorkers> workers_;       // last: its threads use the members above
};

bool Extractor::Conflicts(const std::vector<std::string>& comps, const std::string& key, bool dir) const {
  // A directory entry over a directory keeps it (new owner, mode, xattrs): no conflict with files
  // queued inside it.
  if (queued_files_.count(PathHash(key)) || (!dir && queued_dirs_.count(PathHash(key)))) return true;
  for (size_t i = 0, at = 0; i + 1 < comps.size(); i++) {
    at += comps[i].size() + (i ? 1 : 0);
    if (queued_files_.count(PathHash(std::string_view(key).substr(0, at)))) return true;
  }
  return false;
}

void Extractor::Drain() {
  if (workers_ && workers_->busy()) workers_->Drain();
  queued_files_.clear();
  queued_dirs_.clear();
  queued_parent_.clear();
}

void Extractor::Finish() {
  Drain();
  FinishDirectories();
}

void Extractor::Extract(ArchiveReader& reader, archive_entry* e, const std::string& name) {
  if (name.size() > kMaxPathLen) throw Error("path name longer than 4096 bytes");
  std::vector<std::string> comps = CleanPathComponents(name);
  Meta m = ReadMeta(e);
  const char* hardlink = archive_entry_hardlink(e);
  mode_t type = archive_entry_filetype(e);

  if (comps.empty()) {  // the layer root: stays a directory, only its metadata may change
    if (hardlink || type != AE_IFDIR) {
      Debug("layer: ignoring non-directory root entry \"" + name + "\"");
      return;
    }
    UniqueFd fd = root_.OpenDir({}, false);
    if (fchown(fd.get(), m.uid, m.gid) != 0) ThrowChown(m);
    SetXattrs(fd.get(), "", m, true);
    Defer(comps, m);
    return;
  }

  std::string base = comps.back();
  std::vector<std::string> parent(comps.begin(), comps.end() - 1);
  bool whiteout = opts_.convert_whiteouts && StartsWith(base, kWhiteoutPrefix);
  std::string key = JoinPath(comps);
  if (!queued_files_.empty() && (whiteout || hardlink || Conflicts(comps, key, type == AE_IFDIR))) Drain();
  if (whiteout) {
    parent_fd_.reset();  // a whiteout may remove a directory
    ExtractWhiteout(parent, base, m);
    return;
  }
  // Consecutive files, links and hard links usually share a directory: its fd is kept while only
  // such entries come (they cannot replace or move a directory); anything else drops it.
  bool keeps_dirs = hardlink || type == AE_IFREG || type == AE_IFLNK;
  if (!keeps_dirs || !parent_fd_ || parent != parent_comps_) {
    parent_fd_.reset();
    parent_fd_ = std::make_shared<UniqueFd>(root_.OpenDir(parent, true));
    parent_comps_ = parent;
  }
  std::shared_ptr<UniqueFd> parent_fd = parent_fd_;
  if (!keeps_dirs) parent_fd_.reset();  // closed after this entry
  if (hardlink) {
    ExtractHardlink(e, parent_fd->get(), comps);
    return;
  }
  if (type == AE_IFREG && archive_entry_size_is_set(e) && archive_entry_size(e) <= kSmallFile) {
    QueueSmallFile(reader, e, parent_fd, comps, key, name, m);
    return;
  }
  switch (type) {
    case AE_IFDIR: ExtractDir(parent_fd->get(), comps, m); break;
    case AE_IFREG: ExtractFile(reader, e, parent_fd->get(), base, m); break;
    case AE_IFLNK: {
      const char* target = archive_entry_symlink(e);
      if (!target || !*target) throw Error("symlink without a target");
      if (strlen(target) > kMaxPathLen) throw Error("symlink target longer than 4096 bytes");
      ClearFor(parent_fd->get(), base);
      if (symlinkat(target, parent_fd->get(), base.c_str()) != 0) ThrowErrno("symlink");
      tree_bytes_ += strlen(target);
      if (fchownat(parent_fd->get(), base.c_str(), m.uid, m.gid, AT_SYMLINK_NOFOLLOW) != 0) ThrowChown(m);
      UniqueFd fd(openat(parent_fd->get(), base.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
      if (!fd) ThrowErrno("open");
      Remember(fd.get());
      SetXattrs(-1, FdPath(fd.get()), m, false);
      if (utimensat(parent_fd->get(), base.c_str(), m.times, AT_SYMLINK_NOFOLLOW) != 0) ThrowErrno("set times");
      break;
    }
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO:
      ExtractSpecial(parent_fd->get(), base, type, type == AE_IFIFO ? 0 : archive_entry_rdev(e), m);
      break;
    case AE_IFSOCK: Debug("layer: skipping socket \"" + name + "\""); break;
    default: throw Error("unsupported entry type " + std::to_string(type));
  }
}

void Extractor::ExtractWhiteout(const std::vector<std::string>& parent, const std::string& base,
                                const Meta& m) {
  UniqueFd dir = root_.OpenDir(parent, true);
  if (base == kOpaqueMarker) {
    if (fsetxattr(dir.get(), OpaqueXattr(), "y", 1, 0) != 0) ThrowErrno("set opaque xattr");
    return;
  }
  std::string target = base.substr(sizeof kWhiteoutPrefix - 1);
  if (target.empty() || target == "." || target == "..") throw Error("whiteout without a valid name");
  Meta wm = m;
  wm.perm = 0;  // overlayfs's own whiteouts are c--------- 0,0; Docker's unpack makes them so too
  ExtractSpecial(dir.get(), target, AE_IFCHR, makedev(0, 0), wm);
}

void Extractor::ExtractDir(int parent_fd, const std::vector<std::string>& comps, const Meta& m) {
  const std::string& base = comps.back();
  struct stat st;
  bool keep = fstatat(parent_fd, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
  if (!keep) {
    ClearFor(parent_fd, base);
    if (mkdirat(parent_fd, base.c_str(), 0700) != 0) ThrowErrno("mkdir");
  }
  UniqueFd fd(openat(parent_fd, base.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) ThrowErrno("open");
  Remember(fd.get());
  if (fchown(fd.get(), m.uid, m.gid) != 0) ThrowChown(m);
  SetXattrs(fd.get(), "", m, true);
  Defer(comps, m);
}

/// Creates `base` for writing, with its final permission bits (less the umask) so that fchmod is
/// mostly not needed; the staging directory is private until commit. Most names are new: tried
/// before removing what is there.
UniqueFd Extractor::CreateFileAt(int parent_fd, const std::string& base, mode_t perm) {
  const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  UniqueFd fd(openat(parent_fd, base.c_str(), flags, perm & 0777));
  if (!fd && errno == EEXIST) {
    ClearFor(parent_fd, base);
    fd.reset(openat(parent_fd, base.c_str(), flags, perm & 0777));
  }
  if (!fd) ThrowErrno("create");
  return fd;
}

void PwriteAll(int fd, const char* p, size_t left, off_t at) {
  while (left > 0) {
    ssize_t w = pwrite(fd, p, left, at);
    if (w < 0) {
      if (errno == EINTR) continue;
      ThrowErrno("write");
    }
    p += w;
    at += w;
    left -= static_cast<size_t>(w);
  }
}

void Extractor::QueueSmallFile(ArchiveReader& reader, archive_entry* e, std::shared_ptr<UniqueFd> parent,
                               const std::vector<std::string>& comps, const std::string& key,
                               const std::string& name, const Meta& m) {
  auto f = std::make_unique<SmallFile>();
  f->ex = this;
  f->parent = std::move(parent);
  f->base = comps.back();
  f->name = name;
  f->meta = m;
  f->size = archive_entry_size(e);
  f->data.reserve(static_cast<size_t>(f->size));
  const void* block;
  size_t size;
  la_int64_t offset;
  for (;;) {
    int r = archive_read_data_block(reader.get(), &block, &size, &offset);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) reader.Fail("read data");
    if (size == 0) continue;
    if (offset != static_cast<la_int64_t>(f->data.size()) && f->pieces.empty())
      f->pieces.emplace_back(0, f->data.size());  // a hole: from now on, every part is listed
    if (offset != static_cast<la_int64_t>(f->data.size()) || !f->pieces.empty()) f->pieces.emplace_back(offset, size);
    f->data.append(static_cast<const char*>(block), size);
  }
  if (!workers_) {
    int n = static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 2u, 4u));
    workers_ = std::make_unique<ExtractWorkers>(n, kWorkerBytes, kWorkerTasks);
  }
  std::string dir = key.substr(0, key.size() - f->base.size() - (comps.size() > 1 ? 1 : 0));
  size_t cost = f->data.size() + key.size() + sizeof(SmallFile);
  workers_->Submit(std::hash<std::string>()(dir), cost, std::move(f));
  queued_files_.insert(PathHash(key));
  if (dir != queued_parent_ || queued_parent_.empty()) {
    for (size_t i = 0, at = 0; i + 1 < comps.size(); i++) {
      at += comps[i].size() + (i ? 1 : 0);
      queued_dirs_.insert(PathHash(std::string_view(key).substr(0, at)));
    }
    queued_parent_ = dir;
  }
  if (queued_files_.size() >= kMaxQueuedFiles) Drain();
}

void SmallFile::Run() { ex->WriteSmallFile(*this); }

void Extractor::WriteSmallFile(SmallFile& f) {
  ForEntry(f.name, [&] {
    UniqueFd fd = CreateFileAt(f.parent->get(), f.base, f.meta.perm);
    int64_t end = static_cast<int64_t>(f.data.size());
    if (f.pieces.empty()) {
      PwriteAll(fd.get(), f.data.data(), f.data.size(), 0);
    } else {
      size_t pos = 0;
      end = 0;
      for (auto [offset, len] : f.pieces) {
        PwriteAll(fd.get(), f.data.data() + pos, len, offset);
        pos += len;
        end = std::max<int64_t>(end, offset + static_cast<int64_t>(len));
      }
    }
    FinishFile(fd.get(), f.meta, f.size, end);
  });
}

void Extractor::ExtractFile(ArchiveReader& reader, archive_entry* e, int parent_fd, const std::string& base,
                            const Meta& m) {
  struct archive* a = reader.get();
  UniqueFd fd = CreateFileAt(parent_fd, base, m.perm);
  const void* block;
  size_t size;
  la_int64_t offset;
  int64_t end = 0;
  for (;;) {
    int r = archive_read_data_block(a, &block, &size, &offset);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) reader.Fail("read data");
    PwriteAll(fd.get(), static_cast<const char*>(block), size, offset);
    end = std::max<int64_t>(end, offset + static_cast<int64_t>(size));
  }
  FinishFile(fd.get(), m, archive_entry_size_is_set(e) ? archive_entry_size(e) : end, end);
}

void Extractor::FinishFile(int fd, const Meta& m, int64_t want, int64_t end) {
  if (want > end && ftruncate(fd, want) != 0) ThrowErrno("truncate");  // sparse tail
  tree_bytes_ += static_cast<uint64_t>(std::max(want, end));
  struct stat st = Remember(fd);
  // Owner and mode only when they differ from what creation gave (root:root and the bits less
  // the umask, usually the whole mode): two syscalls fewer for most files.
  bool chowned = st.st_uid != m.uid || st.st_gid != m.gid;
  if (chowned && fchown(fd, m.uid, m.gid) != 0) ThrowChown(m);
  if ((chowned || (st.st_mode & 07777) != m.perm) && fchmod(fd, m.perm) != 0)
    ThrowErrno("chmod");  // after chown, which clears setuid
  SetXattrs(fd, "", m, true);
  if (futimens(fd, m.times) != 0) ThrowErrno("set times");
}

void Extractor::ExtractHardlink(archive_entry* e, int parent_fd, const std::vector<std::string>& comps) {
  std::string target = archive_entry_hardlink(e);
  if (target.size() > kMaxPathLen) throw Error("hard link target longer than 4096 bytes");
  std::vector<std::string> tcomps = CleanPathComponents(target);
  if (tcomps.empty()) throw Error("hard link to the layer root");
  std::string what = "hard link target \"" + target + "\"";
  UniqueFd tparent = WithContext(what, [&] { return root_.OpenDir({tcomps.begin(), tcomps.end() - 1}, false); });
  struct stat tst;
  if (fstatat(tparent.get(), tcomps.back().c_str(), &tst, AT_SYMLINK_NOFOLLOW) != 0) ThrowErrno(what);
  if (S_ISDIR(tst.st_mode)) throw Error(what + " is a directory");
  if (!dest_was_empty_ && !created_.count({tst.st_dev, tst.st_ino})) throw Error(what + " is not in this layer");
  const std::string& base = comps.back();
  struct stat st;
  if (fstatat(parent_fd, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_dev == tst.st_dev &&
      st.st_ino == tst.st_ino)
    return;  // already that inode (a link to itself)
  ClearFor(parent_fd, base);
  if (linkat(tparent.get(), tcomps.back().c_str(), parent_fd, base.c_str(), 0) != 0) ThrowErrno("link to " + what);
}

void Extractor::ClearFor(int parent_fd, const std::string& base) {
  struct stat st;
  if (fstatat(parent_fd, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT) return;
  replaced_ = true;
  RemoveEntryAt(parent_fd, base);
}

void Extractor::ExtractSpecial(int parent_fd, const std::string& base, mode_t type, dev_t rdev, const Meta& m) {
  ClearFor(parent_fd, base);
  if (mknodat(parent_fd, base.c_str(), type | (m.perm & 0777), rdev) != 0) ThrowErrno("mknod");
  ApplyToNode(parent_fd, base, m, type, true);
}

/// Owner, mode, xattrs and times of a node that cannot be opened for I/O (device, fifo), by an
/// O_PATH fd: opening a device would run its driver.
void Extractor::ApplyToNode(int parent_fd, const std::string& base, const Meta& m, mode_t expect_type,
                            bool chmod_it) {
  UniqueFd fd(openat(parent_fd, base.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) ThrowErrno("open");
  struct stat st;
  if (fstat(fd.get(), &st) != 0) ThrowErrno("stat");
  if ((st.st_mode & S_IFMT) != expect_type) throw Error("changed type while being created");
  if (!dest_was_empty_) {
    std::lock_guard<std::mutex> l(created_mu_);
    created_.insert({st.st_dev, st.st_ino});
  }
  if (fchownat(fd.get(), "", m.uid, m.gid, AT_EMPTY_PATH) != 0) ThrowChown(m);
  if (chmod_it && chmod(FdPath(fd.get()).c_str(), m.perm) != 0) {
    // Without /proc: the entry was just checked not to be a symlink, so fchmodat cannot follow one.
    if (fchmodat(parent_fd, base.c_str(), m.perm, 0) != 0) ThrowErrno("chmod");
  }
  SetXattrs(-1, FdPath(fd.get()), m, false);
  if (utimensat(parent_fd, base.c_str(), m.times, AT_SYMLINK_NOFOLLOW) != 0) ThrowErrno("set times");
}

/// Sets xattrs by fd, or by a /proc/self/fd path for O_PATH fds. Filesystems or file types that
/// refuse an xattr (ENOTSUP, EPERM for user.* on devices) are skipped unless `strict`.
void Extractor::SetXattrs(int fd, const std::string& path, const Meta& m, bool strict) {
  for (const auto& [name, value] : m.xattrs) {
    int r = fd >= 0 ? fsetxattr(fd, name.c_str(), value.data(), value.size(), 0)
                    : setxattr(path.c_str(), name.c_str(), value.data(), value.size(), 0);
    if (r == 0) continue;
    if (errno == ENOTSUP || (!strict && errno == EPERM)) {
      Debug("layer: cannot set xattr " + name + ", skipped");
      continue;
    }
    ThrowErrno("set xattr " + name);
  }
}

struct stat Extractor::Remember(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) ThrowErrno("stat");
  if (!dest_was_empty_) {
    std::lock_guard<std::mutex> l(created_mu_);
    created_.insert({st.st_dev, st.st_ino});
  }
  return st;
}

void Extractor::Defer(const std::vector<std::string>& comps, const Meta& m) {
  Deferred d{comps, m.perm, {m.times[0], m.times[1]}};
  std::string key = JoinPath(comps);
  auto it = dir_index_.find(key);
  if (it != dir_index_.end()) {
    dirs_[it->second] = std::move(d);
  } else {
    dir_index_[key] = dirs_.size();
    dirs_.push_back(std::move(d));
  }
}

void Extractor::FinishDirectories() {
  for (const auto& d : dirs_) {
    UniqueFd fd;
    if (d.comps.empty()) {
      fd = root_.OpenDir({}, false);
    } else {
      // Re-resolved inside the root; a later entry may have replaced it: then there is nothing to do.
      UniqueFd parent;
      try {
        parent = root_.OpenDir({d.comps.begin(), d.comps.end() - 1}, false);
      } catch (const Error&) {
        continue;
      }
      fd.reset(openat(parent.get(), d.comps.back().c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!fd) continue;
    }
    std::string name = JoinPath(d.comps);
    if (fchmod(fd.get(), d.perm) != 0) ThrowErrno("layer entry \"" + name + "\": chmod");
    if (futimens(fd.get(), d.times) != 0) ThrowErrno("layer entry \"" + name + "\": set times");
  }
}

void Drain(ByteSource& s) {
  std::vector<char> buf(kReadChunk);
  while (s.Read(buf.data(), buf.size()) > 0) {
  }
}

}  // namespace

UnpackResult UnpackLayer(ByteSource& src, const std::string& dest, const UnpackOptions& opts) {
  UnpackResult res;
  HashingSource blob(src, opts.hash_blob);
  auto tar_stream = NewDecompressingSource(blob, "layer", &res.compression);
  HashingSource tar(*tar_stream);
  Extractor ex(dest, opts);
  {
    ArchiveReader reader(tar);
    std::string previous;
    while (archive_entry* e = reader.Next(previous)) {
      const char* p = archive_entry_pathname(e);
      std::string name = p ? p : "";
      ForEntry(name, [&] { ex.Extract(reader, e, name); });
      previous = std::move(name);
    }
  }
  Drain(tar);  // padding after the end-of-archive blocks belongs to the diff_id too
  Drain(blob);
  ex.Finish();
  res.tree_size = ex.TreeSize();
  res.blob_size = blob.count();
  if (opts.hash_blob) res.blob_digest = blob.Finish();
  res.tar_size = tar.count();
  res.diff_id = tar.Finish();
  return res;
}

}  // namespace mini
