// Switch mode: the MAC table, an open-addressing hash table with linear
// probing inside a bounded window and backward-shift deletion, allocated
// once. When a new MAC finds its window full, the entry seen longest ago
// in that window gives way: MACs in use are refreshed by every frame, so a
// spray of fresh source MACs evicts its own earlier entries (and forgotten
// ones) before the MACs that carry traffic, and the table keeps following
// the network as it is now rather than freezing on what it saw first.
#include "engine/switch.h"

#include <sodium.h>

#include <algorithm>
#include <limits>

namespace braid::engine {

namespace {

constexpr size_t kEthHeader = 14;
constexpr size_t kTaggedHeader = 18;   // with one 802.1Q / 802.1ad tag
constexpr uint16_t kEtherTypeVlan = 0x8100;
constexpr uint16_t kEtherTypeQinQ = 0x88a8;

uint64_t mac_at(const uint8_t* p) {
  uint64_t mac = 0;
  for (int i = 0; i < 6; ++i) mac = (mac << 8) | p[i];
  return mac;
}

// The VLAN a frame belongs to: the first tag's id, the one a switch port
// sees (an 802.1ad frame is switched by its outer, service VLAN). Untagged
// and priority-tagged (id 0) frames share VLAN 0, as on a real port.
// False when the frame is too short for its Ethernet header and tag.
bool frame_vlan(std::span<const uint8_t> f, uint64_t& vlan) {
  if (f.size() < kEthHeader) return false;
  uint16_t type = static_cast<uint16_t>(f[12] << 8 | f[13]);
  if (type != kEtherTypeVlan && type != kEtherTypeQinQ) {
    vlan = 0;
    return true;
  }
  if (f.size() < kTaggedHeader) return false;
  vlan = static_cast<uint64_t>((f[14] << 8 | f[15]) & 0x0fff);
  return true;
}

}  // namespace

SwitchForwarder::SwitchForwarder(uint64_t timeout_ns, size_t capacity)
    // home() scales a 32-bit hash by the capacity.
    : timeout_ns_(timeout_ns),
      capacity_(std::min<size_t>(capacity, std::numeric_limits<uint32_t>::max())),
      window_(std::min(kProbeWindow, capacity_)),
      slots_(new Slot[capacity_]) {
  randombytes_buf(seed_.data(), seed_.size());
}

// SipHash with a key of our own: without it, a peer could pick source
// MACs that share one window and push out the entries of its choice.
size_t SwitchForwarder::home(uint64_t key) const {
  uint8_t in[8];
  for (int i = 0; i < 8; ++i) in[i] = static_cast<uint8_t>(key >> (8 * i));
  uint8_t out[crypto_shorthash_BYTES];
  crypto_shorthash(out, in, sizeof in, seed_.data());
  uint64_t h = 0;
  for (int i = 0; i < 4; ++i) h = (h << 8) | out[i];
  // Multiply and shift rather than modulo: any capacity, no division.
  return static_cast<size_t>((h * static_cast<uint64_t>(capacity_)) >> 32);
}

SwitchForwarder::Slot* SwitchForwarder::find(uint64_t key) {
  if (capacity_ == 0) return nullptr;
  size_t i = home(key);
  for (size_t d = 0; d < window_; ++d, i = next(i)) {
    if (slots_[i].key == key) return &slots_[i];
    // Backward shifts leave no gap between a key's home and its slot.
    if (slots_[i].key == 0) return nullptr;
  }
  return nullptr;
}

// Empties slot i and pulls later entries of the cluster back into the gap
// when that keeps them between their home and where they were, so lookups
// never meet a gap before their key. Only entries less than a window past
// the gap can move into it.
void SwitchForwarder::erase(size_t i) {
  --size_;
  size_t hole = i;
  slots_[hole] = Slot{};
  for (size_t j = next(hole); slots_[j].key != 0 && distance(hole, j) < window_; j = next(j)) {
    if (distance(home(slots_[j].key), j) >= distance(hole, j)) {
      slots_[hole] = slots_[j];
      slots_[j] = Slot{};
      hole = j;
    }
  }
}

// One round of the table from an empty slot. A slot is looked at again
// after an erase, since erase() may have moved a later entry into it.
// Entries only move back into a gap at or after the slot being looked at,
// and never across the empty slot the round started from: none is
// skipped. (Starting anywhere else, the shifts in a full table could wrap
// round and carry an entry not yet seen into a slot already passed.)
template <class Pred>
void SwitchForwarder::erase_if(Pred pred) {
  if (size_ == 0) return;
  if (size_ == capacity_) {
    size_t i = 0;
    while (i < capacity_ && !pred(slots_[i])) ++i;
    if (i == capacity_) return;
    erase(i);
  }
  size_t start = 0;
  while (slots_[start].key != 0) ++start;
  for (size_t n = 1, i = next(start); n < capacity_; ++n, i = next(i)) {
    while (slots_[i].key != 0 && pred(slots_[i])) erase(i);
  }
}

std::span<Peer* const> SwitchForwarder::destinations(std::span<const uint8_t> packet) {
  uint64_t vlan;
  if (!frame_vlan(packet, vlan)) return {};
  // Broadcast and multicast (the group bit of the first octet) flood.
  if (packet[0] & 1) return peers_;
  Slot* s = find(kUsed | vlan << 48 | mac_at(&packet[0]));
  if (s == nullptr || stale(*s, now_ns_)) return peers_;
  unicast_[0] = s->peer;
  return {unicast_, 1};
}

void SwitchForwarder::learn(std::span<const uint8_t> packet, Peer* from, uint64_t now_ns) {
  uint64_t vlan;
  if (from == nullptr || capacity_ == 0 || !frame_vlan(packet, vlan)) return;
  // A group address is never a frame's sender: learning it would turn a
  // flooded destination into a unicast one chosen by the sender.
  if (packet[6] & 1) return;
  now_ns_ = std::max(now_ns_, now_ns);
  uint64_t key = kUsed | vlan << 48 | mac_at(&packet[6]);
  size_t i = home(key);
  Slot* oldest = nullptr;
  for (size_t d = 0; d < window_; ++d, i = next(i)) {
    Slot& s = slots_[i];
    if (s.key == key || s.key == 0) {
      if (s.key == 0) ++size_;
      // A MAC that moves to another peer follows it at once.
      s = Slot{key, now_ns, from};
      return;
    }
    if (oldest == nullptr || s.last_seen_ns < oldest->last_seen_ns) oldest = &s;
  }
  *oldest = Slot{key, now_ns, from};
}

void SwitchForwarder::expire(uint64_t now_ns) {
  now_ns_ = std::max(now_ns_, now_ns);
  erase_if([&](const Slot& s) { return stale(s, now_ns_); });
}

void SwitchForwarder::learnt(std::vector<LearntAddress>* out) const {
  for (size_t i = 0; i < capacity_; ++i) {
    const Slot& s = slots_[i];
    if (s.key == 0 || stale(s, now_ns_)) continue;
    uint64_t key = s.key & ~kUsed;
    out->push_back({static_cast<uint16_t>(key >> 48), key & 0xFFFFFFFFFFFFull, s.peer,
                    s.last_seen_ns});
  }
}

void SwitchForwarder::peer_added(Peer* peer) {
  if (std::find(peers_.begin(), peers_.end(), peer) == peers_.end()) peers_.push_back(peer);
}

void SwitchForwarder::peer_removed(Peer* peer) {
  peers_.erase(std::remove(peers_.begin(), peers_.end(), peer), peers_.end());
  erase_if([&](const Slot& s) { return s.peer == peer; });
}

}  // namespace braid::engine
