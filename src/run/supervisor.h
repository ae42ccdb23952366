#pragma once
/// What the container's monitor does beyond running it once (Docker's daemon does it; mini
/// has no daemon): the restart policy with its back-off (the same container, layers and
/// config; a new process, cgroup and network endpoint each time), the health checker, and the
/// "die"/"start" events of a restart. The user's `stop`/`kill`/`rm -f` end the policy through a
/// marker file, containers/<id>/manually-stopped, which the monitor reads (Docker's
/// HasBeenManuallyStopped; it survives a reboot, so `start --all-restarting` leaves an
/// unless-stopped container down).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "run/container.h"
#include "run/health.h"
#include "run/restart_policy.h"
#include "store/layout.h"

namespace mini::run {

class HealthChecker;

class Supervisor {
 public:
  /// Reads the policy and health check from the container's config (a build step has none).
  Supervisor(const Layout& layout, const ContainerConfig& c);
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  /// The container runs (its state saved): starts the health checker; after a restart,
  /// records the "start" event.
  void Started(const ContainerState& st);
  /// A run ended (`st` holds its exit, `ran_ms` its length): stops the health checker. True
  /// when the policy runs it again: then `st` is "restarting" with RestartCount counted, saved,
  /// and "die" is recorded.
  bool WillRestart(ContainerState* st, int64_t ran_ms);
  /// Waits the back-off; false when the user stopped the container meanwhile.
  bool WaitBackoff();

 private:
  const Layout& layout_;
  const ContainerConfig& c_;
  RestartBackoff backoff_;
  std::optional<HealthConfig> health_;
  std::unique_ptr<HealthChecker> checker_;
};

/// The marker of a user's stop. Mark: only for a container with a restart policy (others
/// need none); Clear: at every start by the user.
void MarkManuallyStopped(const Layout& layout, const ContainerConfig& c);
void ClearManuallyStopped(const Layout& layout, const std::string& id);
bool ManuallyStopped(const Layout& layout, const std::string& id);
/// The policy of `c` (none for --rm, build steps and a config that does not parse).
RestartPolicy RestartPolicyOf(const ContainerConfig& c);
/// True when `c` has a restart policy other than "no".
bool HasRestartPolicy(const ContainerConfig& c);

/// The monitor after the first exit of an attached run: stdin from /dev/null, stdout and
/// stderr to the container's log `log` (the client is gone).
void RedirectStdioToLog(const std::string& log);
/// CLOCK_MONOTONIC in ms.
int64_t MonotonicNowMs();
/// `mini wait` with a restart policy: blocks until the run after state `st` ends (the
/// container goes restarting or stops); returns its exit code.
int WaitForRunEnd(const Layout& layout, const std::string& id, const ContainerState& st);

/// The health status ps and inspect show: "" when the container has no health check or is
/// not running, else "starting", "healthy" or "unhealthy".
std::string HealthStatusOf(const Layout& layout, const ContainerConfig& c, const ContainerState& st);

}  // namespace mini::run
