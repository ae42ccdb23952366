#pragma once
/// Processes by pid, robust against pid reuse: a process is named by its pid and its start time.
#include <sys/types.h>

#include <cstdint>

namespace mini {

/// Start time of a process in clock ticks since boot (/proc/<pid>/stat field 22), 0 if it does
/// not exist.
uint64_t ProcessStartTime(pid_t pid);
/// True if `pid` exists, is not a zombie and started at `start` (so it is still the same
/// process); `start` 0 accepts any start time.
bool ProcessAlive(pid_t pid, uint64_t start);

}  // namespace mini
