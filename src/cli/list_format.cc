#include "cli/list_format.h"

#include <fnmatch.h>

#include <cstdio>

#include "cli/errors.h"
#include "cli/go_template.h"
#include "common/error.h"

namespace mini::cli {

using nlohmann::json;

void PrintRows(const std::string& format, const std::vector<json>& rows, const json& headers,
               const std::function<void()>& print_default) {
  if (format.empty() || format == "table") return print_default();
  if (format == "json") {
    for (const auto& r : rows) std::printf("%s\n", r.dump().c_str());
    return;
  }
  std::string body;
  bool table = IsTable(format, &body);
  GoTemplate t(table ? body : format);
  if (!table) {
    for (const auto& r : rows) std::printf("%s\n", t.Render(r).c_str());
    return;
  }
  std::string text = t.Render(headers) + "\n";
  for (const auto& r : rows) text += t.Render(r) + "\n";
  std::fputs(AlignTabs(text).c_str(), stdout);
}

void PrintInspected(const json& objects, const std::optional<GoTemplate>& tmpl) {
  if (!tmpl) {
    std::printf("%s\n", objects.dump(4).c_str());
    return;
  }
  for (const auto& obj : objects) std::printf("%s\n", tmpl->Render(obj).c_str());
}

Filters::Filters(const std::vector<std::string>& specs, const std::set<std::string>& allowed) {
  for (const auto& s : specs) {
    size_t eq = s.find('=');
    if (eq == std::string::npos) throw Error(ErrorKind::kInvalidInput, "bad format of filter (expected name=value)").WithExitCode(kExitFlag);  // a flag value: pflag's 125
    std::string key = s.substr(0, eq);
    if (!allowed.count(key)) throw Error(ErrorKind::kInvalidInput, "invalid filter '" + key + "'");
    values_[key].push_back(s.substr(eq + 1));
  }
}

const std::vector<std::string>& Filters::Values(const std::string& key) const {
  static const std::vector<std::string> none;
  auto it = values_.find(key);
  return it == values_.end() ? none : it->second;
}

bool Filters::Any(const std::string& key, const std::function<bool(const std::string&)>& pred) const {
  auto it = values_.find(key);
  if (it == values_.end()) return true;
  for (const auto& v : it->second)
    if (pred(v)) return true;
  return false;
}

bool Filters::MatchLabels(const json& labels) const {
  for (const auto& want : Values("label")) {
    size_t eq = want.find('=');
    std::string k = want.substr(0, eq);
    if (!labels.is_object() || !labels.contains(k)) return false;
    if (eq != std::string::npos && (!labels[k].is_string() || labels[k].get<std::string>() != want.substr(eq + 1))) return false;
  }
  return true;
}

bool MatchReferenceGlob(const std::string& pattern, const std::string& repo, const std::string& tag) {
  // path.Match: '*' does not cross '/', as FNM_PATHNAME.
  if (fnmatch(pattern.c_str(), (repo + ":" + tag).c_str(), FNM_PATHNAME) == 0) return true;
  return pattern.find(':') == std::string::npos && fnmatch(pattern.c_str(), repo.c_str(), FNM_PATHNAME) == 0;
}

}  // namespace mini::cli
