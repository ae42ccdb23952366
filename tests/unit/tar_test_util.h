#pragma once
/// Helpers for the layer pack/unpack tests: a sandbox directory, an in-memory tar builder over
/// libarchive's writer, compression of a string, and a comparable snapshot of a tree.
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "common/digest.h"
#include "common/error.h"
#include "common/fs.h"
#include "store/compression.h"

namespace mini::testutil {

/// A fresh directory under /tmp, removed at the end of the test.
class Sandbox {
 public:
  Sandbox() : dir_("/tmp", "mini-tar-test-") {}
  const std::string& path() const { return dir_.path(); }
  std::string operator/(const std::string& rel) const { return path() + "/" + rel; }

 private:
  TempDir dir_;
};

/// Builds a tar in memory, entry by entry (pax by default, so xattrs and long names work).
class TarBuilder {
 public:
  explicit TarBuilder(bool gnu = false) : a_(archive_write_new()) {
    if (gnu)
      archive_write_set_format_gnutar(a_);
    else
      archive_write_set_format_pax(a_);
    archive_write_set_bytes_in_last_block(a_, 1);
    archive_write_open(a_, this, nullptr, &TarBuilder::Write, nullptr);
  }
  ~TarBuilder() { archive_write_free(a_); }

  /// Generic entry; `setup` may adjust it before the header is written.
  template <class F>
  TarBuilder& Entry(const std::string& name, mode_t type, mode_t perm, const std::string& data, F setup) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, perm);
    archive_entry_set_mtime(e, 1600000000, 0);
    archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
    setup(e);
    if (archive_write_header(a_, e) != ARCHIVE_OK) throw Error(archive_error_string(a_));
    if (!data.empty()) archive_write_data(a_, data.data(), data.size());
    archive_entry_free(e);
    return *this;
  }
  TarBuilder& File(const std::string& name, const std::string& data = "", mode_t perm = 0644) {
    return Entry(name, AE_IFREG, perm, data, [](archive_entry*) {});
  }
  TarBuilder& Dir(const std::string& name, mode_t perm = 0755) {
    return Entry(name, AE_IFDIR, perm, "", [](archive_entry*) {});
  }
  TarBuilder& Symlink(const std::string& name, const std::string& target) {
    return Entry(name, AE_IFLNK, 0777, "", [&](archive_entry* e) { archive_entry_set_symlink(e, target.c_str()); });
  }
  TarBuilder& Hardlink(const std::string& name, const std::string& target) {
    return Entry(name, AE_IFREG, 0644, "", [&](archive_entry* e) { archive_entry_set_hardlink(e, target.c_str()); });
  }
  TarBuilder& Xattr(const std::string& name, const std::string& key, const std::string& value) {
    return Entry(name, AE_IFREG, 0644, "", [&](archive_entry* e) {
      archive_entry_xattr_add_entry(e, key.c_str(), value.data(), value.size());
    });
  }
  /// Closes the archive (writing the end blocks) and returns its bytes.
  std::string Finish() {
    archive_write_close(a_);
    return out_;
  }

 private:
  static la_ssize_t Write(struct archive*, void* self, const void* buf, size_t n) {
    static_cast<TarBuilder*>(self)->out_.append(static_cast<const char*>(buf), n);
    return static_cast<la_ssize_t>(n);
  }
  struct archive* a_;
  std::string out_;
};

inline std::string Compress(Compression c, const std::string& data) {
  std::string out;
  auto sink = NewCompressingSinkTo(c, [&](const void* p, size_t n) { out.append(static_cast<const char*>(p), n); },
                                   "test");
  sink->Write(data.data(), data.size());
  sink->Finish();
  return out;
}

inline std::string ReadAllOf(const std::string& path) { return ReadFile(path); }

/// A comparable description of every node under a root, keyed by relative path.
inline std::map<std::string, std::string> Snapshot(const std::string& root, bool with_times = true) {
  std::map<std::string, std::string> out;
  std::map<ino_t, std::string> first_path;  // smallest path of each multiply-linked inode
  std::map<std::string, ino_t> linked;
  std::vector<std::string> todo{""};
  while (!todo.empty()) {
    std::string rel = todo.back();
    todo.pop_back();
    std::string path = rel.empty() ? root : root + "/" + rel;
    DIR* d = opendir(path.c_str());
    if (!d) throw Error("opendir " + path);
    std::vector<std::string> names;
    while (dirent* e = readdir(d))
      if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") names.push_back(e->d_name);
    closedir(d);
    for (const auto& n : names) {
      std::string r = rel.empty() ? n : rel + "/" + n;
      std::string p = root + "/" + r;
      struct stat st;
      if (lstat(p.c_str(), &st) != 0) throw Error("lstat " + p);
      std::ostringstream s;
      s << "mode=" << std::oct << st.st_mode << std::dec << " uid=" << st.st_uid << " gid=" << st.st_gid;
      if (S_ISREG(st.st_mode)) {
        std::string data = ReadFile(p);
        s << " size=" << st.st_size << " data=" << (data.size() > 64 ? Sha256Of(data).Short() : data);
      }
      if (S_ISLNK(st.st_mode)) {
        char buf[4096];
        ssize_t k = readlink(p.c_str(), buf, sizeof buf);
        s << " target=" << std::string(buf, k > 0 ? k : 0);
      }
      if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) s << " rdev=" << st.st_rdev;
      if (with_times && !S_ISLNK(st.st_mode))
        s << " mtime=" << st.st_mtim.tv_sec << "." << st.st_mtim.tv_nsec;
      if (with_times && S_ISLNK(st.st_mode)) s << " mtime=" << st.st_mtim.tv_sec;
      char names_buf[4096];
      ssize_t k = llistxattr(p.c_str(), names_buf, sizeof names_buf);
      std::vector<std::string> xs;
      for (ssize_t i = 0; i < k;) {
        std::string x(names_buf + i);
        i += static_cast<ssize_t>(x.size()) + 1;
        char v[4096];
        ssize_t vn = lgetxattr(p.c_str(), x.c_str(), v, sizeof v);
        xs.push_back(x + "=" + std::string(v, vn > 0 ? vn : 0));
      }
      std::sort(xs.begin(), xs.end());
      for (const auto& x : xs) s << " xattr:" << x;
      if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
        s << " nlink=" << st.st_nlink;
        linked[r] = st.st_ino;
        auto [it, fresh] = first_path.emplace(st.st_ino, r);
        if (!fresh && r < it->second) it->second = r;
      }
      out[r] = s.str();
      if (S_ISDIR(st.st_mode)) todo.push_back(r);
    }
  }
  for (const auto& [r, ino] : linked) out[r] += " group=" + first_path[ino];
  return out;
}

inline bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

}  // namespace mini::testutil
