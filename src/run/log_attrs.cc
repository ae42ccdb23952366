#include "run/log_attrs.h"

#include <algorithm>
#include <regex>

#include "common/error.h"
#include "common/strings.h"

namespace mini::run {
namespace {

std::map<std::string, std::string> Options(const LogSpec& spec) {
  std::map<std::string, std::string> o;
  for (const auto& kv : spec.opts) {
    size_t eq = kv.find('=');
    if (eq != std::string::npos) o[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return o;
}

std::regex Compile(const std::string& key, const std::string& pattern) {
  try {
    return std::regex(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error&) {
    throw Error(ErrorKind::kInvalidInput, "invalid log opt " + key + "=" + pattern + ": not a regular expression");
  }
}

/// Names (comma-separated) and a regex over the keys of `from`, into `out`.
void Select(const std::map<std::string, std::string>& from, const std::map<std::string, std::string>& opts,
            const std::string& names_key, std::map<std::string, std::string>* out) {
  auto names = opts.find(names_key);
  if (names != opts.end() && !names->second.empty())
    for (const auto& n : Split(names->second, ','))
      if (auto it = from.find(n); it != from.end()) (*out)[n] = it->second;
  auto rx = opts.find(names_key + "-regex");
  if (rx != opts.end() && !rx->second.empty()) {
    std::regex re = Compile(rx->first, rx->second);
    for (const auto& [k, v] : from)
      if (std::regex_search(k, re)) (*out)[k] = v;
  }
}

std::string ShortId(const std::string& id) {
  std::string s = id.starts_with("sha256:") ? id.substr(7) : id;
  return s.substr(0, 12);
}

std::string FillTag(std::string tag, const ContainerConfig& c) {
  const std::pair<const char*, std::string> fields[] = {
      {"{{.ID}}", c.id.substr(0, 12)},       {"{{.FullID}}", c.id},
      {"{{.Name}}", c.name},                 {"{{.ImageID}}", ShortId(c.image.id)},
      {"{{.ImageFullID}}", c.image.id},      {"{{.ImageName}}", c.image.name},
      {"{{.DaemonName}}", "docker"}};
  for (const auto& [field, value] : fields)
    for (size_t at = tag.find(field); at != std::string::npos; at = tag.find(field, at + value.size()))
      tag.replace(at, std::string(field).size(), value);
  return tag;
}

}  // namespace

std::map<std::string, std::string> LogAttributes(const ContainerConfig& c) {
  std::map<std::string, std::string> opts = Options(c.spec.log), attrs;
  std::map<std::string, std::string> labels, env;
  if (c.image.config.is_object() && c.image.config.contains("Labels") && c.image.config["Labels"].is_object())
    for (auto& [k, v] : c.image.config["Labels"].items())
      if (v.is_string()) labels[k] = v.get<std::string>();
  for (const auto& l : c.spec.view.labels) {
    size_t eq = l.find('=');
    labels[l.substr(0, eq)] = eq == std::string::npos ? "" : l.substr(eq + 1);
  }
  for (const auto& e : c.process.env) {
    size_t eq = e.find('=');
    if (eq != std::string::npos) env[e.substr(0, eq)] = e.substr(eq + 1);
  }
  Select(labels, opts, "labels", &attrs);
  Select(env, opts, "env", &attrs);
  if (auto t = opts.find("tag"); t != opts.end() && !t->second.empty()) attrs["tag"] = FillTag(t->second, c);
  return attrs;
}

std::string DetailsPrefix(const std::vector<std::pair<std::string, std::string>>& attrs) {
  auto escape = [](const std::string& s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char ch : s) {
      if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') out += static_cast<char>(ch);
      else if (ch == ' ') out += '+';
      else out += {'%', hex[ch >> 4], hex[ch & 15]};
    }
    return out;
  };
  std::vector<std::pair<std::string, std::string>> sorted = attrs;
  std::sort(sorted.begin(), sorted.end());
  std::string out;
  for (size_t i = 0; i < sorted.size(); i++) out += (i ? "," : "") + escape(sorted[i].first) + "=" + escape(sorted[i].second);
  return out + " ";
}

}  // namespace mini::run
