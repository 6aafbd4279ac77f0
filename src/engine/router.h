// Router mode (tun networks): every node claims the subnets behind it, and
// an IP packet read from the device goes to the one peer whose claim
// contains its destination, the longest matching prefix winning, IPv4 and
// IPv6 alike. A destination no peer claims is dropped (the caller counts
// it): unlike a switch, a router has no one to ask, and flooding every
// peer with traffic for an address nobody owns would only multiply it.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "engine/forward.h"
#include "identity/prefix.h"

namespace braid::engine {

class RouterForwarder final : public Forwarder {
 public:
  // Claims kept per peer; the rest of a longer list is ignored. Bounds what
  // one peer can make every lookup and every rebuild cost.
  static constexpr size_t kMaxClaimsPerPeer = 64;

  // At most one peer: the owner of the longest claim containing the
  // packet's destination. Empty for an unclaimed destination, a packet
  // that is not IPv4 or IPv6 or too short to hold its destination, and
  // for multicast and broadcast destinations (router mode does not flood).
  // Never allocates.
  std::span<Peer* const> destinations(std::span<const uint8_t> packet) override;
  // Nothing to do until the peer claims something.
  void peer_added(Peer* peer) override;
  // Forgets every claim of the peer.
  void peer_removed(Peer* peer) override;

  // Replaces the peer's claims with `claims` (an empty list withdraws them
  // all). Entries of another family than 4 or 6 or with a length past the
  // family's are ignored, bits past the length are cleared, a prefix the
  // list repeats counts once, and at most kMaxClaimsPerPeer are kept.
  // Returns how many were kept, so the caller can tell what was ignored.
  //
  // When two peers claim the same prefix, the later claim wins, and when
  // it is withdrawn the earlier one is in force again. A claim's age is
  // when the peer began to claim that prefix: sending the same list again
  // does not make its claims newer, so two peers that both keep
  // re-announcing one prefix do not take it from each other in turn.
  size_t set_claims(Peer* peer, std::span<const identity::IpPrefix> claims);

  // The peer a destination address (4 bytes for family 4, 16 for family 6)
  // is routed to, or nullptr. Never allocates.
  Peer* route(uint8_t family, std::span<const uint8_t> address) const;

  // Number of claim entries held, over all peers (a prefix two peers
  // claim counts twice).
  size_t size() const { return size_; }

 private:
  // An address as a 128-bit number, big-endian: IPv4 in the top 32 bits.
  struct Key {
    uint64_t hi = 0, lo = 0;
    auto operator<=>(const Key&) const = default;
  };
  struct Entry {
    Key key;        // bits past len are zero
    uint8_t len;
    uint64_t since;  // when the peer began to claim it: larger is newer
    Peer* peer;
  };
  // The entries of one prefix length: a sorted run of Table::entries.
  struct Group {
    uint8_t len;
    Key mask;
    size_t begin, end;
  };
  struct Table {
    std::vector<Entry> entries;   // by length descending, key, newest first
    std::vector<Group> groups;    // by length descending
  };
  struct Claim {
    identity::IpPrefix prefix;
    uint64_t since;
  };

  static Key key_of(std::span<const uint8_t> address);
  static Key mask_of(uint8_t len);
  static Peer* find(const Table& table, Key address);
  void rebuild();

  std::unordered_map<Peer*, std::vector<Claim>> claims_;
  Table v4_, v6_;
  uint64_t clock_ = 0;   // numbers set_claims() calls, for claim ages
  size_t size_ = 0;
  Peer* unicast_[1] = {nullptr};   // the span destinations() returns
};

}  // namespace braid::engine
