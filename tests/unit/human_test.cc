/// Exact-output tests for Docker-compatible size/duration formatting and RFC 3339 times.
#include <gtest/gtest.h>

#include <regex>

#include "common/human.h"

namespace mini {

TEST(HumanSize, MatchesDockerCli) {
  EXPECT_EQ(HumanSize(0), "0B");
  EXPECT_EQ(HumanSize(1), "1B");
  EXPECT_EQ(HumanSize(999), "999B");
  EXPECT_EQ(HumanSize(1000), "1kB");
  EXPECT_EQ(HumanSize(1024), "1.02kB");
  EXPECT_EQ(HumanSize(1500), "1.5kB");
  EXPECT_EQ(HumanSize(4096), "4.1kB");
  EXPECT_EQ(HumanSize(1234567), "1.23MB");
  EXPECT_EQ(HumanSize(4270000), "4.27MB");
  EXPECT_EQ(HumanSize(4265000), "4.26MB");  // 4.265 is just below .5 in binary floating point
  EXPECT_EQ(HumanSize(77800000), "77.8MB");
  EXPECT_EQ(HumanSize(123456789), "123MB");
  EXPECT_EQ(HumanSize(12345678901ULL), "12.3GB");
  EXPECT_EQ(HumanSize(1000000000000ULL), "1TB");
  EXPECT_EQ(HumanSize(2500000000000000ULL), "2.5PB");
  // Docker's own quirk: %.3g of 999.999 rounds up to an exponent form.
  EXPECT_EQ(HumanSize(999999), "1e+03kB");
}

TEST(HumanDuration, MatchesGoUnits) {
  using std::chrono::seconds;
  EXPECT_EQ(HumanDuration(seconds(-5)), "Less than a second");
  EXPECT_EQ(HumanDuration(seconds(0)), "Less than a second");
  EXPECT_EQ(HumanDuration(seconds(1)), "1 second");
  EXPECT_EQ(HumanDuration(seconds(2)), "2 seconds");
  EXPECT_EQ(HumanDuration(seconds(59)), "59 seconds");
  EXPECT_EQ(HumanDuration(seconds(60)), "About a minute");
  EXPECT_EQ(HumanDuration(seconds(119)), "About a minute");
  EXPECT_EQ(HumanDuration(seconds(120)), "2 minutes");
  EXPECT_EQ(HumanDuration(seconds(59 * 60 + 59)), "59 minutes");
  EXPECT_EQ(HumanDuration(seconds(3600)), "About an hour");
  EXPECT_EQ(HumanDuration(seconds(3600 + 1799)), "About an hour");
  EXPECT_EQ(HumanDuration(seconds(3600 + 1800)), "2 hours");
  EXPECT_EQ(HumanDuration(seconds(47 * 3600)), "47 hours");
  EXPECT_EQ(HumanDuration(seconds(47 * 3600 + 1800)), "2 days");
  EXPECT_EQ(HumanDuration(seconds(13 * 86400)), "13 days");
  EXPECT_EQ(HumanDuration(seconds(14 * 86400)), "2 weeks");
  EXPECT_EQ(HumanDuration(seconds(59 * 86400)), "8 weeks");
  EXPECT_EQ(HumanDuration(seconds(60 * 86400)), "2 months");
  EXPECT_EQ(HumanDuration(seconds(729 * 86400)), "24 months");
  EXPECT_EQ(HumanDuration(seconds(730 * 86400)), "2 years");
  EXPECT_EQ(HumanDuration(seconds(int64_t{3650} * 86400 + 3 * 86400)), "10 years");
}

TEST(HumanRfc3339, Parses) {
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseRfc3339("2024-01-02T03:04:05Z"), 1704164645);
  EXPECT_EQ(ParseRfc3339("2024-01-02T03:04:05.123456789Z"), 1704164645);
  EXPECT_EQ(ParseRfc3339("2024-01-02T03:04:05.5z"), 1704164645);
  EXPECT_EQ(ParseRfc3339("2024-01-02t05:04:05+02:00"), 1704164645);
  EXPECT_EQ(ParseRfc3339("2024-01-01T22:34:05.1-04:30"), 1704164645);
  EXPECT_EQ(ParseRfc3339("2000-02-29T00:00:00Z"), 951782400);
  EXPECT_EQ(ParseRfc3339("1969-12-31T23:59:59Z"), -1);
  EXPECT_EQ(ParseRfc3339("2026-11-23T16:11:58.123456789Z"), 1795450318);
}

TEST(HumanRfc3339, RejectsInvalid) {
  for (const char* s : {"", "2024-01-02", "2024-01-02T03:04:05", "2024-01-02 03:04:05Z", "2024-1-02T03:04:05Z",
                        "2024-13-02T03:04:05Z", "2024-00-02T03:04:05Z", "2023-02-29T00:00:00Z",
                        "2024-04-31T00:00:00Z", "2024-01-02T24:00:00Z", "2024-01-02T03:60:00Z",
                        "2024-01-02T03:04:60Z", "2024-01-02T03:04:05.Z", "2024-01-02T03:04:05+0200",
                        "2024-01-02T03:04:05+24:00", "2024-01-02T03:04:05Zjunk", "2024-01-02T03:04:05UTC"}) {
    EXPECT_FALSE(ParseRfc3339(s)) << s;
  }
}

TEST(HumanRfc3339, FormatsLikeGoRfc3339Nano) {
  EXPECT_EQ(FormatRfc3339Nano({1795450318, 123456789}), "2026-11-23T16:11:58.123456789Z");
  EXPECT_EQ(FormatRfc3339Nano({1795450318, 0}), "2026-11-23T16:11:58Z");
  EXPECT_EQ(FormatRfc3339Nano({1795450318, 500000000}), "2026-11-23T16:11:58.5Z");
  EXPECT_EQ(FormatRfc3339Nano({1795450318, 1000}), "2026-11-23T16:11:58.000001Z");
  EXPECT_EQ(FormatRfc3339Nano({0, 0}), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339Nano({-1, 0}), "1969-12-31T23:59:59Z");
  EXPECT_EQ(FormatRfc3339Nano({951782400, 0}), "2000-02-29T00:00:00Z");
}

TEST(HumanRfc3339, NowRoundTrips) {
  std::string now = NowRfc3339();
  EXPECT_TRUE(std::regex_match(now, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z)"))) << now;
  auto parsed = ParseRfc3339(now);
  ASSERT_TRUE(parsed);
  EXPECT_NEAR(static_cast<double>(*parsed), static_cast<double>(time(nullptr)), 5);
  EXPECT_EQ(FormatRfc3339Nano({static_cast<time_t>(*parsed), 0}), now.substr(0, 19) + "Z");
}

}  // namespace mini
