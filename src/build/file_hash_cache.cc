#include "build/file_hash_cache.h"

#include <sstream>
#include <string_view>
#include <time.h>

#include "common/digest.h"
#include "common/error.h"
#include "common/fs.h"

namespace mini::build {

FileHashCache::FileHashCache(std::string path, const Clock& clock) : path_(std::move(path)), clock_(clock) {
  std::optional<std::string> data;
  try {
    data = ReadFileIfExists(path_, 256 << 20);
  } catch (const Error&) {
    return;
  }
  if (!data) return;
  // Line: <stat key>\t<hex>\t<path>\n (the path last, so it may hold anything but a newline).
  std::istringstream in(*data);
  std::string line;
  while (std::getline(in, line)) {
    size_t a = line.find('\t');
    size_t b = a == std::string::npos ? a : line.find('\t', a + 1);
    if (b == std::string::npos) continue;
    std::string hex = line.substr(a + 1, b - a - 1);
    if (!Digest::IsValidHex(hex)) continue;
    entries_[line.substr(b + 1)] = {line.substr(0, a), hex};
  }
}

std::string FileHashCache::StatKey(const struct stat& st) {
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
         std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + ":" +
         std::to_string(st.st_ctim.tv_sec) + "." + std::to_string(st.st_ctim.tv_nsec);
}

std::string FileHashCache::HashOf(const std::string& host_path, const struct stat& st) {
  std::string key = StatKey(st);
  auto it = entries_.find(host_path);
  if (it != entries_.end() && it->second.first == key) return it->second.second;
  std::string hex = Sha256OfFile(host_path).hex();
  timespec now = clock_.Now();
  bool settled = now.tv_sec - st.st_mtim.tv_sec > 2 && now.tv_sec - st.st_ctim.tv_sec > 2;
  if (settled && host_path.find('\n') == std::string::npos) {
    entries_[host_path] = {key, hex};
    dirty_ = true;
  }
  return hex;
}

void FileHashCache::Save() const {
  if (!dirty_) return;
  std::string out;
  for (const auto& [path, e] : entries_) out += e.first + "\t" + e.second + "\t" + path + "\n";
  try {
    std::string dir = path_.substr(0, path_.rfind('/'));
    MakeDirs(dir);
    WriteFileAtomic(path_, out, 0600);
  } catch (const Error&) {
  }
}

}  // namespace mini::build
