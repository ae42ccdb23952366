#include "common/clock.h"

namespace mini {
namespace {

class RealClock : public Clock {
 public:
  timespec Now() const override {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts;
  }
};

}  // namespace

const Clock& SystemClock() {
  static const RealClock clock;
  return clock;
}

}  // namespace mini
