#pragma once
/// Docker's supervision rules, pure: the --restart policy (parse, validate, the decision after
/// an exit, the back-off between restarts) and the stop signal and timeout of a container.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "run/run_spec.h"

namespace mini::run {

struct RestartPolicy {
  enum class Name { kNo, kOnFailure, kAlways, kUnlessStopped };
  Name name = Name::kNo;
  int max_retries = 0;  ///< on-failure:N; 0 = no limit
};

/// "no", "on-failure[:N]", "always", "unless-stopped" ("" = no). Throws Error(kInvalidInput)
/// with Docker's messages: "invalid restart policy 'x'", "maximum retry count must be an
/// integer", "maximum retry count cannot be used with restart policy 'always'", ...
RestartPolicy ParseRestartPolicy(const std::string& text);
/// Docker's name ("no", "on-failure", "always", "unless-stopped").
const char* ToString(RestartPolicy::Name n);
/// inspect's HostConfig.RestartPolicy: {"Name", "MaximumRetryCount"}.
nlohmann::json RestartPolicyJson(const RestartPolicy& p);

/// Docker's restart manager, without the clock: after each exit, Next() says whether to run
/// again and how long to wait first. The delay starts at 100 ms, doubles after each restart,
/// is capped at 1 min, and starts over when the container ran for 10 s or more.
class RestartBackoff {
 public:
  explicit RestartBackoff(RestartPolicy p) : policy_(p) {}
  /// The exit of a run that lasted `ran_ms`; `manually_stopped`: `mini stop`/`kill` ended it.
  /// True to restart after delay_ms(); counts the restart.
  bool Next(int exit_code, int64_t ran_ms, bool manually_stopped);
  int64_t delay_ms() const { return delay_ms_; }
  int restarts() const { return restarts_; }

 private:
  RestartPolicy policy_;
  int64_t delay_ms_ = 0;
  int restarts_ = 0;
};

/// `mini start --all-restarting` starts this container: always, or unless-stopped that the
/// user did not stop.
bool StartsAtBoot(const RestartPolicy& p, bool manually_stopped);

/// The stop signal of a container: --stop-signal, else the image's StopSignal, else SIGTERM.
/// Throws Error(kInvalidInput, "Invalid signal: FOO") for a name or number that is no signal.
int StopSignalFor(const SuperviseSpec& s, const nlohmann::json& image_config);
/// Seconds `mini stop` waits before SIGKILL: --stop-timeout, else 10.
int StopTimeoutFor(const SuperviseSpec& s);

/// Checks the supervision flags at create time (Docker's messages): the restart policy, its
/// conflict with --rm ("Conflicting options: --restart and --rm"), the stop signal. The health
/// flags are checked by HealthConfigFor (run/health.h).
void ValidateSupervise(const RunSpec& spec, const nlohmann::json& image_config);

}  // namespace mini::run
