#include "cli/rootless_entry.h"

#include "common/rootless.h"
#include "run/cgroup/cgroup_rootless.h"
#include "run/userns/rootless_userns.h"

namespace mini::cli {

bool CommandEntersUserNamespace(const std::string& name) {
  // exec: joins the container's user namespace (a sibling namespace could not).
  // kill, stop: the user owns the container's namespace, so it may signal any process in it.
  // rm: kills as the owner first, then enters (run::RemoveContainer).
  // login, logout: only the credentials file.
  for (const char* n : {"exec", "kill", "stop", "rm", "login", "logout"})
    if (name == n) return false;
  return true;
}

void EnterRootlessForCommand(const std::string& command) {
  if (!IsRootless() || !CommandEntersUserNamespace(command)) return;
  // Commands that may make a container's cgroup: into a delegated cgroup first (podman's way).
  for (const char* n : {"run", "create", "start", "restart", "build", "builder", "container", "image"})
    if (command == n) run::EnterUserScopeIfUndelegated();
  run::EnterRootlessUserNamespace();
}

}  // namespace mini::cli
