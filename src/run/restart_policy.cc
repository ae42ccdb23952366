#include "run/restart_policy.h"

#include <signal.h>

#include <algorithm>
#include <cctype>

#include "common/error.h"
#include "run/launch/exit_status.h"

namespace mini::run {
namespace {

constexpr int64_t kFirstDelayMs = 100;
constexpr int64_t kMaxDelayMs = 60 * 1000;
constexpr int64_t kResetAfterMs = 10 * 1000;

bool AllDigits(const std::string& s) {
  size_t i = s.size() > 0 && (s[0] == '-' || s[0] == '+') ? 1 : 0;
  if (i >= s.size() || s.size() > 10) return false;
  return std::all_of(s.begin() + static_cast<long>(i), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

RestartPolicy ParseRestartPolicy(const std::string& text) {
  RestartPolicy p;
  if (text.empty()) return p;
  size_t colon = text.find(':');
  std::string name = text.substr(0, colon);
  bool has_count = colon != std::string::npos;
  if (has_count) {
    std::string count = text.substr(colon + 1);
    if (count.find(':') != std::string::npos) throw Error(ErrorKind::kInvalidInput, "invalid restart policy format");
    if (!AllDigits(count)) throw Error(ErrorKind::kInvalidInput, "maximum retry count must be an integer");
    p.max_retries = std::stoi(count);
  }
  if (name == "no" || name == "always" || name == "unless-stopped") {
    if (p.max_retries != 0)
      throw Error(ErrorKind::kInvalidInput, "maximum retry count cannot be used with restart policy '" + name + "'");
    p.name = name == "no" ? RestartPolicy::Name::kNo
             : name == "always" ? RestartPolicy::Name::kAlways : RestartPolicy::Name::kUnlessStopped;
  } else if (name == "on-failure") {
    if (p.max_retries < 0) throw Error(ErrorKind::kInvalidInput, "maximum retry count cannot be negative");
    p.name = RestartPolicy::Name::kOnFailure;
  } else if (!name.empty() || has_count) {
    throw Error(ErrorKind::kInvalidInput, "invalid restart policy '" + name + "'");
  }
  return p;
}

const char* ToString(RestartPolicy::Name n) {
  switch (n) {
    case RestartPolicy::Name::kNo: return "no";
    case RestartPolicy::Name::kOnFailure: return "on-failure";
    case RestartPolicy::Name::kAlways: return "always";
    case RestartPolicy::Name::kUnlessStopped: return "unless-stopped";
  }
  return "no";
}

nlohmann::json RestartPolicyJson(const RestartPolicy& p) {
  return {{"Name", ToString(p.name)}, {"MaximumRetryCount", p.max_retries}};
}

bool RestartBackoff::Next(int exit_code, int64_t ran_ms, bool manually_stopped) {
  if (policy_.name == RestartPolicy::Name::kNo || manually_stopped) return false;
  if (ran_ms >= kResetAfterMs) delay_ms_ = 0;
  delay_ms_ = delay_ms_ == 0 ? kFirstDelayMs : std::min(delay_ms_ * 2, kMaxDelayMs);
  bool restart = false;
  switch (policy_.name) {
    case RestartPolicy::Name::kAlways:
    case RestartPolicy::Name::kUnlessStopped: restart = true; break;
    case RestartPolicy::Name::kOnFailure:
      restart = exit_code != 0 && (policy_.max_retries == 0 || restarts_ < policy_.max_retries);
      break;
    case RestartPolicy::Name::kNo: break;
  }
  if (restart) restarts_++;
  return restart;
}

bool StartsAtBoot(const RestartPolicy& p, bool manually_stopped) {
  return p.name == RestartPolicy::Name::kAlways || (p.name == RestartPolicy::Name::kUnlessStopped && !manually_stopped);
}

int StopSignalFor(const SuperviseSpec& s, const nlohmann::json& image_config) {
  std::string text = s.stop_signal;
  if (text.empty() && image_config.is_object() && image_config.contains("StopSignal") && image_config["StopSignal"].is_string())
    text = image_config["StopSignal"].get<std::string>();
  if (text.empty()) return SIGTERM;
  int sig = ParseSignal(text);
  if (sig <= 0 || sig >= NSIG) throw Error(ErrorKind::kInvalidInput, "Invalid signal: " + text);
  return sig;
}

int StopTimeoutFor(const SuperviseSpec& s) { return s.stop_timeout.value_or(10); }

void ValidateSupervise(const RunSpec& spec, const nlohmann::json& image_config) {
  RestartPolicy p = ParseRestartPolicy(spec.supervise.restart);
  if (spec.remove && p.name != RestartPolicy::Name::kNo)
    throw Error(ErrorKind::kInvalidInput, "Conflicting options: --restart and --rm");
  StopSignalFor(spec.supervise, image_config);
}

}  // namespace mini::run
