#pragma once
/// The "config" object of an image configuration (OCI image-spec config.md, Docker's
/// container config): typed fields under Docker's/OCI's names, absent when unset. Fields mini
/// does not model, and known fields whose value has another shape (null, a wrong type), are
/// kept verbatim in `extra`, so FromJson then ToJson gives back the same JSON.
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace mini {

struct ImageConfig {
  std::optional<std::string> user;                     ///< "User"
  std::optional<std::set<std::string>> exposed_ports;  ///< "ExposedPorts": {"80/tcp": {}}
  std::optional<std::vector<std::string>> env;         ///< "Env": ["K=V"]
  std::optional<std::vector<std::string>> entrypoint;  ///< "Entrypoint"
  std::optional<std::vector<std::string>> cmd;         ///< "Cmd"
  std::optional<std::set<std::string>> volumes;        ///< "Volumes": {"/data": {}}
  std::optional<std::string> working_dir;              ///< "WorkingDir"
  std::optional<std::map<std::string, std::string>> labels;  ///< "Labels"
  std::optional<std::string> stop_signal;              ///< "StopSignal"
  std::optional<nlohmann::json> healthcheck;           ///< "Healthcheck" (Docker), an object
  std::optional<std::vector<std::string>> on_build;    ///< "OnBuild" (Docker)
  std::optional<std::vector<std::string>> shell;       ///< "Shell" (Docker)
  nlohmann::json extra = nlohmann::json::object();     ///< everything else, verbatim
};

/// Reads a config object; a non-object reads as an empty config. Never throws.
ImageConfig ImageConfigFromJson(const nlohmann::json& j);
/// The JSON object: `extra` plus every field that is set.
nlohmann::json ToJson(const ImageConfig& c);

}  // namespace mini
