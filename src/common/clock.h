#pragma once
/// The wall clock behind an interface, so code that compares times (caches that must not trust
/// what changed in the last seconds, timeouts) is tested without sleeping: SystemClock() in
/// production, a FakeClock in tests (as the HTTP client has its fake).
#include <time.h>

namespace mini {

class Clock {
 public:
  virtual ~Clock() = default;
  /// CLOCK_REALTIME now.
  virtual timespec Now() const = 0;
};

/// The real clock (clock_gettime). Thread-safe; lives for the whole process.
const Clock& SystemClock();

/// A clock that says what it is told: starts at `start`, moves only with Advance().
class FakeClock : public Clock {
 public:
  explicit FakeClock(timespec start) : now_(start) {}
  timespec Now() const override { return now_; }
  void Advance(long seconds) { now_.tv_sec += seconds; }

 private:
  timespec now_;
};

}  // namespace mini
