#pragma once
/// Docker's HEALTHCHECK, pure: the check a container runs (the image's Healthcheck with the
/// --health-* flags laid over it field by field), Go's durations, and the health state the
/// results make ("starting" -> "healthy" / "unhealthy", the last 5 results).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "run/run_spec.h"

namespace mini::run {

/// A container's health check (Docker's HealthConfig; durations in nanoseconds, 0 = default).
struct HealthConfig {
  std::vector<std::string> test;  ///< ["CMD-SHELL", cmd] or ["CMD", argv...]; empty/["NONE"]: none
  int64_t interval = 0, timeout = 0, start_period = 0, start_interval = 0;
  int retries = 0;
  /// The values the checker uses: Docker's defaults for the zero fields (30 s, 30 s, 0, 5 s, 3).
  int64_t IntervalNs() const;
  int64_t TimeoutNs() const;
  int64_t StartPeriodNs() const;
  int64_t StartIntervalNs() const;
  int Retries() const;
};

/// Go's time.ParseDuration ("1.5s", "1m30s", "500ms", "0"), in nanoseconds. Throws
/// Error(kInvalidInput, "invalid duration ...") naming `flag`.
int64_t ParseGoDuration(const std::string& text, const std::string& flag);

/// The health check of a container: nullopt when it has none (no HEALTHCHECK, NONE, or
/// --no-healthcheck). `image_config` is the image config's "config" object. Docker's rules and
/// messages: "--no-healthcheck conflicts with --health-* options", "--health-retries cannot
/// be negative", "Interval in Healthcheck cannot be less than 1ms", ...
std::optional<HealthConfig> HealthConfigFor(const SuperviseSpec& s, const nlohmann::json& image_config);
/// The argv a check runs: CMD-SHELL through `shell` (the image's Shell, else /bin/sh -c).
std::vector<std::string> HealthCommand(const HealthConfig& h, const nlohmann::json& image_config);
/// inspect's Config.Healthcheck: {"Test", "Interval", ...} (zero fields left out, as Docker).
nlohmann::json HealthConfigJson(const HealthConfig& h);

/// One check's result (Docker's HealthcheckResult).
struct HealthResult {
  std::string start, end;  ///< RFC 3339 with nanoseconds
  int exit_code = 0;       ///< 0 healthy, else a failure; -1 when it could not run or timed out
  std::string output;      ///< at most 4096 bytes
};

/// The health part of a container's state (Docker's State.Health).
struct HealthState {
  std::string status = "starting";  ///< "starting", "healthy", "unhealthy"
  int failing_streak = 0;
  std::vector<HealthResult> log;    ///< the last 5 results, oldest first
};

/// Adds `r` (a check that began `since_start_ns` after the container started) with Docker's
/// rules: success -> healthy, streak 0; a failure counts unless the container is still
/// "starting" inside the start period; `retries` counted failures -> unhealthy. Returns true
/// when the status changed.
bool AddHealthResult(HealthState* s, const HealthResult& r, int64_t since_start_ns, const HealthConfig& cfg);

nlohmann::json HealthStateJson(const HealthState& s);
HealthState HealthStateFromJson(const nlohmann::json& j);
/// ps's words: "healthy", "unhealthy", "health: starting".
std::string HealthStatusText(const std::string& status);

}  // namespace mini::run
