// libFuzzer target for the packet path: every input becomes one UDP
// datagram to a Node that has a live session with another Node, a pending
// initiation and a pending response. The first input byte chooses how the
// rest is framed: as is, after the network's magic, or as a packet of one
// type naming a live index, so the fuzzer reaches the handshake readers and
// the AEAD without guessing 32-bit indexes; one mode seals the input with
// the real session keys, to reach what runs after authentication (replay
// window, roaming, control messages); two wrap packets in a relay header
// from the peer with a valid hop tag of its session (at a counter the
// input chooses), to reach relaying and what runs for relayed packets.
// Nothing may crash, leak, or keep a pool buffer.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/log.h"
#include "crypto/sodium.h"
#include "engine/node.h"

using namespace braid;
using namespace braid::engine;

namespace {

constexpr size_t kBuffers = 64;
constexpr size_t kBufferSize = 2048;
// A world is rebuilt after this much fake time, before its keys expire.
constexpr uint64_t kWorldLifeNs = 60 * kNsPerSec;

Endpoint address(uint8_t n) {
  const uint8_t a[4] = {10, 0, 0, n};
  return Endpoint::from_bytes(4, a, 3210);
}

// What a node sends: kept while the world is being set up, else dropped.
class Sink final : public NodeOutput {
 public:
  explicit Sink(BufferPool& pool) : pool_(pool) {}
  void send_udp(uint8_t /*link*/, const Endpoint& to, PacketBuf* buf) override {
    if (record) sent.emplace_back(to, std::vector<uint8_t>(buf->data(), buf->data() + buf->len));
    pool_.put(buf);
  }
  void write_device(PacketBuf* buf) override { pool_.put(buf); }

  bool record = false;
  std::vector<std::pair<Endpoint, std::vector<uint8_t>>> sent;

 private:
  BufferPool& pool_;
};

// Nodes a and b with a session (a initiated it); a also has an initiation
// pending to an address nobody answers from, and b a response pending to
// a third node c that never sends its final message.
class World {
 public:
  explicit World(bool plain) {
    NodeConfig cfg;
    cfg.magic = {0x62, 0x72, 0x64, 0x01};
    if (plain) {
      cfg.cipher = crypto::TransportCipher::kNone;
    } else {
      std::array<uint8_t, 32> psk;
      psk.fill(0x42);
      cfg.psk = psk;
    }
    magic = cfg.magic;
    net_key = cfg.psk ? derive_mac_key(cfg.magic, *cfg.psk) : derive_mac_key(cfg.magic, {});
    NodeConfig ca = cfg, cb = cfg, cc = cfg;
    ca.static_private.fill(0x11);
    cb.static_private.fill(0x22);
    cc.static_private.fill(0x33);
    a = std::make_unique<Node>(ca, clock, pool, out_a);
    b = std::make_unique<Node>(cb, clock, pool, out_b);
    c = std::make_unique<Node>(cc, clock, pool, out_c);
    a->add_target("b");
    a->set_target_addresses(0, {eb});
    a->add_target("nowhere");
    a->set_target_addresses(1, {address(99)});
    c->add_target("b");
    born_ns = clock.now_ns();
    out_a.record = out_b.record = true;
    a->on_tick();
    // Both ways until quiet: initiation, response, final, first keepalive.
    for (int round = 0; round < 8; ++round) {
      auto from_a = std::move(out_a.sent);
      auto from_b = std::move(out_b.sent);
      out_a.sent.clear();
      out_b.sent.clear();
      for (auto& [to, bytes] : from_a)
        if (to == eb) give(*b, ea, bytes);
      for (auto& [to, bytes] : from_b)
        if (to == ea) give(*a, eb, bytes);
    }
    out_a.record = out_b.record = false;
    out_a.sent.clear();
    out_b.sent.clear();
    arm_response();
  }

  // Hands a datagram to a node, in a pool buffer as the UDP layer would.
  void give(Node& to, const Endpoint& from, std::span<const uint8_t> bytes) {
    PacketBuf* p = pool.get(0);
    if (p == nullptr) __builtin_trap();
    if (bytes.size() > p->capacity) {
      pool.put(p);
      return;
    }
    if (!bytes.empty()) memcpy(p->data(), bytes.data(), bytes.size());
    p->len = bytes.size();
    to.on_udp_packet(from, p);
  }

  // c's initiation reaches b; b's answer never reaches c, so b waits for a
  // final message under b_pending.
  void arm_response() {
    c->set_target_addresses(0, {eb});
    out_c.record = true;
    c->on_tick();
    out_c.record = false;
    out_b.record = true;
    for (auto& [to, bytes] : out_c.sent) give(*b, ec, bytes);
    out_c.sent.clear();
    b_pending = 0;
    for (auto& [to, bytes] : out_b.sent)
      if (bytes.size() > kRespHeaderLen &&
          bytes[kMagicLen] == static_cast<uint8_t>(PacketType::kHandshakeResp))
        b_pending = get_be32(bytes.data() + kPrefixLen);
    out_b.sent.clear();
    out_b.record = false;
  }

  // b's view of the session with a, nullptr once it is gone.
  const Keypair* b_keypair() const {
    const Peer* p = b->find_peer(a->id());
    return p ? p->current.get() : nullptr;
  }
  const Keypair* a_keypair() const {
    const Peer* p = a->find_peer(b->id());
    return p ? p->current.get() : nullptr;
  }
  bool usable() const {
    return b_keypair() && a_keypair() && clock.now_ns() - born_ns < kWorldLifeNs;
  }

  FakeClock clock;
  BufferPool pool{kBuffers, kBufferSize};
  Sink out_a{pool}, out_b{pool}, out_c{pool};
  const Endpoint ea = address(1), eb = address(2), ec = address(3);
  std::unique_ptr<Node> a, b, c;
  Magic magic{};
  MacKey net_key;   // what b's mac1 check accepts
  uint64_t born_ns = 0;
  uint32_t b_pending = 0;
};

std::unique_ptr<World> g_worlds[2];

World& world(bool plain) {
  auto& w = g_worlds[plain ? 1 : 0];
  if (!w || !w->usable()) {
    w.reset();
    w = std::make_unique<World>(plain);
  }
  return *w;
}

enum Mode : uint8_t {
  kRaw,          // the bytes as they are
  kMagic,        // magic, then the bytes (type byte first)
  kTransport,    // magic, data/control type, b's live index, then the bytes
  kResponse,     // magic, response type, sender index, a's pending index, bytes
  kFinal,        // magic, final type, b's pending index, then the bytes
  kInit,         // magic, initiation type, then the bytes
  kSealed,       // a real packet of the session: type, counter, body sealed
  kInitMac,      // an initiation of the bytes with a valid mac1 (reaches Noise)
  kCookie,       // magic, cookie reply type, a's pending index, then the bytes
  kRelayed,      // hop counter u64, then an inner packet: relayed from a to b
  kRelayedSealed,  // a real packet of the session, relayed from a to b (hop
                   // counter: the inner one + 1, so both are fresh)
  kModes,
};

// Replaces a packet's magic by a relay header from a to b (hop limit
// from the selector), tagged under a's keys for b at `counter`.
std::vector<uint8_t> relay_wrap(const World& w, std::span<const uint8_t> inner, uint8_t hops,
                                uint64_t counter) {
  const Keypair* kp = w.a_keypair();
  if (kp == nullptr || counter == UINT64_MAX) return {};
  std::vector<uint8_t> p(kRelayHeaderLen);
  RelayHeader h;
  h.receiver_index = kp->remote_index;
  h.counter = counter;
  h.hops = hops;
  h.dst = w.b->id();
  h.src = w.a->id();
  write_relay_header(p.data(), w.magic, h);
  seal_relay_hop(p.data(), kp->send);
  if (inner.size() > kMagicLen) p.insert(p.end(), inner.begin() + kMagicLen, inner.end());
  return p;
}

std::vector<uint8_t> prefix(const World& w, PacketType type) {
  std::vector<uint8_t> p(w.magic.begin(), w.magic.end());
  p.push_back(static_cast<uint8_t>(type));
  return p;
}

void append_be32(std::vector<uint8_t>& p, uint32_t v) {
  uint8_t b[4];
  put_be32(b, v);
  p.insert(p.end(), b, b + 4);
}

// Builds a packet a could have sent under its current keys.
std::vector<uint8_t> sealed(const World& w, std::span<const uint8_t> in) {
  const Keypair* kp = w.a_keypair();
  if (kp == nullptr || in.size() < 9 || in.size() - 9 > kBufferSize - kTransportOverhead)
    return {};
  PacketType type = (in[0] & 1) ? PacketType::kControl : PacketType::kData;
  uint64_t counter = get_be64(in.data() + 1);
  if (counter == UINT64_MAX) return {};
  std::span<const uint8_t> body = in.subspan(9);
  std::vector<uint8_t> p(kTransportHeaderLen + body.size() + kp->send.tag_len());
  write_transport_header(p.data(), w.magic, type, kp->remote_index, counter);
  if (!body.empty()) memcpy(p.data() + kTransportHeaderLen, body.data(), body.size());
  kp->send.seal(counter, {p.data(), kTransportHeaderLen}, p.data() + kTransportHeaderLen,
                body.size(), p.data() + kTransportHeaderLen + body.size());
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  log_set_level(LogLevel::kError);
  crypto::init();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  std::span<const uint8_t> in(data + 1, size - 1);
  World& w = world(selector & 0x80);
  // Time moves a little with every datagram, so rate limits refill.
  w.clock.advance_ms(1);
  // Where the datagram claims to come from: the real peer or a stranger.
  const Endpoint from = (selector & 0x40) ? address(static_cast<uint8_t>(100 + (selector & 7)))
                                          : w.ea;

  std::vector<uint8_t> p;
  Node* to = w.b.get();
  switch ((selector & 0x3f) % kModes) {
    case kRaw:
      p.assign(in.begin(), in.end());
      break;
    case kMagic:
      p.assign(w.magic.begin(), w.magic.end());
      break;
    case kTransport: {
      const Keypair* kp = w.b_keypair();
      p = prefix(w, (selector & 0x20) ? PacketType::kControl : PacketType::kData);
      append_be32(p, kp ? kp->local_index : 0);
      break;
    }
    case kResponse:
      to = w.a.get();
      p = prefix(w, PacketType::kHandshakeResp);
      append_be32(p, 0x01020304);
      append_be32(p, w.a->targets()[1].pending_index);
      break;
    case kFinal:
      p = prefix(w, PacketType::kHandshakeFinal);
      append_be32(p, w.b_pending);
      break;
    case kInit:
      p = prefix(w, PacketType::kHandshakeInit);
      break;
    case kSealed:
      p = sealed(w, in);
      if (p.empty()) return 0;
      break;
    case kInitMac:
      p = prefix(w, PacketType::kHandshakeInit);
      p.insert(p.end(), in.begin(), in.end());
      p.resize(p.size() + kInitMacsLen, 0);
      write_mac1(p, w.net_key);
      break;
    case kCookie:
      to = w.a.get();
      p = prefix(w, PacketType::kCookieReply);
      append_be32(p, w.a->targets()[1].pending_index);
      break;
    case kRelayed: {
      if (in.size() < 8) return 0;
      p = relay_wrap(w, w.magic, static_cast<uint8_t>(selector & 0x1f), get_be64(in.data()));
      if (p.empty()) return 0;
      p.insert(p.end(), in.begin() + 8, in.end());   // the inner packet, type byte first
      break;
    }
    case kRelayedSealed:
      p = sealed(w, in);
      if (p.empty()) return 0;
      p = relay_wrap(w, p, static_cast<uint8_t>(selector & 0x1f), get_be64(in.data() + 1) + 1);
      if (p.empty()) return 0;
      break;
  }
  const int mode = (selector & 0x3f) % kModes;
  if (mode != kRaw && mode != kSealed && mode != kInitMac && mode != kRelayed &&
      mode != kRelayedSealed)
    p.insert(p.end(), in.begin(), in.end());
  w.give(*to, from, p);
  // A final message of a plausible length used up b's pending response.
  if ((selector & 0x3f) % kModes == kFinal && p.size() > kFinalHeaderLen &&
      p.size() <= kMaxHandshakeLen)
    w.arm_response();
  // Every buffer is back in the pool.
  if (w.pool.available() != kBuffers) __builtin_trap();
  return 0;
}
