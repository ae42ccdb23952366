// tar_extract_internal.h: libarchive reading, entry metadata, directory helpers.
#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/rootless.h"
#include "store/tar_extract_internal.h"

namespace mini::tar_detail {

bool IsOverlayXattr(std::string_view name) {
  return StartsWith(name, "trusted.overlay.") || StartsWith(name, "user.overlay.");
}

ArchiveReader::ArchiveReader(ByteSource& src) : src_(src), buf_(kReadChunk), a_(archive_read_new()) {
  if (!a_) throw Error("layer: cannot initialise libarchive");
  archive_read_support_format_tar(a_);
  if (archive_read_open(a_, this, nullptr, &ArchiveReader::ReadCb, nullptr) != ARCHIVE_OK) {
    try {
      Fail("layer");
    } catch (...) {
      archive_read_free(a_);  // the destructor does not run when the constructor throws
      throw;
    }
  }
}

ArchiveReader::~ArchiveReader() { archive_read_free(a_); }

archive_entry* ArchiveReader::Next(const std::string& previous) {
  archive_entry* e = nullptr;
  int r = archive_read_next_header(a_, &e);
  if (r == ARCHIVE_EOF) return nullptr;
  if (r < ARCHIVE_WARN) Fail(previous.empty() ? std::string("layer") : "layer: after entry \"" + previous + "\"");
  return e;
}

void ArchiveReader::Fail(const std::string& context) {
  if (error_) std::rethrow_exception(error_);
  const char* msg = archive_error_string(a_);
  throw Error(context + ": " + (msg ? msg : "unreadable tar data"));
}

la_ssize_t ArchiveReader::ReadCb(struct archive* a, void* self_ptr, const void** out) {
  auto* self = static_cast<ArchiveReader*>(self_ptr);
  try {
    size_t n = self->src_.Read(self->buf_.data(), self->buf_.size());
    *out = self->buf_.data();
    return static_cast<la_ssize_t>(n);
  } catch (...) {
    self->error_ = std::current_exception();
    archive_set_error(a, EIO, "read failed");
    return -1;
  }
}

bool IsEmptyDir(int fd) {
  UniqueFd dup(openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dup) return false;
  DIR* d = fdopendir(dup.get());
  if (!d) return false;
  dup.release();
  bool empty = true;
  while (dirent* e = readdir(d)) {
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
      empty = false;
      break;
    }
  }
  closedir(d);
  return empty;
}

void SpreadDirectories(int fd) {
  UniqueFd dir(openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  int flags = 0;
  if (!dir || ioctl(dir.get(), FS_IOC_GETFLAGS, &flags) != 0) return;
  if (flags & FS_TOPDIR_FL) return;
  flags |= FS_TOPDIR_FL;
  if (ioctl(dir.get(), FS_IOC_SETFLAGS, &flags) != 0) Debug("layer: cannot set FS_TOPDIR_FL, skipped");
}

[[noreturn]] void ThrowChown(const Meta& m) {
  int err = errno;
  if (err == EINVAL && IsRootless())
    throw Error("chown to " + std::to_string(m.uid) + ":" + std::to_string(m.gid) +
                ": not mapped in the rootless user namespace (see /etc/subuid and /etc/subgid)");
  ThrowErrno("chown", err);
}

Meta ReadMeta(archive_entry* e) {
  Meta m;
  m.uid = static_cast<uid_t>(archive_entry_uid(e));
  m.gid = static_cast<gid_t>(archive_entry_gid(e));
  m.perm = archive_entry_perm(e) & 07777;
  if (archive_entry_mtime_is_set(e)) {
    m.times[1] = {archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
    m.times[0] = m.times[1];
  }
  if (archive_entry_atime_is_set(e)) m.times[0] = {archive_entry_atime(e), archive_entry_atime_nsec(e)};
  archive_entry_xattr_reset(e);
  const char* name;
  const void* value;
  size_t size;
  while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
    if (IsOverlayXattr(name)) {
      Debug(std::string("layer: dropping xattr ") + name);
      continue;
    }
    m.xattrs.emplace_back(name, std::string(static_cast<const char*>(value), size));
  }
  return m;
}

}  // namespace mini::tar_detail
