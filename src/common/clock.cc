// The real monotonic clock.
#include "common/clock.h"

#include <ctime>

namespace braid {

uint64_t SystemClock::now_ns() const {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * kNsPerSec + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace braid
