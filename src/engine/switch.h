// Switch mode (tap networks): a learning Ethernet switch. The source MAC of
// every frame a peer sends us is remembered per VLAN, and frames for a
// known MAC go to that peer alone; the rest floods to every peer.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "engine/forward.h"

namespace braid::engine {

class SwitchForwarder final : public Forwarder {
 public:
  // How many slots past its home a MAC may sit. Bounds every lookup, every
  // insertion and every shift after a deletion, whatever the load: a peer
  // spraying MACs costs us at most this many probes per frame.
  static constexpr size_t kProbeWindow = 16;

  // Entries unseen for timeout_ns are forgotten (dst_timeout). The table
  // holds at most `capacity` entries (0: nothing is learnt, all floods),
  // allocated here once; learning never allocates.
  explicit SwitchForwarder(uint64_t timeout_ns, size_t capacity = 65536);

  std::span<Peer* const> destinations(std::span<const uint8_t> packet) override;
  void peer_added(Peer* peer) override;
  // Purges the peer's entries even if it was never added, so a peer that
  // was learnt from is never left behind as a dangling pointer.
  void peer_removed(Peer* peer) override;
  void learn(std::span<const uint8_t> packet, Peer* from, uint64_t now_ns) override;
  void expire(uint64_t now_ns) override;
  void learnt(std::vector<LearntAddress>* out) const override;

  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }

 private:
  // A key is (VLAN id << 48) | MAC; kUsed marks an occupied slot, since
  // VLAN 0 with the all-zero MAC is itself a valid key.
  static constexpr uint64_t kUsed = uint64_t{1} << 63;
  struct Slot {
    uint64_t key = 0;   // 0: empty
    uint64_t last_seen_ns = 0;
    Peer* peer = nullptr;
  };

  size_t home(uint64_t key) const;
  size_t next(size_t i) const { return i + 1 == capacity_ ? 0 : i + 1; }
  // Cyclic distance from slot `from` forward to slot `to`.
  size_t distance(size_t from, size_t to) const {
    return to >= from ? to - from : to + capacity_ - from;
  }
  Slot* find(uint64_t key);
  void erase(size_t i);
  bool stale(const Slot& s, uint64_t now_ns) const {
    return now_ns > s.last_seen_ns && now_ns - s.last_seen_ns > timeout_ns_;
  }
  template <class Pred> void erase_if(Pred pred);

  uint64_t timeout_ns_;
  size_t capacity_;
  size_t window_;   // kProbeWindow, or less in a smaller table
  size_t size_ = 0;
  // The latest time learn() or expire() was told: destinations() has no
  // clock, and an entry past its timeout must not be used in the second
  // before expire() removes it.
  uint64_t now_ns_ = 0;
  std::array<uint8_t, 16> seed_;   // SipHash key: MACs come from the network
  std::unique_ptr<Slot[]> slots_;
  std::vector<Peer*> peers_;   // the flood list
  Peer* unicast_[1] = {nullptr};   // the span of a known destination
};

}  // namespace braid::engine
