// The receiver's reorder buffer (multi-link): one session's packets come
// over several paths with different delays, and TCP reads reordering as
// loss, so they are put back in counter order before the device sees
// them. The sequence is the transport counter of the session's keypair:
// the sender takes one for every packet (data, keepalive, control), in
// sending order, and the replay window has already dropped duplicates
// and anything too old.
//
// A missing counter (a gap) holds what comes after it for at most
// hold_ns: every held place is released within hold_ns of its own
// arrival, so the gap in front of it is given up when the oldest place
// held behind it has waited hold_ns. A lost packet therefore stalls the
// session for one hold at most, and hold 0 (a single path) holds nothing.
//
// A ring of `slots` places indexed by counter, allocated once; a second
// ring keeps the held counters in arrival order, so the oldest arrival
// (the next deadline) is known without a scan. Nothing allocates per
// packet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "engine/pool.h"

namespace braid::engine {

class ReorderBuffer {
 public:
  struct Stats {
    uint64_t in_order = 0;      // delivered on arrival: it was the next counter
    uint64_t reordered = 0;     // held, then released in order
    uint64_t late = 0;          // arrived after its place was given up: delivered at once
    uint64_t gaps_skipped = 0;  // gaps given up because their hold ran out
    uint64_t overflow = 0;      // pushes `slots` or more ahead: places given up early
    uint64_t duplicates = 0;    // a counter already held: its buffer went back to the pool
    uint64_t gaps_lost = 0;     // gaps given up early by give_up_below
  };

  // slots: how far ahead of the next expected counter a packet may be
  // held; rounded up to a power of two, at least 16. deliver is called for
  // each released packet, in counter order, and takes the buffer; it must
  // not call back into this buffer. The hold starts at 0.
  ReorderBuffer(size_t slots, BufferPool& pool, std::function<void(PacketBuf*)> deliver);
  ReorderBuffer(const ReorderBuffer&) = delete;
  ReorderBuffer& operator=(const ReorderBuffer&) = delete;

  // How long a packet may wait for an earlier one before the gap is given
  // up: the node sets it from the paths' RTT spread. Applies to what is
  // already held too (at the next push or poll).
  void set_hold(uint64_t hold_ns) { hold_ns_ = hold_ns; }
  uint64_t hold() const { return hold_ns_; }

  // A packet with this counter arrived at now_ns (times never go back).
  // buf == nullptr: the counter carried nothing to deliver (keepalive,
  // control message) but fills its place in the sequence.
  void push(uint64_t counter, PacketBuf* buf, uint64_t now_ns);
  // Gives up every gap behind which something has waited hold_ns or
  // longer, releasing what follows in order.
  void poll(uint64_t now_ns);
  // Every counter below `counter` not yet arrived is lost (the caller
  // knows: each path has delivered a later one, and paths keep order):
  // gives up those gaps now rather than after the hold. Nothing happens
  // while nothing is held.
  void give_up_below(uint64_t counter);
  // When poll() has something to do next: the oldest held arrival plus the
  // hold (UINT64_MAX: nothing held).
  uint64_t deadline() const;
  // Delivers everything held, in order, and forgets the sequence: the
  // next push starts a new one (a new keypair).
  void flush();

  // Places held, keepalive places included.
  size_t held() const { return held_; }
  size_t slots() const { return slots_.size(); }
  const Stats& stats() const { return stats_; }

 private:
  struct Slot {
    PacketBuf* buf = nullptr;
    uint64_t arrival_ns = 0;
    bool present = false;
  };

  Slot& slot(uint64_t counter) { return slots_[counter & mask_]; }
  // Delivers what is held at next_ and after it in a row.
  void release_run();
  // Moves next_ to target, delivering what is held below it in order;
  // returns the gaps passed over.
  uint64_t skip_to(uint64_t target);
  void release(Slot& s);
  // Drops released counters from the front of the arrival ring.
  void trim_arrivals();

  BufferPool& pool_;
  std::function<void(PacketBuf*)> deliver_;
  std::vector<Slot> slots_;
  uint64_t mask_;
  // Held counters in arrival order. A counter is still held exactly when
  // it is >= next_; released ones are dropped from the front lazily, and
  // at most 2 x slots are ever in it (see reorder.cc).
  std::vector<uint64_t> arrivals_;
  size_t arrivals_head_ = 0;
  size_t arrivals_size_ = 0;

  uint64_t hold_ns_ = 0;
  uint64_t next_ = 0;        // next expected counter
  uint64_t last_ns_ = 0;     // latest time seen: a clock that went back is held here
  size_t held_ = 0;
  bool started_ = false;     // next_ is defined
  Stats stats_;
};

}  // namespace braid::engine
