/// The outer tar of `mini load`, unpacked into a staging directory the safe way: only
/// directories and regular files are created, every name must be clean and relative, and link
/// entries (which `docker save` 20.10 writes for a repeated layer) are never created on disk but
/// recorded as in-archive aliases. Private to the archive code (declared in archive_load.cc).
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <exception>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/fs.h"
#include "common/in_root.h"
#include "common/io.h"
#include "common/path.h"

namespace mini::archive_internal {

namespace {

/// Feeds libarchive from a ByteSource; an exception from the source is kept and rethrown after
/// libarchive returns, never thrown through C code.
struct Reader {
  ByteSource& src;
  std::string buf = std::string(1 << 20, '\0');
  std::exception_ptr error;

  static la_ssize_t Read(archive* a, void* self, const void** out) {
    auto* r = static_cast<Reader*>(self);
    try {
      *out = r->buf.data();
      return static_cast<la_ssize_t>(r->src.Read(r->buf.data(), r->buf.size()));
    } catch (...) {
      r->error = std::current_exception();
      archive_set_error(a, EIO, "read failed");
      return -1;
    }
  }
};

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};

const char* TypeName(mode_t type) {
  switch (type) {
    case AE_IFLNK: return "a symlink";
    case AE_IFCHR: return "a character device";
    case AE_IFBLK: return "a block device";
    case AE_IFIFO: return "a fifo";
    case AE_IFSOCK: return "a socket";
    default: return "of an unknown type";
  }
}

}  // namespace

/// Returns `name` as clean relative components joined by "/" ("" for the root). Throws for an
/// absolute name or one with a ".." component.
std::string CleanName(const std::string& name) {
  if (!name.empty() && name[0] == '/') throw Error("entry \"" + name + "\": absolute name");
  auto parts = SplitPath(name);
  for (const auto& p : parts)
    if (p == "..") throw Error("entry \"" + name + "\": name with \"..\"");
  return JoinPath(parts);
}

/// What was unpacked: the directory and the link entries, as clean name -> clean target name.
struct Staged {
  std::string dir;
  std::map<std::string, std::string> aliases;
};

/// Resolves a link target lexically (no filesystem lookups): relative to the directory of
/// `entry` for a symlink, to the archive root for a hard link. ".." may not leave the root.
std::string LinkTarget(const std::string& entry, const std::string& target, bool hard) {
  if (target.empty() || target[0] == '/') throw Error("entry \"" + entry + "\": link to \"" + target + "\" outside the archive");
  std::vector<std::string> parts;
  if (!hard) {
    parts = SplitPath(entry);
    if (!parts.empty()) parts.pop_back();
  }
  for (const auto& p : SplitPath(target)) {
    if (p != "..") {
      parts.push_back(p);
    } else if (parts.empty()) {
      throw Error("entry \"" + entry + "\": link to \"" + target + "\" outside the archive");
    } else {
      parts.pop_back();
    }
  }
  return JoinPath(parts);
}

/// The path of the regular file an archive name (from manifest.json or index.json) refers to,
/// following aliases. Throws naming `name` if it is unsafe or no such file was in the archive.
std::string StagedFile(const Staged& s, const std::string& name) {
  std::string clean = CleanName(name);
  for (int hops = 0; s.aliases.count(clean); hops++) {
    if (hops > 16) throw Error("\"" + name + "\": too many links");
    clean = s.aliases.at(clean);
  }
  std::string path = s.dir + "/" + clean;
  struct stat st;
  if (clean.empty() || lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    throw Error("\"" + name + "\": no such file in the archive");
  return path;
}

/// Reads an archive member of at most `max_size` bytes.
std::string ReadStaged(const Staged& s, const std::string& name, uint64_t max_size) {
  std::string path = StagedFile(s, name);
  struct stat st;
  if (stat(path.c_str(), &st) != 0) ThrowErrno("\"" + name + "\"");
  if (static_cast<uint64_t>(st.st_size) > max_size)
    throw Error("\"" + name + "\": larger than " + std::to_string(max_size) + " bytes");
  return ReadFile(path, max_size);
}

/// Unpacks the tar (plain, gzip, zstd, xz or bzip2) read from `src` into `dir`.
void UnpackOuter(ByteSource& src, Staged& s) {
  std::unique_ptr<archive, ArchiveFree> a(archive_read_new());
  if (!a) throw Error("out of memory");
  archive_read_support_format_tar(a.get());
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_zstd(a.get());
  archive_read_support_filter_xz(a.get());
  archive_read_support_filter_bzip2(a.get());
  Reader reader{src, std::string(1 << 20, '\0'), nullptr};
  auto fail = [&](const std::string& what) {
    if (reader.error) std::rethrow_exception(reader.error);
    const char* msg = archive_error_string(a.get());
    throw Error(what + ": " + (msg ? msg : "libarchive error"));
  };
  if (archive_read_open(a.get(), &reader, nullptr, &Reader::Read, nullptr) != ARCHIVE_OK) fail("read archive");
  std::string buf(1 << 20, '\0');
  InRoot root(s.dir);
  for (;;) {
    archive_entry* e = nullptr;
    int rc = archive_read_next_header(a.get(), &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) fail("read archive");
    const char* raw = archive_entry_pathname(e);
    std::string name = raw ? raw : "";
    std::string clean = CleanName(name);
    mode_t type = archive_entry_filetype(e);
    const char* hard = archive_entry_hardlink(e);
    if (hard || type == AE_IFLNK) {
      const char* target = hard ? hard : archive_entry_symlink(e);
      if (clean.empty()) throw Error("entry \"" + name + "\": the archive root cannot be a link");
      s.aliases[clean] = LinkTarget(name, target ? target : "", hard != nullptr);
      std::string path = s.dir + "/" + clean;
      struct stat st;
      if (lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) unlink(path.c_str());
      continue;
    }
    if (type != AE_IFDIR && type != AE_IFREG) throw Error("entry \"" + name + "\": " + TypeName(type) + " is not allowed");
    if (clean.empty()) continue;
    s.aliases.erase(clean);
    // Parents are plain directories made here (staging never holds a symlink), still resolved
    // inside the staging root.
    std::vector<std::string> comps = SplitPath(clean);
    if (type == AE_IFDIR) {
      WithContext("entry \"" + name + "\"", [&] { root.OpenDir(comps, true); });
      continue;
    }
    std::string leaf = comps.back();
    comps.pop_back();
    UniqueFd dir = WithContext("entry \"" + name + "\"", [&] { return root.OpenDir(comps, true); });
    UniqueFd fd(openat(dir.get(), leaf.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!fd) ThrowErrno("entry \"" + name + "\"");
    for (;;) {
      la_ssize_t n = archive_read_data(a.get(), buf.data(), buf.size());
      if (n < 0) fail("entry \"" + name + "\"");
      if (n == 0) break;
      WriteAll(fd.get(), buf.data(), static_cast<size_t>(n), "entry \"" + name + "\"");
    }
  }
}

}  // namespace mini::archive_internal
