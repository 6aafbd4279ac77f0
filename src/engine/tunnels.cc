// Bounded tunnels (max_peers): a node keeps at most that many direct
// sessions and reaches every other node through relays. Every
// tunnel_refresh it opens a direct tunnel to a random node it reaches
// through relays and, once that had time to come up (make before break),
// gives up the direct tunnel that carried least traffic since the last
// refresh, which keeps the overlay well connected and its routes short
// as nodes come and go. Giving up a tunnel keeps the session: both sides
// stop using the direct way (kUnlink) and their traffic goes through
// relays, with the same keys.
#include <sodium.h>

#include "engine/node.h"

namespace braid::engine {
namespace {

// How long a new tunnel has to come up before the least used one goes.
constexpr uint64_t kMakeBeforeBreakNs = 10 * kNsPerSec;

}  // namespace

void Node::unlink(Peer& peer, bool tell, uint64_t now) {
  if (!peer.direct()) return;
  if (tell) {
    uint8_t msg = static_cast<uint8_t>(ControlType::kUnlink);
    send_control_msg(peer, {&msg, 1}, true);
  }
  log_info("peer %s: direct tunnel given up (%s); its traffic goes through relays",
           peer.name().c_str(), tell ? "tunnel refresh" : "the peer's tunnel refresh");
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
  routes_.set_neighbour(peer.id(), kMetricInfinity, now);
}

bool Node::tunnel_dead(const Peer& peer, uint64_t now) const {
  if (!peer.direct() || neighbour_alive(peer, now)) return false;
  uint64_t since = std::max(peer.direct_rx_ns, peer.connected_ns);
  return now > since && now - since > kDeadTunnelNs;
}

void Node::trim_tunnels(uint64_t now) {
  if (cfg_.max_peers == 0) return;
  for (size_t n = direct_peers(); n > cfg_.max_peers; --n) {
    Peer* least = nullptr;
    uint64_t least_bytes = UINT64_MAX;
    for (auto& [id, p] : peers_) {
      if (!p->current || !p->direct()) continue;
      // A configured peer stays: the operator chose it.
      bool target = false;
      for (const Target& t : targets_) target |= t.node == id;
      if (target) continue;
      // Only one we reach another way too: giving up a node's last
      // tunnel to us would cut it off.
      if (!routes_.has_route_avoiding(id, id)) continue;
      uint64_t bytes = p->stats.rx_bytes + p->stats.tx_bytes - p->refresh_bytes;
      if (bytes < least_bytes) least = p.get(), least_bytes = bytes;
    }
    if (least == nullptr) return;
    unlink(*least, true, now);
  }
}

void Node::timers_tunnels(uint64_t now) {
  if (cfg_.max_peers == 0) return;
  // Dead tunnels go at once (they no longer count, so new ones may already
  // be up): the session stays, through relays, for peer_timeout. A
  // configured peer's stays, as the operator chose it.
  for (auto& [id, p] : peers_) {
    if (!p->current || !tunnel_dead(*p, now)) continue;
    bool target = false;
    for (const Target& t : targets_) target |= t.node == id;
    if (!target) unlink(*p, false, now);
  }
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
