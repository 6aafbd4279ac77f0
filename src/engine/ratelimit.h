// Rate limits on handshake initiations, the one packet a stranger can make
// us spend cryptography on: a budget per source address (IPv4 address or
// IPv6 /64), so one source cannot use up the node's budget, and a global
// budget for the node. Fixed-size table, no allocation.
#pragma once

#include <array>
#include <cstdint>

#include "engine/endpoint.h"

namespace braid::engine {

// A generic cell rate algorithm bucket: `tat` is the theoretical arrival
// time of the next packet; a packet is allowed while it is no more than
// the burst's worth of intervals early. Exact, with no fractions lost.
struct RateBucket {
  uint64_t tat = 0;
  bool allow(uint64_t now, uint64_t interval_ns, uint64_t burst);
};

class InitiationLimiter {
 public:
  // Per source: 10 in a burst, then 10 a second. Globally: kInitRatePerSec
  // (timers.h), with a second's worth as burst.
  static constexpr uint64_t kPerSourceBurst = 10;
  static constexpr uint64_t kPerSourceRate = 10;
  static constexpr size_t kSlots = 4096;

  InitiationLimiter();
  bool allow(const Endpoint& from, uint64_t now_ns);

 private:
  struct Slot {
    uint64_t key = 0;
    RateBucket bucket;
  };
  uint64_t seed_;
  RateBucket global_;
  std::array<Slot, kSlots> slots_{};
};

}  // namespace braid::engine
