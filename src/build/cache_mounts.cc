#include "build/cache_mounts.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/digest.h"
#include "common/error.h"

namespace mini::build {

namespace {

std::string IdDir(const Layout& layout, const std::string& id) {
  return layout.BuildCacheMountsDir() + "/" + Sha256Of(id).hex().substr(0, 32);
}

/// Opens <instance>/lock and flocks it with `op`; an invalid fd when LOCK_NB found it held.
/// A lock file unlinked by a prune meanwhile is retried, so a held lock is always on the live
/// file.
UniqueFd LockInstance(const std::string& inst, int op) {
  for (;;) {
    MakeDirs(inst, 0700);
    UniqueFd fd(open((inst + "/lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd) {
      if (errno == ENOENT) continue;  // the instance dir went with a prune
      ThrowErrno("open " + inst + "/lock");
    }
    int r;
    do r = flock(fd.get(), op);
    while (r != 0 && errno == EINTR);
    if (r != 0) {
      if (errno == EWOULDBLOCK) return UniqueFd();
      ThrowErrno("lock " + inst);
    }
    struct stat st;
    if (fstat(fd.get(), &st) != 0) ThrowErrno("stat " + inst + "/lock");
    if (st.st_nlink > 0) return fd;
  }
}

}  // namespace

HeldCacheDir AcquireCacheDir(const Layout& layout, const std::string& id, CacheSharing sharing,
                             std::optional<uint32_t> mode, std::optional<uint32_t> uid, std::optional<uint32_t> gid,
                             const std::function<void(const std::string&)>& seed) {
  std::string dir = IdDir(layout, id);
  MakeDirs(dir, 0700);
  if (!PathExists(dir + "/id")) WriteFileAtomic(dir + "/id", id, 0600);
  std::string inst;
  UniqueFd lock;
  if (sharing == CacheSharing::kPrivate) {
    for (int n = 0; !lock; n++) {
      inst = dir + "/" + std::to_string(n);
      lock = LockInstance(inst, LOCK_EX | LOCK_NB);
    }
  } else {
    inst = dir + "/0";
    lock = LockInstance(inst, sharing == CacheSharing::kLocked ? LOCK_EX : LOCK_SH);
  }
  std::string data = inst + "/data";
  if (mkdir(data.c_str(), 0700) == 0) {
    try {
      if (seed) seed(data);
    } catch (...) {
      RemoveTree(data);  // a half-filled cache would be taken as filled next time
      throw;
    }
    if (chown(data.c_str(), uid.value_or(0), gid.value_or(0)) != 0) ThrowErrno("chown " + data);
    if (chmod(data.c_str(), mode.value_or(0755)) != 0) ThrowErrno("chmod " + data);
  } else if (errno != EEXIST) {
    ThrowErrno("mkdir " + data);
  }
  return HeldCacheDir(data, std::move(lock));
}

std::vector<std::string> PruneCacheDirs(const Layout& layout, uint64_t* bytes) {
  std::vector<std::string> removed;
  std::string root = layout.BuildCacheMountsDir();
  for (const auto& h : ListDirNames(root)) {
    std::string dir = root + "/" + h;
    std::string id = ReadFileIfExists(dir + "/id", 4096).value_or(h);
    bool left = false;
    for (const auto& n : ListDirNames(dir)) {
      if (n == "id") continue;
      std::string inst = dir + "/" + n;
      UniqueFd fd(open((inst + "/lock").c_str(), O_RDWR | O_CLOEXEC));
      if (fd && flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        left = true;  // in use by a running step
        continue;
      }
      *bytes += TreeSize(inst + "/data");
      RemoveTree(inst + "/data");
      unlink((inst + "/lock").c_str());  // under the lock: a waiter sees nlink 0 and retries
      rmdir(inst.c_str());
      removed.push_back(id);
    }
    if (!left) {
      unlink((dir + "/id").c_str());
      rmdir(dir.c_str());
    }
  }
  return removed;
}

}  // namespace mini::build
