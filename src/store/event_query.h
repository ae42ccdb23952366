#pragma once
/// `mini events`' pure parts: --since/--until times, --filter matching (Docker's
/// daemon/events/filter.go rules), and the two output shapes (the default line and
/// `{{json .}}`), plus the document a --format template sees (Go's field names).
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/event_log.h"

namespace mini {

/// A --since/--until value as unix nanoseconds: RFC 3339 (fraction kept), a date
/// ("2026-12-01", UTC), unix seconds with an optional fraction ("1700000000.5"), or a Go
/// duration before `now_nano` ("10m", "1h30m", "90s", "500ms"). nullopt when it is none.
std::optional<int64_t> ParseEventTime(std::string_view s, int64_t now_nano);

/// A Go duration ("1h30m", "500ms", "2.5s") in nanoseconds; nullopt on a syntax error.
std::optional<int64_t> ParseGoDuration(std::string_view s);

/// --filter KEY=VALUE: type, event, container, image, label, volume, network. Values of one key
/// OR, keys AND. Container/volume/network match the id or name attribute, exactly or by prefix;
/// image matches the image id or name, with or without its tag; label is KEY or KEY=VALUE.
class EventFilter {
 public:
  /// Throws Error("Invalid filter 'KEY'") or Error("bad format of filter (expected name=value)").
  explicit EventFilter(const std::vector<std::string>& specs);
  bool Match(const Event& e) const;

 private:
  std::map<std::string, std::vector<std::string>> values_;
};

/// Docker's default line: "<time, RFC 3339 with 9 digits, local zone> <type> <action> <id>
/// (k=v, k=v)" (attributes sorted by key; no parentheses without attributes). `utc_offset_s`
/// is the local zone's offset from UTC at that time.
std::string EventLine(const Event& e, int utc_offset_s);

/// `{{json .}}` exactly as Docker prints it: status, id, from (container and image events
/// only, Docker's legacy fields), Type, Action, Actor{ID,Attributes}, scope "local", time,
/// timeNano, in that order.
std::string EventJsonLine(const Event& e);

/// What a --format template sees: Docker's Go field names (.Status .ID .From .Type .Action
/// .Actor.ID .Actor.Attributes .Scope .Time .TimeNano).
nlohmann::json EventTemplateData(const Event& e);

}  // namespace mini
