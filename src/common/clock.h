// Time as the protocol sees it: a monotonic clock behind an interface, so
// timers and rate limits can be driven by a fake clock in tests.
#pragma once

#include <cstdint>

namespace braid {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time in nanoseconds since an arbitrary origin.
  virtual uint64_t now_ns() const = 0;
  uint64_t now_ms() const { return now_ns() / 1000000; }
  // Wall-clock time in unix seconds: only for certificate validity, which
  // is stated in calendar time; every timer uses now_ns().
  virtual uint64_t unix_s() const = 0;
};

class SystemClock final : public Clock {
 public:
  uint64_t now_ns() const override;
  uint64_t unix_s() const override;
};

// A clock that moves only when told to.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(uint64_t start_ns = 1000000000ull) : now_(start_ns) {}
  uint64_t now_ns() const override { return now_; }
  // Starts at kUnixStart and moves with now_ns().
  static constexpr uint64_t kUnixStart = 1800000000;  // 2027-01-15
  uint64_t unix_s() const override { return kUnixStart + now_ / 1000000000ull; }
  void advance_ms(uint64_t ms) { now_ += ms * 1000000ull; }
  void advance_ns(uint64_t ns) { now_ += ns; }

 private:
  uint64_t now_;
};

constexpr uint64_t kNsPerMs = 1000000ull;
constexpr uint64_t kNsPerSec = 1000000000ull;

}  // namespace braid
