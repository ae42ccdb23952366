#include "build/source_tree.h"

#include "store/overlay_marks.h"

#include <dirent.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "common/error.h"
#include "common/fs.h"
#include "common/path.h"

namespace mini::build {

namespace {

std::string Join(const std::string& root, const std::vector<std::string>& comps) {
  return comps.empty() ? root : root + "/" + JoinPath(comps);
}

}  // namespace

std::string FindMinifile(const std::string& context, const std::string& file) {
  if (!file.empty()) {
    if (!PathExists(file)) throw Error("Cannot locate specified Minifile: " + file);
    return file;
  }
  for (const char* name : {"Minifile", "Dockerfile"})
    if (PathExists(context + "/" + name)) return context + "/" + name;
  throw Error("no Minifile or Dockerfile in " + context);
}

std::unique_ptr<ContextTree> OpenContext(const std::string& context, std::string* ignore_name) {
  *ignore_name = ".miniignore";
  auto ignore = ReadFileIfExists(context + "/.miniignore", 1 << 20);
  if (!ignore) {
    ignore = ReadFileIfExists(context + "/.dockerignore", 1 << 20);
    if (ignore) *ignore_name = ".dockerignore";
  }
  IgnorePatterns pats = ignore ? IgnorePatterns::Parse(*ignore) : IgnorePatterns();
  return std::make_unique<ContextTree>(context, std::move(pats));
}


std::vector<std::string> SourceTree::Resolve(const std::string& path, bool follow_last) const {
  auto lookup = [&](const std::vector<std::string>& at, bool) -> ScopeEntry {
    auto e = Lstat(at);
    if (!e || !S_ISLNK(e->st.st_mode)) return {};  // missing components are kept as they are
    char buf[4096];
    ssize_t n = readlink(e->host_path.c_str(), buf, sizeof(buf) - 1);
    if (n < 0) ThrowErrno("readlink " + e->host_path);
    return {0, std::string(buf, static_cast<size_t>(n))};
  };
  ScopedPath r = ResolveInScope(CleanPathComponents(path), follow_last, 255, lookup);
  if (r.error != 0) throw Error(path + ": too many levels of symbolic links");
  return r.comps;
}

std::optional<std::string> SourceTree::ReadFile(const std::string& path) const {
  auto e = Lstat(Resolve(path, true));
  if (!e || !S_ISREG(e->st.st_mode)) return std::nullopt;
  return ReadFileIfExists(e->host_path, 16 << 20);
}

std::optional<TreeEntry> ContextTree::Lstat(const std::vector<std::string>& comps) const {
  if (!comps.empty() && ignore_.Excluded(JoinPath(comps))) return std::nullopt;
  TreeEntry e;
  e.host_path = Join(dir_, comps);
  if (lstat(e.host_path.c_str(), &e.st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    ThrowErrno("lstat " + e.host_path);
  }
  return e;
}

std::vector<std::string> ContextTree::List(const std::vector<std::string>& comps) const {
  auto names = ListDirNames(Join(dir_, comps));
  std::vector<std::string> out;
  for (auto& n : names) {
    auto c = comps;
    c.push_back(n);
    if (!ignore_.Excluded(JoinPath(c))) out.push_back(n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<TreeEntry> LayerView::Lstat(const std::vector<std::string>& comps) const {
  for (const auto& root : dirs_) {
    // Walk the prefixes in this layer: a whiteout or a non-directory hides everything below.
    std::string p = root;
    bool opaque = false;
    for (size_t i = 0; i < comps.size(); ++i) {
      p += "/" + comps[i];
      struct stat st;
      if (lstat(p.c_str(), &st) != 0) break;  // not in this layer: look further down
      if (IsWhiteout(st)) return std::nullopt;
      if (i + 1 == comps.size()) return TreeEntry{st, p};
      if (!S_ISDIR(st.st_mode)) return std::nullopt;
      if (IsOpaqueDir(p)) opaque = true;
    }
    if (comps.empty()) {
      TreeEntry e;
      e.host_path = root;
      if (lstat(root.c_str(), &e.st) == 0) return e;
    }
    if (opaque) {
      // An opaque directory on the way hides lower layers unless the entry is in this one.
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::vector<std::string> LayerView::List(const std::vector<std::string>& comps) const {
  std::set<std::string> names, hidden;
  for (const auto& root : dirs_) {
    // The directory's ancestors in this layer decide whether this layer (and those below it)
    // still contribute: a whiteout or non-directory hides the path, an opaque one ends the merge.
    std::string p = root;
    bool stop_after = comps.empty() && IsOpaqueDir(root), absent = false, hides = false;
    for (const auto& c : comps) {
      p += "/" + c;
      struct stat st;
      if (lstat(p.c_str(), &st) != 0) {
        absent = true;
        break;
      }
      if (IsWhiteout(st) || !S_ISDIR(st.st_mode)) {
        hides = true;
        break;
      }
      if (IsOpaqueDir(p)) stop_after = true;
    }
    if (hides) break;
    if (absent) {
      if (stop_after) break;
      continue;
    }
    for (const auto& n : ListDirNames(p)) {
      if (hidden.count(n) || names.count(n)) continue;
      struct stat es;
      if (lstat((p + "/" + n).c_str(), &es) == 0 && IsWhiteout(es)) {
        hidden.insert(n);
        continue;
      }
      names.insert(n);
    }
    if (stop_after) break;
  }
  return {names.begin(), names.end()};
}

}  // namespace mini::build
