// The real clocks.
#include "common/clock.h"

#include <ctime>

namespace braid {

uint64_t SystemClock::now_ns() const {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * kNsPerSec + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t SystemClock::unix_s() const {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec > 0 ? static_cast<uint64_t>(ts.tv_sec) : 0;
}

}  // namespace braid
