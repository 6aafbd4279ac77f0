// Node sessions on the fake network: connecting, carrying packets, and
// refusing everything that is not a member's authentic, fresh packet.
#include "engine/node.h"

#include <cstring>
#include <memory>
#include <tuple>

#include "common/bytes.h"
#include "common/log.h"
#include "crypto/sodium.h"
#include "fakenet.h"

// Last: its new/delete macros must not reach the standard headers.
#include <CppUTest/TestHarness.h>

using namespace braid;
using namespace braid::engine;
using namespace braid::engine::test;

namespace {

uint64_t drops(const Counters& c) {
  return c.drop_foreign + c.drop_malformed + c.drop_unknown_index + c.drop_auth +
         c.drop_replay + c.drop_expired + c.drop_no_peer + c.drop_no_buffer +
         c.drop_send_error + c.drop_rate_limited + c.drop_device_error + c.drop_mac +
         c.drop_unauthorized + c.drop_relay + c.drop_hop_limit + c.drop_no_route;
}

}  // namespace

TEST_GROUP_BASE(NodeSession, NetTest) {


  // Two plain-mode nodes (no PSK, no cipher), connected.
  std::pair<Host*, Host*> plain_pair() {
    NodeConfig ca = FakeNet::config(1), cb = FakeNet::config(2);
    for (NodeConfig* c : {&ca, &cb}) {
      c->cipher = crypto::TransportCipher::kNone;
      c->psk.reset();
    }
    return connected_pair(ca, cb);
  }

  // Two nodes of one network, a targeting b, connected by one tick.
  std::pair<Host*, Host*> connected_pair(NodeConfig ca = FakeNet::config(1),
                                         NodeConfig cb = FakeNet::config(2)) {
    Host& a = net->add(ca);
    Host& b = net->add(cb);
    a.target(b);
    net->tick();
    CHECK(connected(a, b));
    return {&a, &b};
  }
};

TEST(NodeSession, TwoNodesWithTheSamePskConnectAfterATickAndCarryPacketsBothWays) {
  Host& a = net->add();
  Host& b = net->add();
  a.target(b);
  LONGS_EQUAL(0, a.node().peer_count());
  net->tick();
  CHECK(connected(a, b));
  LONGS_EQUAL(1, a.node().peers().size());
  LONGS_EQUAL(1, b.node().peers().size());
  CHECK(a.node().peers()[0]->id() == b.node().id());
  CHECK(b.node().peers()[0]->id() == a.node().id());
  CHECK(a.peer_of(b)->endpoint == b.addr());
  CHECK(b.peer_of(a)->endpoint == a.addr());
  CHECK(a.node().targets()[0].node == b.node().id());

  for (uint32_t i = 0; i < 10; ++i) {
    a.device_packet(make_packet(i, 40 + i * 100));
    b.device_packet(make_packet(100 + i, 1400 - i));
  }
  net->pump();
  LONGS_EQUAL(10, b.written.size());
  LONGS_EQUAL(10, a.written.size());
  for (uint32_t i = 0; i < 10; ++i) {
    CHECK(b.written[i] == make_packet(i, 40 + i * 100));
    CHECK(a.written[i] == make_packet(100 + i, 1400 - i));
  }
  LONGS_EQUAL(10, b.node().counters().device_tx);
  LONGS_EQUAL(10, a.node().counters().device_rx);
  LONGS_EQUAL(0, drops(a.node().counters()));
  LONGS_EQUAL(0, drops(b.node().counters()));
  // What crosses the network is not the inner packet.
  for (const Datagram& d : net->sent)
    if (d.is(PacketType::kData) && d.bytes.size() > kTransportOverhead + 40)
      CHECK(memcmp(d.bytes.data() + kTransportHeaderLen, make_packet(0, 40).data() + 4, 36) != 0);
}

TEST(NodeSession, ThreeNodeHubDeliversToBothOthers) {
  Host& a = net->add();
  Host& b = net->add();
  Host& c = net->add();
  a.target(b);
  a.target(c);
  net->tick();
  CHECK(connected(a, b));
  CHECK(connected(a, c));
  LONGS_EQUAL(2, a.node().peers().size());
  for (uint32_t i = 0; i < 5; ++i) a.device_packet(make_packet(i));
  net->pump();
  LONGS_EQUAL(5, b.written.size());
  LONGS_EQUAL(5, c.written.size());
  for (uint32_t i = 0; i < 5; ++i) {
    CHECK(b.written[i] == make_packet(i));
    CHECK(c.written[i] == make_packet(i));
  }
  b.device_packet(make_packet(50));
  c.device_packet(make_packet(60));
  net->pump();
  LONGS_EQUAL(2, a.written.size());
}

TEST(NodeSession, AHubPacketWithNoBufferForACopyStillReachesTheLastPeer) {
  Host& a = net->add();
  Host& b = net->add();
  Host& c = net->add();
  a.target(b);
  a.target(c);
  net->tick();
  std::vector<PacketBuf*> held;
  while (net->pool.available() > 1) held.push_back(net->pool.get(0));
  a.device_packet(make_packet(1));
  for (PacketBuf* p : held) net->pool.put(p);
  net->pump();
  LONGS_EQUAL(1, a.node().counters().drop_no_buffer);
  LONGS_EQUAL(1, b.written.size() + c.written.size());
}

TEST(NodeSession, ANodeWithAnotherPskNeverConnects) {
  Host& a = net->add();
  NodeConfig cfg = FakeNet::config(2);
  cfg.psk->fill(0x43);
  Host& b = net->add(cfg);
  a.target(b);
  net->tick();
  // mac1 is keyed by the network's PSK: b drops a's initiations after one
  // hash, before any Noise processing.
  uint64_t first = b.node().counters().drop_mac;
  CHECK(first >= 1);
  net->run_ms(20000);
  LONGS_EQUAL(0, a.node().peer_count());
  LONGS_EQUAL(0, b.node().peer_count());
  CHECK(b.node().counters().drop_mac > first);
  LONGS_EQUAL(0, b.node().counters().drop_auth);
  LONGS_EQUAL(0, b.node().counters().handshake_ok);
  // b never answered: the first message fails before b does any work.
  for (const Datagram& d : net->sent) CHECK(d.from == a.addr());
}

// A reload's new shared key: both ends take it, their session is renewed
// under it and carries on; a node with the old key is shut out, and one
// with the new key gets in.
TEST(NodeSession, ASharedKeyChangedOnBothEndsKeepsTheSessionAndShutsOutTheOldKey) {
  auto [a, b] = connected_pair();
  uint64_t renewals = a->node().counters().handshake_ok;
  std::array<uint8_t, 32> next;
  next.fill(0x77);
  std::string why;
  CHECK_TEXT(a->node().set_shared_key(next, &why), why.c_str());
  CHECK_TEXT(b->node().set_shared_key(next, &why), why.c_str());
  net->run_ms(2000);
  CHECK(connected(*a, *b));
  CHECK(a->node().counters().handshake_ok > renewals);
  a->device_packet(make_packet(1, 100));
  net->pump();
  LONGS_EQUAL(1, b->written.size());

  NodeConfig old_key = FakeNet::config(3);   // 0x42, the key before
  Host& c = net->add(old_key);
  c.target(*a);
  NodeConfig new_key = FakeNet::config(4);
  new_key.psk = next;
  Host& d = net->add(new_key);
  d.target(*a);
  net->run_ms(5000);
  CHECK(a->peer_of(c) == nullptr);
  CHECK(connected(*a, d));
  CHECK(connected(*a, *b));
}

// Only one end takes the new key: the session stands until it expires,
// and then no packet passes.
TEST(NodeSession, APeerWithoutTheNewSharedKeyIsCutOffWhenItsSessionExpires) {
  auto [a, b] = connected_pair();
  std::array<uint8_t, 32> next;
  next.fill(0x77);
  std::string why;
  CHECK_TEXT(a->node().set_shared_key(next, &why), why.c_str());
  net->run_ms(10000);
  a->device_packet(make_packet(1, 100));
  net->pump();
  LONGS_EQUAL(1, b->written.size());
  net->run_ms(190000);
  a->device_packet(make_packet(2, 100));
  b->device_packet(make_packet(3, 100));
  net->pump();
  LONGS_EQUAL(1, b->written.size());
  LONGS_EQUAL(0, a->written.size());
  net->run_ms(6000);   // the packets held for a new session are dropped
  LONGS_EQUAL(1, b->written.size());
  LONGS_EQUAL(0, a->written.size());
  // A node without a shared key cannot take one (the handshake differs).
  auto [p, q] = plain_pair();
  CHECK_FALSE(p->node().set_shared_key(next, &why));
  STRCMP_CONTAINS("without a shared key", why.c_str());
  (void)q;
}

TEST(NodeSession, ANodeWithoutThePskNeverConnects) {
  Host& a = net->add();
  NodeConfig cfg = FakeNet::config(2);
  cfg.psk.reset();
  Host& b = net->add(cfg);
  a.target(b);
  b.target(a);
  net->run_ms(10000);
  LONGS_EQUAL(0, a.node().peer_count());
  LONGS_EQUAL(0, b.node().peer_count());
  // Their initiations differ in length (with and without the PSK's tag):
  // each drops the other's at once, before any hash.
  CHECK(a.node().counters().drop_malformed >= 2);
  CHECK(b.node().counters().drop_malformed >= 2);
  LONGS_EQUAL(0, a.node().counters().drop_mac + b.node().counters().drop_mac);
  LONGS_EQUAL(0, a.node().counters().handshake_ok);
  LONGS_EQUAL(0, b.node().counters().handshake_ok);
}

TEST(NodeSession, ANodeOfAnotherMagicIsDroppedAsForeign) {
  Host& a = net->add();
  NodeConfig cfg = FakeNet::config(2);
  cfg.magic[3] ^= 1;
  Host& b = net->add(cfg);
  a.target(b);
  net->run_ms(5000);
  LONGS_EQUAL(0, a.node().peer_count());
  LONGS_EQUAL(0, b.node().peer_count());
  CHECK(b.node().counters().drop_foreign >= 1);
  LONGS_EQUAL(b.node().counters().rx_packets, b.node().counters().drop_foreign);
  LONGS_EQUAL(0, b.node().counters().handshake_init_rx);
}

TEST(NodeSession, ATamperedDataPacketIsDroppedAndTheNextGoodOnePasses) {
  Host *a, *b;
  std::tie(a, b) = connected_pair();
  // Alter each byte of the datagram in turn (the magic and type too): the
  // header is authenticated with the body, so none may get through.
  size_t len = kTransportOverhead + 60;
  for (size_t pos = 0; pos < len; ++pos) {
    bool tampered = false;
    net->filter = [&](Datagram& d, std::vector<Datagram>& out) {
      if (!tampered && d.is(PacketType::kData) && d.bytes.size() == len) {
        d.bytes[pos] ^= 0x01;
        tampered = true;
      }
      out.push_back(d);
    };
    uint64_t before = drops(b->node().counters());
    a->device_packet(make_packet(static_cast<uint32_t>(pos)));
    net->pump();
    CHECK(tampered);
    LONGS_EQUAL(0, b->written.size());
    LONGS_EQUAL(before + 1, drops(b->node().counters()));
  }
  CHECK(b->node().counters().drop_auth >= len - kPrefixLen - kIndexLen);
  net->filter = nullptr;
  a->device_packet(make_packet(1000));
  net->pump();
  LONGS_EQUAL(1, b->written.size());
  CHECK(b->written[0] == make_packet(1000));
}

TEST(NodeSession, ATamperedPacketFromANewAddressDoesNotMoveThePeer) {
  Host *a, *b;
  std::tie(a, b) = connected_pair();
  Endpoint elsewhere = FakeNet::address(99, 4000);
  net->filter = [&](Datagram& d, std::vector<Datagram>& out) {
    d.from = elsewhere;
    d.bytes.back() ^= 0x80;
    out.push_back(d);
  };
  a->device_packet(make_packet(1));
  net->pump();
  LONGS_EQUAL(1, b->node().counters().drop_auth);
  CHECK(b->peer_of(*a)->endpoint == a->addr());
}

TEST(NodeSession, AReplayedDataPacketIsDropped) {
  Host *a, *b;
  std::tie(a, b) = connected_pair();
  std::vector<Datagram> captured;
  net->filter = [&](Datagram& d, std::vector<Datagram>& out) {
    if (d.is(PacketType::kData) && d.bytes.size() > kTransportOverhead) {
      captured.push_back(d);
      out.push_back(d);  // duplicated on the way
    }
    out.push_back(d);
  };
  a->device_packet(make_packet(1));
  net->pump();
  LONGS_EQUAL(1, b->written.size());
  LONGS_EQUAL(1, b->node().counters().drop_replay);
  net->filter = nullptr;
  for (uint32_t i = 2; i < 50; ++i) a->device_packet(make_packet(i));
  net->pump();
  LONGS_EQUAL(49, b->written.size());
  // Replayed later, after the window moved on.
  net->inject(captured[0]);
  net->pump();
  LONGS_EQUAL(2, b->node().counters().drop_replay);
  LONGS_EQUAL(49, b->written.size());
}

TEST(NodeSession, ReorderedDataPacketsAreAllDelivered) {
  Host *a, *b;
  std::tie(a, b) = connected_pair();
  std::vector<Datagram> held;
  net->filter = [&](Datagram& d, std::vector<Datagram>& out) {
    if (d.is(PacketType::kData)) held.push_back(d);
    else out.push_back(d);
  };
  for (uint32_t i = 0; i < 100; ++i) a->device_packet(make_packet(i));
  net->pump();
  LONGS_EQUAL(0, b->written.size());
  for (size_t i = held.size(); i-- > 0;) net->inject(held[i]);
  net->pump();
  LONGS_EQUAL(100, b->written.size());
  LONGS_EQUAL(99, packet_seq(b->written[0]));
  LONGS_EQUAL(0, drops(b->node().counters()));
}

TEST(NodeSession, CloseAllMakesTheOtherSideDropThePeerAtOnce) {
  Host *a, *b;
  std::tie(a, b) = connected_pair();
  a->node().close_all();
  net->pump();
  LONGS_EQUAL(0, b->node().peer_count());
  CHECK(b->node().peers().empty());
  b->device_packet(make_packet(1));
  net->pump();
  LONGS_EQUAL(1, b->node().counters().drop_no_peer);
  LONGS_EQUAL(0, a->written.size());
}

TEST(NodeSession, AConfiguredTargetThatClosedIsContactedAgain) {
  Host *a, *b;
  std::tie(a, b) = connected_pair();
  uint32_t old_index = a->keypair_to(*b)->local_index;
  b->node().close_all();
  net->pump();
  LONGS_EQUAL(0, a->node().peer_count());
  // Within a backoff step and its jitter.
  net->run_ms(1500);
  CHECK(connected(*a, *b));
  CHECK(a->keypair_to(*b)->local_index != old_index);
  a->device_packet(make_packet(7));
  net->pump();
  LONGS_EQUAL(1, b->written.size());
}

TEST(NodeSession, DataFromANewSourceEndpointMovesThePeersEndpoint) {
  Host *a, *b;
  std::tie(a, b) = connected_pair();
  // a's NAT mapping changes: its packets now come from another address,
  // and what is sent there reaches a.
  Endpoint mapped = FakeNet::address(101, 40000);
  net->alias(mapped, *a);
  net->filter = [&](Datagram& d, std::vector<Datagram>& out) {
    if (d.from == a->addr()) d.from = mapped;
    out.push_back(d);
  };
  a->device_packet(make_packet(1));
  net->pump();
  LONGS_EQUAL(1, b->written.size());
  CHECK(b->peer_of(*a)->endpoint == mapped);
  size_t before = net->sent.size();
  b->device_packet(make_packet(2));
  net->pump();
  CHECK(net->sent.size() > before);
  CHECK(net->sent[before].to == mapped);
  LONGS_EQUAL(1, a->written.size());
  CHECK(a->written[0] == make_packet(2));
  LONGS_EQUAL(0, net->undeliverable);
}

TEST(NodeSession, PlainModeWithoutPskCarriesPacketsOfEverySize) {
  auto [pa, pb] = plain_pair();
  Host& a = *pa;
  Host& b = *pb;
  // The responder's first empty packet confirmed the session.
  CHECK(a.peer_of(b)->current->confirmed);
  uint32_t index = a.keypair_to(b)->local_index;
  for (uint32_t len = 4; len < 40; ++len) {
    a.device_packet(make_packet(len, len));
    b.device_packet(make_packet(len, len));
  }
  net->pump();
  LONGS_EQUAL(36, a.written.size());
  LONGS_EQUAL(36, b.written.size());
  for (uint32_t len = 4; len < 40; ++len) CHECK(b.written[len - 4] == make_packet(len, len));
  // Keepalives work too, and the session is not renewed for nothing.
  net->run_ms(60000);
  CHECK(connected(a, b));
  LONGS_EQUAL(index, a.keypair_to(b)->local_index);
  LONGS_EQUAL(0, drops(a.node().counters()));
  LONGS_EQUAL(0, drops(b.node().counters()));
}

TEST(NodeSession, ANodeGivenItsOwnAddressAsTargetDoesNotMakeItselfAPeer) {
  Host& a = net->add();
  a.target(a);
  net->run_ms(20000);
  LONGS_EQUAL(0, a.node().peer_count());
  LONGS_EQUAL(0, a.node().counters().handshake_ok);
  CHECK(a.node().counters().handshake_init_rx >= 2);
}

TEST(NodeSession, AForgedHandshakeResponseDoesNotCancelTheRealOne) {
  Host& a = net->add();
  Host& b = net->add();
  a.target(b);
  bool forged = false;
  net->filter = [&](Datagram& d, std::vector<Datagram>& out) {
    if (!forged && d.is(PacketType::kHandshakeInit)) {
      // Someone who saw the initiation answers first, several times, with
      // junk of plausible lengths.
      for (size_t len : {kRespHeaderLen + 96, kRespHeaderLen + 128, kRespHeaderLen + 96}) {
        Datagram f{b.addr(), a.addr(), std::vector<uint8_t>(len, 0x5a)};
        memcpy(f.bytes.data(), d.bytes.data(), kPrefixLen);
        f.bytes[kMagicLen] = static_cast<uint8_t>(PacketType::kHandshakeResp);
        memcpy(f.bytes.data() + kPrefixLen + kIndexLen, d.bytes.data() + kPrefixLen, kIndexLen);
        out.push_back(f);
      }
      forged = true;
    }
    out.push_back(d);
  };
  net->tick();
  CHECK(forged);
  LONGS_EQUAL(3, a.node().counters().drop_auth);
  CHECK(connected(a, b));
  a.device_packet(make_packet(1));
  net->pump();
  LONGS_EQUAL(1, b.written.size());
}

TEST(NodeSession, GarbageOfEveryLengthAndTypeIsCountedAndDropped) {
  Host *a, *b;
  std::tie(a, b) = connected_pair();
  const Magic magic = FakeNet::config(1).magic;
  uint32_t index = b->keypair_to(*a)->local_index;
  uint32_t rng = 12345;
  for (int type = 0; type < 256; ++type) {
    for (size_t len = 0; len <= 300; ++len) {
      std::vector<uint8_t> g(len);
      for (auto& x : g) x = static_cast<uint8_t>((rng = rng * 1103515245 + 12345) >> 16);
      for (size_t i = 0; i < len && i < kMagicLen; ++i) g[i] = magic[i];
      if (len > kMagicLen) g[kMagicLen] = static_cast<uint8_t>(type);
      // Half name the live session, so they get as far as the AEAD.
      if (len >= kPrefixLen + 2 * kIndexLen && (len & 1)) {
        put_be32(g.data() + kPrefixLen, index);
        put_be32(g.data() + kPrefixLen + kIndexLen, index);
      }
      Counters before = b->node().counters();
      net->inject(Datagram{a->addr(), b->addr(), g});
      net->pump();
      const Counters& after = b->node().counters();
      LONGS_EQUAL(before.rx_packets + 1, after.rx_packets);
      LONGS_EQUAL(drops(before) + 1, drops(after));
    }
  }
  LONGS_EQUAL(0, b->written.size());
  LONGS_EQUAL(1, b->node().counters().handshake_ok);
  // The session survived all of it.
  a->device_packet(make_packet(1));
  b->device_packet(make_packet(2));
  net->pump();
  LONGS_EQUAL(1, b->written.size());
  LONGS_EQUAL(1, a->written.size());
}

TEST(NodeSession, GarbageInPlainModeNeverCrashesAndIsCounted) {
  auto [pa, pb] = plain_pair();
  Host& a = *pa;
  Host& b = *pb;
  const Magic magic = FakeNet::config(1).magic;
  uint32_t index = b.keypair_to(a)->local_index;
  uint32_t rng = 999;
  for (int type = 0; type < 256; ++type) {
    for (size_t len = 0; len <= 300; ++len) {
      std::vector<uint8_t> g(len);
      for (auto& x : g) x = static_cast<uint8_t>((rng = rng * 1103515245 + 12345) >> 16);
      for (size_t i = 0; i < len && i < kMagicLen; ++i) g[i] = magic[i];
      if (len > kMagicLen) g[kMagicLen] = static_cast<uint8_t>(type);
      if (len >= kPrefixLen + kIndexLen && (len & 1)) put_be32(g.data() + kPrefixLen, index);
      Counters before = b.node().counters();
      // Answers to junk initiations go to an address nobody has.
      net->inject(Datagram{FakeNet::address(200), b.addr(), g});
      net->pump();
      const Counters& after = b.node().counters();
      LONGS_EQUAL(before.rx_packets + 1, after.rx_packets);
      // Plain mode authenticates nothing after the handshake: junk naming
      // the live session may be taken (that is what "plain" means), but
      // everything else is dropped and counted, and an initiation (any 32
      // bytes are an ephemeral key without a shared key) is counted too.
      uint64_t counted = drops(after) - drops(before) +
                         (after.handshake_init_rx - before.handshake_init_rx);
      if (type != 4 && type != 5) CHECK(counted >= 1);
    }
  }
  CHECK(b.node().counters().handshake_init_rx >= 256);
}
