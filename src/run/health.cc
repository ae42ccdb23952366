#include "run/health.h"

#include <cmath>

#include "common/error.h"

namespace mini::run {
namespace {

constexpr int64_t kMs = 1000 * 1000;
constexpr int64_t kSec = 1000 * kMs;
constexpr size_t kMaxLog = 5;

int64_t NsField(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_number_integer() ? j[key].get<int64_t>() : 0;
}

int64_t FlagDuration(const std::string& text, const char* flag) {
  if (text.empty()) return 0;
  int64_t v = ParseGoDuration(text, flag);
  if (v < 0) throw Error(ErrorKind::kInvalidInput, std::string(flag) + " cannot be negative");
  return v;
}

void CheckMinimum(int64_t v, const char* what) {
  if (v != 0 && v < kMs) throw Error(ErrorKind::kInvalidInput, std::string(what) + " in Healthcheck cannot be less than 1ms");
}

}  // namespace

int64_t HealthConfig::IntervalNs() const { return interval > 0 ? interval : 30 * kSec; }
int64_t HealthConfig::TimeoutNs() const { return timeout > 0 ? timeout : 30 * kSec; }
int64_t HealthConfig::StartPeriodNs() const { return start_period > 0 ? start_period : 0; }
int64_t HealthConfig::StartIntervalNs() const { return start_interval > 0 ? start_interval : 5 * kSec; }
int HealthConfig::Retries() const { return retries > 0 ? retries : 3; }

int64_t ParseGoDuration(const std::string& text, const std::string& flag) {
  auto bad = [&] {
    return Error(ErrorKind::kInvalidInput,
                 "invalid argument \"" + text + "\" for \"" + flag + "\" flag: time: invalid duration \"" + text + "\"");
  };
  size_t i = 0;
  bool neg = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) neg = text[i++] == '-';
  if (text.substr(i) == "0") return 0;
  if (i >= text.size()) throw bad();
  long double total = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) i++;
    std::string num = text.substr(start, i - start);
    if (num.empty() || num == "." || num.find('.') != num.rfind('.')) throw bad();
    size_t u = i;
    while (i < text.size() && !std::isdigit(static_cast<unsigned char>(text[i])) && text[i] != '.') i++;
    std::string unit = text.substr(u, i - u);
    int64_t scale = unit == "ns" ? 1 : unit == "us" || unit == "\xc2\xb5s" ? 1000 : unit == "ms" ? kMs
                    : unit == "s" ? kSec : unit == "m" ? 60 * kSec : unit == "h" ? 3600 * kSec : 0;
    if (unit.empty())
      throw Error(ErrorKind::kInvalidInput, "invalid argument \"" + text + "\" for \"" + flag +
                                                "\" flag: time: missing unit in duration \"" + text + "\"");
    if (scale == 0)
      throw Error(ErrorKind::kInvalidInput, "invalid argument \"" + text + "\" for \"" + flag +
                                                "\" flag: time: unknown unit \"" + unit + "\" in duration \"" + text + "\"");
    total += std::stold(num) * scale;
  }
  if (total > 9.2e18L) throw bad();
  int64_t v = static_cast<int64_t>(std::llround(total));
  return neg ? -v : v;
}

std::optional<HealthConfig> HealthConfigFor(const SuperviseSpec& s, const nlohmann::json& image_config) {
  bool flags = s.health_cmd || !s.health_interval.empty() || !s.health_timeout.empty() || !s.health_start_period.empty() ||
               !s.health_start_interval.empty() || (s.health_retries && *s.health_retries != 0);
  if (s.no_healthcheck) {
    if (flags) throw Error(ErrorKind::kInvalidInput, "--no-healthcheck conflicts with --health-* options");
    return std::nullopt;
  }
  HealthConfig h;
  if (s.health_cmd && !s.health_cmd->empty()) h.test = {"CMD-SHELL", *s.health_cmd};
  h.interval = FlagDuration(s.health_interval, "--health-interval");
  h.timeout = FlagDuration(s.health_timeout, "--health-timeout");
  h.start_period = FlagDuration(s.health_start_period, "--health-start-period");
  h.start_interval = FlagDuration(s.health_start_interval, "--health-start-interval");
  h.retries = s.health_retries.value_or(0);
  if (h.retries < 0) throw Error(ErrorKind::kInvalidInput, "--health-retries cannot be negative");
  // The image's Healthcheck fills what the flags left unset (Docker's merge, field by field).
  const nlohmann::json* img = image_config.is_object() && image_config.contains("Healthcheck") &&
                                      image_config["Healthcheck"].is_object()
                                  ? &image_config["Healthcheck"]
                                  : nullptr;
  if (!img && !flags) return std::nullopt;
  if (img) {
    if (h.test.empty() && (*img).contains("Test") && (*img)["Test"].is_array())
      for (const auto& t : (*img)["Test"])
        if (t.is_string()) h.test.push_back(t.get<std::string>());
    if (h.interval == 0) h.interval = NsField(*img, "Interval");
    if (h.timeout == 0) h.timeout = NsField(*img, "Timeout");
    if (h.start_period == 0) h.start_period = NsField(*img, "StartPeriod");
    if (h.start_interval == 0) h.start_interval = NsField(*img, "StartInterval");
    if (h.retries == 0 && (*img).contains("Retries") && (*img)["Retries"].is_number_integer()) h.retries = (*img)["Retries"].get<int>();
  }
  CheckMinimum(h.interval, "Interval");
  CheckMinimum(h.timeout, "Timeout");
  CheckMinimum(h.start_period, "StartPeriod");
  CheckMinimum(h.start_interval, "StartInterval");
  if (h.retries < 0) throw Error(ErrorKind::kInvalidInput, "Retries in Healthcheck cannot be negative");
  if (h.test.empty() || h.test[0] == "NONE") return std::nullopt;
  if (h.test[0] != "CMD" && h.test[0] != "CMD-SHELL")
    throw Error(ErrorKind::kInvalidInput, "unknown Healthcheck type '" + h.test[0] + "' (expected CMD or CMD-SHELL)");
  if (h.test.size() < 2) throw Error(ErrorKind::kInvalidInput, "Healthcheck " + h.test[0] + " has no command");
  return h;
}

std::vector<std::string> HealthCommand(const HealthConfig& h, const nlohmann::json& image_config) {
  if (h.test[0] == "CMD") return {h.test.begin() + 1, h.test.end()};
  std::vector<std::string> shell = {"/bin/sh", "-c"};
  if (image_config.is_object() && image_config.contains("Shell") && image_config["Shell"].is_array() &&
      !image_config["Shell"].empty())
    shell = image_config["Shell"].get<std::vector<std::string>>();
  shell.push_back(h.test[1]);
  return shell;
}

nlohmann::json HealthConfigJson(const HealthConfig& h) {
  nlohmann::json j = {{"Test", h.test}};
  if (h.interval) j["Interval"] = h.interval;
  if (h.timeout) j["Timeout"] = h.timeout;
  if (h.start_period) j["StartPeriod"] = h.start_period;
  if (h.start_interval) j["StartInterval"] = h.start_interval;
  if (h.retries) j["Retries"] = h.retries;
  return j;
}

bool AddHealthResult(HealthState* s, const HealthResult& r, int64_t since_start_ns, const HealthConfig& cfg) {
  std::string old = s->status;
  s->log.push_back(r);
  if (s->log.size() > kMaxLog) s->log.erase(s->log.begin(), s->log.end() - kMaxLog);
  if (r.exit_code == 0) {
    s->failing_streak = 0;
    s->status = "healthy";
  } else if (!(s->status == "starting" && since_start_ns < cfg.StartPeriodNs())) {
    if (++s->failing_streak >= cfg.Retries()) s->status = "unhealthy";
  }
  return s->status != old;
}

nlohmann::json HealthStateJson(const HealthState& s) {
  nlohmann::json log = nlohmann::json::array();
  for (const auto& r : s.log) log.push_back({{"Start", r.start}, {"End", r.end}, {"ExitCode", r.exit_code}, {"Output", r.output}});
  return {{"Status", s.status}, {"FailingStreak", s.failing_streak}, {"Log", log}};
}

HealthState HealthStateFromJson(const nlohmann::json& j) {
  HealthState s;
  if (!j.is_object()) return s;
  s.status = j.value("Status", "starting");
  s.failing_streak = j.value("FailingStreak", 0);
  if (j.contains("Log") && j["Log"].is_array())
    for (const auto& e : j["Log"])
      s.log.push_back({e.value("Start", ""), e.value("End", ""), e.value("ExitCode", 0), e.value("Output", "")});
  return s;
}

std::string HealthStatusText(const std::string& status) { return status == "starting" ? "health: starting" : status; }

}  // namespace mini::run
