// Every timer of the protocol, run from one tick:
//
//   connect     a configured peer with no session is contacted, with backoff
//               from kConnectBackoffMinNs doubling to kConnectBackoffMaxNs,
//               trying its addresses in turn;
//   rekey       keys that carry data are renewed by the node of the pair
//               with the smaller id after kRekeyAfterTimeNs (by the other
//               after kRekeyByOtherNs) or kRekeyAfterMessages packets,
//               retrying every kRekeyRetryNs plus jitter and giving up
//               after kRekeyAttemptNs; the old keypair keeps working until
//               the new one is confirmed, so traffic has no gap; an
//               initiator's keypair the other side never confirmed is
//               renewed too; an idle pair's keys are renewed only after
//               kIdleRekeyNs, and data for keys past kSendDataBeforeNs
//               waits (kStash*) for the renewal it starts;
//   expiry      retired keypairs older than kRejectAfterTimeNs are dropped
//               (and no packet is sent past kMaxCounter); a peer whose
//               certificate has passed its end is removed; held data older
//               than kStashMaxAgeNs is dropped;
//   silence     a peer we sent data to (or hold data for) but have heard
//               nothing from for `keepalive` seconds plus kSilenceGraceNs
//               gets a new handshake, every kRekeyRetryNs: it may have
//               restarted; one not heard from for idle_keepalive_ns() plus
//               kSilenceGraceNs is overdue and gets one too (under its own
//               key, the wait doubling up to 32 s): a lost keepalive;
//   keepalive   a peer we have sent nothing to for `keepalive` seconds gets
//               an empty packet, which holds NAT mappings open and answers
//               its data; a pair idle for two such intervals whose path has
//               no NAT on our side, and no firewall as the probe found,
//               waits idle_keepalive_ns() instead; a peer that asked us to
//               keep quiet (its probe) gets nothing until its time;
//   probe       whether a firewall forgets us after a quiet spell, once
//               per address family (timers_probe below);
//   peer timeout  a peer silent for `peer_timeout` seconds is forgotten;
//   handshake timeout  half-done handshakes go after kHandshakeTimeoutNs;
//   mesh        candidates are contacted with backoff and forgotten after
//               kCandidateTtlNs unmentioned (through relays too after
//               kRelayAfterAttempts, every kRelayRetryNs); claims are sent
//               again once; every kExchangeIntervalNs peers get our peer
//               list (mesh.cc);
//   routing     hellos to neighbours under traffic every 300 ms, full
//               announcements every 16 s (300 s idle), triggered ones at
//               the next tick, seqno requests, neighbours found unreachable
//               within 1.2 s; route expiry once a second; a relayed peer's
//               exchanged address tried directly with backoff (routing.cc);
//   tunnels     with max_peers, every tunnel_refresh a direct tunnel to a
//               random relayed peer, and kMakeBeforeBreakNs later the
//               least used direct tunnels given up down to max_peers
//               (tunnels.cc).
#include <sodium.h>

#include "engine/node.h"
#include "engine/timers.h"

namespace braid::engine {
namespace {

uint64_t jitter() { return randombytes_uniform(static_cast<uint32_t>(kRetryJitterNs)); }

}  // namespace

void Node::on_tick() {
  uint64_t now = clock_.now_ns();
  timers_handshakes(now);
  count_direct();   // (attempts that timed out just went)
  timers_targets(now);
  timers_mesh(now);
  timers_routes(now);
  timers_tunnels(now);
  // Learnt forwarding entries past dst_timeout, once a second.
  if (now - last_expire_ns_ >= kNsPerSec) {
    last_expire_ns_ = now;
    forwarder_->expire(now);
  }
  expire_stash(now);
  // Collect first: a timer may remove its peer.
  std::vector<NodeId> ids;
  ids.reserve(peers_.size());
  for (auto& [id, p] : peers_) ids.push_back(id);
  for (const NodeId& id : ids) {
    auto it = peers_.find(id);
    if (it != peers_.end()) timers_peer(*it->second, now);
  }
  // Links' up and down: at once after a path changed, and every second
  // for sessions coming and going.
  if (now / kNsPerSec != last_link_check_s_) {
    last_link_check_s_ = now / kNsPerSec;
    link_status_due_ = true;
  }
  update_link_status();
}

// At most 2/5 of peer_timeout: after a lost keepalive the overdue
// handshake (at this interval plus kSilenceGraceNs) still has time for its
// retries before the peer times out. Never shorter than `keepalive`.
uint64_t Node::idle_keepalive_ns() const {
  uint64_t keepalive = uint64_t{cfg_.keepalive_s} * kNsPerSec;
  uint64_t cap = uint64_t{cfg_.peer_timeout_s} * kNsPerSec * 2 / 5;
  return std::max(keepalive, std::min(kIdleKeepaliveNs, cap));
}

void Node::timers_handshakes(uint64_t now) {
  // now == UINT64_MAX: called because the table is full; drop the oldest
  // answer to someone else's initiation. Our own initiations go last, so
  // a flood of (address-proven) initiations cannot stop this node from
  // reaching its peers.
  if (now == UINT64_MAX) {
    uint32_t oldest = 0;
    std::pair<bool, uint64_t> oldest_rank{true, UINT64_MAX};
    for (auto& [idx, h] : handshakes_) {
      std::pair<bool, uint64_t> rank{h->initiator, h->started_ns};
      if (oldest == 0 || rank < oldest_rank) oldest_rank = rank, oldest = idx;
    }
    if (oldest) drop_handshake(oldest);
    return;
  }
  std::vector<uint32_t> stale;
  for (auto& [idx, h] : handshakes_)
    if (now - h->started_ns > kHandshakeTimeoutNs) stale.push_back(idx);
  for (uint32_t idx : stale) drop_handshake(idx);
}

void Node::timers_targets(uint64_t now) {
  for (size_t i = 0; i < targets_.size(); ++i) {
    Target& t = targets_[i];
    if (t.node) {
      auto it = peers_.find(*t.node);
      if (it != peers_.end() && it->second->current) {
        // A link's own peer, connected over another link: that link's way
        // to it is one more path.
        if (t.link >= 0 && multilink(*it->second))
          for (const Endpoint& a : t.addrs) add_path(*it->second, static_cast<uint8_t>(t.link), a, now);
        continue;
      }
    }
    if (t.addrs.empty() || now < t.next_attempt_ns) continue;
    // An attempt still unanswered when the next is due gives way to it, so
    // the wait follows the backoff rather than kHandshakeTimeoutNs.
    if (t.pending_index != 0) drop_handshake(t.pending_index);
    const Endpoint& to = t.addrs[t.next_addr++ % t.addrs.size()];
    // Each address over each link in turn, unless the target is a link's.
    int link = t.link >= 0 ? t.link
                           : static_cast<int>((t.attempts / t.addrs.size()) % links_.size());
    ++t.attempts;
    // Every other attempt goes through relays, once the node that
    // answers there is known and routed.
    if (t.node && t.attempts >= kRelayAfterAttempts && t.attempts % 2 == 1 &&
        routes_.next_hop(*t.node))
      t.pending_index = start_initiation(to, static_cast<int>(i), nullptr, false, link, &*t.node);
    else
      t.pending_index = start_initiation(to, static_cast<int>(i), nullptr, false, link);
    t.next_attempt_ns = now + t.backoff_ns + jitter();
    t.backoff_ns = std::min(t.backoff_ns * 2, kConnectBackoffMaxNs);
  }
}

void Node::timers_peer(Peer& peer, uint64_t now) {
  if (now - peer.last_received_ns > uint64_t{cfg_.peer_timeout_s} * kNsPerSec) {
    remove_peer(peer.id(), "timed out");
    return;
  }
  if (peer.cert && clock_.unix_s() >= peer.cert->not_after) {
    remove_peer(peer.id(), "removed: certificate expired");
    return;
  }
  for (auto& old : peer.retired)
    if (old && now - old->created_ns > kRejectAfterTimeNs) retire_keypair(old);
  timers_paths(peer, now);
  // (The current keypair stays past kRejectAfterTimeNs: an idle pair's
  // keepalives and control messages go under it.)
  // An unconfirmed renewal: our final message was probably lost; try again.
  if (peer.next && now - peer.next->created_ns > kRekeyRetryNs) retire_keypair(peer.next);
  Keypair* kp = peer.current.get();
  uint64_t age = kp ? now - kp->created_ns : UINT64_MAX;
  uint64_t keepalive = uint64_t{cfg_.keepalive_s} * kNsPerSec;
  // Our first session with it was never used by the other side: it may
  // refuse our certificate or key (its log says why).
  if (!peer.announced && !peer.unconfirmed_warned && now - peer.connected_ns > kUnconfirmedWarnNs) {
    peer.unconfirmed_warned = true;
    log_warnx("peer %s at %s does not answer on the session it agreed (does it refuse this "
              "node? its log says why)",
              peer.name().c_str(), peer.endpoint.str().c_str());
  }
  // We sent data but hear nothing, not even the keepalive that answers it:
  // the peer may have restarted and lost our session. A new handshake
  // finds out (the session stays until it succeeds or the peer times out).
  // Or we hear nothing although the peer keeps at least an idle pair's
  // keepalive: it is overdue, and a handshake gets an answer where a
  // keepalive would not (one lost keepalive costs a handshake, not the
  // peer).
  // (Not a peer that keeps quiet because our firewall probe asked it to.)
  bool overdue = kp && now - peer.last_received_ns > idle_keepalive_ns() + kSilenceGraceNs &&
                 !probing(peer);
  bool silent = kp && peer.awaiting_reply_ns != 0 &&
                now - peer.awaiting_reply_ns > keepalive + kSilenceGraceNs;
  uint64_t late = renews_first(peer) ? 0 : kRekeyByOtherNs - kRekeyAfterTimeNs;
  bool on_time = kp && ((kp->carried_data && age > kRekeyAfterTimeNs + late) ||
                        age > kIdleRekeyNs + late);
  bool due = kp == nullptr || silent || overdue || peer.renew_now || on_time ||
             (!kp->confirmed && age > kRekeyRetryNs) || kp->send_counter > kRekeyAfterMessages;
  if (!due) peer.rekey_first_ns = 0;
  if (due && peer.rekey_first_ns == 0) peer.rekey_first_ns = now;
  bool given_up = due && now - peer.rekey_first_ns > kRekeyAttemptNs;
  if (due && !given_up && !peer.next &&
      (peer.rekey_index == 0 || now >= peer.rekey_retry_at_ns)) {
    if (peer.rekey_index) drop_handshake(peer.rekey_index);
    NodeId id = peer.id();
    // A live session's renewal proves it knows the peer's node id; a
    // silent peer may have restarted with another, so the network key.
    // (An overdue one most likely lost a keepalive: its own key, so that
    // the answer is a renewal, not a first contact that greets again.)
    // It goes the way the peer's traffic goes: through relays if so.
    bool unreachable = false;
    bool relayed = relay_hop(peer, &unreachable) != nullptr || !peer.direct();
    peer.rekey_index = start_initiation(peer.endpoint, -1, &id, kp && !silent, -1,
                                        relayed ? &id : nullptr);
    // Only overdue (no data waits): a dead peer should not draw a
    // handshake a second from each of its peers; the wait doubles.
    uint64_t wait = kRekeyRetryNs;
    if (overdue && !silent && !peer.renew_now && !on_time) {
      uint64_t n = (now - peer.rekey_first_ns) / kRekeyRetryNs;
      wait = std::min<uint64_t>(kCandidateBackoffMaxNs, kRekeyRetryNs << std::min<uint64_t>(5, 63 - __builtin_clzll(n | 1)));
    }
    peer.rekey_retry_at_ns = now + wait + jitter();
  }
  // A quiet pair keeps quiet unless a NAT or firewall on our side needs
  // the packets (direct_path, and the probe below that finds out); a peer
  // that asked us to keep quiet gets nothing until its time, then one
  // keepalive.
  // (Other nodes' traffic relayed over the pair counts too.)
  bool idle = now - peer.last_data_ns > 2 * keepalive && now - peer.relay_ns > 2 * keepalive;
  if (peer.quiet_until_ns != 0) {
    if (now < peer.quiet_until_ns) return;
    peer.quiet_until_ns = 0;
    if (kp) send_keepalive(peer);
    return;
  }
  timers_direct(peer, now);
  timers_probe(peer, now, idle);
  if (probing(peer)) return;   // it waits for our silence
  // (Through relays no NAT or firewall of ours is on the way: the relays'
  // own sessions keep theirs.)
  uint64_t interval = idle && (direct_path(peer) || !peer.direct()) ? idle_keepalive_ns() : keepalive;
  // A neighbour that answers directly gets a hello, which is a keepalive
  // with a round trip in it.
  if (kp && now - peer.last_sent_ns > interval) {
    if (peer.direct() && routes_.reachable(peer.id()))
      send_idle_hello(peer);
    else
      send_keepalive(peer);
  }
}

// The firewall probe, one per address family at a time. A node that its
// peers see at its own address has no NAT, but may sit behind a firewall
// that forgets a flow after 30 or 60 s of quiet (an IPv6 home gateway's):
// keepalives every two minutes would then leave peers unable to reach it.
// So it asks one idle peer to send it nothing for an idle interval and then
// one packet, and sends it nothing either (kProbe). That packet arriving
// is the proof (note_inbound). If it has not arrived an idle interval plus
// kSilenceGraceNs later, a handshake asks whether the peer is alive: an
// answer means the packet was filtered (handshake.cc), and the node keeps
// the short keepalive. Anything else sent either way meanwhile, or no
// answer, leaves the question open: asked again ten minutes later.
void Node::timers_probe(Peer& peer, uint64_t now, bool idle) {
  if (!peer.seen_us_at || !peer.current || !peer.direct()) return;
  FirewallProbe& fw = fw_[family(*peer.seen_us_at)];
  if (fw.peer == peer.id()) {
    uint64_t deadline = fw.started_ns + idle_keepalive_ns() + kSilenceGraceNs;
    if (!fw.asked && now >= deadline) {
      // Something went between us meanwhile: the quiet was broken.
      if (peer.last_sent_ns > fw.started_ns || peer.last_initiation_ns > fw.started_ns ||
          peer.last_received_ns > fw.started_ns) {
        end_probe(fw, now, true);
        return;
      }
      fw.asked = true;
      fw.asked_ns = now;
      peer.renew_now = true;   // a handshake, whose answer says it is alive
    } else if (fw.asked && now - fw.asked_ns > kHandshakeTimeoutNs) {
      end_probe(fw, now, true);   // no answer: the peer may be gone
    }
    return;
  }
  if (fw.open || fw.failed || fw.peer || now < fw.retry_after_ns || !idle ||
      peer.quiet_until_ns != 0 || !live(peer) || !seen_at_own_address(peer))
    return;
  uint16_t secs = static_cast<uint16_t>(idle_keepalive_ns() / kNsPerSec);
  send_probe(peer, secs);
  fw.peer = peer.id();
  fw.started_ns = now;
  fw.asked = false;
}

void Node::end_probe(FirewallProbe& fw, uint64_t now, bool retry_later) {
  fw.peer.reset();
  fw.asked = false;
  if (retry_later) fw.retry_after_ns = now + kProbeRetryNs;
}

}  // namespace braid::engine
