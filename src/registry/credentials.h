#pragma once
/// Stored registry credentials. `mini login` writes mini's own file (0600,
/// $XDG_CONFIG_HOME/mini/auth.json or ~/.config/mini/auth.json). Lookups read, in podman's
/// order after mini's own file (CredentialFiles): $REGISTRY_AUTH_FILE alone when it is set,
/// else ${XDG_RUNTIME_DIR}/containers/auth.json, ~/.config/containers/auth.json and Docker's
/// $DOCKER_CONFIG/config.json or ~/.docker/config.json. All use Docker's shape:
///   {"auths": {"<registry>": {"auth": base64("user:password")}},
///    "credHelpers": {"<registry>": "<helper>"}, "credsStore": "<helper>"}
/// Not thread-safe for concurrent writers; readers see whole files (atomic rename).
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

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

/// The files LookupCredential reads, in order (see the top of this header).
std::vector<std::string> CredentialFiles();

/// Runs a docker-credential-<helper> for a server URL (CredentialFromHelper; a fake in tests).
using HelperRunner = std::function<std::optional<Credential>(const std::string& helper, const std::string& server_url)>;

/// The server URL a credential helper is asked about: "https://index.docker.io/v1/" for
/// Docker Hub (as Docker stores it), else host[:port].
std::string HelperServerUrl(const std::string& domain);

/// In one document, Docker's rule: credHelpers[registry], then credsStore, then auths.
std::optional<Credential> FindCredentialInConfig(const nlohmann::json& doc, const std::string& domain,
                                                 const HelperRunner& run);

/// The first file of CredentialFiles that has credentials for `domain`. Unreadable or
/// malformed files are skipped with a warning, as are failing helpers.
std::optional<Credential> LookupCredential(const std::string& domain);
std::optional<Credential> LookupCredential(const std::string& domain, const HelperRunner& run);

/// Writes the credential into mini's file (created 0600, its directory 0700).
void StoreCredential(const std::string& domain, const Credential& cred);
/// Removes it; returns false if mini's file had no entry for the registry.
bool RemoveCredential(const std::string& domain);

}  // namespace mini::registry
