// The handshake: Noise XX (with psk0 when the network has a shared key)
// carried in three packets. Message 1 ends with mac1/mac2 (cookie.h), so a
// stranger's initiation is dropped after one hash, and under load only an
// initiator that proves its address with a cookie gets a Diffie-Hellman.
// psk0 makes the first message authenticated by the shared key too. The
// three messages give both sides each other's static key (the node id),
// fresh ephemeral keys and, in certificate networks, each other's
// certificate (payloads of messages 2 and 3), checked against the trusted
// CAs and revocation lists before a session is installed.
#include <sodium.h>

#include "common/bytes.h"
#include "engine/node.h"
#include "engine/timers.h"

namespace braid::engine {

std::optional<crypto::HandshakeState> Node::new_handshake_state(bool initiator) {
  crypto::HandshakeConfig hc;
  hc.protocol_name = protocol_name_;
  hc.initiator = initiator;
  hc.prologue = prologue_;
  hc.static_private = cfg_.static_private;
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

std::vector<uint8_t> Node::own_payload() const {
  std::vector<uint8_t> payload;
  write_handshake_payload(cfg_.certificate, &payload);
  return payload;
}

PacketBuf* Node::handshake_buffer(PacketType type, size_t len) {
  // (Room in front for a relay header.)
  PacketBuf* b = pool_.get(kRelayOverhead);
  if (b == nullptr || b->capacity < len) {
    if (b) pool_.put(b);
    ++counters_.drop_no_buffer;
    return nullptr;
  }
  memcpy(b->data(), cfg_.magic.data(), kMagicLen);
  b->data()[kMagicLen] = static_cast<uint8_t>(type);
  b->len = len;
  return b;
}

bool Node::send_handshake_message(uint8_t link, const Endpoint& to, PacketType type, uint32_t idx1,
                                  uint32_t idx2, bool two_indexes,
                                  const std::vector<uint8_t>& msg,
                                  const std::optional<NodeId>& relay,
                                  const std::optional<NodeId>& relay_via) {
  size_t header = kPrefixLen + kIndexLen * (two_indexes ? 2 : 1);
  PacketBuf* b = handshake_buffer(type, header + msg.size());
  if (b == nullptr) return false;
  uint8_t* p = b->data();
  put_be32(p + kPrefixLen, idx1);
  if (two_indexes) put_be32(p + kPrefixLen + kIndexLen, idx2);
  memcpy(p + header, msg.data(), msg.size());
  if (relay) return send_relayed(*relay, b, LinkSend::kUrgent, nullptr, relay_via);
  send_on_link(link, to, b, LinkSend::kUrgent, clock_.now_ns());
  return true;
}

// Message 1 with its MACs: mac1 under the key chosen at start_initiation,
// mac2 under a cookie the responder gave us, if we hold a fresh one.
void Node::send_initiation(Handshake& h, uint32_t index, const std::vector<uint8_t>& msg) {
  size_t len = kInitHeaderLen + msg.size() + kInitMacsLen;
  PacketBuf* b = handshake_buffer(PacketType::kHandshakeInit, len);
  if (b == nullptr) return;
  uint8_t* p = b->data();
  put_be32(p + kPrefixLen, index);
  memcpy(p + kInitHeaderLen, msg.data(), msg.size());
  memset(p + len - kInitMacsLen, 0, kInitMacsLen);
  std::span<uint8_t> pkt(p, len);
  write_mac1(pkt, h.mac_key);
  memcpy(h.sent_mac1.data(), p + len - kInitMacsLen, kMacLen);
  if (h.relay) {
    send_relayed(*h.relay, b, LinkSend::kUrgent);
    return;
  }
  if (const auto* cookie = cookie_jar_.find(h.endpoint, clock_.now_ns())) write_mac2(pkt, *cookie);
  send_on_link(h.link, h.endpoint, b, LinkSend::kUrgent, clock_.now_ns());
}

uint32_t Node::start_initiation(const Endpoint& to, int target, const NodeId* peer,
                                bool peer_key, int link, const NodeId* relay_to) {
  auto hs = new_handshake_state(true);
  if (!hs) return 0;
  std::vector<uint8_t> msg;
  if (!hs->write_message({}, msg)) return 0;
  if (handshakes_.size() >= kMaxHandshakes) timers_handshakes(UINT64_MAX);
  uint32_t idx = new_index();
  auto h = std::make_unique<Handshake>(Handshake{std::move(*hs)});
  h->initiator = true;
  h->endpoint = to;
  h->started_ns = clock_.now_ns();
  h->target = target;
  if (relay_to) h->relay = *relay_to;
  if (link >= 0 && static_cast<size_t>(link) < links_.size()) h->link = static_cast<uint8_t>(link);
  if (peer) {
    h->peer = *peer;
    // An initiation opens a firewall's state as any packet does: what
    // proves the way open (note_inbound) must not follow one.
    auto p = peers_.find(*peer);
    if (p != peers_.end()) {
      p->second->last_initiation_ns = h->started_ns;
      if (link < 0) h->link = p->second->link;
    }
  }
  h->first_contact = !(peer && peer_key);
  h->mac_key = peer && peer_key ? derive_mac_key(cfg_.magic, *peer) : network_mac_keys_.front();
  Handshake& ref = *h;
  index_[idx] = Slot{nullptr, h.get()};
  handshakes_[idx] = std::move(h);
  send_initiation(ref, idx, msg);
  if (relay_to)
    log_debug("handshake initiation %08x to node %s through relays", idx, short_id(*relay_to).c_str());
  else
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
  if (h.candidate) {
    auto c = candidates_.find(*h.candidate);
      if (c != candidates_.end() && c->second.pending_index == index) c->second.pending_index = 0;
    if (c != candidates_.end() && c->second.relay_index == index) c->second.relay_index = 0;
  }
  if (h.peer) {
    auto p = peers_.find(*h.peer);
    if (p != peers_.end() && p->second->rekey_index == index) p->second->rekey_index = 0;
    if (p != peers_.end() && p->second->direct_index == index) p->second->direct_index = 0;
  }
  index_.erase(index);
  handshakes_.erase(it);
}

// The network's keys first: first contacts and floods use them; only
// renewals use our own.
const MacKey* Node::find_mac1_key(std::span<const uint8_t> pkt) const {
  for (const MacKey& k : network_mac_keys_)
    if (check_mac1(pkt, k)) return &k;
  if (check_mac1(pkt, own_mac_key_)) return &own_mac_key_;
  return nullptr;
}

// The order of the checks is the order of their cost: length, one hash
// (mac1), the load test and a cookie hash (mac2), the per-source budget,
// and only then the Noise message with its Diffie-Hellmans.
// Through relays (relay_src), the address is the last relay's: no cookie
// is asked (a cookie proves an address, and the hop's tag has already
// proved which member relayed it), the rate limit counts it against that
// neighbour and against all relayed initiations, and the answer goes
// back through relays.
void Node::on_handshake_init(const Endpoint& from, PacketBuf* buf, uint8_t link,
                             const NodeId* relay_src) {
  ++counters_.handshake_init_rx;
  std::span<const uint8_t> pkt(buf->data(), buf->len);
  // One length per network: e, and with a PSK the tag of the empty
  // payload; anything else would be a payload a stranger makes us read.
  if (pkt.size() != (cfg_.psk ? kMaxInitLen : kMinInitLen)) {
    ++counters_.drop_malformed;
    if (pkt.size() == (cfg_.psk ? kMinInitLen : kMaxInitLen) &&
        mac_log_limiter_.allow(clock_.now_ms()))
      log_info("handshake initiation from %s dropped: its sender %s; such drops are counted, "
               "logged at most every 10 s",
               from.str().c_str(), cfg_.psk ? "has no shared key (this node has one)"
                                            : "has a shared key (this node has none)");
    return;
  }
  const MacKey* key = find_mac1_key(pkt);
  if (key == nullptr) {
    ++counters_.drop_mac;
    // Rarely: under a flood this is the line that would repeat.
    if (mac_log_limiter_.allow(clock_.now_ms()))
      log_info("handshake initiation from %s dropped: not keyed for this network (another "
               "shared key, CA or magic?); such drops are counted, logged at most every 10 s",
               from.str().c_str());
    return;
  }
  uint64_t now = clock_.now_ns();
  if (cookie_checker_.note_initiation(now) && !relay_src && !cookie_checker_.check(pkt, from, now)) {
    PacketBuf* b = handshake_buffer(PacketType::kCookieReply, kCookieReplyLen);
    if (b == nullptr) return;
    cookie_checker_.make_reply(pkt, from, *key, cfg_.magic,
                               std::span<uint8_t, kCookieReplyLen>(b->data(), kCookieReplyLen));
    ++counters_.cookie_sent;
    send_on_link(link, from, b, LinkSend::kUrgent, now);
    return;
  }
  bool allowed = relay_src && relay_prev_ ? init_limiter_.allow_relayed(*relay_prev_, now)
                                         : init_limiter_.allow(from, now);
  if (!allowed) {
    ++counters_.drop_rate_limited;
    return;
  }
  uint32_t remote_index = get_be32(pkt.data() + kPrefixLen);
  auto hs = new_handshake_state(false);
  std::vector<uint8_t> payload;
  if (!hs || !hs->read_message(pkt.subspan(kInitHeaderLen, pkt.size() - kInitHeaderLen - kInitMacsLen),
                               payload)) {
    ++counters_.drop_auth;
    ++counters_.handshake_failed;
    if (log_allowed())
      log_warnx("handshake from %s refused: authentication failed (another shared key?)",
                from.str().c_str());
    return;
  }
  std::vector<uint8_t> msg;
  if (!hs->write_message(own_payload(), msg)) return;
  if (handshakes_.size() >= kMaxHandshakes) timers_handshakes(UINT64_MAX);
  uint32_t idx = new_index();
  auto h = std::make_unique<Handshake>(Handshake{std::move(*hs)});
  h->initiator = false;
  h->first_contact = key != &own_mac_key_;
  h->remote_index = remote_index;
  h->endpoint = from;
  h->link = link;
  h->started_ns = now;
  if (relay_src) h->relay = *relay_src;
  if (relay_src) h->relay_via = relay_prev_;
  std::optional<NodeId> relay = h->relay;
  std::optional<NodeId> relay_via = h->relay_via;
  index_[idx] = Slot{nullptr, h.get()};
  handshakes_[idx] = std::move(h);
  send_handshake_message(link, from, PacketType::kHandshakeResp, idx, remote_index, true, msg,
                         relay, relay_via);
}

void Node::on_cookie_reply(const Endpoint& from, PacketBuf* buf) {
  std::span<const uint8_t> pkt(buf->data(), buf->len);
  if (pkt.size() != kCookieReplyLen) {
    ++counters_.drop_malformed;
    return;
  }
  uint32_t local_index = get_be32(pkt.data() + kPrefixLen);
  auto it = handshakes_.find(local_index);
  if (it == handshakes_.end() || !it->second->initiator || it->second->hs.is_my_turn_to_write()) {
    ++counters_.drop_unknown_index;
    return;
  }
  Handshake& h = *it->second;
  uint64_t now = clock_.now_ns();
  if (!cookie_jar_.accept_reply(pkt, h.mac_key, h.sent_mac1, h.endpoint, now)) {
    ++counters_.drop_auth;
    return;
  }
  ++counters_.cookie_received;
  log_debug("cookie from %s: it is under load", from.str().c_str());
  // A configured peer is tried again at the next tick, now with a cookie.
  // Same address (it holds the cookie), and the cookie is no failure:
  // the wait does not grow.
  if (h.target >= 0 && static_cast<size_t>(h.target) < targets_.size() &&
      targets_[h.target].pending_index == local_index) {
    Target& t = targets_[h.target];
    t.next_attempt_ns = now;
    if (t.next_addr > 0) --t.next_addr;
    t.backoff_ns = std::max(kConnectBackoffMinNs, t.backoff_ns / 2);
  }
}

// Certificate networks: the payload must hold a certificate that the
// trusted CAs vouch for, now, for the static key the handshake proved.
bool Node::accept_certificate(Handshake& h, std::span<const uint8_t> payload,
                              const Endpoint& from) {
  if (cfg_.certificate.empty()) return true;
  std::span<const uint8_t> cert_bytes;
  identity::Certificate cert;
  const char* why = nullptr;
  std::string name;
  if (!parse_handshake_payload(payload, &cert_bytes) || cert_bytes.empty()) {
    why = "no certificate";
  } else {
    std::string ignored;
    if (identity::decode(cert_bytes, &cert, &ignored)) name = cert.name;
    identity::Verdict v = cfg_.trust.verify(cert_bytes, clock_.unix_s(), &cert);
    if (v == identity::Verdict::kOk && cert.public_key != h.hs.remote_static())
      v = identity::Verdict::kKeyMismatch;
    if (v != identity::Verdict::kOk) why = identity::verdict_text(v);
  }
  if (why != nullptr) {
    ++counters_.handshake_refused;
    if (log_allowed())
      log_warnx("handshake from %s refused: %s%s%s%s", from.str().c_str(), why,
                name.empty() ? "" : " (node ", name.c_str(), name.empty() ? "" : ")");
    return false;
  }
  h.fingerprint = identity::fingerprint(cert_bytes);
  h.cert = std::move(cert);
  return true;
}

void Node::on_handshake_resp(const Endpoint& from, PacketBuf* buf, uint8_t link,
                             const NodeId* relay_src) {
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
  // A forged response must not cancel the real one: a failed read leaves
  // the state unusable, so it is read into a copy.
  crypto::HandshakeState saved = h.hs.clone();
  if (!h.hs.read_message(pkt.subspan(kRespHeaderLen), payload)) {
    ++counters_.drop_auth;
    ++counters_.handshake_failed;
    h.hs = std::move(saved);
    return;
  }
  NodeId remote = h.hs.remote_static();
  if (remote == id_) {
    if (log_allowed()) log_warnx("peer %s is this node itself; ignoring it", from.str().c_str());
    drop_handshake(local_index);
    return;
  }
  // Through relays, the node we addressed answers, and only it, and
  // only the way we asked: a relayed initiation's answer arriving
  // directly (or the other way round) was redirected by someone.
  if (h.relay.has_value() != (relay_src != nullptr) || (h.relay && remote != *h.relay) ||
      (relay_src && remote != *relay_src)) {
    ++counters_.drop_auth;
    h.hs = std::move(saved);
    return;
  }
  // Anyone who saw our initiation can answer it with a valid Noise message
  // of its own key: a refused certificate must not cancel the genuine
  // response either.
  if (!accept_certificate(h, payload, from)) {
    h.hs = std::move(saved);
    return;
  }
  if (!h.hs.write_message(own_payload(), msg)) {
    drop_handshake(local_index);
    return;
  }
  h.remote_index = remote_index;
  std::optional<NodeId> relay;
  if (relay_src) relay = *relay_src;
  if (relay_src) h.relay_via = relay_prev_;
  send_handshake_message(link, from, PacketType::kHandshakeFinal, remote_index, 0, false, msg,
                         relay, h.relay_via);
  install_keypair(h, local_index, from, link, relay_src != nullptr);
}

void Node::on_handshake_final(const Endpoint& from, PacketBuf* buf, uint8_t link,
                              const NodeId* relay_src) {
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
  crypto::HandshakeState saved = h.hs.clone();
  if (!h.hs.read_message(pkt.subspan(kFinalHeaderLen), payload)) {
    ++counters_.drop_auth;
    ++counters_.handshake_failed;
    h.hs = std::move(saved);
    return;
  }
  // Through relays: the node the initiation said it came from, and the
  // final message the same way.
  bool relayed = h.relay.has_value();
  if (h.hs.remote_static() == id_ || relayed != (relay_src != nullptr) ||
      (relayed && (h.hs.remote_static() != *h.relay || *relay_src != *h.relay)) ||
      !accept_certificate(h, payload, from)) {
    drop_handshake(local_index);
    return;
  }
  install_keypair(h, local_index, from, link, relayed);
}

// Turns a finished handshake into the peer's current keypair. The local
// index that named the handshake now names the keypair.
// Through relays (`relayed`), `from` is a relay's address: the peer's
// direct way, if it has one, stays as it was.
void Node::install_keypair(Handshake& h, uint32_t local_index, const Endpoint& from,
                           uint8_t link, bool relayed) {
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
  std::optional<identity::Certificate> cert = std::move(h.cert);
  identity::Fingerprint fingerprint = h.fingerprint;
  std::optional<NodeId> candidate = h.candidate;
  bool first_contact = h.first_contact;
  bool probe = h.probe;
  uint64_t started_ns = h.started_ns;
  std::optional<NodeId> relay_via = h.relay_via;
  drop_handshake(local_index);   // h is gone from here on
  // Heard of as one node, answered as another: what we were told of it
  // was wrong; the node that answered is a peer like any other.
  // (Reached through relays, where it was heard of is still worth
  // trying directly: routing.cc timers_direct.)
  std::optional<Endpoint> hint;
  if (auto c = candidates_.find(remote); c != candidates_.end() && !c->second.endpoints.empty())
    hint = c->second.endpoints.front();
  if (candidate) candidates_.erase(*candidate);
  candidates_.erase(remote);

  auto& slot = peers_[remote];
  bool is_new = !slot;
  // A direct handshake with a peer whose direct tunnel was given up
  // (tunnels.cc) is the other side's refresh choosing it: the tunnel is
  // back.
  if (!is_new && !relayed) slot->unlinked_until_ns = 0;
  bool moved = !relayed && !is_new && slot->endpoint != from;
  if (is_new) slot = std::make_unique<Peer>(remote);
  Peer& peer = *slot;
  // Each handshake shows the certificate afresh: a renewed one replaces
  // the old with its new validity.
  if (cert) {
    peer.cert = std::move(cert);
    peer.fingerprint = fingerprint;
  }
  kp->peer = &peer;
  kp->confirmed = !initiator;
  bool into_next = initiator && peer.current && peer.current->confirmed &&
                   now - peer.current->created_ns < kRejectAfterTimeNs;
  // Two handshakes that crossed: both sides keep the one the first
  // renewer started (settle_crossed in data.cc mends what slips past
  // this). The other is kept for receiving only.
  // (Started before the current keypair existed: a handshake started
  // after it, such as a restarted peer's first contact, replaces it.)
  bool crossed_loser = peer.current && prevails(peer, peer.current->initiator) &&
                       !prevails(peer, initiator) && started_ns <= peer.current->created_ns &&
                       now - peer.current->created_ns <= kHandshakeTimeoutNs;
  if (crossed_loser) {
    index_[local_index] = Slot{retire_front(peer, std::move(kp)), nullptr};
    into_next = false;   // current stands, fresh: nothing waits
  } else if (into_next) {
    retire_keypair(peer.next);
    peer.next = std::move(kp);
    index_[local_index] = Slot{peer.next.get(), nullptr};
  } else {
    demote_current(peer);
    peer.current = std::move(kp);
    index_[local_index] = Slot{peer.current.get(), nullptr};
  }
  if (!relayed && (peer.endpoint != from || peer.link != link)) {
    peer.endpoint = from;
    peer.link = link;
  }
  if (!relayed) peer.direct_rx_ns = now;
  if (relayed && relay_via) peer.relayed_via = relay_via;
  if (relayed && !peer.direct() && hint && !peer.direct_hint) {
    peer.direct_hint = hint;
    peer.direct_next_ns = now;
  }
  // Multi-link: the handshake's way is a path, and each of our links
  // tries the endpoint that answered.
  if (!relayed && multilink(peer)) {
    add_path(peer, link, from, now);
    add_link_paths(peer, from, now);
  }
  peer.last_received_ns = now;
  peer.awaiting_reply_ns = 0;
  peer.last_handshake_ns = now;
  ++peer.stats.handshakes;
  ++counters_.handshake_ok;
  if (!initiator && !is_new && !relayed) note_inbound(peer, now);
  // Our probe's handshake answered: the peer is alive, so the packet it
  // sent after the quiet was filtered on the way to us.
  if (initiator && peer.seen_us_at) {
    FirewallProbe& fw = fw_[family(*peer.seen_us_at)];
    if (fw.peer == remote && fw.asked && !fw.open) {
      fw.failed = true;
      end_probe(fw, now, false);
      log_info("a packet from peer %s after %llu s of quiet did not reach this node: something "
               "filters what it does not ask for; keepalives stay every %u s",
               peer.name().c_str(),
               static_cast<unsigned long long>(idle_keepalive_ns() / kNsPerSec), cfg_.keepalive_s);
    }
  }
  if (is_new || peer.connected_ns == 0) {
    peer.connected_ns = now;
    peer.last_sent_ns = now;
    forwarder_->peer_added(&peer);
    if (!initiator) announce(peer);
  } else {
    log_debug("peer %s: new session keys", peer.name().c_str());
    // A first contact from a peer we know: it restarted and has lost what
    // we told it. Otherwise a renewal: our claims again, which costs one
    // small packet and repairs a lost copy.
    // Our new keys wait in `next` until the peer uses them: greet it then,
    // since a restarted peer cannot open what its old session sealed.
    if (first_contact && peer.announced && into_next)
      peer.greet_due = true;
    else if (first_contact && peer.announced)
      greet(peer);
    else if (!cfg_.claims.empty())   // (nothing to repair in an empty list)
      send_claims(peer);
  }
  if (target >= 0 && static_cast<size_t>(target) < targets_.size()) {
    targets_[target].node = remote;
    targets_[target].backoff_ns = kConnectBackoffMinNs;
  }
  // The responder answers at once, so the initiator learns that its final
  // message arrived and the new keys work in both directions.
  if (!initiator) send_keepalive(peer);
  peer.renew_now = false;
  if (!into_next) send_stashed(peer);
  // A handshake moved it (our path changed, or its): where it sees us may
  // have changed too.
  if (moved) send_seen(peer);
  // A renewal answered by another node at the peer's address: the peer
  // restarted with a new identity. Its old sessions are dead.
  // (Not for a beacon's probe: its address is only what a beacon claimed.)
  if (renewing && *renewing != remote && !probe)
    remove_peer(*renewing, "was replaced by a new node at its address");
}

void Node::announce(Peer& peer) {
  if (peer.announced) return;
  peer.announced = true;
  if (peer.direct())
    log_info("peer %s connected at %s", peer.name().c_str(), peer.endpoint.str().c_str());
  else
    log_info("peer %s connected through relays", peer.name().c_str());
  greet(peer);
}

}  // namespace braid::engine
