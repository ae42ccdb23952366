#pragma once
/// Stored registry credentials: mini's own file, written by `mini login` (0600,
/// $XDG_CONFIG_HOME/mini/auth.json or ~/.config/mini/auth.json), falling back to the `auths`
/// of Docker's ~/.docker/config.json (or $DOCKER_CONFIG/config.json). Both use Docker's shape:
///   {"auths": {"<registry>": {"auth": base64("user:password")}}}
/// Not thread-safe for concurrent writers; readers see whole files (atomic rename).
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "registry/auth.h"

namespace mini::registry {

/// mini's credential file path.
std::string AuthFilePath();
/// Docker's config.json path.
std::string DockerConfigPath();

/// The key a registry's credentials are stored under: "docker.io" for Docker Hub (also given as
/// index.docker.io or registry-1.docker.io), else host[:port] in lower case.
std::string RegistryKey(const std::string& domain);

/// Finds `domain` in an `auths` document. Docker's spellings are accepted too
/// ("https://index.docker.io/v1/", "https://host:port", "http://host:port/v2/").
std::optional<Credential> FindCredential(const nlohmann::json& doc, const std::string& domain);

/// mini's file first, then Docker's. Unreadable or malformed files are skipped with a warning.
std::optional<Credential> LookupCredential(const std::string& domain);

/// Writes the credential into mini's file (created 0600, its directory 0700).
void StoreCredential(const std::string& domain, const Credential& cred);
/// Removes it; returns false if mini's file had no entry for the registry.
bool RemoveCredential(const std::string& domain);

}  // namespace mini::registry
