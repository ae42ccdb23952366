#pragma once
/// The health checker of a running container: a process the monitor forks once the
/// container runs, which runs the check in the container (through `mini exec`'s path) every
/// interval, kills a check that passes its timeout, and keeps the container's health in
/// <runtime dir>/health.json. Only this process (and the monitor, once, before it) writes that
/// file, so no writer of state.json can clobber it; inspect and ps merge it into the state.
#include <sys/types.h>

#include <optional>
#include <string>

#include "run/container.h"
#include "run/health.h"
#include "store/layout.h"

namespace mini::run {

class HealthChecker {
 public:
  HealthChecker() = default;
  ~HealthChecker() { Stop(); }
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  /// Writes a "starting" health.json and forks the checker (it dies with this process).
  /// `started_ns`: CLOCK_REALTIME of the container's start, for the start period.
  void Start(const Layout& layout, const ContainerConfig& c, const HealthConfig& h, int64_t started_ns);
  /// Kills the checker (and a check it is running) and reaps it. Idempotent.
  void Stop();

 private:
  pid_t pid_ = -1;
};

/// The container's health as its checker last wrote it; nullopt when it has none.
std::optional<HealthState> LoadHealth(const Layout& layout, const std::string& id);

/// Runs `argv` once in running container `id` with `timeout_ns`: its exit code and output
/// (-1 and "Health check exceeded timeout (30s)" when it ran too long, -1 and the error when it
/// could not start). Forks; the check's process group is killed on timeout.
HealthResult RunHealthCheck(const Layout& layout, const std::string& id, const std::vector<std::string>& argv,
                            int64_t timeout_ns);

/// Go's time.Duration String(): "30s", "1m30s", "500ms", "1.5s". Pure.
std::string FormatGoDuration(int64_t ns);

}  // namespace mini::run
