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
  // Seeded so a stranger cannot pick addresses that share a slot. A
  // collision only resets the slot, which errs towards letting through.
  uint64_t h = (key ^ seed_) * 0x9e3779b97f4a7c15ull;
  Slot& slot = slots_[(h >> 40) % kSlots];
  if (slot.key != key) {
    slot.key = key;
    slot.bucket = RateBucket{};
  }
  if (!slot.bucket.allow(now_ns, kNsPerSec / kPerSourceRate, kPerSourceBurst)) return false;
  return global_.allow(now_ns, kNsPerSec / kInitRatePerSec, kInitRatePerSec);
}

}  // namespace braid::engine
