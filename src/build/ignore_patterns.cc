#include "build/ignore_patterns.h"

#include <fnmatch.h>

#include <cctype>

#include "common/error.h"
#include "common/path.h"

namespace mini::build {

namespace {

std::string Trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  size_t b = s.find_last_not_of(" \t\r");
  return s.substr(a, b - a + 1);
}

/// Translates a cleaned pattern to a regular expression, as patternmatcher.compile does.
/// Stars right after a ".*" add nothing it could not match, nor does a "**/" right after
/// another, but each copy multiplies std::regex's backtracking (30 stars took minutes on a short
/// path): they are left out.
std::string ToRegex(const std::string& p) {
  std::string re = "^";
  std::string last;  // the star expression emitted last, if nothing came after it
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '*') {
      std::string star;
      if (i + 1 < p.size() && p[i + 1] == '*') {
        ++i;
        // "**/" matches zero or more directories; a trailing "**" matches everything.
        if (i + 1 < p.size() && p[i + 1] == '/') {
          ++i;
          star = "(.*/)?";
        } else {
          star = ".*";
        }
      } else {
        star = "[^/]*";
      }
      if (last == ".*" || (last == "(.*/)?" && star == last)) continue;
      re += star;
      last = star;
      continue;
    }
    last.clear();
    if (c == '?') {
      re += "[^/]";
    } else if (c == '[') {
      size_t j = p.find(']', i + 1);
      if (j == std::string::npos) throw Error("syntax error in pattern \"" + p + "\"");
      std::string cls = p.substr(i + 1, j - i - 1);
      if (!cls.empty() && cls[0] == '!') cls[0] = '^';
      std::string esc;
      for (char k : cls) esc += (k == '\\' || k == '[') ? std::string("\\") + k : std::string(1, k);
      re += "[" + esc + "]";
      i = j;
    } else if (c == '\\' && i + 1 < p.size()) {
      // "\3" would be a back-reference to std::regex (Go's regexp, Docker's, refuses it).
      if (std::isdigit(static_cast<unsigned char>(p[i + 1]))) throw Error("syntax error in pattern \"" + p + "\"");
      ++i;
      re += "\\";
      re += p[i];
    } else if (std::string(".+()|{}^$").find(c) != std::string::npos) {
      re += "\\";
      re += c;
    } else {
      re += c;
    }
  }
  return re + "$";
}

}  // namespace

IgnorePatterns IgnorePatterns::Parse(const std::string& content) {
  IgnorePatterns ip;
  size_t i = 0;
  while (i <= content.size()) {
    size_t j = content.find('\n', i);
    if (j == std::string::npos) j = content.size();
    std::string line = Trim(content.substr(i, j - i));
    i = j + 1;
    if (line.empty() || line[0] == '#') continue;
    Pattern p;
    if (line[0] == '!') {
      p.exclusion = true;
      line = Trim(line.substr(1));
      if (line.empty()) throw Error("illegal exclusion pattern: \"!\"");
      ip.has_exceptions_ = true;
    }
    // filepath.Clean, then the leading "/" is dropped (patterns are relative to the context).
    p.text = JoinPath(CleanPathComponents(line));
    if (p.text.empty()) p.text = ".";
    p.dirs = 1;
    for (char c : p.text)
      if (c == '/') ++p.dirs;
    try {
      p.re = std::regex(ToRegex(p.text), std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error&) {
      throw Error("syntax error in pattern \"" + line + "\"");
    }
    ip.patterns_.push_back(std::move(p));
  }
  return ip;
}

bool IgnorePatterns::Excluded(const std::string& rel) const {
  bool matched = false;
  std::vector<std::string> parents;
  for (size_t pos = rel.find('/'); pos != std::string::npos; pos = rel.find('/', pos + 1))
    parents.push_back(rel.substr(0, pos));
  for (const auto& p : patterns_) {
    // Only a pattern that could flip the result needs to be tried.
    if (p.exclusion != matched) continue;
    bool m = p.text == "." || std::regex_match(rel, p.re);
    // A pattern matching a parent directory matches everything below it.
    for (size_t k = 0; !m && k < parents.size(); ++k) m = std::regex_match(parents[k], p.re);
    if (m) matched = !p.exclusion;
  }
  return matched;
}

bool GlobMatch(const std::string& pattern, const std::string& name) {
  return fnmatch(pattern.c_str(), name.c_str(), FNM_PATHNAME) == 0;
}

bool HasGlob(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

}  // namespace mini::build
