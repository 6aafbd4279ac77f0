// Relaying: packets for a node we have no working direct way to go to
// the next hop the route table names, behind a routing header (wire.h
// kRelay: hop limit, destination and source node ids). What follows the
// header is the packet as it would go directly — a handshake message or
// a transport packet sealed with the two end nodes' session keys — so a
// relay learns only who talks to whom, and anything it alters fails
// authentication at the end. The header replaces the inner packet's
// magic: wrapping and unwrapping move no payload bytes.
//
// Each hop is authenticated by the session of the two neighbours it
// travels between: the header names the receiver's keypair and carries a
// counter of the sender's and a tag over the header under those keys,
// checked (then the replay window) before anything else is believed. A
// relay rewrites those fields in place for the next hop. So only members
// with a session relay to us, whatever their packets' source address,
// and a relayed packet never moves a peer (roaming follows direct
// packets only). Every relay takes one hop off the limit, and
// `relay = no` forwards nothing.
#include <algorithm>
#include <cstring>

#include "engine/node.h"

namespace braid::engine {

Peer* Node::neighbour(const std::optional<NodeId>& id) {
  if (!id) return nullptr;
  auto it = peers_.find(*id);
  if (it == peers_.end() || !it->second->current || !it->second->direct()) return nullptr;
  return it->second.get();
}

Peer* Node::relay_hop(Peer& peer, bool* unreachable) {
  *unreachable = false;
  // Direct first: a direct way that answers is used, whatever the
  // routes say.
  if (peer.direct() && routes_.reachable(peer.id())) return nullptr;
  auto next = routes_.next_hop(peer.id());
  if (next && *next != peer.id()) {
    if (Peer* hop = neighbour(next)) return hop;
  } else if (!next) {
    // No route yet: back the way its packets came.
    if (Peer* hop = neighbour(peer.relayed_via); hop && hop != &peer) return hop;
  }
  // No route: the direct way, if there is one, is all there is.
  *unreachable = !peer.direct();
  return nullptr;
}

bool Node::send_relayed(const NodeId& dst, PacketBuf* buf, LinkSend how, Peer* hop,
                        const std::optional<NodeId>& via) {
  if (hop == nullptr) {
    auto next = routes_.next_hop(dst);
    hop = next ? neighbour(next) : neighbour(via);
  }
  if (hop == nullptr || buf->head < kRelayOverhead) {
    ++counters_.drop_no_route;
    pool_.put(buf);
    return false;
  }
  RelayHeader h;
  h.hops = kMaxHops;
  h.dst = dst;
  h.src = id_;
  buf->head -= kRelayOverhead;
  buf->len += kRelayOverhead;
  write_relay_header(buf->data(), cfg_.magic, h);
  uint64_t now = clock_.now_ns();
  if (!tag_hop(*hop, buf->data(), kMaxHops)) {
    pool_.put(buf);
    return false;
  }
  hop->relay_ns = now;
  ++counters_.relayed_tx;
  return send_on_link(hop->link, hop->endpoint, buf, how, now);
}

// The neighbour's current keypair takes one counter of its send nonce
// space (that of its data packets, so its replay window covers ours).
bool Node::tag_hop(Peer& hop, uint8_t* header, uint8_t hops) {
  Keypair* kp = hop.current.get();
  if (kp == nullptr || kp->send_counter > kMaxCounter) {
    ++counters_.drop_expired;
    return false;
  }
  set_relay_hop(header, kp->remote_index, kp->send_counter++, hops);
  seal_relay_hop(header, kp->send);
  return true;
}

// The hop's tag under the keypair its index names, then its counter in
// that keypair's replay window: the neighbour that sent it, or nullptr
// (counted).
Peer* Node::relay_sender(const RelayHeader& h, const uint8_t* header, const Endpoint& from) {
  auto it = index_.find(h.receiver_index);
  if (it == index_.end() || it->second.keypair == nullptr) {
    ++counters_.drop_unknown_index;
    return nullptr;
  }
  Keypair& kp = *it->second.keypair;
  if (!open_relay_hop(header, kp.recv)) {
    ++counters_.drop_auth;
    if (log_allowed())
      log_warnx("relayed packet from %s failed hop authentication; dropped", from.str().c_str());
    return nullptr;
  }
  // Only after authentication, so forgeries cannot move the window.
  if (!kp.replay.accept(h.counter)) {
    ++counters_.drop_replay;
    return nullptr;
  }
  Peer& peer = *kp.peer;
  uint64_t now = clock_.now_ns();
  kp.confirmed = true;
  keypair_used(peer, kp);
  // Its place in a sequenced keypair's order, which holds nothing.
  if (peer.reorder && multipath(peer) && kp.local_index == peer.reorder_index) {
    peer.reorder->push(h.counter, nullptr, now);
    note_held(peer);
  }
  peer.last_received_ns = now;
  peer.awaiting_reply_ns = 0;
  return &peer;
}

bool Node::on_relay(const Endpoint& from, PacketBuf* buf, uint8_t link) {
  RelayHeader h;
  if (!parse_relay_header({buf->data(), buf->len}, &h)) {
    ++counters_.drop_malformed;
    return false;
  }
  Peer* prev = relay_sender(h, buf->data(), from);
  if (prev == nullptr) return false;
  if (h.src == id_) {
    ++counters_.drop_relay;
    if (log_allowed())
      log_debug("relayed packet from %s: our own, looped back; dropped", from.str().c_str());
    return false;
  }
  uint64_t now = clock_.now_ns();
  prev->relay_ns = now;
  if (h.dst == id_) {
    // Ours: the magic goes back where the header was, and the packet is
    // handled as if it had come directly, but for its way.
    buf->head += kRelayOverhead;
    buf->len -= kRelayOverhead;
    memcpy(buf->data(), cfg_.magic.data(), kMagicLen);
    ++counters_.relayed_rx;
    NodeId src = h.src;
    relay_prev_ = prev->id();
    bool took = false;
    switch (buf->data()[kMagicLen]) {
      case static_cast<uint8_t>(PacketType::kData):
      case static_cast<uint8_t>(PacketType::kControl):
        took = on_transport(from, buf, link, &src);
        break;
      case static_cast<uint8_t>(PacketType::kHandshakeInit):
        on_handshake_init(from, buf, link, &src);
        break;
      case static_cast<uint8_t>(PacketType::kHandshakeResp):
        on_handshake_resp(from, buf, link, &src);
        break;
      case static_cast<uint8_t>(PacketType::kHandshakeFinal):
        on_handshake_final(from, buf, link, &src);
        break;
      default:
        ++counters_.drop_malformed;
        break;
    }
    relay_prev_.reset();
    return took;
  }
  if (!cfg_.relay) {
    ++counters_.drop_relay;
    return false;
  }
  if (h.hops <= 1) {
    ++counters_.drop_hop_limit;
    return false;
  }
  // Direct first here too: the destination itself when we reach it.
  Peer* next = nullptr;
  auto d = peers_.find(h.dst);
  if (d != peers_.end() && d->second->current && d->second->direct() &&
      routes_.reachable(h.dst)) {
    next = d->second.get();
  } else if (auto nh = routes_.next_hop(h.dst)) {
    auto it = peers_.find(*nh);
    if (it != peers_.end() && it->second->current && it->second->direct()) next = it->second.get();
  }
  if (next == nullptr || next == prev) {
    ++counters_.drop_no_route;
    return false;
  }
  // The header is the next hop's now: its index, counter, hops and tag,
  // rewritten in place.
  if (!tag_hop(*next, buf->data(), static_cast<uint8_t>(std::min<uint8_t>(h.hops, kMaxHops) - 1)))
    return false;
  next->relay_ns = now;
  ++prev->stats.forwarded;
  ++next->stats.forwarded;
  ++counters_.forwarded;
  counters_.forwarded_bytes += buf->len;
  send_on_link(next->link, next->endpoint, buf, LinkSend::kBulk, now);
  return true;
}

}  // namespace braid::engine
