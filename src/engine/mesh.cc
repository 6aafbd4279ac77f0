// The mesh: what turns nodes that each know one other into a full mesh.
// Control messages (wire.h ControlType) carry each node's claims (router
// mode forwards by them), the peers it holds sessions with (peer
// exchange) and introductions (hole punching). Nodes heard of become
// candidates, contacted with backoff; only a node's own authenticated
// handshake makes one a peer, so gossip never keeps a dead node alive.
#include <sodium.h>

#include <algorithm>

#include "common/bytes.h"
#include "engine/claims.h"
#include "engine/exchange.h"
#include "engine/node.h"
#include "engine/router.h"
#include "engine/timers.h"

namespace braid::engine {
namespace {

uint64_t jitter(uint64_t range_ns) {
  return randombytes_uniform(static_cast<uint32_t>(range_ns / kNsPerMs)) * kNsPerMs;
}

// Moves a random `limit` of v's elements to its front (a partial
// Fisher-Yates shuffle) and returns how many that is.
size_t choose_random(std::vector<Peer*>& v, size_t limit) {
  size_t n = std::min(v.size(), limit);
  for (size_t i = 0; i < n; ++i)
    std::swap(v[i], v[i + randombytes_uniform(static_cast<uint32_t>(v.size() - i))]);
  return n;
}

// A claim the certificate allows: inside one of its claims, or exactly
// one of its own addresses.
bool claim_allowed(const identity::Certificate& cert, const identity::IpPrefix& claim) {
  for (const identity::IpPrefix& c : cert.claims)
    if (identity::prefix_covers(c, claim)) return true;
  for (const identity::IpPrefix& a : cert.addresses) {
    identity::IpPrefix host = a;
    host.len = a.family == 4 ? 32 : 128;
    if (host == claim) return true;
  }
  return false;
}

}  // namespace

// Every peer sends at least every idle_keepalive_ns() (a quiet pair's
// keepalive); when one is lost, the handshake an overdue peer gets
// (timers.cc) answers within this window.
bool Node::live(const Peer& peer) const {
  uint64_t now = clock_.now_ns();
  return peer.current && peer.announced &&
         now - peer.last_received_ns <=
             idle_keepalive_ns() + uint64_t{cfg_.keepalive_s} * kNsPerSec + kSilenceGraceNs;
}

// Seen at our own address (no NAT), and a probe found that packets reach
// us after a quiet spell (no firewall that forgets us either).
bool Node::direct_path(const Peer& peer) const {
  return peer.seen_us_at && fw_[family(*peer.seen_us_at)].open && seen_at_own_address(peer);
}

// A packet after an idle interval in which neither side sent the other
// anything: whatever state a firewall or NAT keeps for us outlives that
// quiet (or none is needed), so our idle keepalives will do. It comes from
// a peer we asked to keep quiet (timers.cc), which then gets a keepalive
// at once so that it does not find us overdue.
void Node::note_inbound(Peer& peer, uint64_t now) {
  if (!peer.seen_us_at || !seen_at_own_address(peer)) return;
  FirewallProbe& fw = fw_[family(*peer.seen_us_at)];
  uint64_t idle = idle_keepalive_ns();
  uint64_t sent = std::max(peer.last_sent_ns, peer.last_initiation_ns);
  if (fw.open || now - sent < idle || now - peer.last_received_ns < idle) return;
  fw.open = true;
  log_info("packets reach this node after %llu s of quiet (%s): keepalives to idle peers every "
           "%llu s",
           static_cast<unsigned long long>(idle / kNsPerSec), peer.seen_us_at->is_v4() ? "IPv4" : "IPv6",
           static_cast<unsigned long long>(idle / kNsPerSec));
  if (fw.peer == peer.id()) end_probe(fw, now, false);
  send_keepalive(peer);
}

bool Node::seen_at_own_address(const Peer& peer) const {
  if (!peer.seen_us_at) return false;
  for (const Endpoint& e : local_endpoints_)
    if (e == *peer.seen_us_at) return true;
  return false;
}

template <class Write>
void Node::send_control(Peer& peer, Write write, Path* via, bool direct) {
  if (!peer.current) return;
  PacketBuf* b = pool_.get(kHeadroom);
  if (b == nullptr) {
    ++counters_.drop_no_buffer;
    return;
  }
  ByteWriter w({b->data(), b->capacity - b->head - kTagLen});
  write(w);
  if (!w.ok()) {
    pool_.put(b);
    return;
  }
  b->len = w.size();
  ++counters_.control_tx;
  counters_.control_bytes_tx += kTransportOverhead + b->len;
  send_transport(peer, PacketType::kControl, b, via, direct);
}

void Node::send_control_msg(Peer& peer, std::span<const uint8_t> msg, bool direct) {
  send_control(peer, [&](ByteWriter& w) { w.bytes(msg); }, nullptr, direct);
}

// Multi-link (multipath.cc): a path probe or its answer, over that path.
void Node::send_path_probe(Peer& peer, Path& path, bool answer, uint32_t seq, uint64_t time_ns,
                           uint64_t count) {
  send_control(
      peer,
      [&](ByteWriter& w) {
        w.u8(static_cast<uint8_t>(ControlType::kPathProbe));
        write_path_probe(PathProbeMsg{answer, seq, time_ns, count}, w);
      },
      &path);
}

// Multi-link: our links' endpoints, for the peer's links to probe.
void Node::send_links(Peer& peer) {
  std::vector<LinkEndpoint> all;
  for (const Link& l : links_)
    for (const Endpoint& e : l.endpoints) all.push_back({e, l.config().fallback_only});
  if (all.empty()) return;
  send_control(peer, [&](ByteWriter& w) {
    w.u8(static_cast<uint8_t>(ControlType::kLinks));
    write_links(all, w);
  });
}

void Node::send_claims(Peer& peer) {
  send_control(peer, [&](ByteWriter& w) {
    w.u8(static_cast<uint8_t>(ControlType::kClaims));
    write_claims(cfg_.claims, w);
  });
}

void Node::send_peer_list(Peer& to) {
  // Live peers other than `to`, a random kMaxPeerEntries of them when
  // there are more (a partial Fisher-Yates shuffle).
  scratch_.clear();
  for (auto& [id, p] : peers_)
    if (p.get() != &to && live(*p) && shareable(p->endpoint)) scratch_.push_back(p.get());
  size_t n = choose_random(scratch_, kMaxPeerEntries);
  if (n == 0) return;
  std::array<PeerEntry, kMaxPeerEntries> entries;
  for (size_t i = 0; i < n; ++i) entries[i] = PeerEntry{scratch_[i]->id(), scratch_[i]->endpoint};
  send_control(to, [&](ByteWriter& w) {
    w.u8(static_cast<uint8_t>(ControlType::kPeers));
    write_peers(0, {entries.data(), n}, w);
  });
}

// A peer's firewall probe: keep quiet towards it for the time it asks
// (within bounds: at least `keepalive`, at most peer_timeout/2, so that
// it cannot make us go silent for long), then send one keepalive.
void Node::on_probe(Peer& peer, std::span<const uint8_t> body) {
  ByteReader r(body);
  uint16_t secs = r.u16();
  if (!r.done()) {
    ++counters_.drop_control;
    return;
  }
  uint64_t lo = uint64_t{cfg_.keepalive_s} * kNsPerSec;
  uint64_t hi = std::max(lo, uint64_t{cfg_.peer_timeout_s} * kNsPerSec / 2);
  uint64_t quiet = std::clamp<uint64_t>(uint64_t{secs} * kNsPerSec, lo, hi);
  // Two nodes probing each other would each break the other's quiet: the
  // one with the smaller id goes on, the other gives way.
  if (probing(peer)) {
    if (renews_first(peer)) return;
    for (FirewallProbe& fw : fw_)
      if (fw.peer == peer.id()) end_probe(fw, clock_.now_ns(), false);
  }
  peer.quiet_until_ns = clock_.now_ns() + quiet;
}

void Node::send_probe(Peer& peer, uint16_t secs) {
  send_control(peer, [&](ByteWriter& w) {
    w.u8(static_cast<uint8_t>(ControlType::kProbe));
    w.u16(secs);
  });
}

void Node::send_seen(Peer& peer) {
  if (!shareable(peer.endpoint)) return;
  send_control(peer, [&](ByteWriter& w) {
    w.u8(static_cast<uint8_t>(ControlType::kSeen));
    write_seen(peer.endpoint, w);
  });
}

void Node::greet(Peer& peer) {
  // An empty list goes once: a restarted node may have claimed more before.
  send_claims(peer);
  // Where we see it: whether it needs keepalives for a NAT; our other
  // links' endpoints, for its links to probe (not through relays: they
  // are about the direct way).
  if (peer.direct()) {
    send_seen(peer);
    if (links_.size() > 1) send_links(peer);
  }
  if (!cfg_.claims.empty()) peer.claims_resend_ns = clock_.now_ns() + kClaimsResendNs;
  if (!cfg_.peer_exchange) return;
  send_peer_list(peer);
  // And up to kAnnounceFanout other peers hear of it now rather than at
  // their next round: each that connects to it does the same, so a node
  // joining anywhere is known everywhere within a few round trips.
  if (!shareable(peer.endpoint)) return;
  scratch_.clear();
  for (auto& [id, p] : peers_)
    if (p.get() != &peer && live(*p)) scratch_.push_back(p.get());
  size_t n = choose_random(scratch_, kAnnounceFanout);
  PeerEntry entry{peer.id(), peer.endpoint};
  for (size_t i = 0; i < n; ++i)
    send_control(*scratch_[i], [&](ByteWriter& w) {
      w.u8(static_cast<uint8_t>(ControlType::kPeers));
      write_peers(0, {&entry, 1}, w);
    });
}

void Node::on_control(Peer& peer, std::span<const uint8_t> msg, Path* path, bool relayed) {
  if (msg.empty()) {
    ++counters_.drop_control;
    return;
  }
  // What is about the direct way between us makes no sense through
  // relays; only neighbours route.
  if (relayed && (msg[0] == static_cast<uint8_t>(ControlType::kSeen) ||
                  msg[0] == static_cast<uint8_t>(ControlType::kProbe) ||
                  msg[0] == static_cast<uint8_t>(ControlType::kLinks) ||
                  msg[0] == static_cast<uint8_t>(ControlType::kRoutes) ||
                  msg[0] == static_cast<uint8_t>(ControlType::kRouteRequest))) {
    ++counters_.drop_control;
    return;
  }
  ++counters_.control_rx;
  auto body = msg.subspan(1);
  switch (msg[0]) {
    case static_cast<uint8_t>(ControlType::kClose):
      remove_peer(peer.id(), "closed the session");
      return;
    case static_cast<uint8_t>(ControlType::kClaims):
      on_claims(peer, body);
      return;
    case static_cast<uint8_t>(ControlType::kPeers):
      if (cfg_.peer_exchange) on_peers(peer, body);
      return;
    case static_cast<uint8_t>(ControlType::kIntroduce):
      if (cfg_.peer_exchange) on_introduce(peer, body);
      return;
    case static_cast<uint8_t>(ControlType::kProbe):
      on_probe(peer, body);
      return;
    case static_cast<uint8_t>(ControlType::kPathProbe):
      on_path_probe(peer, body, path);
      return;
    case static_cast<uint8_t>(ControlType::kLinks):
      on_links(peer, body);
      return;
    case static_cast<uint8_t>(ControlType::kRoutes):
      on_routes(peer, body);
      return;
    case static_cast<uint8_t>(ControlType::kRouteRequest):
      on_route_request(peer, body);
      return;
    case static_cast<uint8_t>(ControlType::kUnlink): {
      if (!body.empty() || relayed) {
        ++counters_.drop_control;
        return;
      }
      // (The sender gives up only a tunnel to a node it reaches another
      // way; a node with no bound of its own tries it again once the
      // unlinked time is over.) Both sides drain it for the same time.
      drain(peer, false, clock_.now_ns());
      return;
    }
    case static_cast<uint8_t>(ControlType::kSeen): {
      Endpoint at;
      std::string why;
      if (parse_seen(body, &at, &why)) {
        peer.seen_us_at = at;
      } else {
        ++counters_.drop_control;
        if (log_allowed())
          log_debug("peer %s: bad address report (%s); dropped", peer.name().c_str(), why.c_str());
      }
      return;
    }
    default:
      // A later version's message: authenticated, so only counted.
      ++counters_.drop_control;
      return;
  }
}

void Node::on_claims(Peer& peer, std::span<const uint8_t> body) {
  std::vector<identity::IpPrefix> claims;
  std::string why;
  if (!parse_claims(body, &claims, &why)) {
    ++counters_.drop_control;
    if (log_allowed()) log_warnx("claims of peer %s malformed: %s", peer.name().c_str(), why.c_str());
    return;
  }
  // A certified node may claim only what its certificate grants.
  if (peer.cert) {
    auto refused = std::stable_partition(claims.begin(), claims.end(),
                                         [&](const identity::IpPrefix& c) {
                                           return claim_allowed(*peer.cert, c);
                                         });
    size_t n = static_cast<size_t>(claims.end() - refused);
    if (n) {
      counters_.claims_refused += n;
      if (log_allowed())
        log_warnx("peer %s claims %s%s outside its certificate; ignored", peer.name().c_str(),
                  identity::format_prefix(*refused).c_str(), n > 1 ? " and more" : "");
      claims.erase(refused, claims.end());
    }
  }
  if (claims != peer.claims)
    for (const auto& c : claims)
      log_debug("peer %s claims %s", peer.name().c_str(), identity::format_prefix(c).c_str());
  peer.claims = std::move(claims);
  if (router_) router_->set_claims(&peer, peer.claims);
}

void Node::on_peers(Peer& peer, std::span<const uint8_t> body) {
  uint8_t flags = 0;
  std::vector<PeerEntry> entries;
  std::string why;
  if (!parse_peers(body, &flags, &entries, &why)) {
    ++counters_.drop_control;
    if (log_allowed())
      log_warnx("peer list of peer %s malformed: %s", peer.name().c_str(), why.c_str());
    return;
  }
  bool urgent = flags & kPeersIntroduction;
  for (const PeerEntry& e : entries) learn_peer(e.id, e.endpoint, &peer.id(), urgent);
}

void Node::on_introduce(Peer& peer, std::span<const uint8_t> body) {
  if (body.size() != kIntroduceLen) {
    ++counters_.drop_control;
    return;
  }
  uint64_t now = clock_.now_ns();
  if (now - peer.introduce_window_ns >= kNsPerSec) {
    peer.introduce_window_ns = now;
    peer.introduce_count = 0;
  }
  if (++peer.introduce_count > kIntroducePerSec) {
    ++counters_.drop_rate_limited;
    return;
  }
  NodeId target;
  memcpy(target.data(), body.data(), target.size());
  auto it = peers_.find(target);
  if (it == peers_.end() || it->second.get() == &peer || !live(*it->second) ||
      !shareable(peer.endpoint))
    return;
  // Tell the target where we see the asker, flagged so it sends at once:
  // both then send to each other at the same time.
  PeerEntry entry{peer.id(), peer.endpoint};
  send_control(*it->second, [&](ByteWriter& w) {
    w.u8(static_cast<uint8_t>(ControlType::kPeers));
    write_peers(kPeersIntroduction, {&entry, 1}, w);
  });
}

void Node::learn_peer(const NodeId& id, const Endpoint& at, const NodeId* via, bool urgent) {
  // What a peer tells must be an address anyone could send to; a LAN
  // beacon's source may be IPv6 link-local (the endpoint keeps its scope).
  if (id == id_ || !at.valid() || at.sa.sin6_port == 0 || (via && !shareable(at))) return;
  uint64_t now = clock_.now_ns();
  auto p = peers_.find(id);
  // A peer reached through relays: where it may be reached directly,
  // tried now and then (routing.cc timers_direct).
  if (p != peers_.end() && p->second->current) {
    Peer& peer = *p->second;
    if (!peer.direct() && peer.direct_hint != at) {
      peer.direct_hint = at;
      peer.direct_backoff_ns = 0;
      peer.direct_next_ns = now;
    }
    return;
  }
  // A configured peer's address has its own retry loop (which learns the
  // node id there, to try it through relays too).
  for (Target& t : targets_)
    if (std::find(t.addrs.begin(), t.addrs.end(), at) != t.addrs.end()) {
      if (!t.node && via) t.node = id;
      return;
    }
  auto it = candidates_.find(id);
  if (it == candidates_.end()) {
    if (candidates_.size() >= kMaxCandidates) return;
    it = candidates_.emplace(id, Candidate{}).first;
    it->second.backoff_ns = kCandidateBackoffMinNs;
    ++counters_.peers_learnt;
    log_debug("heard of node %s at %s", short_id(id).c_str(), at.str().c_str());
  }
  Candidate& c = it->second;
  c.heard_ns = now;
  // News may hasten the next attempt, never to less than a second after
  // the last: what a member says cannot make us send faster than that.
  uint64_t soonest = c.last_attempt_ns ? c.last_attempt_ns + kCandidateBackoffMinNs : 0;
  if (via) c.via = *via;
  auto e = std::find(c.endpoints.begin(), c.endpoints.end(), at);
  if (e == c.endpoints.end()) {
    // A new address is the likeliest to work: first, and tried now.
    if (c.endpoints.size() == Candidate::kMaxEndpoints) c.endpoints.pop_back();
    c.endpoints.insert(c.endpoints.begin(), at);
    c.next_endpoint = 0;
    c.next_attempt_ns = soonest;
    c.backoff_ns = kCandidateBackoffMinNs;
  }
  if (urgent) {
    c.next_attempt_ns = soonest;
    c.next_endpoint = static_cast<size_t>(std::find(c.endpoints.begin(), c.endpoints.end(), at) -
                                          c.endpoints.begin());
  }
}

void Node::on_beacon(const Endpoint& from, const NodeId& id) {
  if (id == id_) return;
  // A beacon is easy to replay from a forged source, and each one acted
  // on sends an initiation there: only so many a second are.
  uint64_t now = clock_.now_ns();
  if (now - beacon_window_ns_ >= kNsPerSec) {
    beacon_window_ns_ = now;
    beacon_count_ = 0;
  }
  if (++beacon_count_ > kBeaconsPerSec) {
    ++counters_.drop_rate_limited;
    return;
  }
  ++counters_.beacons_rx;
  auto p = peers_.find(id);
  if (p != peers_.end() && p->second->current) {
    // Already a peer, but reached another way (through a NAT's public
    // address): a handshake at the LAN address moves the session there,
    // since sessions follow their latest authenticated source.
    Peer& peer = *p->second;
    if (peer.endpoint != from && peer.rekey_index == 0 && !peer.next) {
      NodeId pid = peer.id();
      peer.rekey_index = start_initiation(from, -1, &pid, true);
      if (peer.rekey_index) handshakes_[peer.rekey_index]->probe = true;
      peer.rekey_retry_at_ns = clock_.now_ns() + kRekeyRetryNs;
    }
    return;
  }
  learn_peer(id, from, nullptr, true);
}

void Node::timers_mesh(uint64_t now) {
  for (auto& [id, p] : peers_) {
    if (p->claims_resend_ns && now >= p->claims_resend_ns) {
      p->claims_resend_ns = 0;
      send_claims(*p);
    }
  }
  timers_candidates(now);
  if (cfg_.peer_exchange && now >= next_exchange_ns_) {
    if (next_exchange_ns_ != 0) exchange_round(now);
    next_exchange_ns_ = now + kExchangeIntervalNs - kExchangeIntervalNs / 10 +
                        jitter(kExchangeIntervalNs / 5);
  }
}

void Node::timers_candidates(uint64_t now) {
  std::vector<NodeId> done;
  size_t attempts = 0;
  for (auto& [id, c] : candidates_) {
    auto p = peers_.find(id);
    if ((p != peers_.end() && p->second->current) || now - c.heard_ns > kCandidateTtlNs) {
      done.push_back(id);
      continue;
    }
    // Through relays: a node that direct attempts have not reached, or
    // any node once we keep as many direct sessions as max_peers allows.
    bool full = direct_full();
    if ((full || c.attempts >= kRelayAfterAttempts) && now >= c.relay_next_ns &&
        routes_.next_hop(id) && attempts < kCandidateAttemptsPerTick) {
      ++attempts;
      if (c.relay_index) drop_handshake(c.relay_index);
      const NodeId& target = id;
      c.relay_index = start_initiation(Endpoint{}, -1, nullptr, false, -1, &target);
      if (c.relay_index) handshakes_[c.relay_index]->candidate = id;
      c.relay_next_ns = now + kRelayRetryNs + jitter(kRetryJitterNs);
    }
    if (full || now < c.next_attempt_ns || c.endpoints.empty()) continue;
    if (attempts == kCandidateAttemptsPerTick) continue;   // the rest next tick
    ++attempts;
    ++c.attempts;
    c.last_attempt_ns = now;
    if (c.pending_index) drop_handshake(c.pending_index);
    else ++direct_count_;
    const Endpoint& to = c.endpoints[c.next_endpoint++ % c.endpoints.size()];
    c.pending_index = start_initiation(to, -1, nullptr);
    if (c.pending_index) handshakes_[c.pending_index]->candidate = id;
    c.next_attempt_ns = now + c.backoff_ns + jitter(kRetryJitterNs);
    c.backoff_ns = std::min(c.backoff_ns * 2, kCandidateBackoffMaxNs);
    // Behind a NAT it may drop our packets until it sends to us too: ask
    // the peer that told us of it to tell it about us.
    if (c.via && now - c.introduced_ns >= kIntroduceIntervalNs) {
      auto v = peers_.find(*c.via);
      if (v != peers_.end() && live(*v->second)) {
        c.introduced_ns = now;
        const NodeId& target = id;   // a structured binding cannot be captured (C++20)
        send_control(*v->second, [&](ByteWriter& w) {
          w.u8(static_cast<uint8_t>(ControlType::kIntroduce));
          w.bytes(target);
        });
      }
    }
  }
  for (const NodeId& id : done) {
    auto it = candidates_.find(id);
    if (it->second.pending_index) drop_handshake(it->second.pending_index);
    if (it->second.relay_index) drop_handshake(it->second.relay_index);
    candidates_.erase(it);
  }
}

void Node::exchange_round(uint64_t /*now*/) {
  // Up to kExchangeFanout live peers at random get our list (a list of
  // its own each: send_peer_list reuses scratch_).
  // (Not a peer we are keeping quiet towards to see whether a firewall
  // filters us: timers.cc.)
  std::vector<Peer*> to;
  for (auto& [id, p] : peers_)
    if (live(*p) && p->quiet_until_ns == 0 && !probing(*p)) to.push_back(p.get());
  size_t n = choose_random(to, kExchangeFanout);
  for (size_t i = 0; i < n; ++i) send_peer_list(*to[i]);
}

}  // namespace braid::engine
