#pragma once
/// The store-wide lock: an exclusive flock on <root>/lock held while metadata changes.
/// Long work (downloads, unpacks) happens outside it; only commits take it.
#include "common/fs.h"
#include "store/layout.h"

namespace mini {

class StoreLock {
 public:
  /// Blocks until the lock is held.
  explicit StoreLock(const Layout& layout);
  StoreLock(const StoreLock&) = delete;
  StoreLock& operator=(const StoreLock&) = delete;
  ~StoreLock();

 private:
  UniqueFd fd_;
};

}  // namespace mini
