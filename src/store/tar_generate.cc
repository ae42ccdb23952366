#include "store/tar_generate.h"

#include "store/overlay_marks.h"
#include "store/tar_stream.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <cerrno>
#include <map>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/log.h"

namespace mini {
namespace {

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool IsOverlayXattr(std::string_view name) {
  return StartsWith(name, "trusted.overlay.") || StartsWith(name, "user.overlay.");
}

/// All xattrs of `path` (not following a symlink), sorted by name; ENOTSUP means none.
std::vector<std::pair<std::string, std::string>> ListXattrs(const std::string& path) {
  std::vector<std::pair<std::string, std::string>> out;
  ssize_t n = llistxattr(path.c_str(), nullptr, 0);
  if (n < 0) {
    if (errno == ENOTSUP) return out;
    ThrowErrno("list xattrs");
  }
  std::string names(static_cast<size_t>(n), '\0');
  n = llistxattr(path.c_str(), names.data(), names.size());
  if (n < 0) ThrowErrno("list xattrs");
  names.resize(static_cast<size_t>(n));
  for (size_t i = 0; i < names.size();) {
    std::string name(names.c_str() + i);
    i += name.size() + 1;
    if (name.empty()) continue;
    ssize_t vn = lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
    if (vn < 0) {
      if (errno == ENODATA) continue;
      ThrowErrno("get xattr " + name);
    }
    std::string value(static_cast<size_t>(vn), '\0');
    vn = lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
    if (vn < 0) ThrowErrno("get xattr " + name);
    value.resize(static_cast<size_t>(vn));
    out.emplace_back(std::move(name), std::move(value));
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// Sorted names (byte order) of a directory, without "." and "..".
std::vector<std::string> SortedNames(int dir_fd) {
  int fd = dup(dir_fd);
  if (fd < 0) ThrowErrno("dup");
  DIR* d = fdopendir(fd);
  if (!d) {
    close(fd);
    ThrowErrno("open directory");
  }
  rewinddir(d);
  std::vector<std::string> names;
  errno = 0;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  int err = errno;
  closedir(d);
  if (err) ThrowErrno("read directory", err);
  std::sort(names.begin(), names.end());
  return names;
}

/// The tar writer: libarchive (pax; ustar headers unless an extension is needed) -> sha256 of the tar -> compression -> sha256 of
/// the blob -> out_fd.
class Packer {
 public:
  Packer(const std::string& dir, int out_fd, const PackOptions& opts)
      : dir_(dir), out_fd_(out_fd), opts_(opts),
        sink_(out_fd < 0 ? nullptr
                         : NewCompressingSinkTo(
                               opts.compression,
                               [this](const void* data, size_t n) {
                                 blob_sha_.Update(data, n);
                                 WriteAll(out_fd_, data, n, "layer output");
                                 blob_size_ += n;
                                 StartWriteback();
                               },
                               "pack " + dir)),
        tar_(TarStream::Format::kPax,
             [this](const void* data, size_t n) {
               if (opts_.hash_tar) tar_sha_.Update(data, n);
               tar_size_ += n;
               if (opts_.tar_copy) opts_.tar_copy(data, n);
               if (sink_) sink_->Write(data, n);
             },
             "pack: ", "packing") {}
  Packer(const Packer&) = delete;
  Packer& operator=(const Packer&) = delete;

  PackResult Run() {
    UniqueFd root(open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root) ThrowErrno("pack: open " + dir_);
    struct stat st;
    if (fstat(root.get(), &st) != 0) ThrowErrno("pack: stat " + dir_);
    if (opts_.convert_whiteouts && IsOpaqueDir(dir_)) EmitOpaqueMarker("", st);
    WalkDir(root.get(), "");
    tar_.Close();
    if (sink_) sink_->Finish();
    PackResult r;
    if (opts_.hash_tar) r.diff_id = tar_sha_.Finish();
    r.tar_size = tar_size_;
    r.blob_digest = sink_ ? blob_sha_.Finish() : r.diff_id;
    r.blob_size = sink_ ? blob_size_ : tar_size_;
    r.tree_size = tree_size_;
    return r;
  }

 private:
  void WalkDir(int dir_fd, const std::string& prefix) {
    for (const auto& name : SortedNames(dir_fd)) {
      std::string rel = prefix + name;
      WithContext("pack \"" + rel + "\"", [&] {
        struct stat st;
        if (fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) ThrowErrno("stat");
        Emit(dir_fd, name, rel, st);
      });
    }
  }

  void Emit(int dir_fd, const std::string& name, const std::string& rel, const struct stat& st) {
    std::string path = dir_ + "/" + rel;
    if (S_ISSOCK(st.st_mode)) {
      Debug("pack: skipping socket " + path);
      return;
    }
    tree_size_ += sizer_.Count(st);  // as TreeSize counts
    TarStream::EntryPtr e = tar_.NewEntry();
    if (opts_.convert_whiteouts && IsWhiteout(st)) {
      std::string wh = rel.substr(0, rel.size() - name.size()) + ".wh." + name;
      SetCommon(e.get(), wh, AE_IFREG, st);
      if (opts_.shift.enabled()) {
        archive_entry_set_uid(e.get(), 0);
        archive_entry_set_gid(e.get(), 0);
      }
      archive_entry_set_perm(e.get(), 0600);  // as Docker writes whiteouts, so diff ids match
      tar_.WriteHeader(e.get());
      return;
    }
    bool is_dir = S_ISDIR(st.st_mode);
    SetCommon(e.get(), is_dir ? rel + "/" : rel, st.st_mode & S_IFMT, st);
    if (!is_dir && st.st_nlink > 1) {
      auto key = std::make_pair(st.st_dev, st.st_ino);
      auto it = links_.find(key);
      if (it != links_.end()) {
        archive_entry_set_hardlink(e.get(), it->second.c_str());
        archive_entry_set_size(e.get(), 0);
        tar_.WriteHeader(e.get());
        return;
      }
      links_[key] = rel;
    }
    for (const auto& [k, v] : ListXattrs(path))
      if (!IsOverlayXattr(k)) archive_entry_xattr_add_entry(e.get(), k.c_str(), v.data(), v.size());
    if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
      ssize_t n = readlinkat(dir_fd, name.c_str(), target.data(), target.size());
      if (n < 0) ThrowErrno("readlink");
      if (static_cast<size_t>(n) >= target.size()) throw Error("symlink changed while packing");
      target.resize(static_cast<size_t>(n));
      archive_entry_set_symlink(e.get(), target.c_str());
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      archive_entry_set_rdev(e.get(), st.st_rdev);
    } else if (S_ISREG(st.st_mode)) {
      archive_entry_set_size(e.get(), st.st_size);
    }
    if (S_ISREG(st.st_mode)) {
      // Opened before the header is written so a vanished file fails cleanly.
      UniqueFd fd(openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      if (!fd) ThrowErrno("open");
      tar_.WriteHeader(e.get());
      tar_.CopyData(fd.get(), static_cast<uint64_t>(st.st_size));
      return;
    }
    tar_.WriteHeader(e.get());
    if (is_dir) {
      if (opts_.convert_whiteouts && IsOpaqueDir(path)) EmitOpaqueMarker(rel + "/", st);
      UniqueFd sub(openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub) ThrowErrno("open");
      WalkDir(sub.get(), rel + "/");
    }
  }

  /// Asks the kernel to write back each new 8 MiB of the blob now (without waiting), so that
  /// the caller's fsync overlaps with packing. A file that does not support it is left alone.
  void StartWriteback() {
    constexpr uint64_t kStep = 8 << 20;
    if (!writeback_ || blob_size_ - written_back_ < kStep) return;
    if (sync_file_range(out_fd_, static_cast<off64_t>(written_back_), static_cast<off64_t>(blob_size_ - written_back_),
                        SYNC_FILE_RANGE_WRITE) != 0)
      writeback_ = false;  // a pipe or an unsupported fs: stop trying
    written_back_ = blob_size_;
  }

  /// Name, type, mode, owner (numeric only) and mtime; never atime/ctime or "now".
  void SetCommon(archive_entry* e, const std::string& name, mode_t type, const struct stat& st) const {
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, st.st_mode & 07777);
    archive_entry_set_uid(e, opts_.shift.Uid(st.st_uid));
    archive_entry_set_gid(e, opts_.shift.Gid(st.st_gid));
    archive_entry_set_mtime(e, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    archive_entry_set_size(e, 0);
  }

  /// `.wh..wh..opq` inside an opaque directory: an empty file with the directory's permissions,
  /// owner and mtime (Docker takes permissions and owner from the directory too).
  void EmitOpaqueMarker(const std::string& prefix, const struct stat& dir_st) {
    TarStream::EntryPtr e = tar_.NewEntry();
    archive_entry_set_pathname(e.get(), (prefix + ".wh..wh..opq").c_str());
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), dir_st.st_mode & 0777);
    archive_entry_set_uid(e.get(), opts_.shift.Uid(dir_st.st_uid));
    archive_entry_set_gid(e.get(), opts_.shift.Gid(dir_st.st_gid));
    archive_entry_set_mtime(e.get(), dir_st.st_mtim.tv_sec, dir_st.st_mtim.tv_nsec);
    archive_entry_set_size(e.get(), 0);
    tar_.WriteHeader(e.get());
  }

  std::string dir_;
  int out_fd_;
  PackOptions opts_;
  Sha256 tar_sha_;
  Sha256 blob_sha_;
  uint64_t tar_size_ = 0;
  uint64_t blob_size_ = 0;
  uint64_t tree_size_ = 0;
  TreeSizer sizer_;
  uint64_t written_back_ = 0;  ///< blob bytes handed to sync_file_range so far
  bool writeback_ = true;
  std::unique_ptr<CompressingSink> sink_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;  // inode -> first path packed
  TarStream tar_;  // last: destroyed first, while the sink and hashes still exist
};

}  // namespace

PackResult PackLayer(const std::string& dir, int out_fd, const PackOptions& opts) {
  Packer p(dir, out_fd, opts);
  return p.Run();
}

}  // namespace mini
