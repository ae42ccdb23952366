#include "build/export.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include "build/source_tree.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/path.h"
#include "run/container.h"
#include "run/runtime_dir.h"
#include "store/overlay_marks.h"
#include "store/tar_stream.h"

namespace mini::build {

namespace {

/// The tar writer over the merged view. Each directory is listed from the layers that still
/// contribute to it: top down, stopping at an opaque directory or at a layer where the path is
/// not a directory; a whiteout in a higher layer hides the name in all lower ones.
class MergedTarWriter {
 public:
  MergedTarWriter(std::vector<std::string> dirs, int out_fd, const IdShift& shift, size_t shifted_layers)
      : dirs_(std::move(dirs)), shift_(shift), shifted_layers_(shifted_layers),
        tar_(TarStream::Format::kPaxRestricted,
             [out_fd](const void* data, size_t n) { WriteAll(out_fd, data, n, "export output"); }, "",
             "exporting") {}
  MergedTarWriter(const MergedTarWriter&) = delete;
  MergedTarWriter& operator=(const MergedTarWriter&) = delete;

  void Run() {
    // Image layers are named through their l/<short id> links: resolve those first.
    std::vector<std::string> roots;
    for (const auto& d : dirs_) {
      char real[PATH_MAX];
      if (realpath(d.c_str(), real) && IsDirectory(real)) {
        roots.push_back(real);
        if (static_cast<size_t>(&d - dirs_.data()) < shifted_layers_) shifted_roots_.push_back(std::string(real) + "/");
      }
    }
    Walk("", roots);
    tar_.Close();
  }

 private:
  /// Writes the children of directory `rel` ("" or "a/b/") merged over `layers` (the host
  /// paths of that directory in each contributing layer, top first).
  void Walk(const std::string& rel, const std::vector<std::string>& layers) {
    // name -> index of the layer that provides it; whited-out names are remembered as -1.
    std::map<std::string, int> found;
    for (size_t i = 0; i < layers.size(); ++i) {
      for (auto& n : ListDirNames(layers[i])) {
        if (found.count(n)) continue;
        struct stat st;
        if (lstat((layers[i] + "/" + n).c_str(), &st) != 0) continue;
        found[n] = IsWhiteout(st) ? -1 : static_cast<int>(i);
      }
      if (IsOpaqueDir(layers[i])) break;
    }
    for (const auto& [name, idx] : found) {
      if (idx < 0) continue;
      std::string path = rel + name;
      size_t layer = static_cast<size_t>(idx);  // clang 14 cannot capture a structured binding
      WithContext("export \"" + path + "\"", [&] { Emit(path, layers, layer); });
    }
  }

  void Emit(const std::string& rel, const std::vector<std::string>& layers, size_t idx) {
    std::string name = BaseName(rel);
    std::string host = layers[idx] + "/" + name;
    struct stat st;
    if (lstat(host.c_str(), &st) != 0) ThrowErrno("stat");
    if (S_ISSOCK(st.st_mode)) return;
    TarStream::EntryPtr e = tar_.NewEntry();
    bool is_dir = S_ISDIR(st.st_mode);
    archive_entry_set_pathname(e.get(), (is_dir ? rel + "/" : rel).c_str());
    archive_entry_set_filetype(e.get(), st.st_mode & S_IFMT);
    archive_entry_set_perm(e.get(), st.st_mode & 07777);
    bool shift = false;
    for (const auto& r : shifted_roots_) shift = shift || host.compare(0, r.size(), r) == 0;
    archive_entry_set_uid(e.get(), shift ? shift_.Uid(st.st_uid) : st.st_uid);
    archive_entry_set_gid(e.get(), shift ? shift_.Gid(st.st_gid) : st.st_gid);
    archive_entry_set_mtime(e.get(), st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    archive_entry_set_size(e.get(), 0);
    if (!is_dir && st.st_nlink > 1) {
      auto key = std::make_pair(st.st_dev, st.st_ino);
      if (auto it = links_.find(key); it != links_.end()) {
        archive_entry_set_hardlink(e.get(), it->second.c_str());
        tar_.WriteHeader(e.get());
        return;
      }
      links_[key] = rel;
    }
    if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
      ssize_t n = readlink(host.c_str(), target.data(), target.size());
      if (n < 0) ThrowErrno("readlink");
      target.resize(static_cast<size_t>(n));
      archive_entry_set_symlink(e.get(), target.c_str());
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      archive_entry_set_rdev(e.get(), st.st_rdev);
    }
    if (S_ISREG(st.st_mode)) {
      UniqueFd fd(open(host.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      if (!fd) ThrowErrno("open");
      archive_entry_set_size(e.get(), st.st_size);
      tar_.WriteHeader(e.get());
      tar_.CopyData(fd.get(), static_cast<uint64_t>(st.st_size));
      return;
    }
    tar_.WriteHeader(e.get());
    if (!is_dir) return;
    // The directory's contributing layers: this one, then lower ones while they hold a
    // directory at the same path and nothing above was opaque.
    std::vector<std::string> sub;
    for (size_t i = idx; i < layers.size(); ++i) {
      std::string p = layers[i] + "/" + name;
      struct stat ls;
      if (lstat(p.c_str(), &ls) != 0) continue;
      if (!S_ISDIR(ls.st_mode)) break;
      sub.push_back(p);
      if (IsOpaqueDir(p)) break;
    }
    Walk(rel + "/", sub);
  }

  std::vector<std::string> dirs_;
  IdShift shift_;
  size_t shifted_layers_ = 0;
  std::vector<std::string> shifted_roots_;  ///< "<realpath>/" of the layers whose owners shift
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
  TarStream tar_;
};

}  // namespace

void WriteMergedTar(const std::vector<std::string>& diff_dirs_top_first, int out_fd, const IdShift& shift,
                    size_t shifted_layers) {
  MergedTarWriter w(diff_dirs_top_first, out_fd, shift, shifted_layers);
  w.Run();
}

std::vector<std::string> ContainerLayerDirs(const Layout& layout, const std::string& container) {
  run::ContainerStore cs(layout);
  std::string cid = cs.Resolve(container);
  run::ContainerConfig cfg = cs.LoadConfig(cid);
  std::string init = cs.Ephemeral(cid) ? run::EphemeralLayersFor(layout, cid, cs.RuntimeDir(cid)).init
                                       : layout.LayerDiff(cid + "-init");
  std::vector<std::string> dirs = {cs.UpperDir(cid), init};
  for (const auto& l : cfg.image.lowers) dirs.push_back(layout.Overlay2Dir() + "/" + l);
  return dirs;
}

void ExportContainer(const Layout& layout, const std::string& container, int out_fd) {
  auto dirs = ContainerLayerDirs(layout, container);
  run::ContainerStore cs(layout);
  run::IdMap m = cs.LoadConfig(cs.Resolve(container)).idmap;
  // The upper dir and the init layer are owned by the mapped ids of a --userns container.
  WithContext("export " + container, [&] { WriteMergedTar(dirs, out_fd, {m.uid_base, m.gid_base, m.size}, 2); });
}

}  // namespace mini::build
