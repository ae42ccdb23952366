#pragma once
/// The `--format` and `--filter` flags of Docker's list commands (ps, images, and later others):
/// rows are JSON objects shaped like Docker's `{{json .}}` of that command.
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cli/go_template.h"

namespace mini::cli {

/// Prints `rows` as --format asks: "" or "table" -> `print_default()`; "json" -> one JSON object
/// per line; "table TEMPLATE" -> a header line (the template rendered over `headers`, e.g.
/// {"ID": "CONTAINER ID"}) then the rows, columns aligned at tabs; any other text -> the
/// template once per row. Throws Error("template: ...") for a bad template.
void PrintRows(const std::string& format, const std::vector<nlohmann::json>& rows, const nlohmann::json& headers,
               const std::function<void()>& print_default);

/// `inspect`'s output (images, containers, volumes): each object through the --format
/// template, or without one the JSON array, indented by 4 as Docker prints it.
void PrintInspected(const nlohmann::json& objects, const std::optional<GoTemplate>& tmpl);

/// `--filter KEY=VALUE` flags: values per key (Docker: values of one key OR, keys AND).
class Filters {
 public:
  /// Throws Error("invalid filter 'KEY'") for a key not in `allowed` and
  /// Error("bad format of filter (expected name=value)") for a spec without '='.
  Filters(const std::vector<std::string>& specs, const std::set<std::string>& allowed);
  bool Has(const std::string& key) const { return values_.count(key) != 0; }
  const std::vector<std::string>& Values(const std::string& key) const;
  /// True if no value of `key` is given or `pred` holds for one of them.
  bool Any(const std::string& key, const std::function<bool(const std::string&)>& pred) const;
  /// label=KEY or label=KEY=VALUE against a labels object: all label filters must hold.
  bool MatchLabels(const nlohmann::json& labels) const;

 private:
  std::map<std::string, std::vector<std::string>> values_;
};

/// Docker's reference filter: a path.Match-style glob ("busy*", "*/app:1.*") against "repo:tag"
/// and against "repo" alone.
bool MatchReferenceGlob(const std::string& pattern, const std::string& repo, const std::string& tag);

}  // namespace mini::cli
