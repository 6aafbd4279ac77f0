// Relaying and routing between nodes on the fake network: sessions
// through a relay where no direct way exists, what a relay can see,
// rerouting when a direct way dies under traffic and its return, and the
// relay's refusals (relay = no, hop limit, hops without a valid tag or
// replayed).
#include <algorithm>
#include <cstring>

#include "common/bytes.h"
#include "engine/node.h"
#include "engine/timers.h"
#include "fakenet.h"

#include <CppUTest/TestHarness.h>

using namespace braid;
using namespace braid::engine;
using namespace braid::engine::test;

namespace {

bool between(const Datagram& d, const Host& x, const Host& y) {
  return (d.from == x.addr() && d.to == y.addr()) || (d.from == y.addr() && d.to == x.addr());
}

bool contains(const std::vector<uint8_t>& hay, const std::vector<uint8_t>& needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

// A relayed datagram as anyone who saw it could resend it directly: the
// relay header off, the magic back.
std::vector<uint8_t> strip(const Datagram& d) {
  std::vector<uint8_t> out(d.bytes.begin() + kRelayOverhead, d.bytes.end());
  memcpy(out.data(), d.bytes.data(), kMagicLen);
  return out;
}

uint8_t inner_type(const Datagram& d) {
  return d.bytes.size() > kRelayHeaderLen ? d.bytes[kRelayHeaderLen] : 0;
}

// A relayed datagram's header as the neighbour `from` would write it for
// `to` (its keys, a counter of its own choosing), around an inner packet
// whose type byte comes first.
std::vector<uint8_t> hop_packet(Host& from, Host& to, uint64_t counter, uint8_t hops,
                                const NodeId& dst, const NodeId& src,
                                std::span<const uint8_t> inner) {
  const Keypair* kp = from.peer_of(to)->current.get();
  std::vector<uint8_t> p(kRelayHeaderLen);
  RelayHeader h;
  h.receiver_index = kp->remote_index;
  h.counter = counter;
  h.hops = hops;
  h.dst = dst;
  h.src = src;
  write_relay_header(p.data(), FakeNet::config(1).magic, h);
  seal_relay_hop(p.data(), kp->send);
  p.insert(p.end(), inner.begin(), inner.end());
  return p;
}

size_t written_with_seq(const Host& h, uint32_t seq) {
  return static_cast<size_t>(std::count_if(h.written.begin(), h.written.end(),
                                           [&](const auto& p) { return packet_seq(p) == seq; }));
}

}  // namespace

TEST_GROUP_BASE(NodeRelay, NetTest) {
  Host* a = nullptr;
  Host* b = nullptr;
  Host* c = nullptr;
  bool blocked = false;   // a and c cannot reach each other
  void line(const NodeConfig& cb) {
    a = &net->add();
    b = &net->add(cb);
    c = &net->add();
    net->filter = [this](Datagram& d, std::vector<Datagram>& out) {
      if (blocked && between(d, *a, *c)) return;
      out.push_back(d);
    };
    blocked = true;
    a->target(*b);
    c->target(*b);
  }
};

TEST(NodeRelay, EndsThatCannotReachEachOtherGetASessionThroughTheMiddleNode) {
  line(FakeNet::config(2));
  net->run_ms(10 * 1000);
  CHECK(connected(*a, *b));
  CHECK(connected(*b, *c));
  CHECK(connected(*a, *c));
  CHECK_FALSE(a->peer_of(*c)->direct());
  CHECK_FALSE(c->peer_of(*a)->direct());
  // Both ends route to each other through b.
  CHECK(a->node().routes().next_hop(c->node().id()) == b->node().id());
  CHECK(c->node().routes().next_hop(a->node().id()) == b->node().id());
  // Data both ways.
  net->sent.clear();
  b->written.clear();
  std::vector<uint8_t> pkt = make_packet(7, 200);
  a->device_packet(pkt);
  c->device_packet(make_packet(8));
  net->pump();
  LONGS_EQUAL(1, written_with_seq(*c, 7));
  LONGS_EQUAL(1, written_with_seq(*a, 8));
  // b relayed it, and saw nothing of it: its own hub copy of each is all
  // its device got, and what it passed on to c holds no byte run of the
  // payload.
  CHECK(b->node().counters().forwarded >= 2);
  LONGS_EQUAL(2, b->written.size());
  std::vector<uint8_t> needle(pkt.begin() + 100, pkt.begin() + 116);
  size_t relayed = 0;
  for (const Datagram& d : net->sent) {
    if (d.from == b->addr() && d.to == c->addr() && d.is(PacketType::kRelay)) {
      ++relayed;
      CHECK_FALSE(contains(d.bytes, needle));
    }
    CHECK_FALSE(between(d, *a, *c));
  }
  LONGS_EQUAL(1, relayed);
  // The relay header is all b could change: a forged bit fails at c.
  uint64_t auth = c->node().counters().drop_auth;
  net->filter = [this](Datagram& d, std::vector<Datagram>& out) {
    if (between(d, *a, *c)) return;
    if (d.from == b->addr() && d.to == c->addr() && d.is(PacketType::kRelay) && d.bytes.size() > 150)
      d.bytes[120] ^= 1;
    out.push_back(d);
  };
  a->device_packet(make_packet(9, 200));
  net->pump();
  LONGS_EQUAL(0, written_with_seq(*c, 9));
  LONGS_EQUAL(auth + 1, c->node().counters().drop_auth);
}

TEST(NodeRelay, ANodeWithRelayingOffForwardsNothing) {
  NodeConfig cb = FakeNet::config(2);
  cb.relay = false;
  line(cb);
  net->run_ms(10 * 1000);
  CHECK(connected(*a, *b));
  CHECK(connected(*b, *c));
  CHECK_FALSE(connected(*a, *c));
  // It announces only itself: nobody routes through it.
  CHECK(!a->node().routes().next_hop(c->node().id()).has_value());
  LONGS_EQUAL(0, b->node().counters().forwarded);
}

TEST(NodeRelay, ADirectWayThatDiesUnderTrafficIsRoutedAroundAndTakenAgainWhenItAnswers) {
  a = &net->add();
  b = &net->add();
  c = &net->add();
  net->filter = [this](Datagram& d, std::vector<Datagram>& out) {
    if (blocked && between(d, *a, *c)) return;
    out.push_back(d);
  };
  b->target(*a);
  c->target(*a);
  net->run_ms(5 * 1000);
  CHECK(connected(*a, *c));
  CHECK(a->peer_of(*c)->direct());
  // A stream a -> c, one packet every 100 ms; the direct way is cut.
  uint32_t seq = 0;
  auto stream = [&](uint64_t ms, uint32_t* last_seen_ms) {
    for (uint64_t t = 0; t < ms; t += 100) {
      size_t before = c->written.size();
      a->device_packet(make_packet(++seq));
      net->run_ms(100);
      if (c->written.size() > before && last_seen_ms) *last_seen_ms = static_cast<uint32_t>(t);
    }
  };
  stream(2000, nullptr);
  blocked = true;
  uint32_t seen = 0;
  size_t before = c->written.size();
  stream(10 * 1000, &seen);
  // Rerouted within 3.5 s (the neighbour's silence) and a tick or two.
  size_t through = c->written.size() - before;
  CHECK_TEXT(through >= 60, std::to_string(through).c_str());
  CHECK(b->node().counters().forwarded > 50);
  CHECK(a->node().routes().next_hop(c->node().id()) == b->node().id());
  // The session survived: same peer, and it is still direct as far as
  // its address goes, only not reachable.
  CHECK(a->peer_of(*c)->direct());
  // The way comes back: hellos find it, and traffic leaves the relay.
  blocked = false;
  stream(5000, nullptr);
  uint64_t forwarded = b->node().counters().forwarded;
  net->sent.clear();
  stream(2000, nullptr);
  LONGS_EQUAL(forwarded, b->node().counters().forwarded);
  CHECK(a->node().routes().next_hop(c->node().id()) == c->node().id());
}

TEST(NodeRelay, RelayedPacketsOutOfHopsOfOurOwnOrWithoutAHopTagAreDropped) {
  line(FakeNet::config(2));
  net->run_ms(10 * 1000);
  CHECK(connected(*a, *c));
  // Counters of a's session with b that a itself has not reached.
  uint64_t counter = a->peer_of(*b)->current->send_counter + 1000;
  std::vector<uint8_t> inner(40, 0x55);
  inner[0] = static_cast<uint8_t>(PacketType::kData);
  auto relayed = [&](uint8_t hops, const NodeId& dst, const NodeId& src) {
    return hop_packet(*a, *b, counter++, hops, dst, src, inner);
  };
  const Counters before = b->node().counters();
  // From a peer, but out of hops.
  net->inject(Datagram{a->addr(), b->addr(), relayed(1, c->node().id(), a->node().id())});
  // From a stranger that knows a's index but not its keys.
  std::vector<uint8_t> forged = relayed(5, c->node().id(), a->node().id());
  std::fill(forged.begin() + kRelayTagOffset, forged.begin() + kRelayHeaderLen, 0);
  net->inject(Datagram{FakeNet::address(99), b->addr(), forged});
  // Naming no session of b's.
  std::vector<uint8_t> unknown = relayed(5, c->node().id(), a->node().id());
  unknown[kPrefixLen] ^= 0xff;
  net->inject(Datagram{a->addr(), b->addr(), unknown});
  // Our own, come back.
  net->inject(Datagram{a->addr(), b->addr(), relayed(5, c->node().id(), b->node().id())});
  // For a node nobody routes to.
  NodeId nobody;
  nobody.fill(0x77);
  net->inject(Datagram{a->addr(), b->addr(), relayed(5, nobody, a->node().id())});
  // Too short to hold the header and a type.
  std::vector<uint8_t> s = relayed(5, c->node().id(), a->node().id());
  s.resize(kRelayHeaderLen);
  net->inject(Datagram{a->addr(), b->addr(), s});
  // Well formed, for c, and from anywhere: the hop's tag is what counts.
  net->inject(Datagram{FakeNet::address(97), b->addr(), relayed(5, c->node().id(), a->node().id())});
  net->sent.clear();
  net->pump();
  const Counters& after = b->node().counters();
  LONGS_EQUAL(before.drop_hop_limit + 1, after.drop_hop_limit);
  LONGS_EQUAL(before.drop_auth + 1, after.drop_auth);
  LONGS_EQUAL(before.drop_unknown_index + 1, after.drop_unknown_index);
  LONGS_EQUAL(before.drop_relay + 1, after.drop_relay);
  LONGS_EQUAL(before.drop_no_route + 1, after.drop_no_route);
  LONGS_EQUAL(before.drop_malformed + 1, after.drop_malformed);
  LONGS_EQUAL(before.forwarded + 1, after.forwarded);   // the one well-formed for c
  // Nothing answers the address it came from: a is where b sends.
  for (const Datagram& d : net->sent) {
    CHECK_FALSE(d.to == FakeNet::address(97));
    CHECK_FALSE(d.to == FakeNet::address(99));
  }
}

TEST(NodeRelay, ARelayedPacketWithAForgedOrMissingHopTagFromTheNeighboursAddressIsNotForwarded) {
  // Someone who can send from a's address (and saw a's relayed packet
  // on its way, but kept it from b) tries to have b carry it: the inner
  // packet is genuine, so only the hop's tag stands in the way.
  line(FakeNet::config(2));
  net->run_ms(10 * 1000);
  CHECK(connected(*a, *c));
  std::vector<Datagram> held;
  net->filter = [&](Datagram& d, std::vector<Datagram>& out) {
    if (between(d, *a, *c)) return;
    if (d.from == a->addr() && d.to == b->addr() && d.is(PacketType::kRelay) &&
        inner_type(d) == static_cast<uint8_t>(PacketType::kData) && d.bytes.size() > 200) {
      held.push_back(d);
      return;
    }
    out.push_back(d);
  };
  a->device_packet(make_packet(42, 200));
  net->pump();
  LONGS_EQUAL(1, held.size());
  LONGS_EQUAL(0, written_with_seq(*c, 42));
  const Counters before = b->node().counters();
  // No tag; a flipped bit of the tag; a tag for another hop limit.
  std::vector<uint8_t> missing = held[0].bytes;
  std::fill(missing.begin() + kRelayTagOffset, missing.begin() + kRelayHeaderLen, 0);
  std::vector<uint8_t> flipped = held[0].bytes;
  flipped[kRelayTagOffset + 3] ^= 0x10;
  std::vector<uint8_t> altered = held[0].bytes;
  altered[kRelayHopsOffset] = 3;
  net->sent.clear();
  for (auto* p : {&missing, &flipped, &altered})
    net->inject(Datagram{a->addr(), b->addr(), *p});
  net->pump();
  const Counters& after = b->node().counters();
  LONGS_EQUAL(before.drop_auth + 3, after.drop_auth);
  LONGS_EQUAL(before.forwarded, after.forwarded);
  for (const Datagram& d : net->sent) CHECK_FALSE(d.from == b->addr() && d.to == c->addr());
  LONGS_EQUAL(0, written_with_seq(*c, 42));
  // The genuine one still goes.
  net->inject(held[0]);
  net->pump();
  LONGS_EQUAL(before.forwarded + 1, b->node().counters().forwarded);
  LONGS_EQUAL(1, written_with_seq(*c, 42));
}

TEST(NodeRelay, AReplayedRelayedPacketIsDroppedAtTheHop) {
  line(FakeNet::config(2));
  net->run_ms(10 * 1000);
  CHECK(connected(*a, *c));
  std::vector<Datagram> copies;
  net->filter = [&](Datagram& d, std::vector<Datagram>& out) {
    if (between(d, *a, *c)) return;
    if (d.from == a->addr() && d.to == b->addr() && d.is(PacketType::kRelay) &&
        inner_type(d) == static_cast<uint8_t>(PacketType::kData) && d.bytes.size() > 200)
      copies.push_back(d);
    out.push_back(d);
  };
  a->device_packet(make_packet(43, 200));
  net->pump();
  LONGS_EQUAL(1, copies.size());
  LONGS_EQUAL(1, written_with_seq(*c, 43));
  const Counters before = b->node().counters();
  net->inject(copies[0]);
  net->pump();
  const Counters& after = b->node().counters();
  LONGS_EQUAL(before.drop_replay + 1, after.drop_replay);
  LONGS_EQUAL(before.forwarded, after.forwarded);
  LONGS_EQUAL(1, written_with_seq(*c, 43));
}

TEST(NodeRelay, ARelayedPacketResentDirectlyFromElsewhereDoesNotMoveThePeer) {
  // Whoever sees relayed packets can strip the header and send the inner
  // packet from its own address: it authenticates, but must not become
  // the peer's direct way (the peer's own packets, relayed, would never
  // move it back).
  line(FakeNet::config(2));
  net->run_ms(10 * 1000);
  CHECK(connected(*a, *c));
  const Endpoint thief = FakeNet::address(99);
  net->filter = [&](Datagram& d, std::vector<Datagram>& out) {
    if (between(d, *a, *c)) return;
    if (d.from == b->addr() && d.to == a->addr() && d.is(PacketType::kRelay) &&
        (inner_type(d) == static_cast<uint8_t>(PacketType::kData) ||
         inner_type(d) == static_cast<uint8_t>(PacketType::kControl)))
      out.push_back(Datagram{thief, a->addr(), strip(d)});   // a copy, first
    out.push_back(d);
  };
  net->sent.clear();
  for (uint32_t i = 0; i < 50; ++i) {
    c->device_packet(make_packet(100 + i));
    a->device_packet(make_packet(200 + i));
    net->run_ms(100);
  }
  CHECK_FALSE(a->peer_of(*c)->direct());
  for (const Datagram& d : net->sent) CHECK_FALSE(d.to == thief);
  for (uint32_t i = 0; i < 50; ++i) LONGS_EQUAL(1, written_with_seq(*c, 200 + i));
}

TEST(NodeRelay, AnAnswerToARelayedHandshakeThatArrivesDirectlyIsRefused) {
  // A relay that turns the responses it carries into direct packets from
  // its own address would otherwise become both ends' "direct" way.
  a = &net->add();
  b = &net->add();
  c = &net->add();
  const Endpoint evil = FakeNet::address(98);
  net->filter = [&](Datagram& d, std::vector<Datagram>& out) {
    if (blocked && between(d, *a, *c)) return;
    if (d.from == b->addr() && d.is(PacketType::kRelay) &&
        inner_type(d) == static_cast<uint8_t>(PacketType::kHandshakeResp))
      d = Datagram{evil, d.to, strip(d)};
    out.push_back(d);
  };
  blocked = true;
  a->target(*b);
  c->target(*b);
  net->run_ms(10 * 1000);
  const Peer* pa = a->peer_of(*c);
  const Peer* pc = c->peer_of(*a);
  CHECK(pa == nullptr || !(pa->endpoint == evil));
  CHECK(pc == nullptr || !(pc->endpoint == evil));
  CHECK(a->node().counters().drop_auth > 0 || c->node().counters().drop_auth > 0);
}
