// The pure supervision rules: restart policy and back-off, stop signal, health config merge,
// Go durations, health state.
#include <gtest/gtest.h>
#include <signal.h>

#include "error_of.h"
#include "run/health.h"
#include "run/health_checker.h"
#include "run/restart_policy.h"

namespace mini::run {
namespace {

constexpr int64_t kSec = 1000000000;

TEST(RestartPolicy, ParsesDockerForms) {
  EXPECT_EQ(ParseRestartPolicy("").name, RestartPolicy::Name::kNo);
  EXPECT_EQ(ParseRestartPolicy("no").name, RestartPolicy::Name::kNo);
  EXPECT_EQ(ParseRestartPolicy("always").name, RestartPolicy::Name::kAlways);
  EXPECT_EQ(ParseRestartPolicy("unless-stopped").name, RestartPolicy::Name::kUnlessStopped);
  RestartPolicy p = ParseRestartPolicy("on-failure:3");
  EXPECT_EQ(p.name, RestartPolicy::Name::kOnFailure);
  EXPECT_EQ(p.max_retries, 3);
  EXPECT_EQ(ParseRestartPolicy("on-failure").max_retries, 0);
  EXPECT_EQ(RestartPolicyJson(p), nlohmann::json({{"Name", "on-failure"}, {"MaximumRetryCount", 3}}));
}

TEST(RestartPolicy, DockerMessages) {
  EXPECT_EQ(ErrorOf([] { ParseRestartPolicy("sometimes"); }), "invalid restart policy 'sometimes'");
  EXPECT_EQ(ErrorOf([] { ParseRestartPolicy("on-failure:x"); }), "maximum retry count must be an integer");
  EXPECT_EQ(ErrorOf([] { ParseRestartPolicy("on-failure:-1"); }), "maximum retry count cannot be negative");
  EXPECT_EQ(ErrorOf([] { ParseRestartPolicy("always:2"); }), "maximum retry count cannot be used with restart policy 'always'");
  EXPECT_EQ(ErrorOf([] { ParseRestartPolicy("on-failure:1:2"); }), "invalid restart policy format");
  RunSpec s;
  s.remove = true;
  s.supervise.restart = "always";
  EXPECT_EQ(ErrorOf([&] { ValidateSupervise(s, nlohmann::json::object()); }), "Conflicting options: --restart and --rm");
  s.supervise.restart = "no";
  EXPECT_EQ(ErrorOf([&] { ValidateSupervise(s, nlohmann::json::object()); }), "(no error)");
}

TEST(RestartBackoff, DoublesCapsAndResets) {
  RestartBackoff b(ParseRestartPolicy("always"));
  std::vector<int64_t> delays;
  for (int i = 0; i < 12; i++) {
    ASSERT_TRUE(b.Next(0, 5, false));
    delays.push_back(b.delay_ms());
  }
  EXPECT_EQ(delays[0], 100);
  EXPECT_EQ(delays[1], 200);
  EXPECT_EQ(delays[2], 400);
  EXPECT_EQ(delays[9], 51200);
  EXPECT_EQ(delays[10], 60000);
  EXPECT_EQ(delays[11], 60000);
  EXPECT_TRUE(b.Next(0, 10000, false));  // ran 10 s: back to the start
  EXPECT_EQ(b.delay_ms(), 100);
  EXPECT_EQ(b.restarts(), 13);
  EXPECT_FALSE(b.Next(0, 5, true));  // stopped by the user
}

TEST(RestartBackoff, OnFailureCountsAndSuccessEnds) {
  RestartBackoff b(ParseRestartPolicy("on-failure:2"));
  EXPECT_TRUE(b.Next(1, 5, false));
  EXPECT_TRUE(b.Next(1, 5, false));
  EXPECT_FALSE(b.Next(1, 5, false));
  EXPECT_EQ(b.restarts(), 2);
  RestartBackoff ok(ParseRestartPolicy("on-failure"));
  EXPECT_FALSE(ok.Next(0, 5, false));
  RestartBackoff no(ParseRestartPolicy("no"));
  EXPECT_FALSE(no.Next(1, 5, false));
  EXPECT_TRUE(StartsAtBoot(ParseRestartPolicy("always"), true));
  EXPECT_TRUE(StartsAtBoot(ParseRestartPolicy("unless-stopped"), false));
  EXPECT_FALSE(StartsAtBoot(ParseRestartPolicy("unless-stopped"), true));
  EXPECT_FALSE(StartsAtBoot(ParseRestartPolicy("on-failure"), false));
}

TEST(StopSignal, FlagImageDefault) {
  SuperviseSpec s;
  EXPECT_EQ(StopSignalFor(s, nlohmann::json::object()), SIGTERM);
  EXPECT_EQ(StopSignalFor(s, {{"StopSignal", "SIGQUIT"}}), SIGQUIT);
  s.stop_signal = "USR1";
  EXPECT_EQ(StopSignalFor(s, {{"StopSignal", "SIGQUIT"}}), SIGUSR1);
  s.stop_signal = "9";
  EXPECT_EQ(StopSignalFor(s, nlohmann::json::object()), SIGKILL);
  s.stop_signal = "FOO";
  EXPECT_EQ(ErrorOf([&] { StopSignalFor(s, nlohmann::json::object()); }), "Invalid signal: FOO");
  EXPECT_EQ(StopTimeoutFor(s), 10);
  s.stop_timeout = 3;
  EXPECT_EQ(StopTimeoutFor(s), 3);
}

TEST(GoDuration, ParseAndFormat) {
  EXPECT_EQ(ParseGoDuration("1s", "--x"), kSec);
  EXPECT_EQ(ParseGoDuration("1m30s", "--x"), 90 * kSec);
  EXPECT_EQ(ParseGoDuration("1.5s", "--x"), 1500000000);
  EXPECT_EQ(ParseGoDuration("500ms", "--x"), 500000000);
  EXPECT_EQ(ParseGoDuration("0", "--x"), 0);
  EXPECT_EQ(ParseGoDuration("-2s", "--x"), -2 * kSec);
  EXPECT_EQ(ErrorOf([] { ParseGoDuration("5", "--health-interval"); }),
            "invalid argument \"5\" for \"--health-interval\" flag: time: missing unit in duration \"5\"");
  EXPECT_EQ(ErrorOf([] { ParseGoDuration("abc", "--health-interval"); }),
            "invalid argument \"abc\" for \"--health-interval\" flag: time: invalid duration \"abc\"");
  EXPECT_EQ(FormatGoDuration(30 * kSec), "30s");
  EXPECT_EQ(FormatGoDuration(90 * kSec), "1m30s");
  EXPECT_EQ(FormatGoDuration(3600 * kSec), "1h0m0s");
  EXPECT_EQ(FormatGoDuration(1500000000), "1.5s");
  EXPECT_EQ(FormatGoDuration(500000000), "500ms");
}

TEST(HealthConfig, FlagsOverImageFieldByField) {
  nlohmann::json img = {{"Healthcheck", {{"Test", {"CMD", "/check"}}, {"Interval", 10 * kSec}, {"Retries", 5}}}};
  SuperviseSpec s;
  auto h = HealthConfigFor(s, img);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->test, (std::vector<std::string>{"CMD", "/check"}));
  EXPECT_EQ(h->IntervalNs(), 10 * kSec);
  EXPECT_EQ(h->TimeoutNs(), 30 * kSec);
  EXPECT_EQ(h->Retries(), 5);
  s.health_interval = "1s";
  h = HealthConfigFor(s, img);
  EXPECT_EQ(h->test, (std::vector<std::string>{"CMD", "/check"}));  // the image's test stays
  EXPECT_EQ(h->interval, kSec);
  EXPECT_EQ(h->retries, 5);
  s.health_cmd = "true";
  h = HealthConfigFor(s, img);
  EXPECT_EQ(h->test, (std::vector<std::string>{"CMD-SHELL", "true"}));
  EXPECT_EQ(HealthCommand(*h, img), (std::vector<std::string>{"/bin/sh", "-c", "true"}));
  EXPECT_EQ(HealthConfigJson(*h), nlohmann::json({{"Test", {"CMD-SHELL", "true"}}, {"Interval", kSec}, {"Retries", 5}}));
  EXPECT_EQ(ErrorOf([&] {
              SuperviseSpec t = s;
              t.no_healthcheck = true;
              HealthConfigFor(t, img);
            }),
            "--no-healthcheck conflicts with --health-* options");
  SuperviseSpec none;
  none.no_healthcheck = true;
  EXPECT_FALSE(HealthConfigFor(none, img));
  EXPECT_FALSE(HealthConfigFor(SuperviseSpec{}, {{"Healthcheck", {{"Test", {"NONE"}}}}}));
  EXPECT_FALSE(HealthConfigFor(SuperviseSpec{}, nlohmann::json::object()));
  SuperviseSpec neg;
  neg.health_cmd = "true";
  neg.health_retries = -1;
  EXPECT_EQ(ErrorOf([&] { HealthConfigFor(neg, img); }), "--health-retries cannot be negative");
  neg.health_retries.reset();
  neg.health_interval = "-1s";
  EXPECT_EQ(ErrorOf([&] { HealthConfigFor(neg, img); }), "--health-interval cannot be negative");
  neg.health_interval = "1us";
  EXPECT_EQ(ErrorOf([&] { HealthConfigFor(neg, img); }), "Interval in Healthcheck cannot be less than 1ms");
}

TEST(HealthState, DockerTransitions) {
  HealthConfig cfg;
  cfg.retries = 2;
  cfg.start_period = 10 * kSec;
  HealthState s;
  HealthResult fail{"a", "b", 1, "no"}, ok{"a", "b", 0, ""};
  EXPECT_FALSE(AddHealthResult(&s, fail, 1 * kSec, cfg));  // in the start period: not counted
  EXPECT_EQ(s.failing_streak, 0);
  EXPECT_EQ(s.status, "starting");
  EXPECT_FALSE(AddHealthResult(&s, fail, 11 * kSec, cfg));
  EXPECT_EQ(s.failing_streak, 1);
  EXPECT_TRUE(AddHealthResult(&s, ok, 12 * kSec, cfg));
  EXPECT_EQ(s.status, "healthy");
  EXPECT_EQ(s.failing_streak, 0);
  EXPECT_FALSE(AddHealthResult(&s, fail, 13 * kSec, cfg));
  EXPECT_TRUE(AddHealthResult(&s, fail, 14 * kSec, cfg));
  EXPECT_EQ(s.status, "unhealthy");
  EXPECT_EQ(s.failing_streak, 2);
  for (int i = 0; i < 5; i++) AddHealthResult(&s, fail, 15 * kSec, cfg);
  EXPECT_EQ(s.log.size(), 5u);  // the last 5
  nlohmann::json j = HealthStateJson(s);
  EXPECT_EQ(j["Status"], "unhealthy");
  EXPECT_EQ(j["FailingStreak"], 7);
  EXPECT_EQ(j["Log"][0], nlohmann::json({{"Start", "a"}, {"End", "b"}, {"ExitCode", 1}, {"Output", "no"}}));
  EXPECT_EQ(HealthStateFromJson(j).failing_streak, 7);
  EXPECT_EQ(HealthStatusText("starting"), "health: starting");
}

}  // namespace
}  // namespace mini::run
