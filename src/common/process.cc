#include "common/process.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <string>

#include "common/fs.h"

namespace mini {

namespace {

// /proc/PID/stat, or nothing when the process is gone. A process can exit and be reaped between
// the open and the read; the read then fails with ESRCH, which means "gone", not an error.
std::optional<std::string> ReadStat(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  std::string path = "/proc/" + std::to_string(pid) + "/stat";
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return std::nullopt;
  char buf[4096];
  ssize_t n;
  do n = read(fd.get(), buf, sizeof buf);
  while (n < 0 && errno == EINTR);
  if (n <= 0) return std::nullopt;
  return std::string(buf, static_cast<size_t>(n));
}

// Start time (field 22) and state (field 3) from one read of the stat line.
bool ParseStat(const std::string& s, uint64_t* start, char* state) {
  size_t p = s.rfind(')');  // comm may contain spaces and parentheses
  if (p == std::string::npos || p + 2 >= s.size()) return false;
  *state = s[p + 2];
  size_t pos = p + 2;
  for (int field = 3; field < 22 && pos != std::string::npos; field++) pos = s.find(' ', pos) + 1;
  if (pos == 0 || pos >= s.size()) return false;
  *start = std::strtoull(s.c_str() + pos, nullptr, 10);
  return true;
}

}  // namespace

uint64_t ProcessStartTime(pid_t pid) {
  auto s = ReadStat(pid);
  uint64_t start = 0;
  char state = 0;
  if (!s || !ParseStat(*s, &start, &state)) return 0;
  return start;
}

bool ProcessAlive(pid_t pid, uint64_t start) {
  auto s = ReadStat(pid);
  uint64_t now = 0;
  char state = 0;
  if (!s || !ParseStat(*s, &now, &state)) return false;
  if (start != 0 && now != start) return false;
  return state != 'Z';  // a zombie is not alive
}

}  // namespace mini
