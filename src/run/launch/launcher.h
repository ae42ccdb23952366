#pragma once
/// Starts a container's process and waits for it, as its parent: cgroup, clone with the
/// namespaces, sync, exec result, signal forwarding, tty copy, exit status, teardown of the
/// cgroup. The `mini run` process (or the detached monitor) is this parent.
#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "common/error.h"
#include "run/container.h"
#include "run/launch/supervise.h"
#include "run/security/capabilities.h"
#include "run/security/seccomp_filter.h"
#include "store/layout.h"

namespace mini::run {

/// The container could not be started: an Error whose exit_code() is 125, 126 or 127 (Docker's
/// statuses for "mini failed" and "the command could not be executed / was not found").
class StartError : public Error {
 public:
  StartError(int code, const std::string& msg) : Error(msg) { WithExitCode(code); }
  int code() const { return exit_code(); }
};

struct LaunchResult {
  int exit_code = 0;
  bool oom_killed = false;
};

/// Called once, after the command was exec'd: its host pid, the cgroup directories and its
/// place on a bridge network (null for none/host).
using StartedFn = std::function<void(pid_t pid, const std::vector<std::string>& cgroup_paths,
                                     const net::NetworkSettings* network)>;

/// Runs container `c` (its layers exist) to completion. Throws StartError before the command
/// runs; afterwards returns its status (128+N on signal N, 137 on OOM kill).
LaunchResult LaunchContainer(const Layout& layout, const ContainerConfig& c, const IoSpec& io,
                             const StartedFn& started);

/// The seccomp filter for a container's processes with capabilities `caps`: none when
/// privileged or "unconfined", else Docker's default or the stored custom profile (compiled
/// once and cached in the store). Throws Error("seccomp ...").
SeccompProgram SeccompFor(const Layout& layout, const RunSpec& spec, CapSet caps);

/// Makes sure volumes/<name>/_data exists; returns true when it was just created (to be seeded).
bool EnsureVolume(const Layout& layout, const std::string& name, std::string* data_dir);

}  // namespace mini::run
