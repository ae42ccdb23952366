#pragma once
/// `.miniignore` / `.dockerignore` rules (Docker's patternmatcher): one pattern a line, `#`
/// comments, `!` re-includes, `*` `?` `[...]` within a path component, `**` across any number
/// of directories, a pattern also matches everything under a directory it matches, the last
/// matching pattern decides. Pure.
#include <regex>
#include <string>
#include <vector>

namespace mini::build {

class IgnorePatterns {
 public:
  IgnorePatterns() = default;
  /// Parses the file content. Throws Error for a malformed pattern.
  static IgnorePatterns Parse(const std::string& content);

  /// True if the context-relative path `rel` ("a/b/c", no leading slash) is excluded.
  bool Excluded(const std::string& rel) const;
  /// True when some pattern starts with `!` (then an excluded directory may still hold
  /// re-included files and must be walked).
  bool HasExceptions() const { return has_exceptions_; }
  bool empty() const { return patterns_.empty(); }

 private:
  struct Pattern {
    std::string text;
    bool exclusion = false;
    std::regex re;
    int dirs = 0;  ///< number of '/'-separated components
  };
  std::vector<Pattern> patterns_;
  bool has_exceptions_ = false;
};

/// Docker's filepath.Match for one pattern against a whole name, `*` not crossing '/'.
/// Used for COPY source globs. Pure.
bool GlobMatch(const std::string& pattern, const std::string& name);
/// True if `s` contains glob metacharacters (`*`, `?`, `[`).
bool HasGlob(const std::string& s);

}  // namespace mini::build
