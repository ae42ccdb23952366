#include "common/timing.h"

#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace mini {
namespace {

struct Timer {
  bool enabled = getenv("MINI_TIMING") != nullptr;
  struct timespec last = {};
  Timer() { clock_gettime(CLOCK_MONOTONIC, &last); }
};

Timer& TheTimer() {
  static Timer t;
  return t;
}

}  // namespace

void TimingMark(const char* step) {
  Timer& t = TheTimer();
  if (!t.enabled) return;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  double ms = (now.tv_sec - t.last.tv_sec) * 1e3 + (now.tv_nsec - t.last.tv_nsec) / 1e6;
  t.last = now;
  // One write(2): marks from the container's first process interleave line by line.
  char buf[128];
  int n = snprintf(buf, sizeof(buf), "mini: timing: [%d] %-28s %7.3f ms\n", getpid(), step, ms);
  if (n > 0) (void)!write(2, buf, static_cast<size_t>(n));
}

}  // namespace mini
