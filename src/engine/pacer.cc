#include "engine/pacer.h"

#include <algorithm>

#include "common/clock.h"

namespace braid::engine {

Pacer::Pacer(uint64_t rate_bytes_per_s, uint64_t burst_bytes)
    : rate_(std::max<uint64_t>(rate_bytes_per_s, 1)),
      burst_(std::max<uint64_t>(burst_bytes, 1)),
      tokens_(burst_) {}

void Pacer::refill(uint64_t now_ns) {
  if (!started_) {
    started_ = true;
    last_ns_ = now_ns;
    return;
  }
  if (now_ns <= last_ns_) return;   // a clock that stood still or went back
  uint64_t elapsed = now_ns - last_ns_;
  last_ns_ = now_ns;
  if (tokens_ >= burst_) {
    carry_ = 0;
    return;
  }
  // elapsed x rate can pass 2^64 (an hour at 10 Gbit/s): 128 bits.
  unsigned __int128 scaled = static_cast<unsigned __int128>(elapsed) * rate_ + carry_;
  unsigned __int128 whole = scaled / kNsPerSec;
  carry_ = static_cast<uint64_t>(scaled % kNsPerSec);
  if (debt_ > 0) {
    if (whole <= debt_) {
      debt_ -= static_cast<uint64_t>(whole);
      return;
    }
    whole -= debt_;
    debt_ = 0;
  }
  uint64_t room = burst_ - tokens_;
  if (whole >= room) {
    tokens_ = burst_;
    carry_ = 0;
  } else {
    tokens_ += static_cast<uint64_t>(whole);
  }
}

uint64_t Pacer::available(uint64_t now_ns) {
  refill(now_ns);
  return tokens_;
}

bool Pacer::take(uint64_t bytes, uint64_t now_ns) {
  refill(now_ns);
  if (bytes > tokens_) return false;
  tokens_ -= bytes;
  return true;
}

void Pacer::charge(uint64_t bytes, uint64_t now_ns) {
  refill(now_ns);
  if (bytes <= tokens_) {
    tokens_ -= bytes;
    return;
  }
  debt_ += bytes - tokens_;
  tokens_ = 0;
}

uint64_t Pacer::ready_at(uint64_t bytes, uint64_t now_ns) {
  refill(now_ns);
  if (bytes <= tokens_) return now_ns;
  if (bytes > burst_) return UINT64_MAX;
  // Bytes still missing (and any debt), less the fraction already
  // carried, at rate_.
  unsigned __int128 need =
      static_cast<unsigned __int128>(bytes + debt_ - tokens_) * kNsPerSec - carry_;
  unsigned __int128 wait = (need + rate_ - 1) / rate_;
  return now_ns + static_cast<uint64_t>(wait);
}

void Pacer::set_rate(uint64_t rate_bytes_per_s, uint64_t burst_bytes) {
  rate_ = std::max<uint64_t>(rate_bytes_per_s, 1);
  burst_ = std::max<uint64_t>(burst_bytes, 1);
  tokens_ = std::min(tokens_, burst_);
}

}  // namespace braid::engine
