#include "common/path.h"

#include <algorithm>
#include <cerrno>

namespace mini {

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view c = path.substr(i, j - i);
    if (!c.empty() && c != ".") out.emplace_back(c);
    i = j + 1;
  }
  return out;
}

std::vector<std::string> CleanPathComponents(std::string_view path) {
  std::vector<std::string> out;
  for (auto& c : SplitPath(path)) {
    if (c == "..") {
      if (!out.empty()) out.pop_back();
      continue;
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::string JoinPath(const std::vector<std::string>& comps) {
  std::string s;
  for (const auto& c : comps) {
    if (!s.empty()) s += '/';
    s += c;
  }
  return s;
}

std::string CleanAbsPath(std::string_view path) { return "/" + JoinPath(CleanPathComponents(path)); }

bool EscapesLexically(std::string_view path) {
  if (!path.empty() && path[0] == '/') return false;
  int depth = 0;
  for (const auto& c : SplitPath(path)) {
    if (c != "..") {
      ++depth;
    } else if (--depth < 0) {
      return true;
    }
  }
  return false;
}

std::string BaseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

ScopedPath ResolveInScope(std::vector<std::string> comps, bool follow_last, int max_links,
                          const ScopeLookup& lookup) {
  std::reverse(comps.begin(), comps.end());  // a stack: the next component at the back
  std::vector<std::string>& todo = comps;
  ScopedPath out;
  std::vector<std::string>& done = out.comps;
  int links = 0;
  while (!todo.empty()) {
    std::string c = std::move(todo.back());
    todo.pop_back();
    if (c.empty() || c == ".") continue;
    if (c == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    done.push_back(std::move(c));
    bool last = todo.empty();
    if (last && !follow_last) break;
    ScopeEntry e = lookup(done, last);
    if (e.error != 0) {
      out.error = e.error;
      return out;
    }
    if (!e.link) continue;
    if (++links > max_links) {
      out.error = ELOOP;
      return out;
    }
    done.pop_back();
    if (!e.link->empty() && (*e.link)[0] == '/') done.clear();
    auto parts = SplitPath(*e.link);
    todo.insert(todo.end(), parts.rbegin(), parts.rend());
  }
  return out;
}

}  // namespace mini
