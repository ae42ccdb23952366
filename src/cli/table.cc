#include "cli/table.h"

#include <algorithm>

namespace mini::cli {

namespace {
/// Display width in characters (counts UTF-8 lead bytes, so "…" is one column).
size_t Width(const std::string& s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}
}  // namespace

std::string Table::Render() const {
  std::vector<size_t> widths;
  for (const auto& r : rows_)
    for (size_t i = 0; i < r.size(); i++) {
      if (widths.size() <= i) widths.push_back(0);
      widths[i] = std::max(widths[i], Width(r[i]));
    }
  std::string out;
  for (const auto& r : rows_) {
    std::string line;
    for (size_t i = 0; i < r.size(); i++) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(widths[i] - Width(r[i]) + 3, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string Ellipsis(const std::string& s, size_t n) {
  if (Width(s) <= n) return s;
  std::string out;
  size_t w = 0;
  for (char c : s) {
    if ((c & 0xC0) != 0x80) {
      if (w + 1 >= n) break;
      w++;
    }
    out.push_back(c);
  }
  return out + "…";
}

}  // namespace mini::cli
