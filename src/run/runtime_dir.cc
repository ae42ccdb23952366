#include "run/runtime_dir.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <mutex>

#include "common/error.h"
#include "common/fs.h"
#include "common/rootless.h"
#include "run/process_spec.h"

namespace mini::run {
namespace {

std::string RuntimeBase() {
  const char* e = getenv("MINI_RUNTIME_DIR");
  if (e && *e == '/') return CleanAbsPath(e);
  return IsRootless() ? RootlessRuntimeBase() : std::string("/run/mini");
}

bool OnTmpfs(const std::string& path) {
  struct statfs s;
  return statfs(path.c_str(), &s) == 0 && (s.f_type == TMPFS_MAGIC || s.f_type == RAMFS_MAGIC);
}

/// Mounts a tmpfs on `base` unless it is one already or holds something (state of containers
/// started before would be hidden). An flock on the directory serialises concurrent callers
/// (the lock is on the underlying inode, which the mount does not change).
void MountTmpfsIfEmpty(const std::string& base) {
  UniqueFd fd(open(base.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) ThrowErrno("open " + base);
  while (flock(fd.get(), LOCK_EX) != 0)
    if (errno != EINTR) ThrowErrno("lock " + base);
  if (OnTmpfs(base)) return;
  bool empty = ListDirNamesAt(fd.get()).empty();
  // No privilege (or a read-only /run): keep using the plain directory.
  if (empty) (void)mount("tmpfs", base.c_str(), "tmpfs", MS_NOSUID, "mode=0711");
}

}  // namespace

std::string RootHash(const std::string& root) {
  // FNV-1a, 64 bits: a name, not a security boundary; no crypto library start-up (~1 ms).
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : root) {
    h ^= c;
    h *= 1099511628211ull;
  }
  static const char* kHex = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; i--, h >>= 4) out[i] = kHex[h & 15];
  return out;
}

std::string RuntimeRoot(const Layout& layout) {
  std::string root = layout.root();
  if (root.empty() || root[0] != '/') {
    char cwd[4096];
    root = std::string(getcwd(cwd, sizeof(cwd)) ? cwd : "/") + "/" + root;
  }
  return RuntimeBase() + "/" + RootHash(CleanAbsPath(root));
}

void EnsureRuntimeRoot(const Layout& layout) {
  static std::mutex mu;
  static std::string done;
  std::lock_guard<std::mutex> lock(mu);
  std::string root = RuntimeRoot(layout);
  if (done == root) return;
  std::string base = RuntimeBase();
  // Rootless: a tmpfs mounted in our private mount namespace would hide the state from others.
  if (!OnTmpfs(base) && !IsRootless()) {
    MakeDirs(base, 0711);
    MountTmpfsIfEmpty(base);
  }
  MakeDirs(root + "/containers", 0711);
  done = root;
}

EphemeralLayers EphemeralLayersFor(const Layout& layout, const std::string& id, const std::string& runtime_dir) {
  return {runtime_dir + "/init", layout.LayerDiff(id), layout.LayerDir(id) + "/work", runtime_dir + "/merged"};
}

}  // namespace mini::run
