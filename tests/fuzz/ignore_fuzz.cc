// Fuzzes the .miniignore/.dockerignore matcher and COPY globs. Input: the ignore file, then
// optionally a NUL byte and context-relative paths, one a line, to match against it (a few fixed
// paths when there are none).
#include <cstdint>
#include <string>
#include <vector>

#include "build/ignore_patterns.h"
#include "common/error.h"

namespace {

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find('\n', i);
    if (j == std::string::npos) j = s.size();
    out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mini::build;
  std::string in(reinterpret_cast<const char*>(data), size);
  size_t nul = in.find('\0');
  std::string content = in.substr(0, nul);
  std::vector<std::string> paths = {"a", "a/b", "a/b/c.txt", "README.md", ".git/config", "dir/sub/x.log"};
  if (nul != std::string::npos) paths = Lines(in.substr(nul + 1));
  try {
    IgnorePatterns ip = IgnorePatterns::Parse(content);
    for (const auto& p : paths) ip.Excluded(p);
  } catch (const mini::Error&) {
  }
  for (const auto& pat : Lines(content)) {
    if (!HasGlob(pat)) continue;
    for (const auto& p : paths) GlobMatch(pat, p);
  }
  return 0;
}
