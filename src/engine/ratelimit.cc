// Initiation rate limiting.
#include "engine/ratelimit.h"

#include <sodium.h>

#include <cstring>

#include "common/clock.h"
#include "engine/timers.h"

namespace braid::engine {

bool RateBucket::allow(uint64_t now, uint64_t interval_ns, uint64_t burst) {
  uint64_t tolerance = interval_ns * (burst - 1);
  if (tat > now + tolerance) return false;
  tat = (tat > now ? tat : now) + interval_ns;
  return true;
}

InitiationLimiter::InitiationLimiter() : seed_(randombytes_random() | 1ull) {}

bool InitiationLimiter::allow(const Endpoint& from, uint64_t now_ns) {
  // The key: an IPv4 address whole, an IPv6 address by its /64 (one host
  // usually holds a whole /64).
  uint64_t key;
  if (from.is_v4()) {
    uint32_t v4;
    memcpy(&v4, &from.sa.sin6_addr.s6_addr[12], 4);
    key = (1ull << 32) | v4;
  } else {
    memcpy(&key, &from.sa.sin6_addr.s6_addr[0], 8);
  }
  if (!allow_in(slots_.data(), slots_.size(), key, kNsPerSec / kPerSourceRate, kPerSourceBurst,
                now_ns))
    return false;
  return global_.allow(now_ns, kNsPerSec / kInitRatePerSec, kInitRatePerSec);
}

bool InitiationLimiter::allow_relayed(const std::array<uint8_t, 32>& neighbour, uint64_t now_ns) {
  // Node ids are public keys: their first bytes are as good a key as any.
  uint64_t key;
  memcpy(&key, neighbour.data(), sizeof key);
  if (!allow_in(neighbour_slots_.data(), neighbour_slots_.size(), key,
                kNsPerSec / kPerNeighbourRate, kPerNeighbourBurst, now_ns))
    return false;
  if (!relayed_.allow(now_ns, kNsPerSec / kRelayedRate, kRelayedRate)) return false;
  return global_.allow(now_ns, kNsPerSec / kInitRatePerSec, kInitRatePerSec);
}

bool InitiationLimiter::allow_in(Slot* slots, size_t n, uint64_t key, uint64_t interval_ns,
                                 uint64_t burst, uint64_t now_ns) {
  // Seeded so a stranger cannot pick addresses that share a slot. A
  // collision only resets the slot, which errs towards letting through.
  uint64_t h = (key ^ seed_) * 0x9e3779b97f4a7c15ull;
  Slot& slot = slots[(h >> 40) % n];
  if (slot.key != key) {
    slot.key = key;
    slot.bucket = RateBucket{};
  }
  return slot.bucket.allow(now_ns, interval_ns, burst);
}

}  // namespace braid::engine
