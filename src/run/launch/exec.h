#pragma once
/// `mini exec`: a new process in a running container. It joins the cgroup and every namespace
/// of the container's first process (setns on a pidfd, or /proc/<pid>/ns/* on kernels before
/// 5.8) and gets the same capabilities, no_new_privs and user rules as that process.
#include <optional>
#include <string>
#include <vector>

#include "run/launch/launcher.h"
#include "store/layout.h"

namespace mini::run {

/// What the user asked `mini exec` for.
struct ExecSpec {
  std::vector<std::string> argv;
  std::vector<std::string> env;        ///< -e KEY=VALUE (or KEY: taken from the host env)
  std::optional<std::string> workdir;  ///< -w (absolute); default the container's
  std::optional<std::string> user;     ///< -u user[:group]; default the container's
  bool detach = false;                 ///< -d: return once the command runs
  bool privileged = false;             ///< --privileged: all capabilities
};

/// Runs `spec.argv` in running container `id`. Returns its exit code (Docker's rules; 0 with
/// -d); throws StartError (125, or 126/127 for exec failures) when it could not start, e.g.
/// "container <id> is not running".
int ExecInContainer(const Layout& layout, const std::string& id, const ExecSpec& spec, const IoSpec& io);

}  // namespace mini::run
