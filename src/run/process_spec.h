#pragma once
/// Docker's rules for turning an image config plus `mini run` flags into the process to start:
/// argv, environment, working directory and user. Pure; unit-tested.
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/path.h"  // CleanAbsPath, which cwd and the users of this header rely on
#include "run/run_spec.h"

namespace mini::run {

inline constexpr const char* kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

struct ProcessSpec {
  std::vector<std::string> argv;
  std::vector<std::string> env;  ///< KEY=VALUE; HOME is added later, once the user is known
  std::string cwd;               ///< absolute, lexically clean
  std::string user;              ///< "user[:group]" as given; empty = root
};

/// Applies Docker's override rules. `image_config` is the "config" object of the image config
/// (may be null). `host_env` looks up `-e KEY` entries without '='. Throws Error on an empty
/// command or a relative -w.
ProcessSpec MakeProcessSpec(const nlohmann::json& image_config, const RunSpec& spec,
                            const std::string& hostname,
                            const std::function<const char*(const std::string&)>& host_env);

/// Parses an --env-file's content: KEY=VALUE lines, KEY alone (taken from the host env when
/// set), '#' comments and blank lines skipped. Appends to `out`.
void ParseEnvFile(const std::string& content, std::vector<std::string>* out);

/// Sets KEY=VALUE in env, replacing an existing KEY (keeps its position).
void SetEnv(std::vector<std::string>* env, const std::string& key, const std::string& value);
/// Adds KEY=VALUE only if KEY is absent.
void DefaultEnv(std::vector<std::string>* env, const std::string& key, const std::string& value);
/// Value of KEY, or nullptr.
const std::string* FindEnv(const std::vector<std::string>& env, const std::string& key);

}  // namespace mini::run
