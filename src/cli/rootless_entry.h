#pragma once
/// Rootless mode at the CLI: which commands run as root inside a fresh user namespace (see
/// run/userns/rootless_userns.h) and which start outside it because they act on a running
/// container's own user namespace (exec joins it; kill/stop signal as its owner; rm enters a
/// namespace itself once the container is stopped).
#include <string>

namespace mini::cli {

/// True if command `name` runs inside a fresh user namespace in rootless mode. Pure.
bool CommandEntersUserNamespace(const std::string& name);

/// Called once the command line is parsed: in rootless mode, enters the user namespace when
/// `command` needs one. Throws Error.
void EnterRootlessForCommand(const std::string& command);

}  // namespace mini::cli
