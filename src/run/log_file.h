#pragma once
/// A container's output as Docker's json-file log driver keeps it: one JSON object per line,
/// {"log":"text\n","stream":"stdout","time":"<RFC 3339 nano>"}, in containers/<id>/<id>-json.log
/// (ContainerStore::LogPath), rotated to <name>.1, <name>.2, ... by --log-opt max-size/max-file.
/// The pure parts (options, the line format, chunking, times, filters) are separate from the
/// writer and the reader that touch files.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/fs.h"
#include "run/run_spec.h"

namespace mini::run {

/// --log-driver / --log-opt, validated.
struct LogOptions {
  bool enabled = true;     ///< false for --log-driver none
  int64_t max_size = -1;   ///< bytes; -1 = no rotation
  int max_file = 1;        ///< files kept (the live one included); only with max_size
  std::string attrs_json;  ///< "attrs" of every line ({"k":"v"}, log_attrs.h), or empty
};

/// Docker's rules and messages: drivers json-file and none ("logger: no log driver named 'x'
/// is registered"), options max-size (go-units sizes: 10k, 10m, 1g; "max-size must be a
/// positive number") and max-file ("max-file cannot be less than 1"); Docker's other json-file
/// options (compress; labels, env and tag make the lines' attrs: log_attrs.h) are accepted; anything else is
/// "unknown log opt 'foo' for json-file log driver". Throws Error(kInvalidInput).
LogOptions ParseLogOptions(const LogSpec& spec);

/// go-units FromHumanSize (decimal: 1k = 1000): "100", "10k", "1.5m", "1g", "2GB". Throws
/// Error("invalid size: 'x'").
int64_t FromHumanSize(const std::string& s);

/// Docker splits a longer line into entries of this many bytes.
constexpr size_t kMaxLogEntry = 16 * 1024;

/// Cuts one read's worth of output into entries: each line with its "\n", a line longer than
/// kMaxLogEntry in pieces of that size, and what follows the last newline as a partial entry
/// (no "\n"). Pure.
std::vector<std::string_view> SplitLogChunk(std::string_view chunk);

/// One json-file line (with its "\n"): Go's JSON string escaping (<, >, & and control
/// characters as \u00XX, invalid UTF-8 as \ufffd) and the time as Go's RFC3339Nano in UTC
/// (trailing zeros trimmed). Pure.
/// `attrs_json`, when not empty, is written as the line's "attrs" (before "time", as Docker).
std::string JsonLogLine(std::string_view text, bool is_stderr, int64_t time_ns, std::string_view attrs_json = {});

/// "2026-12-01T14:00:00.123456789Z", always 9 digits (docker logs -t). Pure.
std::string Rfc3339NanoFixed(int64_t time_ns);

/// An RFC 3339 time with an optional fraction and a Z or ±hh:mm offset, to unix nanoseconds.
std::optional<int64_t> ParseRfc3339Nano(std::string_view s);

/// --since / --until: an RFC 3339 time (also without zone, local time, or a date alone), unix
/// seconds with an optional fraction ("1700000000.5"), or a Go duration before `now_ns` ("10m",
/// "1h30m", "2.5s"). Throws Error(kInvalidInput) naming the value.
int64_t ParseLogTime(const std::string& s, int64_t now_ns);

/// One entry read back.
struct LogEntry {
  std::string log;
  bool is_stderr = false;
  int64_t time_ns = 0;
  std::vector<std::pair<std::string, std::string>> attrs;  ///< the line's "attrs"
};
/// Parses one json-file line; nullopt for a line that is not one (torn or foreign).
std::optional<LogEntry> ParseJsonLogLine(std::string_view line);

/// docker logs' selection: the last `tail` entries (-1 = all), then those not before `since`
/// and not after `until` (0 = unset), in that order as Docker applies them. Pure.
struct LogFilter {
  int64_t tail = -1;
  int64_t since_ns = 0, until_ns = 0;
};
bool PassesTimeFilter(const LogFilter& f, int64_t time_ns);
/// --tail: "all" or a number (Docker: a negative one means all). Throws Error(kInvalidInput).
int64_t ParseTail(const std::string& s);

/// The file names of a log at `path`, oldest first: path.N, ..., path.1, path (those that
/// exist; the live file is listed even when missing).
std::vector<std::string> LogFilesOldestFirst(const std::string& path);

/// Appends a container's output to its json-file log, rotating it: before an entry that would
/// take the file past max_size, path.(max_file-2) ... path become path.(max_file-1) ... path.1
/// (the oldest is deleted; with max_file 1 the file is truncated). Opens in append mode, so a
/// restarted container continues its log. Entries of one Write go out in as few write(2)s as
/// rotation allows. Not thread-safe. Throws Error on a failure to open; write errors (a full
/// disk) drop the output rather than stop the container.
class JsonLogWriter {
 public:
  JsonLogWriter(std::string path, LogOptions opts);
  /// One read's worth of output of the container's stdout or stderr, stamped now.
  void Write(bool is_stderr, std::string_view chunk);
  /// The same with an explicit time (tests).
  void WriteAt(bool is_stderr, std::string_view chunk, int64_t time_ns);

 private:
  void Flush(std::string* buf);
  void Rotate();

  std::string path_;
  LogOptions opts_;
  UniqueFd fd_;
  int64_t size_ = 0;
};

/// Wall clock now in unix nanoseconds.
int64_t NowNs();

}  // namespace mini::run
