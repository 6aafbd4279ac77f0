// The receiver's reorder buffer.
//
// Invariants, after every public call:
//   - the place of next_ is never held (it would have been delivered);
//   - every held place is a counter in (next_, next_ + slots), so the ring
//     maps each of them to its own entry;
//   - arrivals_ holds, in arrival order, every held counter and possibly
//     released ones behind the first held (a counter is released exactly
//     when next_ has passed it); its front is held whenever anything is.
// Why arrivals_ never needs more than 2 x slots entries: let f be its front
// (held). While f is held next_ <= f, and f was pushed when next_ > f - slots,
// so every counter pushed after f lies in (f - slots, f + slots); a counter
// is held at most once per sequence (once passed it is late), so they are
// distinct: fewer than 2 x slots.
#include "engine/reorder.h"

#include <algorithm>
#include <bit>
#include <utility>

namespace braid::engine {

namespace {

constexpr size_t kMinSlots = 16;

}  // namespace

ReorderBuffer::ReorderBuffer(size_t slots, BufferPool& pool,
                             std::function<void(PacketBuf*)> deliver)
    : pool_(pool),
      deliver_(std::move(deliver)),
      slots_(std::bit_ceil(std::max(slots, kMinSlots))),
      mask_(slots_.size() - 1),
      arrivals_(2 * slots_.size()) {}

void ReorderBuffer::release(Slot& s) {
  PacketBuf* buf = s.buf;
  s = Slot{};
  --held_;
  if (buf != nullptr) {
    ++stats_.reordered;
    deliver_(buf);
  }
}

void ReorderBuffer::release_run() {
  // held_ first: the place past kMaxCounter is never held, and must not
  // be looked up (it shares an entry with a counter of the window).
  while (held_ > 0 && slot(next_).present) {
    release(slot(next_));
    ++next_;
  }
}

uint64_t ReorderBuffer::skip_to(uint64_t target) {
  uint64_t gaps = 0;
  bool in_gap = false;
  while (next_ < target && held_ > 0) {
    Slot& s = slot(next_);
    if (s.present) {
      release(s);
      in_gap = false;
    } else if (!in_gap) {
      ++gaps;
      in_gap = true;
    }
    ++next_;
  }
  // Nothing held below target any more: jump, however far.
  if (next_ < target) {
    if (!in_gap) ++gaps;
    next_ = target;
  }
  return gaps;
}

void ReorderBuffer::trim_arrivals() {
  while (arrivals_size_ > 0 && arrivals_[arrivals_head_] < next_) {
    arrivals_head_ = (arrivals_head_ + 1) % arrivals_.size();
    --arrivals_size_;
  }
}

void ReorderBuffer::push(uint64_t counter, PacketBuf* buf, uint64_t now_ns) {
  now_ns = std::max(now_ns, last_ns_);
  last_ns_ = now_ns;
  // A sender never uses the last counter (wire.h: kMaxCounter); taking it
  // into the sequence would carry next_ past the end. Treated as late.
  if (counter == UINT64_MAX) {
    if (buf != nullptr) {
      ++stats_.late;
      deliver_(buf);
    }
    return;
  }
  if (!started_) {
    started_ = true;
    next_ = counter;
  }
  if (counter < next_) {
    // Its place was given up; one late packet costs TCP less than a loss.
    if (buf != nullptr) {
      ++stats_.late;
      deliver_(buf);
    }
    return;
  }
  if (counter > next_ && counter - next_ < slots_.size() && slot(counter).present) {
    // The replay window lets no duplicate through; should one come all
    // the same, the first copy keeps the place.
    ++stats_.duplicates;
    if (buf != nullptr) pool_.put(buf);
    poll(now_ns);
    return;
  }
  if (counter > next_) {
    if (hold_ns_ == 0) {
      stats_.gaps_skipped += skip_to(counter);
    } else if (counter - next_ >= slots_.size()) {
      ++stats_.overflow;
      skip_to(counter - slots_.size() + 1);
      release_run();
    }
  }
  if (counter == next_) {
    if (buf != nullptr) {
      ++stats_.in_order;
      deliver_(buf);
    }
    ++next_;
    release_run();
  } else {
    Slot& s = slot(counter);
    s.buf = buf;
    s.arrival_ns = now_ns;
    s.present = true;
    ++held_;
    trim_arrivals();
    arrivals_[(arrivals_head_ + arrivals_size_) % arrivals_.size()] = counter;
    ++arrivals_size_;
  }
  trim_arrivals();
  // A hold that was lowered, or a push after the timer was due: give up
  // what has run out now rather than at the next poll.
  poll(now_ns);
}

void ReorderBuffer::poll(uint64_t now_ns) {
  now_ns = std::max(now_ns, last_ns_);
  last_ns_ = now_ns;
  while (held_ > 0) {
    uint64_t oldest = slots_[arrivals_[arrivals_head_] & mask_].arrival_ns;
    if (now_ns - oldest < hold_ns_) break;
    // Give up the gap at next_: the first held place is within slots.
    uint64_t c = next_ + 1;
    while (!slot(c).present) ++c;
    next_ = c;
    ++stats_.gaps_skipped;
    release_run();
    trim_arrivals();
  }
}

void ReorderBuffer::give_up_below(uint64_t counter) {
  if (held_ == 0 || counter <= next_) return;
  stats_.gaps_lost += skip_to(counter);
  release_run();
  trim_arrivals();
}

uint64_t ReorderBuffer::deadline() const {
  if (held_ == 0) return UINT64_MAX;
  uint64_t oldest = slots_[arrivals_[arrivals_head_] & mask_].arrival_ns;
  return hold_ns_ > UINT64_MAX - oldest ? UINT64_MAX : oldest + hold_ns_;
}

void ReorderBuffer::flush() {
  while (held_ > 0) {
    Slot& s = slot(next_);
    if (s.present) release(s);
    ++next_;
  }
  arrivals_head_ = 0;
  arrivals_size_ = 0;
  started_ = false;
}

}  // namespace braid::engine
