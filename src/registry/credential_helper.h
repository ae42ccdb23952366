#pragma once
/// Docker's credential helper protocol: `docker-credential-<name> get` (found on $PATH) reads
/// the server URL on stdin and prints {"ServerURL", "Username", "Secret"} on stdout. A Username
/// of "<token>" means Secret is an identity (refresh) token. The helper is spawned with an argv
/// (posix_spawnp), never through a shell.
#include <optional>
#include <string>

#include "registry/auth.h"

namespace mini::registry {

/// Asks helper `name` for the credentials of `server_url`. nullopt when the helper has none
/// ("credentials not found"); throws Error naming the helper when it cannot run or fails.
std::optional<Credential> CredentialFromHelper(const std::string& name, const std::string& server_url);

/// Parses a helper's answer (pure, for tests).
Credential ParseHelperAnswer(const std::string& helper, const std::string& stdout_text);

}  // namespace mini::registry
