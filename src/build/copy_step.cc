#include "build/copy_step.h"

#include "build/file_hash_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "common/error.h"
#include "common/fs.h"
#include "common/in_root.h"
#include "common/path.h"
#include "store/compression.h"
#include "store/tar_extract.h"

namespace mini::build {

namespace {

std::string NotFound(const CopyOptions& o, const std::string& src) {
  return o.what + " failed: file not found in build context or excluded by " + o.ignore_name + ": " + src;
}

/// filepath.Glob over a tree, component by component.
void GlobExpand(const SourceTree& tree, const std::vector<std::string>& pattern, size_t i,
                std::vector<std::string>& cur, std::vector<SourcePath>* out) {
  if (i == pattern.size()) {
    out->push_back(cur);
    return;
  }
  if (!HasGlob(pattern[i])) {
    cur.push_back(pattern[i]);
    if (tree.Lstat(cur)) GlobExpand(tree, pattern, i + 1, cur, out);
    cur.pop_back();
    return;
  }
  for (const auto& name : tree.List(cur)) {
    if (!GlobMatch(pattern[i], name)) continue;
    cur.push_back(name);
    GlobExpand(tree, pattern, i + 1, cur, out);
    cur.pop_back();
  }
}

/// True when `rel` (the path below a source) is dropped by --exclude.
bool ExcludedBelow(const CopyOptions& o, const std::vector<std::string>& rel) {
  return !rel.empty() && !o.excludes.empty() && o.excludes.Excluded(JoinPath(rel));
}

void HashTree(const SourceTree& tree, SourcePath& p, std::vector<std::string>& rel, const CopyOptions& o,
              Sha256& sha, FileHashCache* hashes) {
  auto e = tree.Lstat(p);
  if (!e) return;
  const struct stat& st = e->st;
  bool excluded = ExcludedBelow(o, rel);
  if (excluded && !(S_ISDIR(st.st_mode) && o.excludes.HasExceptions())) return;
  if (!excluded) {
    // What ends up in the layer, except the times (BuildKit's content hash drops them too).
    std::string rec = JoinPath(rel) + std::string(1, '\0') + std::to_string(st.st_mode) + " " +
                      std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid) + " " +
                      std::to_string(S_ISDIR(st.st_mode) ? 0 : st.st_size) + " " + std::to_string(st.st_rdev) + "\n";
    sha.Update(rec);
    if (S_ISLNK(st.st_mode)) {
      char buf[4096];
      ssize_t n = readlink(e->host_path.c_str(), buf, sizeof(buf));
      if (n > 0) sha.Update(buf, static_cast<size_t>(n));
    } else if (S_ISREG(st.st_mode)) {
      sha.Update(hashes ? hashes->HashOf(e->host_path, st) : Sha256OfFile(e->host_path).hex());
    }
  }
  if (S_ISDIR(st.st_mode)) {
    for (const auto& n : tree.List(p)) {
      p.push_back(n);
      rel.push_back(n);
      HashTree(tree, p, rel, o, sha, hashes);
      rel.pop_back();
      p.pop_back();
    }
  }
}

/// Writes into the layer directory, every path resolved inside it by fd.
class LayerWriter {
 public:
  LayerWriter(const std::string& dir, const LayerView& image, const CopyOptions& o)
      : root_(dir), image_(image), o_(o) {}

  /// Makes sure the directory `comps` exists in the layer; directories that exist in the image
  /// are copied up with their metadata, new ones are 0755 and owned by the --chown owner.
  UniqueFd EnsureDir(const std::vector<std::string>& comps) {
    // Fast path: the directory is already in the layer (all but the first file of a dir).
    try {
      return root_.OpenDir(comps, false);
    } catch (const Error&) {
    }
    std::vector<std::string> prefix;
    for (const auto& c : comps) {
      UniqueFd parent = root_.OpenDir(prefix, false);
      prefix.push_back(c);
      struct stat st;
      if (fstatat(parent.get(), c.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode)) continue;
        RemoveEntryAt(parent.get(), c);
      }
      auto img = image_.Lstat(prefix);
      if (img && S_ISDIR(img->st.st_mode)) {
        MakeDir(parent.get(), c, img->st.st_mode & 07777, img->st.st_uid, img->st.st_gid, &img->st.st_mtim);
      } else {
        MakeDir(parent.get(), c, 0755, o_.uid.value_or(0), o_.gid.value_or(0), nullptr);
      }
    }
    return root_.OpenDir(comps, false);
  }

  /// Copies the tree entry at `src` to `dst` (components in the layer); `rel` is its path
  /// below the source (for --exclude). A directory's children too unless `only_dir`.
  void CopyEntry(const SourceTree& tree, SourcePath& src, const std::vector<std::string>& dst,
                 std::vector<std::string>& rel, bool only_dir = false) {
    auto e = tree.Lstat(src);
    if (!e || IsWhiteout(e->st)) return;
    const struct stat& st = e->st;
    if (ExcludedBelow(o_, rel)) {
      // An excluded directory is still walked when a "!" pattern may bring back some of its
      // entries; their parents are then made as new directories.
      if (S_ISDIR(st.st_mode) && o_.excludes.HasExceptions() && !only_dir) CopyChildren(tree, src, dst, rel);
      return;
    }
    if (dst.empty()) {  // the root directory itself: only its contents
      if (S_ISDIR(st.st_mode) && !only_dir) CopyChildren(tree, src, dst, rel);
      return;
    }
    std::vector<std::string> parent_comps(dst.begin(), dst.end() - 1);
    UniqueFd parent = EnsureDir(parent_comps);
    const std::string& name = dst.back();
    uid_t uid = o_.uid.value_or(0);
    gid_t gid = o_.gid.value_or(0);
    mode_t mode = o_.chmod ? o_.chmod->Apply(st.st_mode & 07777, S_ISDIR(st.st_mode)) : (st.st_mode & 07777);
    struct stat cur;
    bool exists = fstatat(parent.get(), name.c_str(), &cur, AT_SYMLINK_NOFOLLOW) == 0;
    if (S_ISDIR(st.st_mode)) {
      if (exists && !S_ISDIR(cur.st_mode)) RemoveEntryAt(parent.get(), name), exists = false;
      if (only_dir && exists) return;  // a --parents directory made already
      if (!exists && mkdirat(parent.get(), name.c_str(), 0700) != 0) ThrowErrno("mkdir " + JoinPath(dst));
      if (!only_dir) CopyChildren(tree, src, dst, rel);
      UniqueFd d(openat(parent.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!d) ThrowErrno("open " + JoinPath(dst));
      SetMeta(d.get(), uid, gid, mode, st.st_mtim);
      return;
    }
    if (only_dir) return;
    if (exists) RemoveEntryAt(parent.get(), name);
    if (S_ISREG(st.st_mode)) {
      UniqueFd in(open(e->host_path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      if (!in) ThrowErrno("open " + e->host_path);
      UniqueFd out(openat(parent.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
      if (!out) ThrowErrno("create " + JoinPath(dst));
      CopyBytes(in.get(), out.get(), e->host_path);
      SetMeta(out.get(), uid, gid, mode, st.st_mtim);
    } else if (S_ISLNK(st.st_mode)) {
      char buf[4096];
      ssize_t n = readlink(e->host_path.c_str(), buf, sizeof(buf) - 1);
      if (n < 0) ThrowErrno("readlink " + e->host_path);
      buf[n] = 0;
      if (symlinkat(buf, parent.get(), name.c_str()) != 0) ThrowErrno("symlink " + JoinPath(dst));
      if (fchownat(parent.get(), name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0) ThrowErrno("chown " + JoinPath(dst));
      struct timespec ts[2] = {st.st_mtim, st.st_mtim};
      utimensat(parent.get(), name.c_str(), ts, AT_SYMLINK_NOFOLLOW);
    } else if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      if (mknodat(parent.get(), name.c_str(), st.st_mode & (S_IFMT | 07777), st.st_rdev) != 0)
        ThrowErrno("mknod " + JoinPath(dst));
      if (fchownat(parent.get(), name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0) ThrowErrno("chown " + JoinPath(dst));
      if (fchmodat(parent.get(), name.c_str(), mode, 0) != 0) ThrowErrno("chmod " + JoinPath(dst));
      struct timespec ts[2] = {st.st_mtim, st.st_mtim};
      utimensat(parent.get(), name.c_str(), ts, AT_SYMLINK_NOFOLLOW);
    }
    // Sockets are skipped, as Docker does.
  }

  void CopyChildren(const SourceTree& tree, SourcePath& src, const std::vector<std::string>& dst,
                    std::vector<std::string>& rel) {
    for (const auto& n : tree.List(src)) {
      src.push_back(n);
      rel.push_back(n);
      auto d = dst;
      d.push_back(n);
      CopyEntry(tree, src, d, rel);
      rel.pop_back();
      src.pop_back();
    }
  }

  /// Extracts an archive into the directory `dst`; false if it is not an archive we can read.
  bool TryExtract(const std::string& host_path, const std::vector<std::string>& dst) {
    UniqueFd in(open(host_path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!in) ThrowErrno("open " + host_path);
    unsigned char head[512] = {};
    ssize_t n = pread(in.get(), head, sizeof(head), 0);
    if (n <= 0) return false;
    Compression c = DetectCompression(head, static_cast<size_t>(n));
    bool tar = n >= 262 && std::memcmp(head + 257, "ustar", 5) == 0;
    if (c == Compression::kNone && !tar) return false;
    UniqueFd dir = EnsureDir(dst);
    std::string target = FdPath(dir.get());
    FdSource src(in.get(), host_path);
    UnpackOptions uo;
    uo.convert_whiteouts = false;
    try {
      UnpackLayer(src, target, uo);
    } catch (const Error& e) {
      if (c == Compression::kNone) throw;
      return false;  // compressed but not a tar: copied as a file, as Docker does
    }
    return true;
  }

 private:
  void MakeDir(int parent, const std::string& name, mode_t mode, uid_t uid, gid_t gid, const struct timespec* mtime) {
    if (mkdirat(parent, name.c_str(), 0700) != 0 && errno != EEXIST) ThrowErrno("mkdir " + name);
    UniqueFd d(openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!d) ThrowErrno("open " + name);
    if (fchown(d.get(), uid, gid) != 0) ThrowErrno("chown " + name);
    if (fchmod(d.get(), mode) != 0) ThrowErrno("chmod " + name);
    if (mtime) {
      struct timespec ts[2] = {*mtime, *mtime};
      futimens(d.get(), ts);
    }
  }
  static void SetMeta(int fd, uid_t uid, gid_t gid, mode_t mode, const struct timespec& mtime) {
    if (fchown(fd, uid, gid) != 0) ThrowErrno("chown");
    if (fchmod(fd, mode) != 0) ThrowErrno("chmod");
    struct timespec ts[2] = {mtime, mtime};
    if (futimens(fd, ts) != 0) ThrowErrno("utimens");
  }
  static void CopyBytes(int in, int out, const std::string& what) {
    for (;;) {
      ssize_t n = copy_file_range(in, nullptr, out, nullptr, 1 << 30, 0);
      if (n > 0) continue;
      if (n == 0) return;
      if (errno == EINTR) continue;
      if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) ThrowErrno("copy " + what);
      break;
    }
    char buf[1 << 16];
    for (;;) {
      size_t got = ReadSome(in, buf, sizeof(buf), what);
      if (got == 0) return;
      WriteAll(out, buf, got, what);
    }
  }

  InRoot root_;
  const LayerView& image_;
  const CopyOptions& o_;
};

}  // namespace

void SplitParentsSource(const std::string& src, std::vector<std::string>* pivot, std::string* pattern) {
  size_t cut = src.find("/./");
  if (cut == std::string::npos) {
    pivot->clear();
    *pattern = JoinPath(CleanPathComponents(src));
    return;
  }
  *pivot = CleanPathComponents(src.substr(0, cut));
  *pattern = JoinPath(CleanPathComponents(src.substr(cut + 3)));
}

namespace {

/// --parents with a wildcard: every topmost entry below `at` whose path from the pivot matches
/// (a matched directory is taken whole, as BuildKit's include patterns do).
void MatchParents(const SourceTree& tree, const IgnorePatterns& match, const ExpandedSource& proto,
                  std::vector<std::string>& at, std::vector<std::string>& rel, std::vector<ExpandedSource>* out) {
  for (const auto& n : tree.List(at)) {
    at.push_back(n);
    rel.push_back(n);
    if (match.Excluded(JoinPath(rel))) {
      ExpandedSource e = proto;
      e.path = at;
      e.under = rel;
      out->push_back(std::move(e));
    } else if (auto st = tree.Lstat(at); st && S_ISDIR(st->st.st_mode)) {
      MatchParents(tree, match, proto, at, rel, out);
    }
    rel.pop_back();
    at.pop_back();
  }
}

void ExpandParents(const SourceTree& tree, const std::string& s, const CopyOptions& opts,
                   std::vector<ExpandedSource>* out) {
  std::vector<std::string> pivot_comps;
  std::string pattern;
  SplitParentsSource(s, &pivot_comps, &pattern);
  ExpandedSource proto;
  proto.tree = &tree;
  proto.keep_parents = true;
  proto.pivot = tree.Resolve(JoinPath(pivot_comps), true);
  proto.extract = opts.extract_archives;
  auto comps = CleanPathComponents(pattern);
  if (!HasGlob(pattern)) {
    // Without wildcards the path must exist (BuildKit's required paths).
    std::vector<std::string> path = proto.pivot;
    path.insert(path.end(), comps.begin(), comps.end());
    if (!tree.Lstat(path)) throw Error(NotFound(opts, s));
    ExpandedSource e = proto;
    e.path = tree.Resolve(JoinPath(path), false);  // a symlink on the way stays inside the tree
    e.under = comps;
    out->push_back(std::move(e));
    return;
  }
  // Walk from the literal part of the pattern; a wildcard matching nothing copies nothing.
  std::vector<std::string> rel;
  for (const auto& c : comps) {
    if (HasGlob(c)) break;
    rel.push_back(c);
  }
  std::vector<std::string> at = proto.pivot;
  at.insert(at.end(), rel.begin(), rel.end());
  auto st = tree.Lstat(at);
  if (!st || !S_ISDIR(st->st.st_mode)) return;
  IgnorePatterns match = IgnorePatterns::Parse(pattern);
  MatchParents(tree, match, proto, at, rel, out);
}

}  // namespace

std::vector<ExpandedSource> ExpandSources(const SourceTree& tree, const std::vector<std::string>& sources,
                                          const CopyOptions& opts) {
  std::vector<ExpandedSource> out;
  for (const auto& s : sources) {
    if (s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0)
      throw Error(opts.what + " " + s + ": source can't be a URL for COPY");
    if (EscapesLexically(s)) throw Error(opts.what + " failed: forbidden path outside the build context: " + s);
    if (opts.parents) {
      ExpandParents(tree, s, opts, &out);
      continue;
    }
    ExpandedSource proto;
    proto.tree = &tree;
    proto.extract = opts.extract_archives;
    auto comps = CleanPathComponents(s);
    if (HasGlob(s)) {
      std::vector<SourcePath> matches;
      std::vector<std::string> cur;
      GlobExpand(tree, comps, 0, cur, &matches);
      if (matches.empty()) throw Error(NotFound(opts, s));
      for (auto& m : matches) {
        ExpandedSource e = proto;
        e.path = tree.Resolve(JoinPath(m), true);
        out.push_back(std::move(e));
      }
      continue;
    }
    auto resolved = tree.Resolve(s, true);
    if (!tree.Lstat(resolved)) throw Error(NotFound(opts, s));
    proto.path = resolved;
    out.push_back(std::move(proto));
  }
  return out;
}

Digest HashSources(const std::vector<ExpandedSource>& sources, const CopyOptions& opts, FileHashCache* hashes) {
  Sha256 sha;
  for (const auto& src : sources) {
    if (!src.key.empty()) {
      sha.Update("key " + src.key + "\n");
      continue;
    }
    sha.Update("source " + JoinPath(src.path) + (src.keep_parents ? " under " + JoinPath(src.under) : "") + "\n");
    SourcePath p = src.path;
    std::vector<std::string> rel = src.under;
    HashTree(*src.tree, p, rel, opts, sha, src.hash_cache ? hashes : nullptr);
  }
  return sha.Finish();
}

void CopyToLayer(const std::vector<ExpandedSource>& sources, const std::string& dest, const LayerView& image,
                 const std::string& layer_dir, const CopyOptions& opts) {
  bool dest_dir = !dest.empty() && (dest.back() == '/' || dest == "." ||
                                    (dest.size() >= 2 && dest.compare(dest.size() - 2, 2, "/.") == 0));
  if (sources.size() > 1 && !dest_dir && !opts.parents)
    throw Error("When using " + opts.what + " with more than one source file, the destination must be a directory and end with a /");
  // The destination is resolved through the image's symlinks (and this layer's own).
  LayerView both([&] {
    std::vector<std::string> d = {layer_dir};
    d.insert(d.end(), image.dirs().begin(), image.dirs().end());
    return d;
  }());
  LayerWriter w(layer_dir, image, opts);
  for (const auto& s : sources) {
    const SourceTree& tree = *s.tree;
    SourcePath src = s.path;
    auto e = tree.Lstat(src);
    if (!e) throw Error(NotFound(opts, JoinPath(src)));
    auto dst = both.Resolve(dest, true);
    if (s.keep_parents) {
      // The entry goes to DEST/<its path from the pivot>; the directories between are made
      // like the source's.
      w.EnsureDir(dst);
      std::vector<std::string> at = s.pivot, rel;
      for (size_t i = 0; i + 1 < s.under.size(); ++i) {
        at.push_back(s.under[i]);
        rel.push_back(s.under[i]);
        dst.push_back(s.under[i]);
        SourcePath dir = tree.Resolve(JoinPath(at), false);
        w.CopyEntry(tree, dir, dst, rel, /*only_dir=*/true);
      }
      if (!s.under.empty()) {
        rel.push_back(s.under.back());
        dst.push_back(s.under.back());
      }
      w.CopyEntry(tree, src, dst, rel);
      continue;
    }
    std::vector<std::string> rel;
    if (S_ISDIR(e->st.st_mode)) {
      // Only the contents: the destination keeps the image's metadata, or is created 0755.
      w.EnsureDir(dst);
      w.CopyChildren(tree, src, dst, rel);
      continue;
    }
    if (s.extract && S_ISREG(e->st.st_mode) && w.TryExtract(e->host_path, dst)) continue;
    auto existing = both.Lstat(dst);
    bool into = dest_dir || (existing && S_ISDIR(existing->st.st_mode));
    if (into) {
      std::string base = src.empty() ? "" : src.back();
      dst.push_back(base);
    }
    if (dst.empty()) throw Error(opts.what + ": cannot copy a file onto /");
    w.CopyEntry(tree, src, dst, rel);
  }
}

}  // namespace mini::build
