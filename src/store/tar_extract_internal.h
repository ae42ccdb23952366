#pragma once
/// The parts of tar_extract.cc's unpack that do not need the extractor: libarchive reading from
/// a ByteSource, an entry's metadata as the tar states it, and directory helpers. Internal to
/// src/store (tar_extract.cc and tar_extract_reader.cc).
#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <exception>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/io.h"

namespace mini::tar_detail {

/// Decompressed tar is handed to libarchive in pieces this big; file data reaches pwrite in
/// pieces up to this size, straight from this buffer.
constexpr size_t kReadChunk = 1024 * 1024;

inline bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

/// xattrs overlayfs would interpret are never written from a layer.
bool IsOverlayXattr(std::string_view name);

/// libarchive reading from a ByteSource through a callback. Exceptions thrown by the source are
/// kept and rethrown once libarchive reports the failure.
class ArchiveReader {
 public:
  explicit ArchiveReader(ByteSource& src);
  ~ArchiveReader();
  ArchiveReader(const ArchiveReader&) = delete;
  ArchiveReader& operator=(const ArchiveReader&) = delete;

  struct archive* get() const { return a_; }
  /// Next header, or nullptr at the end of the archive.
  archive_entry* Next(const std::string& previous);
  /// Throws the source's own error if there was one, else libarchive's message.
  [[noreturn]] void Fail(const std::string& context);

 private:
  static la_ssize_t ReadCb(struct archive* a, void* self_ptr, const void** out);

  ByteSource& src_;
  std::vector<char> buf_;
  struct archive* a_;
  std::exception_ptr error_;
};

/// Whether the directory `fd` has no entries (a directory that cannot be read counts as not empty).
bool IsEmptyDir(int fd);

/// Sets FS_TOPDIR_FL on the directory `fd` (see UnpackOptions::spread_directories); a
/// filesystem without it is left alone.
void SpreadDirectories(int fd);

/// Owner, mode, xattrs and times of one entry, as the tar states them.
struct Meta {
  uid_t uid = 0;
  gid_t gid = 0;
  mode_t perm = 0;
  timespec times[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};  // atime, mtime
  std::vector<std::pair<std::string, std::string>> xattrs;
};

/// A failed chown of an entry to its owner; EINVAL in rootless mode means the owner is not
/// mapped in mini's user namespace (no or too small /etc/subuid range).
[[noreturn]] void ThrowChown(const Meta& m);

/// The entry's metadata; overlay xattrs are dropped (with a debug line).
Meta ReadMeta(archive_entry* e);

}  // namespace mini::tar_detail
