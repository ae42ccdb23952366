#include "run/process_spec.h"

#include <functional>

#include "common/error.h"
#include "common/path.h"
#include "store/image_config.h"

namespace mini::run {
namespace {

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
  const ImageConfig cfg = ImageConfigFromJson(image_config);
  const std::vector<std::string> none;

  ProcessSpec p;
  // Entrypoint: --entrypoint replaces it (and drops the image's Cmd); "" clears it.
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  if (spec.entrypoint) {
    if (!spec.entrypoint->empty()) entrypoint.push_back(*spec.entrypoint);
  } else {
    entrypoint = cfg.entrypoint.value_or(none);
  }
  if (!spec.args.empty())
    cmd = spec.args;
  else if (!spec.entrypoint)
    cmd = cfg.cmd.value_or(none);
  p.argv = entrypoint;
  p.argv.insert(p.argv.end(), cmd.begin(), cmd.end());
  if (p.argv.empty()) throw Error("no command specified");

  // Environment: HOSTNAME, TERM (tty), the image's Env, then -e/--env-file overrides.
  p.env.push_back("HOSTNAME=" + hostname);
  if (spec.tty) p.env.push_back("TERM=xterm");
  for (const auto& e : cfg.env.value_or(none)) SetEnv(&p.env, KeyOf(e), e.substr(std::min(e.size(), KeyOf(e).size() + 1)));
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
    p.cwd = CleanAbsPath("/" + cfg.working_dir.value_or(""));
  }

  if (spec.user)
    p.user = *spec.user;
  else if (cfg.user)
    p.user = *cfg.user;
  return p;
}

}  // namespace mini::run
