// The data path: sealing device packets for peers and opening transport
// packets from them, in place in pool buffers. Problems here are counted
// and the packet dropped; nothing on this path is fatal or allocates.
#include <algorithm>

#include "common/bytes.h"
#include "engine/authz.h"
#include "engine/beacon.h"
#include "engine/node.h"
#include "engine/priority.h"
#include "engine/timers.h"

namespace braid::engine {

void Node::on_device_packet(PacketBuf* buf) {
  ++counters_.device_rx;
  auto dests = forwarder_->destinations({buf->data(), buf->len});
  // Every destination but the last gets a copy: each is sealed under its
  // own keys.
  size_t n = dests.size();
  size_t sent = 0;
  for (size_t i = 0; i < n; ++i) {
    Peer* peer = dests[i];
    if (!peer->current) continue;
    PacketBuf* b = buf;
    if (i + 1 < n) {
      b = pool_.get(buf->head);
      if (b == nullptr) {
        ++counters_.drop_no_buffer;
        continue;
      }
      memcpy(b->data(), buf->data(), buf->len);
      b->len = buf->len;
    } else {
      buf = nullptr;
    }
    send_transport(*peer, PacketType::kData, b);
    ++sent;
  }
  if (sent == 0) {
    if (dests.empty() && router_)
      ++counters_.drop_no_route;
    else
      ++counters_.drop_no_peer;
  }
  if (buf) pool_.put(buf);
}

// Seals buf (inner packet at data(), kHeadroom in front, kTagLen behind)
// for the peer's current keypair and sends it over `via`, the path the
// scheduler picks (multipath.cc), or through a relay when the peer has no
// working direct way (relay.cc). Consumes buf.
void Node::send_transport(Peer& peer, PacketType type, PacketBuf* buf, Path* via, bool direct) {
  Keypair* kp = peer.current.get();
  uint64_t now = clock_.now_ns();
  bool data = type == PacketType::kData && buf->len > 0;
  if (kp == nullptr || kp->send_counter > kMaxCounter || buf->head < kTransportHeaderLen ||
      buf->tailroom() < kTagLen) {
    ++counters_.drop_expired;
    pool_.put(buf);
    return;
  }
  bool unreachable = false;
  Peer* hop = via || direct ? nullptr : relay_hop(peer, &unreachable);
  if (unreachable || (direct && !peer.direct())) {
    ++counters_.drop_no_route;
    pool_.put(buf);
    return;
  }
  if (data) {
    // Keys too old for data (an idle pair's): it waits for new ones.
    if (now - kp->created_ns > kSendDataBeforeNs) {
      stash(peer, buf, now);
      return;
    }
    kp->carried_data = true;
    peer.last_data_ns = now;
    if (peer.awaiting_reply_ns == 0) peer.awaiting_reply_ns = now;
  }
  // Bulk is paced and spread; the priority lane, keepalives, control
  // messages and path probes go at once (probes over their own path,
  // the rest over the fastest): they measure the path, not our queue.
  bool bulk = data && !is_priority({buf->data(), buf->len}, cfg_.tap);
  LinkSend how = bulk ? LinkSend::kBulk : LinkSend::kUrgent;
  Path* path = hop ? nullptr
               : via ? via
                     : choose_path(peer, bulk, wire_bytes(buf->len + kTransportOverhead, true), now);
  uint64_t counter = kp->send_counter++;
  size_t len = buf->len;
  buf->head -= kTransportHeaderLen;
  uint8_t* header = buf->data();
  write_transport_header(header, cfg_.magic, type, kp->remote_index, counter);
  uint8_t* body = header + kTransportHeaderLen;
  kp->send.seal(counter, {header, kTransportHeaderLen}, body, len, body + len);
  buf->len = kTransportHeaderLen + len + kp->send.tag_len();
  // (A hello that tests a direct way the peer's traffic no longer takes
  // keeps nothing alive for that traffic: it is not counted as sent.)
  if (!direct || routes_.reachable(peer.id())) peer.last_sent_ns = now;
  ++peer.stats.tx_packets;
  peer.stats.tx_bytes += len;
  if (hop) {
    ++peer.stats.relayed_tx;
    send_relayed(peer.id(), buf, how, hop);
    return;
  }
  uint8_t link = path ? path->link : peer.link;
  const Endpoint& to = path ? path->remote : peer.endpoint;
  // Redundant priority lane: the same sealed packet over a second path;
  // the receiver's replay window drops whichever copy comes second.
  if (data && !bulk && cfg_.priority_copies >= 2 && path != nullptr) {
    if (Path* second = fastest_path(peer, path)) {
      if (PacketBuf* copy = pool_.get(buf->head)) {
        memcpy(copy->data(), buf->data(), buf->len);
        copy->len = buf->len;
        if (send_on_link(second->link, second->remote, copy, LinkSend::kUrgent, now)) {
          ++second->tx_packets;
          second->tx_bytes += copy->len;
        }
      }
    }
  }
  size_t sent_len = buf->len;
  if (send_on_link(link, to, buf, how, now) && path) {
    ++path->tx_packets;
    path->tx_bytes += sent_len;
  }
}

void Node::stash(Peer& peer, PacketBuf* buf, uint64_t now) {
  peer.renew_now = true;
  // Held data is data unanswered: if the renewal it starts gets no answer
  // the peer may have been replaced (timers.cc, silence).
  if (peer.awaiting_reply_ns == 0) peer.awaiting_reply_ns = now;
  // Renewals given up earlier get a fresh run of attempts: there is data.
  if (peer.rekey_first_ns && now - peer.rekey_first_ns > kRekeyAttemptNs) peer.rekey_first_ns = now;
  size_t mine = 0, oldest_mine = stashed_;
  for (size_t i = 0; i < stashed_; ++i)
    if (stash_[i].peer == peer.id() && mine++ == 0) oldest_mine = i;
  // Full (for this peer, or in all): the oldest goes.
  if (mine >= kStashPerPeer)
    drop_stash(oldest_mine);
  else if (stashed_ == kStashMax)
    drop_stash(0);
  stash_[stashed_++] = Stashed{peer.id(), buf, now};
  ++counters_.stashed;
}

void Node::drop_stash(size_t i) {
  pool_.put(stash_[i].buf);
  ++counters_.drop_stash;
  std::move(stash_.begin() + static_cast<ptrdiff_t>(i) + 1,
            stash_.begin() + static_cast<ptrdiff_t>(stashed_), stash_.begin() + static_cast<ptrdiff_t>(i));
  --stashed_;
}

// The peer has fresh keys: what waited for them goes, in order. Taken out
// first: sending may stash again (not with fresh keys, but safely if so).
void Node::send_stashed(Peer& peer) {
  std::array<PacketBuf*, kStashPerPeer> mine;
  size_t n = 0, kept = 0;
  for (size_t i = 0; i < stashed_; ++i) {
    if (stash_[i].peer == peer.id() && n < mine.size())
      mine[n++] = stash_[i].buf;
    else
      stash_[kept++] = stash_[i];
  }
  stashed_ = kept;
  for (size_t i = 0; i < n; ++i) send_transport(peer, PacketType::kData, mine[i]);
}

void Node::expire_stash(uint64_t now) {
  while (stashed_ > 0 && now - stash_[0].at_ns > kStashMaxAgeNs) drop_stash(0);
}

void Node::send_keepalive(Peer& peer) {
  PacketBuf* b = pool_.get(kHeadroom);
  if (b == nullptr) {
    ++counters_.drop_no_buffer;
    return;
  }
  send_transport(peer, PacketType::kData, b);
}

void Node::send_close(Peer& peer) {
  PacketBuf* b = pool_.get(kHeadroom);
  if (b == nullptr) return;
  b->data()[0] = static_cast<uint8_t>(ControlType::kClose);
  b->len = 1;
  send_transport(peer, PacketType::kControl, b);
}

void Node::close_all() {
  for (auto& [id, peer] : peers_)
    if (peer->current) send_close(*peer);
}

void Node::on_udp_packet(const Endpoint& from, PacketBuf* buf, uint8_t link) {
  if (link >= links_.size()) link = 0;
  ++links_[link].stats.rx_packets;
  links_[link].stats.rx_bytes += buf->len;
  ++counters_.rx_packets;
  switch (classify({buf->data(), buf->len}, cfg_.magic)) {
    case 0:
      ++counters_.drop_foreign;
      break;
    case static_cast<uint8_t>(PacketType::kData):
    case static_cast<uint8_t>(PacketType::kControl):
      if (on_transport(from, buf, link)) return;
      break;
    case static_cast<uint8_t>(PacketType::kHandshakeInit):
      on_handshake_init(from, buf, link);
      break;
    case static_cast<uint8_t>(PacketType::kHandshakeResp):
      on_handshake_resp(from, buf, link);
      break;
    case static_cast<uint8_t>(PacketType::kHandshakeFinal):
      on_handshake_final(from, buf, link);
      break;
    case static_cast<uint8_t>(PacketType::kRelay):
      if (on_relay(from, buf, link)) return;
      break;
    case static_cast<uint8_t>(PacketType::kCookieReply):
      on_cookie_reply(from, buf);
      break;
    case static_cast<uint8_t>(PacketType::kBeacon): {
      // A keyed hash per network key (each CA's: a beacon is keyed by its
      // sender's issuer) decides; what it names is only a hint to connect.
      if (!cfg_.lan_discovery) break;
      NodeId id;
      bool ok = false;
      for (const MacKey& k : network_mac_keys_)
        if ((ok = parse_beacon({buf->data(), buf->len}, cfg_.magic, k, &id))) break;
      if (ok)
        on_beacon(from, id);
      else
        ++counters_.drop_malformed;
      break;
    }
    default:
      ++counters_.drop_malformed;
      break;
  }
  pool_.put(buf);
}

bool Node::on_transport(const Endpoint& from, PacketBuf* buf, uint8_t link,
                        const NodeId* relay_src) {
  // Through relays: `from` is the last relay's address, nothing about
  // the peer's own way.
  bool relayed = relay_src != nullptr;
  TransportHeader h;
  // The tag's length is the network's (every session uses the configured
  // cipher), so a short packet is malformed before any lookup, in the
  // order doc/protocol.md gives.
  size_t tag_len = cfg_.cipher == crypto::TransportCipher::kNone ? 0 : kTagLen;
  if (!parse_transport_header({buf->data(), buf->len}, &h) ||
      buf->len < kTransportHeaderLen + tag_len) {
    ++counters_.drop_malformed;
    return false;
  }
  auto it = index_.find(h.receiver_index);
  if (it == index_.end() || it->second.keypair == nullptr) {
    ++counters_.drop_unknown_index;
    return false;
  }
  Keypair& kp = *it->second.keypair;
  uint64_t now = clock_.now_ns();
  uint8_t* header = buf->data();
  uint8_t* body = header + kTransportHeaderLen;
  size_t len = buf->len - kTransportHeaderLen - tag_len;
  // Old keys carry keepalives and control messages, never data.
  bool data = h.type == PacketType::kData && len > 0;
  if (data && now - kp.created_ns > kRejectAfterTimeNs) {
    ++counters_.drop_expired;
    return false;
  }
  if (!kp.recv.open(h.counter, {header, kTransportHeaderLen}, body, len, body + len)) {
    ++counters_.drop_auth;
    if (log_allowed())
      log_warnx("packet from %s failed authentication; dropped", from.str().c_str());
    return false;
  }
  // Only after authentication, so forgeries cannot move the window.
  if (!kp.replay.accept(h.counter)) {
    ++counters_.drop_replay;
    // A redundant copy (priority_copies = 2) arrived over its path all the
    // same: counted there, or that path's loss figure would count it lost.
    if (Path* p = relayed ? nullptr : find_path(*kp.peer, link, from)) {
      ++p->rx_packets;
      p->rx_bytes += len;
    }
    if (log_allowed())
      log_debug("packet from %s replayed or too old (counter %llu); dropped",
                from.str().c_str(), static_cast<unsigned long long>(h.counter));
    return false;
  }
  Peer& peer = *kp.peer;
  kp.confirmed = true;
  // A goodbye as the first word is no reason to greet.
  bool closing = h.type == PacketType::kControl && len >= 1 &&
                 body[0] == static_cast<uint8_t>(ControlType::kClose);
  if (!peer.announced && !closing) announce(peer);
  keypair_used(peer, kp);
  if (relayed) {
    ++peer.stats.relayed_rx;
    if (relay_prev_) peer.relayed_via = relay_prev_;
    // It sends through relays what it could send directly: it has found
    // our direct way lost. With nothing from it directly for a second,
    // so is its way to us (its traffic may be too sparse for our hellos'
    // rule to find that: a TCP stream stalled by the loss itself).
    if (peer.direct() && peer.hello.cost != kMetricInfinity && now - peer.direct_rx_ns > kNsPerSec)
      direct_lost(peer, now);
  } else {
    note_inbound(peer, now);
  }
  peer.last_received_ns = now;
  peer.awaiting_reply_ns = 0;
  if (data) {
    kp.carried_data = true;
    peer.last_data_ns = now;
  }
  ++peer.stats.rx_packets;
  peer.stats.rx_bytes += len;
  // A path probe from a new address: the peer has several links (even if
  // its list of them has not arrived yet): that is a new path, not a move.
  bool path_probe = h.type == PacketType::kControl && len >= 1 &&
                    body[0] == static_cast<uint8_t>(ControlType::kPathProbe);
  if (path_probe && !relayed) peer.multilink = true;
  Path* path = relayed ? nullptr : note_path_rx(peer, link, from, len, now);
  // Roaming: the session follows its latest authenticated source (with
  // several paths each is probed instead, and the best one leads) --
  // while its traffic goes directly. A peer whose traffic goes through
  // relays (never direct, direct way lost, tunnel given up) is not moved
  // by a packet from a new address: anyone who sees a relayed packet can
  // strip the relay header and send it from anywhere, and the peer's own
  // packets, which come through relays, would never move it back. Only a
  // direct handshake makes its way direct.
  bool roams = peer.direct() && peer.hello.lost_ns == 0 && !unlinked(peer, now);
  if (!relayed && path == nullptr && (peer.endpoint != from || peer.link != link) && roams) {
    if (log_allowed()) log_info("peer %s moved to %s", peer.name().c_str(), from.str().c_str());
    peer.endpoint = from;
    peer.link = link;
    // Where it now sees us may have changed too (a NAT rebinding it).
    if (!closing) send_seen(peer);
  }
  // Heard directly: at its direct address, or over one of its paths.
  if (!relayed && (path != nullptr || (peer.endpoint == from && peer.link == link)))
    peer.direct_rx_ns = now;
  // Packets of the keypair being sequenced keep their place in order;
  // data of the priority lane goes at once, never held behind bulk.
  bool sequenced = false;
  if (peer.reorder && multipath(peer)) {
    if (kp.local_index != peer.reorder_index && &kp == peer.current.get()) {
      peer.reorder->flush();
      peer.reorder_index = kp.local_index;
      for (Path& p : peer.paths) p.bulk_max = p.bulk_rx_ns = 0;
    }
    sequenced = kp.local_index == peer.reorder_index;
  }
  bool hold = sequenced && data && !is_priority({body, len}, cfg_.tap);
  if (sequenced && !hold) {
    peer.reorder->push(h.counter, nullptr, now);
    note_held(peer);
  }
  if (h.type == PacketType::kControl) {
    on_control(peer, {body, len}, path, relayed);   // may remove the peer
    return false;
  }
  if (!data) return false;  // keepalive
  if (peer.cert && !source_allowed(*peer.cert, cfg_.tap, body, len)) {
    if (hold) peer.reorder->push(h.counter, nullptr, now);   // its place, without it
    ++counters_.drop_unauthorized;
    if (log_allowed())
      log_debug("packet from peer %s with a source outside its certificate; dropped",
                peer.name().c_str());
    return false;
  }
  forwarder_->learn({body, len}, &peer, now);
  buf->head += kTransportHeaderLen;
  buf->len = len;
  if (hold) {
    peer.reorder->push(h.counter, buf, now);
    if (path) note_bulk(peer, *path, h.counter, now);
    note_held(peer);
    return true;
  }
  deliver(buf);
  return true;
}

void Node::deliver(PacketBuf* buf) {
  ++counters_.device_tx;
  out_.write_device(buf);
}

void Node::keypair_used(Peer& peer, Keypair& kp) {
  if (&kp == peer.next.get()) {
    demote_current(peer);
    peer.current = std::move(peer.next);
    if (peer.greet_due) {
      peer.greet_due = false;
      greet(peer);
    }
    send_stashed(peer);
  } else if (&kp != peer.current.get()) {
    settle_crossed(peer, kp);
  }
}

// Two handshakes of one pair that crossed (both sides initiated within a
// handshake's time, at first contact or when both had data for old keys)
// leave each side sending under the keypair it installed last, which need
// not be the same one: the other is then only a retired keypair, dropped
// at kRejectAfterTimeNs while still in use. Both sides settle on the one
// started by the node that renews first (timers.h), as soon as a packet
// arrives under it.
void Node::settle_crossed(Peer& peer, Keypair& kp) {
  Keypair* cur = peer.current.get();
  if (cur == nullptr || !prevails(peer, kp.initiator) || prevails(peer, cur->initiator)) return;
  uint64_t apart = kp.created_ns > cur->created_ns ? kp.created_ns - cur->created_ns
                                                   : cur->created_ns - kp.created_ns;
  if (apart > kHandshakeTimeoutNs) return;   // an older session's late packet
  for (auto& old : peer.retired)
    if (old.get() == &kp) {
      std::swap(old, peer.current);
      return;
    }
}

// Moves the current keypair to the front of the retired ones, dropping the
// oldest.
void Node::demote_current(Peer& peer) { retire_front(peer, std::move(peer.current)); }

// Puts kp first among the retired keypairs (for receiving only), dropping
// the oldest.
Keypair* Node::retire_front(Peer& peer, std::unique_ptr<Keypair> kp) {
  retire_keypair(peer.retired.back());
  for (size_t i = Peer::kRetired - 1; i > 0; --i) peer.retired[i] = std::move(peer.retired[i - 1]);
  peer.retired[0] = std::move(kp);
  return peer.retired[0].get();
}

void Node::retire_keypair(std::unique_ptr<Keypair>& kp) {
  if (!kp) return;
  index_.erase(kp->local_index);
  kp.reset();
}

void Node::remove_peer(const NodeId& id, const char* why) {
  auto it = peers_.find(id);
  if (it == peers_.end()) return;
  Peer& peer = *it->second;
  log_info("peer %s %s", peer.name().c_str(), why);
  if (peer.rekey_index) drop_handshake(peer.rekey_index);
  retire_keypair(peer.current);
  for (auto& kp : peer.retired) retire_keypair(kp);
  retire_keypair(peer.next);
  for (size_t i = stashed_; i-- > 0;)
    if (stash_[i].peer == id) drop_stash(i);
  forwarder_->peer_removed(&peer);
  routes_.remove_neighbour(id, clock_.now_ns());
  if (peer.reorder) peer.reorder->flush();
  std::erase(reordering_, &peer);
  for (auto& [idx, h] : handshakes_)
    if (h->peer == id) h->peer.reset();
  peers_.erase(it);
}

}  // namespace braid::engine
