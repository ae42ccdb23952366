#include "common/process.h"

#include <cstdlib>
#include <string>

#include "common/fs.h"

namespace mini {

uint64_t ProcessStartTime(pid_t pid) {
  if (pid <= 0) return 0;
  auto s = ReadFileIfExists("/proc/" + std::to_string(pid) + "/stat", 4096);
  if (!s) return 0;
  size_t p = s->rfind(')');  // comm may contain spaces and parentheses
  if (p == std::string::npos) return 0;
  // Fields after comm start at field 3 (state); starttime is field 22.
  size_t pos = p + 2;
  for (int field = 3; field < 22 && pos != std::string::npos; field++) pos = s->find(' ', pos) + 1;
  return pos == 0 ? 0 : std::strtoull(s->c_str() + pos, nullptr, 10);
}

bool ProcessAlive(pid_t pid, uint64_t start) {
  if (pid <= 0) return false;
  uint64_t now = ProcessStartTime(pid);
  if (now == 0 || (start != 0 && now != start)) return false;
  // A zombie is not alive.
  auto s = ReadFileIfExists("/proc/" + std::to_string(pid) + "/stat", 4096);
  size_t p = s ? s->rfind(')') : std::string::npos;
  return p != std::string::npos && p + 2 < s->size() && (*s)[p + 2] != 'Z';
}

}  // namespace mini
