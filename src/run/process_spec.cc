#include "run/process_spec.h"

#include <functional>

#include "common/error.h"
#include "common/path.h"

namespace mini::run {
namespace {

std::vector<std::string> StringList(const nlohmann::json& j) {
  std::vector<std::string> out;
  if (j.is_array())
    for (const auto& v : j)
      if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

std::string KeyOf(const std::string& entry) { return entry.substr(0, entry.find('=')); }

}  // namespace

const std::string* FindEnv(const std::vector<std::string>& env, const std::string& key) {
  for (const auto& e : env)
    if (e.size() > key.size() && e[key.size()] == '=' && e.compare(0, key.size(), key) == 0)
      return &e;
  return nullptr;
}

void SetEnv(std::vector<std::string>* env, const std::string& key, const std::string& value) {
  for (auto& e : *env)
    if (KeyOf(e) == key) {
      e = key + "=" + value;
      return;
    }
  env->push_back(key + "=" + value);
}

void DefaultEnv(std::vector<std::string>* env, const std::string& key, const std::string& value) {
  if (!FindEnv(*env, key)) env->push_back(key + "=" + value);
}

void ParseEnvFile(const std::string& content, std::vector<std::string>* out) {
  size_t i = 0;
  while (i < content.size()) {
    size_t j = content.find('\n', i);
    if (j == std::string::npos) j = content.size();
    std::string line = content.substr(i, j - i);
    i = j + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    line = line.substr(start);
    // Docker trims leading whitespace only; the value is kept as written.
    out->push_back(line);
  }
}

ProcessSpec MakeProcessSpec(const nlohmann::json& image_config, const RunSpec& spec,
                            const std::string& hostname,
                            const std::function<const char*(const std::string&)>& host_env) {
  const nlohmann::json empty = nlohmann::json::object();
  const nlohmann::json& cfg = image_config.is_object() ? image_config : empty;
  auto field = [&](const char* k) -> const nlohmann::json& {
    auto it = cfg.find(k);
    return it == cfg.end() ? empty : *it;
  };

  ProcessSpec p;
  // Entrypoint: --entrypoint replaces it (and drops the image's Cmd); "" clears it.
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  if (spec.entrypoint) {
    if (!spec.entrypoint->empty()) entrypoint.push_back(*spec.entrypoint);
  } else {
    entrypoint = StringList(field("Entrypoint"));
  }
  if (!spec.args.empty())
    cmd = spec.args;
  else if (!spec.entrypoint)
    cmd = StringList(field("Cmd"));
  p.argv = entrypoint;
  p.argv.insert(p.argv.end(), cmd.begin(), cmd.end());
  if (p.argv.empty()) throw Error("no command specified");

  // Environment: HOSTNAME, TERM (tty), the image's Env, then -e/--env-file overrides.
  p.env.push_back("HOSTNAME=" + hostname);
  if (spec.tty) p.env.push_back("TERM=xterm");
  for (const auto& e : StringList(field("Env"))) SetEnv(&p.env, KeyOf(e), e.substr(std::min(e.size(), KeyOf(e).size() + 1)));
  for (const auto& e : spec.env) {
    size_t eq = e.find('=');
    if (eq == 0) throw Error(ErrorKind::kInvalidInput, "invalid environment variable: " + e);
    if (eq == std::string::npos) {
      const char* v = host_env ? host_env(e) : nullptr;
      if (v) SetEnv(&p.env, e, v);
      continue;
    }
    SetEnv(&p.env, e.substr(0, eq), e.substr(eq + 1));
  }
  DefaultEnv(&p.env, "PATH", kDefaultPath);

  // Working directory.
  if (spec.workdir) {
    if (spec.workdir->empty() || (*spec.workdir)[0] != '/')
      throw Error("the working directory '" + *spec.workdir + "' is invalid, it needs to be an absolute path");
    p.cwd = CleanAbsPath(*spec.workdir);
  } else {
    const auto& wd = field("WorkingDir");
    p.cwd = CleanAbsPath(wd.is_string() ? "/" + wd.get<std::string>() : "/");
  }

  if (spec.user)
    p.user = *spec.user;
  else if (field("User").is_string())
    p.user = field("User").get<std::string>();
  return p;
}

}  // namespace mini::run
