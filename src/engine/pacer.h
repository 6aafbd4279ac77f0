// Pacing a link to its configured upload rate (multi-link): a token bucket
// counted in bytes, so that braid, not the provider's queue, decides what
// waits when a link is full. Exact integer arithmetic (no rounding drift
// however long it runs), no allocation.
#pragma once

#include <cstdint>

namespace braid::engine {

class Pacer {
 public:
  // rate: bytes per second (> 0); burst: bytes that may go at once after
  // a quiet spell (at least one packet's worth, or nothing could ever go).
  Pacer(uint64_t rate_bytes_per_s, uint64_t burst_bytes);

  // Takes `bytes` if the bucket holds them now; false leaves it as it was.
  bool take(uint64_t bytes, uint64_t now_ns);
  // Takes `bytes` whatever the bucket holds: what it lacks becomes a debt
  // that refills pay first. For what must not wait (the priority lane,
  // probes): it still counts against the link's rate.
  void charge(uint64_t bytes, uint64_t now_ns);
  // The earliest time at which take(bytes) will succeed (now_ns if it
  // would now); bytes above the burst never fit and give UINT64_MAX.
  uint64_t ready_at(uint64_t bytes, uint64_t now_ns);
  // A new rate (a reconfigured or measured link); what the bucket holds
  // stays, up to the new burst.
  void set_rate(uint64_t rate_bytes_per_s, uint64_t burst_bytes);

  uint64_t rate() const { return rate_; }
  uint64_t burst() const { return burst_; }
  // Bytes in the bucket after refilling to now_ns.
  uint64_t available(uint64_t now_ns);

 private:
  void refill(uint64_t now_ns);

  uint64_t rate_;
  uint64_t burst_;
  uint64_t tokens_;        // whole bytes
  uint64_t debt_ = 0;      // bytes charged beyond the tokens (then tokens_ is 0)
  // Bytes x 1e9 not yet a whole byte: carried so that no fraction of the
  // rate is ever lost.
  uint64_t carry_ = 0;
  uint64_t last_ns_ = 0;
  bool started_ = false;
};

}  // namespace braid::engine
