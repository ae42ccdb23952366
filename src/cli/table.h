#pragma once
/// Column output like Docker's (Go tabwriter with padding 3): each column as wide as its widest
/// cell plus three spaces, the last column unpadded.
#include <string>
#include <vector>

namespace mini::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  /// Renders all rows, header first, each line ending with '\n'.
  std::string Render() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

/// Truncates to `n` characters, ending with "…" when cut (docker's --no-trunc off behaviour).
std::string Ellipsis(const std::string& s, size_t n);

}  // namespace mini::cli
