// `mini events`: time parsing, filters and output shapes, all pure.
#include "store/event_query.h"

#include <cstdio>

#include "common/error.h"
#include "common/human.h"

namespace mini {
namespace {

constexpr int64_t kNano = 1000000000;

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

/// The fraction ".123" of an RFC 3339 time, as nanoseconds (0 without one).
int64_t FractionNanos(std::string_view s) {
  size_t dot = s.find('.');
  if (dot == std::string_view::npos) return 0;
  int64_t n = 0;
  int digits = 0;
  for (size_t i = dot + 1; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++digits)
    if (digits < 9) n = n * 10 + (s[i] - '0');
  for (; digits < 9; ++digits) n *= 10;
  return n;
}

std::string StripTag(const std::string& ref) {
  size_t slash = ref.rfind('/');
  size_t colon = ref.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) return ref.substr(0, colon);
  return ref;
}

std::string Attr(const Event& e, const std::string& k) {
  auto it = e.attributes.find(k);
  return it == e.attributes.end() ? "" : it->second;
}

}  // namespace

std::optional<int64_t> ParseGoDuration(std::string_view s) {
  if (s.empty()) return std::nullopt;
  bool neg = false;
  size_t p = 0;
  if (s[0] == '-' || s[0] == '+') neg = s[p++] == '-';
  if (p == s.size()) return std::nullopt;
  if (s.substr(p) == "0") return 0;
  double total = 0;
  while (p < s.size()) {
    size_t start = p;
    while (p < s.size() && ((s[p] >= '0' && s[p] <= '9') || s[p] == '.')) ++p;
    if (p == start) return std::nullopt;
    double v = std::stod(std::string(s.substr(start, p - start)));
    size_t u = p;
    while (p < s.size() && !((s[p] >= '0' && s[p] <= '9') || s[p] == '.')) ++p;
    std::string_view unit = s.substr(u, p - u);
    double mult;
    if (unit == "ns") mult = 1;
    else if (unit == "us" || unit == "\xC2\xB5s") mult = 1e3;
    else if (unit == "ms") mult = 1e6;
    else if (unit == "s") mult = 1e9;
    else if (unit == "m") mult = 60e9;
    else if (unit == "h") mult = 3600e9;
    else return std::nullopt;
    total += v * mult;
  }
  return static_cast<int64_t>(neg ? -total : total);
}

std::optional<int64_t> ParseEventTime(std::string_view s, int64_t now_nano) {
  if (s.empty()) return std::nullopt;
  // Unix seconds, maybe with a fraction (Docker: "seconds[.nanoseconds]").
  size_t dot = s.find('.');
  std::string_view whole = s.substr(0, dot);
  if (AllDigits(whole) && (dot == std::string_view::npos || AllDigits(s.substr(dot + 1)))) {
    int64_t sec = std::stoll(std::string(whole));
    int64_t frac = 0;
    if (dot != std::string_view::npos) {
      std::string f(s.substr(dot + 1, 9));
      f.resize(9, '0');
      frac = std::stoll(f);
    }
    return sec * kNano + frac;
  }
  if (auto t = ParseRfc3339(s)) return *t * kNano + FractionNanos(s);
  if (s.size() == 10 && s[4] == '-' && s[7] == '-')
    if (auto t = ParseRfc3339(std::string(s) + "T00:00:00Z")) return *t * kNano;
  if (auto d = ParseGoDuration(s)) return now_nano - *d;
  return std::nullopt;
}

EventFilter::EventFilter(const std::vector<std::string>& specs) {
  static const char* kKeys[] = {"type", "event", "container", "image", "label", "volume", "network"};
  for (const auto& spec : specs) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos) throw Error(ErrorKind::kInvalidInput, "bad format of filter (expected name=value)");
    std::string key = spec.substr(0, eq);
    bool known = false;
    for (const char* k : kKeys) known = known || key == k;
    if (!known) throw Error(ErrorKind::kInvalidInput, "Invalid filter '" + key + "'");
    values_[key].push_back(spec.substr(eq + 1));
  }
}

bool EventFilter::Match(const Event& e) const {
  auto any = [&](const char* key, auto pred) {
    auto it = values_.find(key);
    if (it == values_.end()) return true;
    for (const auto& v : it->second)
      if (pred(v)) return true;
    return false;
  };
  auto fuzzy = [](const std::string& v, const std::string& s) { return !s.empty() && s.compare(0, v.size(), v) == 0; };
  auto named = [&](const char* key, const char* type) {
    return any(key, [&](const std::string& v) { return e.type == type && (fuzzy(v, e.id) || fuzzy(v, Attr(e, "name"))); });
  };
  if (!any("type", [&](const std::string& v) { return v == e.type; })) return false;
  if (!any("event", [&](const std::string& v) { return v == e.action || v == e.action.substr(0, e.action.find(':')); }))
    return false;
  if (!named("container", "container") || !named("volume", "volume") || !named("network", "network")) return false;
  std::string image = Attr(e, e.type == "image" ? "name" : "image");
  if (!any("image", [&](const std::string& v) {
        return v == e.id || v == image || v == StripTag(e.id) || v == StripTag(image);
      }))
    return false;
  auto labels = values_.find("label");
  if (labels != values_.end())
    for (const auto& v : labels->second) {  // every label filter must hold
      size_t eq = v.find('=');
      auto it = e.attributes.find(v.substr(0, eq));
      if (it == e.attributes.end()) return false;
      if (eq != std::string::npos && it->second != v.substr(eq + 1)) return false;
    }
  return true;
}

std::string EventLine(const Event& e, int utc_offset_s) {
  int64_t secs = e.time_nano / kNano + utc_offset_s;
  struct timespec ts = {static_cast<time_t>(secs), 0};
  std::string t = FormatRfc3339Nano(ts);  // "YYYY-MM-DDTHH:MM:SSZ"
  t.resize(19);
  char frac[16];
  snprintf(frac, sizeof frac, ".%09lld", static_cast<long long>(e.time_nano % kNano));
  t += frac;
  if (utc_offset_s == 0) {
    t += "Z";
  } else {
    int off = utc_offset_s < 0 ? -utc_offset_s : utc_offset_s;
    char z[16];
    snprintf(z, sizeof z, "%c%02d:%02d", utc_offset_s < 0 ? '-' : '+', off / 3600, off / 60 % 60);
    t += z;
  }
  std::string line = t + " " + e.type + " " + e.action + " " + e.id;
  if (!e.attributes.empty()) {
    line += " (";
    bool first = true;
    for (const auto& [k, v] : e.attributes) {
      line += (first ? "" : ", ") + k + "=" + v;
      first = false;
    }
    line += ")";
  }
  return line;
}

std::string EventJsonLine(const Event& e) {
  nlohmann::ordered_json j;
  if (e.type == "container" || e.type == "image") {
    j["status"] = e.action;
    j["id"] = e.id;
    if (e.type == "container" && e.attributes.count("image")) j["from"] = e.attributes.at("image");
  }
  j["Type"] = e.type;
  j["Action"] = e.action;
  j["Actor"] = {{"ID", e.id}, {"Attributes", e.attributes}};
  j["scope"] = "local";
  j["time"] = e.time_nano / kNano;
  j["timeNano"] = e.time_nano;
  return j.dump();
}

nlohmann::json EventTemplateData(const Event& e) {
  bool legacy = e.type == "container" || e.type == "image";
  return {{"Status", legacy ? e.action : ""},
          {"ID", legacy ? e.id : ""},
          {"From", e.type == "container" ? Attr(e, "image") : ""},
          {"Type", e.type},
          {"Action", e.action},
          {"Actor", {{"ID", e.id}, {"Attributes", e.attributes}}},
          {"Scope", "local"},
          {"Time", e.time_nano / kNano},
          {"TimeNano", e.time_nano}};
}

}  // namespace mini
