// Bounded tunnels (max_peers): a node keeps at most that many direct
// sessions and reaches every other node through relays. Every
// tunnel_refresh it opens a direct tunnel to a random node it reaches
// through relays and, once that had time to come up (make before break),
// gives up the direct tunnel that carried least traffic since the last
// refresh, which keeps the overlay well connected and its routes short
// as nodes come and go. Giving up a tunnel keeps the session: both sides
// stop using the direct way (kUnlink) and their traffic goes through
// relays, with the same keys. Make before break holds for routes too: for
// kDrainNs first, both sides still use the tunnel but route only what no
// other feasible route carries over it, and ask for the seqnos that make
// the others feasible; then it goes. Cut at once, every route through it
// would starve until those answers came.
#include <sodium.h>

#include "engine/node.h"
#include "engine/timers.h"

namespace braid::engine {
namespace {

// How long a new tunnel has to come up before the least used one goes.
constexpr uint64_t kMakeBeforeBreakNs = 10 * kNsPerSec;

}  // namespace

void Node::drain(Peer& peer, bool tell, uint64_t now) {
  if (!peer.direct() || peer.drain_until_ns != 0) return;
  if (tell) {
    uint8_t msg = static_cast<uint8_t>(ControlType::kUnlink);
    send_control_msg(peer, {&msg, 1}, true);
  }
  log_info("peer %s: direct tunnel to be given up (%s); routes move off it", peer.name().c_str(),
           tell ? "tunnel refresh" : "the peer's tunnel refresh");
  peer.drain_until_ns = now + kDrainNs;
  routes_.set_draining(peer.id(), true, now);
}

void Node::unlink(Peer& peer, const char* why, uint64_t now) {
  peer.drain_until_ns = 0;
  // (A direct one's neighbour entry, mark included, goes below.)
  if (!peer.direct()) {
    routes_.set_draining(peer.id(), false, now);
    return;
  }
  log_info("peer %s: direct tunnel given up (%s); its traffic goes through relays",
           peer.name().c_str(), why);
  // Where it was stays worth a direct attempt: at a refresh of ours, or
  // (a node with no bound of its own) once the unlinked time is over.
  peer.direct_hint = peer.endpoint;
  peer.endpoint = Endpoint{};
  peer.paths.clear();
  if (peer.reorder) peer.reorder->flush();
  // The other side needs the tunnel refresh interval too (it may have
  // none configured): either way, a while.
  peer.unlinked_until_ns = now + std::max<uint64_t>(cfg_.tunnel_refresh_ns, 60 * kNsPerSec);
  peer.direct_next_ns = cfg_.max_peers != 0 ? UINT64_MAX : peer.unlinked_until_ns;
  peer.hello = HelloState{};
  // Its routes go with it (they would only be held until they expired):
  // should the tunnel come back, its announcements come again.
  routes_.remove_neighbour(peer.id(), now);
}

bool Node::tunnel_dead(const Peer& peer, uint64_t now) const {
  if (!peer.direct() || neighbour_alive(peer, now)) return false;
  uint64_t since = std::max(peer.direct_rx_ns, peer.connected_ns);
  return now > since && now - since > kDeadTunnelNs;
}

void Node::count_direct() {
  if (cfg_.max_peers == 0) {
    direct_count_ = 0;
    return;
  }
  // Direct attempts under way count too: otherwise a node that hears of
  // many others at once (peer exchange while a network forms) starts an
  // attempt to each before the first answers, and holds far more tunnels
  // than its bound until its first refresh trims them, all at once.
  size_t n = direct_peers();
  for (const auto& [index, h] : handshakes_) {
    if (!h->initiator || h->relay || !(h->candidate || h->probe)) continue;
    if (h->probe && h->peer) {
      auto p = peers_.find(*h->peer);
      if (p != peers_.end() && p->second->direct()) continue;   // moves a tunnel, adds none
    }
    ++n;
  }
  direct_count_ = n;
}

void Node::trim_tunnels(uint64_t now) {
  if (cfg_.max_peers == 0) return;
  for (size_t n = direct_peers(); n > cfg_.max_peers; --n) {
    Peer* least = nullptr;
    uint64_t least_bytes = UINT64_MAX;
    for (auto& [id, p] : peers_) {
      if (!p->current || !p->direct() || p->drain_until_ns != 0) continue;
      // A configured peer stays: the operator chose it.
      bool target = false;
      for (const Target& t : targets_) target |= t.node == id;
      if (target) continue;
      // One whose neighbour does not answer first, whatever it carried
      // before: it carries nothing now (and counts until it is found
      // dead). Otherwise only one we reach another way too: giving up a
      // node's last tunnel to us would cut it off.
      bool answers = routes_.reachable(id);
      if (answers && !routes_.has_route_avoiding(id, id)) continue;
      uint64_t bytes = answers ? p->stats.rx_bytes + p->stats.tx_bytes - p->refresh_bytes : 0;
      if (least == nullptr || bytes < least_bytes) least = p.get(), least_bytes = bytes;
    }
    if (least == nullptr) return;
    drain(*least, true, now);
  }
}

void Node::relink_if_cut_off(uint64_t now) {
  if (now < next_relink_ns_) return;
  for (auto& [id, p] : peers_)
    if (p->current && p->direct() && routes_.reachable(id)) return;
  // Every tunnel leads to a node that does not answer (they died, or the
  // network between us did): nothing reaches the rest through them, and
  // the refresh, a tunnel a minute, may pick a dead node too. Up to
  // max_peers relayed peers at once, at the addresses we have for them,
  // however recently their tunnels were given up; the bound is kept
  // again at the next trim.
  scratch_.clear();
  for (auto& [id, p] : peers_)
    if (p->current && !p->direct() && p->direct_hint) scratch_.push_back(p.get());
  if (scratch_.empty()) return;
  next_relink_ns_ = now + kRelinkIntervalNs;
  size_t picks = std::min<size_t>(cfg_.max_peers, scratch_.size());
  for (size_t i = 0; i < picks; ++i) {
    // A partial shuffle: each pick a different peer.
    size_t j = i + randombytes_uniform(static_cast<uint32_t>(scratch_.size() - i));
    std::swap(scratch_[i], scratch_[j]);
    Peer& pick = *scratch_[i];
    pick.unlinked_until_ns = 0;
    pick.direct_backoff_ns = 0;
    pick.direct_next_ns = now;
    timers_direct(pick, now, true);
  }
  log_info("no direct tunnel answers: opening %zu to peers reached through relays", picks);
}

void Node::timers_tunnels(uint64_t now) {
  // (Drained on the peer's word too: a node with no bound of its own.)
  for (auto& [id, p] : peers_)
    if (p->drain_until_ns != 0 && now >= p->drain_until_ns) unlink(*p, "drained", now);
  if (cfg_.max_peers == 0) return;
  // Dead tunnels go at once (they no longer count, so new ones may already
  // be up): the session stays, through relays, for peer_timeout. A
  // configured peer's stays, as the operator chose it.
  for (auto& [id, p] : peers_) {
    if (!p->current || !tunnel_dead(*p, now)) continue;
    bool target = false;
    for (const Target& t : targets_) target |= t.node == id;
    if (!target) unlink(*p, "its neighbour does not answer", now);
  }
  relink_if_cut_off(now);
  // Tunnels others opened to us past the bound go too, not only at our
  // refresh: a node short of tunnels (one of its own was given up) opens
  // another at once, so between our refreshes they can pile up.
  if (trim_due_ns_ == 0 && direct_peers() > cfg_.max_peers) trim_due_ns_ = now + kMakeBeforeBreakNs;
  if (trim_due_ns_ != 0 && now >= trim_due_ns_) {
    trim_due_ns_ = 0;
    trim_tunnels(now);
    for (auto& [id, p] : peers_) p->refresh_bytes = p->stats.rx_bytes + p->stats.tx_bytes;
  }
  if (next_refresh_ns_ == 0) next_refresh_ns_ = now + cfg_.tunnel_refresh_ns;
  if (now < next_refresh_ns_) return;
  uint64_t every = cfg_.tunnel_refresh_ns;
  next_refresh_ns_ = now + every - every / 10 +
                     randombytes_uniform(static_cast<uint32_t>(every / 5 / kNsPerMs)) * kNsPerMs;
  // Make: a direct tunnel to a random node we reach through relays at an
  // address we have for it.
  scratch_.clear();
  for (auto& [id, p] : peers_)
    if (p->current && !p->direct() && p->direct_hint && !unlinked(*p, now)) scratch_.push_back(p.get());
  if (!scratch_.empty()) {
    Peer& pick = *scratch_[randombytes_uniform(static_cast<uint32_t>(scratch_.size()))];
    pick.direct_backoff_ns = 0;
    pick.direct_next_ns = now;
    timers_direct(pick, now, true);
  }
  // Break, once it had time to come up.
  trim_due_ns_ = now + kMakeBeforeBreakNs;
}

}  // namespace braid::engine
