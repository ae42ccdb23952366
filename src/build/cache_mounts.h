#pragma once
/// The directories of RUN --mount=type=cache, kept in the store across builds, keyed by the
/// cache id, never part of a layer or a cache key. Concurrent steps honour `sharing` with
/// flocks: shared takes a shared lock on instance 0; locked waits for an exclusive lock on it;
/// private takes the first instance nobody holds (making a new one when all are in use). A lock
/// dies with its process, so a killed build leaves nothing held.
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "build/run_mount.h"
#include "common/fs.h"
#include "store/layout.h"

namespace mini::build {

/// One cache directory in use; its lock is released on destruction.
class HeldCacheDir {
 public:
  HeldCacheDir(std::string data, UniqueFd lock) : data_(std::move(data)), lock_(std::move(lock)) {}
  HeldCacheDir(HeldCacheDir&&) = default;
  const std::string& data() const { return data_; }

 private:
  std::string data_;
  UniqueFd lock_;
};

/// Locks (waiting where `sharing` says so) and returns the cache directory of `id`, creating it
/// with `mode` (default 0755) and `uid`:`gid` (default 0:0) when new; `seed` then fills a new
/// one first (a cache based on another tree, from=). Throws Error.
HeldCacheDir AcquireCacheDir(const Layout& layout, const std::string& id, CacheSharing sharing,
                             std::optional<uint32_t> mode, std::optional<uint32_t> uid, std::optional<uint32_t> gid,
                             const std::function<void(const std::string&)>& seed = nullptr);

/// Removes every cache directory no step holds; returns the ids removed (one per instance) and
/// adds their sizes to *bytes. Safe while builds run: a held directory is skipped.
std::vector<std::string> PruneCacheDirs(const Layout& layout, uint64_t* bytes);

}  // namespace mini::build
