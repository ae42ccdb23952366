#pragma once
/// Content digests of build-context files remembered by (path, device, inode, size, mtime,
/// ctime), so an unchanged rebuild re-reads no file (the trick of git's index). Kept in
/// build-cache/file-hashes, one line per file, rewritten atomically after a build.
#include <sys/stat.h>

#include <map>
#include <string>

#include "common/clock.h"

namespace mini::build {

class FileHashCache {
 public:
  /// Loads `path` if it exists; a damaged file is ignored (everything is hashed again).
  /// `clock` tells how old a file's change is (a fake one in tests).
  explicit FileHashCache(std::string path, const Clock& clock = SystemClock());
  /// The sha256 hex of the file's content, from the cache when its stat data is unchanged.
  /// Files changed in the last 2 seconds are hashed but not remembered (a write in the same
  /// timestamp tick could otherwise go unseen).
  std::string HashOf(const std::string& host_path, const struct stat& st);
  /// Writes the cache back if anything was added. Best effort: failures are ignored.
  void Save() const;

 private:
  static std::string StatKey(const struct stat& st);
  std::string path_;
  const Clock& clock_;
  std::map<std::string, std::pair<std::string, std::string>> entries_;  // path -> (stat key, hex)
  bool dirty_ = false;
};

}  // namespace mini::build
