#include "build/link_layer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/fs.h"
#include "store/lease.h"

namespace mini::build {

namespace {

void SetTimes(const std::string& path, const struct stat& st) {
  struct timespec ts[2] = {st.st_atim, st.st_mtim};
  utimensat(AT_FDCWD, path.c_str(), ts, AT_SYMLINK_NOFOLLOW);
}

void CopyFileBytes(const std::string& from, const std::string& to, const struct stat& st) {
  UniqueFd in(open(from.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!in) ThrowErrno("open " + from);
  UniqueFd out(open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!out) ThrowErrno("create " + to);
  char buf[1 << 16];
  for (;;) {
    size_t n = ReadSome(in.get(), buf, sizeof(buf), from);
    if (n == 0) break;
    WriteAll(out.get(), buf, n, to);
  }
  if (fchown(out.get(), st.st_uid, st.st_gid) != 0) ThrowErrno("chown " + to);
  if (fchmod(out.get(), st.st_mode & 07777) != 0) ThrowErrno("chmod " + to);
}

}  // namespace

void LinkTree(const std::string& from, const std::string& to) {
  struct stat st;
  if (lstat(from.c_str(), &st) != 0) ThrowErrno("lstat " + from);
  if (S_ISDIR(st.st_mode)) {
    if (mkdir(to.c_str(), 0700) != 0) ThrowErrno("mkdir " + to);
    for (const auto& n : ListDirNames(from)) LinkTree(from + "/" + n, to + "/" + n);
    if (lchown(to.c_str(), st.st_uid, st.st_gid) != 0) ThrowErrno("chown " + to);
    if (chmod(to.c_str(), st.st_mode & 07777) != 0) ThrowErrno("chmod " + to);
    SetTimes(to, st);
    return;
  }
  if (S_ISREG(st.st_mode)) {
    if (link(from.c_str(), to.c_str()) != 0) CopyFileBytes(from, to, st), SetTimes(to, st);
    return;
  }
  if (S_ISLNK(st.st_mode)) {
    std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
    ssize_t n = readlink(from.c_str(), target.data(), target.size());
    if (n < 0) ThrowErrno("readlink " + from);
    target.resize(static_cast<size_t>(n));
    if (symlink(target.c_str(), to.c_str()) != 0) ThrowErrno("symlink " + to);
  } else {
    if (mknod(to.c_str(), st.st_mode & (S_IFMT | 07777), st.st_rdev) != 0) ThrowErrno("mknod " + to);
    if (chmod(to.c_str(), st.st_mode & 07777) != 0) ThrowErrno("chmod " + to);
  }
  if (lchown(to.c_str(), st.st_uid, st.st_gid) != 0) ThrowErrno("chown " + to);
  SetTimes(to, st);
}

LayerRef RebaseLayer(const Layout& layout, LayerStore& layers, const Digest& chain_id,
                     const std::optional<Digest>& parent) {
  LayerInfo cached = layers.Get(chain_id);
  if (cached.parent == parent) return LayerRefOf(layers, chain_id);
  Digest target = LayerStore::ChainId(parent, cached.diff_id);
  if (CurrentLease()->AddLayerIfExists(target)) return LayerRefOf(layers, target);
  TempDir staging(layout.TmpDir(), "link-");
  std::string diff = staging.path() + "/diff";
  LinkTree(layers.DiffDir(chain_id), diff);
  LayerInfo info = layers.CreateFromDiffDir(diff, parent, cached.blob_digest, cached.blob_size, cached.diff_id,
                                            cached.tar_size);
  return LayerRefOf(layers, info.chain_id);
}

}  // namespace mini::build
