// Rate limits on handshake initiations, the one packet a stranger can make
// us spend cryptography on: a budget per source address (IPv4 address or
// IPv6 /64), so one source cannot use up the node's budget, and a global
// budget for the node. Initiations that come through relays are counted
// by the neighbour that relayed them (its hop is authenticated; their
// source address is only the relay's), and all of them together have a
// budget of their own within the global one, so that members cannot
// flood a node through relays nor crowd out direct initiations.
// Fixed-size tables, no allocation.
#pragma once

#include <array>
#include <cstdint>

#include "engine/endpoint.h"
#include "engine/timers.h"

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

  // Through relays: per relaying neighbour, 20 in a burst, then 20 a
  // second (a relay carries many nodes' renewals); in all, a quarter of
  // the global budget.
  static constexpr uint64_t kPerNeighbourBurst = 20;
  static constexpr uint64_t kPerNeighbourRate = 20;
  static constexpr uint64_t kRelayedRate = kInitRatePerSec / 4;
  static constexpr size_t kNeighbourSlots = 256;

  InitiationLimiter();
  bool allow(const Endpoint& from, uint64_t now_ns);
  // An initiation relayed to us by the neighbour with this node id.
  bool allow_relayed(const std::array<uint8_t, 32>& neighbour, uint64_t now_ns);

 private:
  struct Slot {
    uint64_t key = 0;
    RateBucket bucket;
  };
  bool allow_in(Slot* slots, size_t n, uint64_t key, uint64_t interval_ns, uint64_t burst,
                uint64_t now_ns);
  uint64_t seed_;
  RateBucket global_;
  RateBucket relayed_;
  std::array<Slot, kSlots> slots_{};
  std::array<Slot, kNeighbourSlots> neighbour_slots_{};
};

}  // namespace braid::engine
