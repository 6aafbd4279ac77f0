// The handshake: Noise XX (with psk0 when the network has a shared key)
// carried in three packets. psk0 makes the first message authenticated by
// the shared key, so a responder rejects non-members with a hash and an
// AEAD check, before any Diffie-Hellman. The three messages give both
// sides each other's static key (the node id) and fresh ephemeral keys.
#include <sodium.h>

#include "common/bytes.h"
#include "engine/node.h"
#include "engine/timers.h"

namespace braid::engine {

std::optional<crypto::HandshakeState> Node::new_handshake_state(bool initiator,
                                                               const crypto::Key* ephemeral) {
  crypto::HandshakeConfig hc;
  hc.protocol_name = protocol_name_;
  hc.initiator = initiator;
  hc.prologue = prologue_;
  hc.static_private = cfg_.static_private;
  if (ephemeral) hc.ephemeral_private = *ephemeral;
  if (cfg_.psk) hc.psks.push_back(*cfg_.psk);
  std::string error;
  auto hs = crypto::HandshakeState::create(hc, &error);
  if (!hs) log_warnx("cannot start handshake: %s", error.c_str());
  return hs;
}

uint32_t Node::new_index() {
  for (;;) {
    uint32_t idx = randombytes_random();
    if (idx != 0 && index_.find(idx) == index_.end()) return idx;
  }
}

bool Node::send_handshake_message(const Endpoint& to, PacketType type, uint32_t idx1,
                                  uint32_t idx2, bool two_indexes,
                                  const std::vector<uint8_t>& msg) {
  PacketBuf* b = pool_.get(0);
  size_t header = kPrefixLen + kIndexLen * (two_indexes ? 2 : 1);
  if (b == nullptr || b->capacity < header + msg.size()) {
    if (b) pool_.put(b);
    ++counters_.drop_no_buffer;
    return false;
  }
  uint8_t* p = b->data();
  memcpy(p, cfg_.magic.data(), kMagicLen);
  p[4] = static_cast<uint8_t>(type);
  put_be32(p + kPrefixLen, idx1);
  if (two_indexes) put_be32(p + kPrefixLen + kIndexLen, idx2);
  memcpy(p + header, msg.data(), msg.size());
  b->len = header + msg.size();
  out_.send_udp(to, b);
  return true;
}

uint32_t Node::start_initiation(const Endpoint& to, int target, const NodeId* peer) {
  EphemeralKey e;
  randombytes_buf(e.key.data(), e.key.size());
  auto hs = new_handshake_state(true, &e.key);
  if (!hs) return 0;
  std::vector<uint8_t> msg;
  if (!hs->write_message({}, msg)) return 0;
  if (handshakes_.size() >= kMaxHandshakes) timers_handshakes(UINT64_MAX);
  uint32_t idx = new_index();
  auto h = std::make_unique<Handshake>(Handshake{std::move(*hs)});
  h->ephemeral = std::move(e);
  h->initiator = true;
  h->endpoint = to;
  h->started_ns = clock_.now_ns();
  h->target = target;
  if (peer) h->peer = *peer;
  index_[idx] = Slot{nullptr, h.get()};
  handshakes_[idx] = std::move(h);
  send_handshake_message(to, PacketType::kHandshakeInit, idx, 0, false, msg);
  log_debug("handshake initiation %08x to %s", idx, to.str().c_str());
  return idx;
}

void Node::drop_handshake(uint32_t index) {
  auto it = handshakes_.find(index);
  if (it == handshakes_.end()) return;
  Handshake& h = *it->second;
  if (h.initiator && h.target >= 0 && static_cast<size_t>(h.target) < targets_.size() &&
      targets_[h.target].pending_index == index)
    targets_[h.target].pending_index = 0;
  if (h.peer) {
    auto p = peers_.find(*h.peer);
    if (p != peers_.end() && p->second->rekey_index == index) p->second->rekey_index = 0;
  }
  index_.erase(index);
  handshakes_.erase(it);
}

void Node::on_handshake_init(const Endpoint& from, PacketBuf* buf) {
  ++counters_.handshake_init_rx;
  std::span<const uint8_t> pkt(buf->data(), buf->len);
  if (pkt.size() <= kInitHeaderLen || pkt.size() > kMaxHandshakeLen) {
    ++counters_.drop_malformed;
    return;
  }
  uint64_t now = clock_.now_ns();
  if (!init_limiter_.allow(from, now)) {
    ++counters_.drop_rate_limited;
    return;
  }
  uint32_t remote_index = get_be32(pkt.data() + kPrefixLen);
  auto hs = new_handshake_state(false);
  std::vector<uint8_t> payload;
  if (!hs || !hs->read_message(pkt.subspan(kInitHeaderLen), payload)) {
    ++counters_.drop_auth;
    ++counters_.handshake_failed;
    if (log_allowed())
      log_warnx("handshake from %s refused: authentication failed (another shared key?)",
                from.str().c_str());
    return;
  }
  std::vector<uint8_t> msg;
  if (!hs->write_message({}, msg)) return;
  if (handshakes_.size() >= kMaxHandshakes) timers_handshakes(UINT64_MAX);
  uint32_t idx = new_index();
  auto h = std::make_unique<Handshake>(Handshake{std::move(*hs)});
  h->initiator = false;
  h->remote_index = remote_index;
  h->endpoint = from;
  h->started_ns = now;
  index_[idx] = Slot{nullptr, h.get()};
  handshakes_[idx] = std::move(h);
  send_handshake_message(from, PacketType::kHandshakeResp, idx, remote_index, true, msg);
}

void Node::on_handshake_resp(const Endpoint& from, PacketBuf* buf) {
  std::span<const uint8_t> pkt(buf->data(), buf->len);
  if (pkt.size() <= kRespHeaderLen || pkt.size() > kMaxHandshakeLen) {
    ++counters_.drop_malformed;
    return;
  }
  uint32_t remote_index = get_be32(pkt.data() + kPrefixLen);
  uint32_t local_index = get_be32(pkt.data() + kPrefixLen + kIndexLen);
  auto it = handshakes_.find(local_index);
  if (it == handshakes_.end() || !it->second->initiator ||
      it->second->hs.is_my_turn_to_write()) {
    ++counters_.drop_unknown_index;
    return;
  }
  Handshake& h = *it->second;
  std::vector<uint8_t> payload, msg;
  if (!h.hs.read_message(pkt.subspan(kRespHeaderLen), payload)) {
    // A forged response must not cancel the real one, but the failed read
    // left the state unusable: rebuild it as it was after our first message
    // (same ephemeral key, so the same message the responder answers).
    ++counters_.drop_auth;
    ++counters_.handshake_failed;
    auto fresh = new_handshake_state(true, &h.ephemeral.key);
    std::vector<uint8_t> again;
    if (fresh && fresh->write_message({}, again))
      h.hs = std::move(*fresh);
    else
      drop_handshake(local_index);
    return;
  }
  NodeId remote = h.hs.remote_static();
  if (remote == id_) {
    if (log_allowed()) log_warnx("peer %s is this node itself; ignoring it", from.str().c_str());
    drop_handshake(local_index);
    return;
  }
  if (!h.hs.write_message({}, msg)) {
    drop_handshake(local_index);
    return;
  }
  h.remote_index = remote_index;
  send_handshake_message(from, PacketType::kHandshakeFinal, remote_index, 0, false, msg);
  install_keypair(h, local_index, from);
}

void Node::on_handshake_final(const Endpoint& from, PacketBuf* buf) {
  std::span<const uint8_t> pkt(buf->data(), buf->len);
  if (pkt.size() <= kFinalHeaderLen || pkt.size() > kMaxHandshakeLen) {
    ++counters_.drop_malformed;
    return;
  }
  uint32_t local_index = get_be32(pkt.data() + kPrefixLen);
  auto it = handshakes_.find(local_index);
  if (it == handshakes_.end() || it->second->initiator) {
    ++counters_.drop_unknown_index;
    return;
  }
  Handshake& h = *it->second;
  std::vector<uint8_t> payload;
  if (!h.hs.read_message(pkt.subspan(kFinalHeaderLen), payload)) {
    ++counters_.drop_auth;
    ++counters_.handshake_failed;
    drop_handshake(local_index);
    return;
  }
  if (h.hs.remote_static() == id_) {
    drop_handshake(local_index);
    return;
  }
  install_keypair(h, local_index, from);
}

// Turns a finished handshake into the peer's current keypair. The local
// index that named the handshake now names the keypair.
void Node::install_keypair(Handshake& h, uint32_t local_index, const Endpoint& from) {
  uint64_t now = clock_.now_ns();
  NodeId remote = h.hs.remote_static();
  auto [c1, c2] = h.hs.split();
  auto kp = std::make_unique<Keypair>();
  kp->local_index = local_index;
  kp->remote_index = h.remote_index;
  kp->initiator = h.initiator;
  kp->created_ns = now;
  // c1 carries initiator -> responder, c2 the other way.
  crypto::CipherState& tx = h.initiator ? c1 : c2;
  crypto::CipherState& rx = h.initiator ? c2 : c1;
  kp->send = crypto::TransportKey(cfg_.cipher, std::span<const uint8_t, 32>(tx.key(), 32));
  kp->recv = crypto::TransportKey(cfg_.cipher, std::span<const uint8_t, 32>(rx.key(), 32));
  int target = h.target;
  bool initiator = h.initiator;
  std::optional<NodeId> renewing = h.peer;
  drop_handshake(local_index);   // h is gone from here on

  auto& slot = peers_[remote];
  bool is_new = !slot;
  if (is_new) slot = std::make_unique<Peer>(remote);
  Peer& peer = *slot;
  kp->peer = &peer;
  kp->confirmed = !initiator;
  if (initiator && peer.current && peer.current->confirmed &&
      now - peer.current->created_ns < kRejectAfterTimeNs) {
    retire_keypair(peer.next);
    peer.next = std::move(kp);
    index_[local_index] = Slot{peer.next.get(), nullptr};
  } else {
    demote_current(peer);
    peer.current = std::move(kp);
    index_[local_index] = Slot{peer.current.get(), nullptr};
  }
  if (peer.endpoint != from) peer.endpoint = from;
  peer.last_received_ns = now;
  ++peer.stats.handshakes;
  ++counters_.handshake_ok;
  if (is_new || peer.connected_ns == 0) {
    peer.connected_ns = now;
    peer.last_sent_ns = now;
    forwarder_->peer_added(&peer);
    log_info("peer %s connected at %s", peer.name().c_str(), from.str().c_str());
  } else {
    log_debug("peer %s: new session keys", peer.name().c_str());
  }
  if (target >= 0 && static_cast<size_t>(target) < targets_.size()) {
    targets_[target].node = remote;
    targets_[target].backoff_ns = kConnectBackoffMinNs;
  }
  // The responder answers at once, so the initiator learns that its final
  // message arrived and the new keys work in both directions.
  if (!initiator) send_keepalive(peer);
  // A renewal answered by another node at the peer's address: the peer
  // restarted with a new identity. Its old sessions are dead.
  if (renewing && *renewing != remote) remove_peer(*renewing, "was replaced by a new node at its address");
}

}  // namespace braid::engine
