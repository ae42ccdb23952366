#pragma once
/// Human-facing formatting that matches Docker's CLI byte for byte (go-units HumanSize /
/// HumanDuration, Go's RFC 3339 layouts), so `mini images`/`mini ps` read like `docker ...`.
#include <chrono>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace mini {

/// Decimal size with 3 significant digits, as the docker CLI prints it
/// (units.HumanSizeWithPrecision(size, 3)): "0B", "999B", "1kB", "1.23MB", "12.3GB".
std::string HumanSize(uint64_t bytes);

/// go-units HumanDuration: "Less than a second", "1 second", "45 seconds", "About a minute",
/// "5 minutes", "About an hour", "3 hours", "4 days", "3 weeks", "5 months", "2 years".
/// Negative durations count as "Less than a second".
std::string HumanDuration(std::chrono::seconds d);

/// Parses an RFC 3339 timestamp ("2024-01-02T03:04:05Z", "...05.123456789+02:00", 't'/'z'
/// accepted) into unix seconds (fraction dropped). nullopt on any syntax or range error.
std::optional<int64_t> ParseRfc3339(std::string_view s);

/// Go's time.RFC3339Nano in UTC: "2026-11-23T16:11:58.123456789Z"; trailing zeros of the
/// fraction are trimmed and a zero fraction is omitted ("2026-11-23T16:11:58Z"), exactly as
/// Go marshals time.Time into image configs.
std::string FormatRfc3339Nano(struct timespec ts);
/// FormatRfc3339Nano of CLOCK_REALTIME now.
std::string NowRfc3339();

}  // namespace mini
