// Router mode's forwarding table. Claims change rarely (a peer connects,
// announces, goes away), packets are looked up all the time, so every
// change rebuilds, per family, one array of entries sorted by prefix
// length (longest first) and address, cut into one run per length. A
// lookup masks the destination to each length present, longest first,
// and binary-searches that run: O(L log n) for L distinct lengths (at most
// 33 or 129) and n claims, no allocation. The first hit is the longest
// match, and among the claims of that very prefix the newest sorts first.
#include "engine/router.h"

#include <algorithm>

namespace braid::engine {

namespace {

constexpr size_t kIpv4Header = 20;
constexpr size_t kIpv4Dst = 16;
constexpr size_t kIpv6Header = 40;
constexpr size_t kIpv6Dst = 24;

bool valid(const identity::IpPrefix& p) {
  return (p.family == 4 || p.family == 6) && p.len <= p.addr_len() * 8;
}

// The prefix as a claim: the bits past its length cleared, and for IPv4
// the unused bytes too, so equal claims compare equal.
identity::IpPrefix network(const identity::IpPrefix& p) {
  identity::IpPrefix n = p;
  for (size_t i = p.len; i < n.addr.size() * 8; ++i)
    n.addr[i / 8] &= static_cast<uint8_t>(~(0x80u >> (i % 8)));
  return n;
}

}  // namespace

RouterForwarder::Key RouterForwarder::key_of(std::span<const uint8_t> address) {
  Key k;
  for (size_t i = 0; i < 16; ++i) {
    const uint64_t b = i < address.size() ? address[i] : 0;
    if (i < 8)
      k.hi = k.hi << 8 | b;
    else
      k.lo = k.lo << 8 | b;
  }
  return k;
}

RouterForwarder::Key RouterForwarder::mask_of(uint8_t len) {
  constexpr uint64_t kAll = ~uint64_t{0};
  Key m;
  m.hi = len >= 64 ? kAll : len == 0 ? 0 : kAll << (64 - len);
  m.lo = len <= 64 ? 0 : len >= 128 ? kAll : kAll << (128 - len);
  return m;
}

Peer* RouterForwarder::find(const Table& table, Key address) {
  for (const Group& g : table.groups) {
    const Key k{address.hi & g.mask.hi, address.lo & g.mask.lo};
    const auto first = table.entries.begin() + static_cast<std::ptrdiff_t>(g.begin);
    const auto last = table.entries.begin() + static_cast<std::ptrdiff_t>(g.end);
    const auto it = std::lower_bound(first, last, k,
                                     [](const Entry& e, const Key& key) { return e.key < key; });
    if (it != last && it->key == k) return it->peer;
  }
  return nullptr;
}

Peer* RouterForwarder::route(uint8_t family, std::span<const uint8_t> address) const {
  if (family == 4 && address.size() == 4) return find(v4_, key_of(address));
  if (family == 6 && address.size() == 16) return find(v6_, key_of(address));
  return nullptr;
}

std::span<Peer* const> RouterForwarder::destinations(std::span<const uint8_t> packet) {
  if (packet.empty()) return {};
  Peer* peer = nullptr;
  switch (packet[0] >> 4) {
    case 4: {
      if (packet.size() < kIpv4Header) return {};
      const auto dst = packet.subspan(kIpv4Dst, 4);
      // Multicast (224.0.0.0/4) and the limited broadcast belong to no one
      // peer: router mode forwards unicast only, even under a default route.
      if ((dst[0] & 0xf0) == 0xe0) return {};
      if (dst[0] == 0xff && dst[1] == 0xff && dst[2] == 0xff && dst[3] == 0xff) return {};
      peer = find(v4_, key_of(dst));
      break;
    }
    case 6: {
      if (packet.size() < kIpv6Header) return {};
      const auto dst = packet.subspan(kIpv6Dst, 16);
      if (dst[0] == 0xff) return {};   // multicast, ff00::/8
      peer = find(v6_, key_of(dst));
      break;
    }
    default:
      return {};
  }
  if (peer == nullptr) return {};
  unicast_[0] = peer;
  return {unicast_, 1};
}

void RouterForwarder::peer_added(Peer*) {}

void RouterForwarder::peer_removed(Peer* peer) {
  if (claims_.erase(peer) > 0) rebuild();
}

size_t RouterForwarder::set_claims(Peer* peer, std::span<const identity::IpPrefix> claims) {
  if (peer == nullptr) return 0;
  const uint64_t now = ++clock_;
  const auto old = claims_.find(peer);
  std::vector<Claim> kept;
  kept.reserve(std::min(claims.size(), kMaxClaimsPerPeer));
  for (const identity::IpPrefix& c : claims) {
    if (kept.size() == kMaxClaimsPerPeer) break;
    if (!valid(c)) continue;
    const identity::IpPrefix p = network(c);
    if (std::any_of(kept.begin(), kept.end(), [&](const Claim& k) { return k.prefix == p; }))
      continue;
    uint64_t since = now;
    if (old != claims_.end()) {
      for (const Claim& o : old->second)
        if (o.prefix == p) since = o.since;
    }
    kept.push_back({p, since});
  }
  const size_t n = kept.size();
  if (n == 0) {
    if (old != claims_.end()) claims_.erase(old);
  } else if (old != claims_.end()) {
    old->second = std::move(kept);
  } else {
    claims_.emplace(peer, std::move(kept));
  }
  rebuild();
  return n;
}

void RouterForwarder::rebuild() {
  v4_ = Table{};
  v6_ = Table{};
  size_ = 0;
  for (const auto& [peer, list] : claims_) {
    for (const Claim& c : list) {
      Table& t = c.prefix.family == 4 ? v4_ : v6_;
      t.entries.push_back(
          {key_of({c.prefix.addr.data(), c.prefix.addr_len()}), c.prefix.len, c.since, peer});
      ++size_;
    }
  }
  for (Table* t : {&v4_, &v6_}) {
    std::sort(t->entries.begin(), t->entries.end(), [](const Entry& a, const Entry& b) {
      if (a.len != b.len) return a.len > b.len;
      if (a.key != b.key) return a.key < b.key;
      return a.since > b.since;
    });
    for (size_t i = 0; i < t->entries.size();) {
      size_t j = i;
      while (j < t->entries.size() && t->entries[j].len == t->entries[i].len) ++j;
      t->groups.push_back({t->entries[i].len, mask_of(t->entries[i].len), i, j});
      i = j;
    }
  }
}

}  // namespace braid::engine
