#include "run/log_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <regex>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/human.h"

namespace mini::run {
namespace {

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

/// Reads `n` digits at *p as a number; false if they are not all digits.
bool TakeNum(std::string_view s, size_t* p, size_t n, int* out) {
  if (*p + n > s.size() || !AllDigits(s.substr(*p, n))) return false;
  *out = std::atoi(std::string(s.substr(*p, n)).c_str());
  *p += n;
  return true;
}

bool TakeChar(std::string_view s, size_t* p, char c) {
  if (*p >= s.size() || s[*p] != c) return false;
  ++*p;
  return true;
}

/// Date [T hh[:mm[:ss[.frac]]]] [Z | ±hh:mm]; no zone = local time (Docker's ParseInLocation).
/// `full`: the RFC 3339 form only (json-file times). nullopt on a syntax error.
std::optional<int64_t> ParseTimeForms(std::string_view s, bool full) {
  size_t p = 0;
  struct tm tm = {};
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (!TakeNum(s, &p, 4, &y) || !TakeChar(s, &p, '-') || !TakeNum(s, &p, 2, &mo) || !TakeChar(s, &p, '-') ||
      !TakeNum(s, &p, 2, &d))
    return std::nullopt;
  int64_t frac = 0;
  bool has_time = p < s.size() && (s[p] == 'T' || s[p] == 't');
  if (has_time) {
    ++p;
    if (!TakeNum(s, &p, 2, &h)) return std::nullopt;
    if (TakeChar(s, &p, ':')) {
      if (!TakeNum(s, &p, 2, &mi)) return std::nullopt;
      if (TakeChar(s, &p, ':')) {
        if (!TakeNum(s, &p, 2, &sec)) return std::nullopt;
        if (TakeChar(s, &p, '.')) {
          size_t start = p;
          while (p < s.size() && std::isdigit(static_cast<unsigned char>(s[p]))) ++p;
          std::string digits(s.substr(start, p - start));
          if (digits.empty() || digits.size() > 9) return std::nullopt;
          digits.resize(9, '0');
          frac = std::atoll(digits.c_str());
        }
      } else if (full) {
        return std::nullopt;
      }
    } else if (full) {
      return std::nullopt;
    }
  } else if (full) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  int64_t secs;
  if (p == s.size()) {
    if (full) return std::nullopt;
    tm.tm_isdst = -1;
    secs = mktime(&tm);
  } else if (s[p] == 'Z' || s[p] == 'z') {
    if (++p != s.size()) return std::nullopt;
    secs = timegm(&tm);
  } else if (s[p] == '+' || s[p] == '-') {
    int sign = s[p] == '-' ? -1 : 1, oh, om;
    ++p;
    if (!TakeNum(s, &p, 2, &oh) || !TakeChar(s, &p, ':') || !TakeNum(s, &p, 2, &om) || p != s.size())
      return std::nullopt;
    secs = timegm(&tm) - sign * (oh * 3600 + om * 60);
  } else {
    return std::nullopt;
  }
  return secs * 1000000000 + frac;
}

/// Go's time.ParseDuration, in nanoseconds; nullopt if `s` is not one.
std::optional<int64_t> ParseGoDuration(std::string_view s) {
  size_t p = 0;
  bool neg = false;
  if (p < s.size() && (s[p] == '-' || s[p] == '+')) neg = s[p++] == '-';
  if (p >= s.size()) return std::nullopt;
  double total = 0;
  while (p < s.size()) {
    size_t start = p;
    while (p < s.size() && (std::isdigit(static_cast<unsigned char>(s[p])) || s[p] == '.')) ++p;
    if (p == start) return std::nullopt;
    std::string num(s.substr(start, p - start));
    if (num == ".") return std::nullopt;
    size_t ustart = p;
    while (p < s.size() && !std::isdigit(static_cast<unsigned char>(s[p])) && s[p] != '.') ++p;
    std::string_view unit = s.substr(ustart, p - ustart);
    double mult;
    if (unit == "ns") mult = 1;
    else if (unit == "us" || unit == "\xc2\xb5s" || unit == "\xce\xbcs") mult = 1e3;
    else if (unit == "ms") mult = 1e6;
    else if (unit == "s") mult = 1e9;
    else if (unit == "m") mult = 60e9;
    else if (unit == "h") mult = 3600e9;
    else return std::nullopt;
    total += std::strtod(num.c_str(), nullptr) * mult;
  }
  return static_cast<int64_t>(neg ? -total : total);
}

void AppendEscaped(std::string* out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  auto u00 = [&](unsigned char c) {
    out->append("\\u00");
    out->push_back(kHex[c >> 4]);
    out->push_back(kHex[c & 15]);
  };
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c == '"') out->append("\\\"");
      else if (c == '\\') out->append("\\\\");
      else if (c == '\n') out->append("\\n");
      else if (c == '\r') out->append("\\r");
      else if (c == '\t') out->append("\\t");
      else if (c < 0x20 || c == '<' || c == '>' || c == '&') u00(c);
      else out->push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    // A UTF-8 sequence: copied when valid, else one \ufffd per bad byte (Go's rule).
    size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) n = 1;
    else if (c >= 0xE0 && c <= 0xEF) n = 2, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4) n = 3, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    bool ok = n > 0 && i + n < s.size();  // s[i + n] is the last continuation byte
    for (size_t k = 1; ok && k <= n; k++) {
      unsigned char b = static_cast<unsigned char>(s[i + k]);
      if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) ok = false;
    }
    if (!ok) {
      out->append("\\ufffd");
      ++i;
      continue;
    }
    if (c == 0xE2 && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(s[i + 2]) == 0xA8 || static_cast<unsigned char>(s[i + 2]) == 0xA9)) {
      out->append(static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029");
    } else {
      out->append(s.substr(i, n + 1));
    }
    i += n + 1;
  }
}

}  // namespace

int64_t FromHumanSize(const std::string& s) {
  size_t p = 0;
  while (p < s.size() && (std::isdigit(static_cast<unsigned char>(s[p])) || s[p] == '.')) ++p;
  std::string num = s.substr(0, p), rest = s.substr(p);
  bool ok = !num.empty() && std::isdigit(static_cast<unsigned char>(num[0])) && num.back() != '.';
  if (!rest.empty() && rest[0] == ' ') rest.erase(0, 1);
  double mult = 1;
  if (!rest.empty()) {
    switch (std::tolower(static_cast<unsigned char>(rest[0]))) {
      case 'k': mult = 1e3; rest.erase(0, 1); break;
      case 'm': mult = 1e6; rest.erase(0, 1); break;
      case 'g': mult = 1e9; rest.erase(0, 1); break;
      case 't': mult = 1e12; rest.erase(0, 1); break;
      case 'p': mult = 1e15; rest.erase(0, 1); break;
      default: break;
    }
  }
  if (!rest.empty() && (rest[0] == 'i' || rest[0] == 'I')) rest.erase(0, 1);
  if (!rest.empty() && (rest[0] == 'b' || rest[0] == 'B')) rest.erase(0, 1);
  if (!ok || !rest.empty()) throw Error(ErrorKind::kInvalidInput, "invalid size: '" + s + "'");
  return static_cast<int64_t>(std::strtod(num.c_str(), nullptr) * mult);
}

LogOptions ParseLogOptions(const LogSpec& spec) {
  LogOptions o;
  if (spec.driver == "none") {
    o.enabled = false;
    if (!spec.opts.empty()) {
      std::string key = spec.opts[0].substr(0, spec.opts[0].find('='));
      throw Error(ErrorKind::kInvalidInput, "unknown log opt '" + key + "' for none log driver");
    }
    return o;
  }
  if (spec.driver != "json-file" && !spec.driver.empty())
    throw Error(ErrorKind::kInvalidInput, "logger: no log driver named '" + spec.driver + "' is registered");
  std::optional<std::string> max_file;
  for (const auto& kv : spec.opts) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos)
      throw Error(ErrorKind::kInvalidInput, "invalid log opt '" + kv + "': expected KEY=VALUE");
    std::string key = kv.substr(0, eq), value = kv.substr(eq + 1);
    if (key == "max-size") {
      o.max_size = FromHumanSize(value);
      if (o.max_size <= 0) throw Error(ErrorKind::kInvalidInput, "max-size must be a positive number");
    } else if (key == "max-file") {
      max_file = value;
    } else if (key == "labels-regex" || key == "env-regex") {
      try {
        std::regex re(value, std::regex::ECMAScript);
      } catch (const std::regex_error&) {
        throw Error(ErrorKind::kInvalidInput, "invalid log opt " + key + "=" + value + ": not a regular expression");
      }
    } else if (key != "compress" && key != "labels" && key != "env" && key != "tag") {
      throw Error(ErrorKind::kInvalidInput, "unknown log opt '" + key + "' for json-file log driver");
    }
  }
  if (max_file) {
    if (!AllDigits(*max_file) && !(max_file->size() > 1 && (*max_file)[0] == '-' && AllDigits(max_file->substr(1))))
      throw Error(ErrorKind::kInvalidInput, "strconv.Atoi: parsing \"" + *max_file + "\": invalid syntax");
    long n = std::atol(max_file->c_str());
    if (n < 1) throw Error(ErrorKind::kInvalidInput, "max-file cannot be less than 1");
    o.max_file = static_cast<int>(std::min<long>(n, 1000));
  }
  if (o.max_size < 0) o.max_file = 1;  // only effective with max-size (Docker)
  return o;
}

std::vector<std::string_view> SplitLogChunk(std::string_view chunk) {
  std::vector<std::string_view> out;
  size_t p = 0;
  while (p < chunk.size()) {
    size_t nl = chunk.find('\n', p);
    size_t end = nl == std::string_view::npos ? chunk.size() : nl + 1;
    while (end - p > kMaxLogEntry) {
      out.push_back(chunk.substr(p, kMaxLogEntry));
      p += kMaxLogEntry;
    }
    out.push_back(chunk.substr(p, end - p));
    p = end;
  }
  return out;
}

std::string JsonLogLine(std::string_view text, bool is_stderr, int64_t time_ns, std::string_view attrs_json) {
  std::string out;
  out.reserve(text.size() + 80 + attrs_json.size());
  out.append("{\"log\":\"");
  AppendEscaped(&out, text);
  out.append(is_stderr ? "\",\"stream\":\"stderr\"," : "\",\"stream\":\"stdout\",");
  if (!attrs_json.empty()) out.append("\"attrs\":").append(attrs_json).append(",");
  out.append("\"time\":\"");
  struct timespec ts = {static_cast<time_t>(time_ns / 1000000000), static_cast<long>(time_ns % 1000000000)};
  out.append(FormatRfc3339Nano(ts));
  out.append("\"}\n");
  return out;
}

std::string Rfc3339NanoFixed(int64_t time_ns) {
  time_t secs = static_cast<time_t>(time_ns / 1000000000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(time_ns % 1000000000));
  return buf;
}

std::optional<int64_t> ParseRfc3339Nano(std::string_view s) { return ParseTimeForms(s, true); }

int64_t ParseLogTime(const std::string& s, int64_t now_ns) {
  if (s != "0")
    if (auto d = ParseGoDuration(s)) return now_ns - *d;
  if (s.find('-') != std::string::npos) {
    if (auto t = ParseTimeForms(s, false)) return *t;
    throw Error(ErrorKind::kInvalidInput, "parsing time \"" + s + "\": not an RFC 3339 time");
  }
  // Unix seconds, with an optional fraction.
  size_t dot = s.find('.');
  std::string whole = s.substr(0, dot), frac = dot == std::string::npos ? "" : s.substr(dot + 1);
  if (!AllDigits(whole) || (dot != std::string::npos && (!AllDigits(frac) || frac.size() > 9)))
    throw Error(ErrorKind::kInvalidInput, "failed to parse value as time or duration: \"" + s + "\"");
  frac.resize(9, '0');
  return std::atoll(whole.c_str()) * 1000000000 + std::atoll(frac.c_str());
}

std::optional<LogEntry> ParseJsonLogLine(std::string_view line) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (!j.is_object() || !j.contains("log") || !j["log"].is_string()) return std::nullopt;
  LogEntry e;
  e.log = j["log"].get<std::string>();
  e.is_stderr = j.value("stream", "") == "stderr";
  if (j.contains("attrs") && j["attrs"].is_object())
    for (auto& [k, v] : j["attrs"].items())
      if (v.is_string()) e.attrs.emplace_back(k, v.get<std::string>());
  if (j.contains("time") && j["time"].is_string())
    e.time_ns = ParseRfc3339Nano(j["time"].get<std::string>()).value_or(0);
  return e;
}

bool PassesTimeFilter(const LogFilter& f, int64_t time_ns) {
  if (f.since_ns && time_ns < f.since_ns) return false;
  if (f.until_ns && time_ns > f.until_ns) return false;
  return true;
}

int64_t ParseTail(const std::string& s) {
  if (s == "all" || s.empty()) return -1;
  if (s[0] == '-' && AllDigits(s.substr(1))) return -1;
  if (!AllDigits(s)) throw Error(ErrorKind::kInvalidInput, "invalid value for \"tail\": \"" + s + "\"");
  return std::atoll(s.c_str());
}

std::vector<std::string> LogFilesOldestFirst(const std::string& path) {
  std::vector<std::string> out;
  for (int i = 1; i < 1000 && PathExists(path + "." + std::to_string(i)); i++) out.push_back(path + "." + std::to_string(i));
  std::vector<std::string> files(out.rbegin(), out.rend());
  files.push_back(path);
  return files;
}

int64_t NowNs() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

JsonLogWriter::JsonLogWriter(std::string path, LogOptions opts) : path_(std::move(path)), opts_(opts) {
  fd_.reset(open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
  if (!fd_) ThrowErrno("open " + path_);
  struct stat st;
  if (fstat(fd_.get(), &st) == 0) size_ = st.st_size;
}

void JsonLogWriter::Write(bool is_stderr, std::string_view chunk) { WriteAt(is_stderr, chunk, NowNs()); }

void JsonLogWriter::WriteAt(bool is_stderr, std::string_view chunk, int64_t time_ns) {
  std::string buf;
  for (std::string_view piece : SplitLogChunk(chunk)) {
    std::string line = JsonLogLine(piece, is_stderr, time_ns, opts_.attrs_json);
    int64_t have = size_ + static_cast<int64_t>(buf.size());
    if (opts_.max_size > 0 && have > 0 && have + static_cast<int64_t>(line.size()) > opts_.max_size) {
      Flush(&buf);
      Rotate();
    }
    buf += line;
  }
  Flush(&buf);
}

void JsonLogWriter::Flush(std::string* buf) {
  if (buf->empty() || !fd_) return;
  try {
    WriteAll(fd_.get(), buf->data(), buf->size(), path_);
    size_ += static_cast<int64_t>(buf->size());
  } catch (const Error&) {
    // A full disk loses output; the container goes on (Docker does the same).
  }
  buf->clear();
}

void JsonLogWriter::Rotate() {
  if (opts_.max_file <= 1) {
    if (ftruncate(fd_.get(), 0) == 0) size_ = 0;
    return;
  }
  auto name = [&](int i) { return i == 0 ? path_ : path_ + "." + std::to_string(i); };
  unlink(name(opts_.max_file - 1).c_str());
  for (int i = opts_.max_file - 1; i >= 1; i--) rename(name(i - 1).c_str(), name(i).c_str());
  fd_.reset(open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
  size_ = 0;
}

}  // namespace mini::run
