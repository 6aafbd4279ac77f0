#include "engine/link.h"

#include <algorithm>

namespace braid::engine {

Link::Link(const LinkConfig& cfg) : cfg_(cfg) {
  if (cfg_.bandwidth == 0) return;   // unpaced: nothing ever waits
  uint64_t rate = cfg_.bandwidth;
  auto at_rate = [rate](uint64_t ns) {
    return static_cast<uint64_t>(static_cast<unsigned __int128>(rate) * ns / kNsPerSec);
  };
  pacer_.emplace(rate, std::max(at_rate(kPacerBurstNs), kPacerMinBurst));
  max_queued_bytes_ = std::max<uint64_t>(at_rate(kLinkQueueNs), kLinkQueueMinBytes);
  // Entries for full-sized datagrams and a good many small ones (ACKs).
  ring_.resize(std::clamp<size_t>(max_queued_bytes_ / 256, 64, 4096));
}

uint64_t Link::share() const {
  return cfg_.bandwidth ? cfg_.bandwidth : uint64_t{cfg_.weight} * 125000;
}

uint64_t Link::backlog_ns(uint32_t wire, uint64_t now_ns) {
  if (!pacer_) return 0;
  uint64_t need = queued_bytes_ + wire;
  uint64_t have = pacer_->available(now_ns);
  if (need <= have) return 0;
  return static_cast<uint64_t>(static_cast<unsigned __int128>(need - have) * kNsPerSec /
                               pacer_->rate());
}

bool Link::send_now(uint32_t wire, uint64_t now_ns) {
  if (!pacer_) return true;
  return count_ == 0 && pacer_->take(wire, now_ns);
}

void Link::charge(uint32_t wire, uint64_t now_ns) {
  if (pacer_) pacer_->charge(wire, now_ns);
}

bool Link::enqueue(const Endpoint& to, PacketBuf* buf, uint32_t wire) {
  if (ring_.empty() || count_ == ring_.size() || queued_bytes_ + wire > max_queued_bytes_) {
    ++stats.drop_queue;
    return false;
  }
  ring_[(head_ + count_) % ring_.size()] = Item{buf, to, wire};
  ++count_;
  queued_bytes_ += wire;
  return true;
}

uint64_t Link::next_ready_ns(uint64_t now_ns) {
  if (count_ == 0 || !pacer_) return UINT64_MAX;
  return pacer_->ready_at(ring_[head_].wire, now_ns);
}

void Link::clear(BufferPool& pool) {
  while (count_ > 0) {
    pool.put(ring_[head_].buf);
    ring_[head_] = Item{};
    head_ = (head_ + 1) % ring_.size();
    --count_;
  }
  queued_bytes_ = 0;
}

}  // namespace braid::engine
