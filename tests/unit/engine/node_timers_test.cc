// Node timers on the fake network and clock: rekeying without a gap,
// surviving a lost handshake message, key expiry, keepalives and peer
// timeouts.
#include <memory>

#include "common/log.h"
#include "crypto/sodium.h"
#include "engine/exchange.h"
#include "engine/node.h"
#include "engine/timers.h"
#include "fakenet.h"

// Last: its new/delete macros must not reach the standard headers.
#include <CppUTest/TestHarness.h>

using namespace braid;
using namespace braid::engine;
using namespace braid::engine::test;

namespace {

bool is_handshake(const Datagram& d) {
  return d.is(PacketType::kHandshakeInit) || d.is(PacketType::kHandshakeResp) ||
         d.is(PacketType::kHandshakeFinal);
}

// Every packet arrived, each once, in the order sent.
void check_all_delivered(const Host& to, uint32_t first, uint32_t count) {
  LONGS_EQUAL(count, to.written.size());
  for (uint32_t i = 0; i < count && i < to.written.size(); ++i)
    LONGS_EQUAL(first + i, packet_seq(to.written[i]));
}

}  // namespace

TEST_GROUP_BASE(NodeTimers, NetTest) {
  Host* a = nullptr;
  Host* b = nullptr;
  uint32_t seq_a = 0;        // next packet a sends (b receives 0, 1, ...)
  uint32_t seq_b = 1000000;  // next packet b sends


  void connect(NodeConfig ca = FakeNet::config(1), NodeConfig cb = FakeNet::config(2)) {
    a = &net->add(ca);
    b = &net->add(cb);
    a->target(*b);
    net->tick();
    CHECK(connected(*a, *b));
  }
  // One packet each way, then ms of ticks.
  void traffic_step(uint64_t ms) {
    a->device_packet(make_packet(seq_a++));
    b->device_packet(make_packet(seq_b++));
    net->run_ms(ms);
  }
  void check_traffic_delivered() {
    check_all_delivered(*b, 0, seq_a);
    check_all_delivered(*a, 1000000, seq_b - 1000000);
  }
  uint64_t age_s(const Keypair* kp) { return (net->clock.now_ns() - kp->created_ns) / kNsPerSec; }
  // Each targets the other: both initiate at once, and the pair forms
  // twice over.
  void connect_both_ways() {
    a = &net->add();
    b = &net->add();
    a->target(*b);
    b->target(*a);
    net->tick();
    CHECK(connected(*a, *b));
  }
};

TEST(NodeTimers, RekeyRenewsTheKeysWithoutLosingAPacket) {
  connect();
  uint32_t a_index = a->keypair_to(*b)->local_index;
  uint32_t b_index = b->keypair_to(*a)->local_index;
  while (net->clock.now_ns() < kRekeyAfterTimeNs + 10 * kNsPerSec) traffic_step(500);
  check_traffic_delivered();
  CHECK(connected(*a, *b));
  CHECK(a->keypair_to(*b)->local_index != a_index);
  CHECK(b->keypair_to(*a)->local_index != b_index);
  // Exactly one renewal, started by the initiator of the first session.
  LONGS_EQUAL(2, a->peer_of(*b)->stats.handshakes);
  LONGS_EQUAL(2, b->peer_of(*a)->stats.handshakes);
  CHECK(a->keypair_to(*b)->initiator);
  CHECK(age_s(a->keypair_to(*b)) < 20);
  LONGS_EQUAL(0, b->node().counters().drop_auth + b->node().counters().drop_unknown_index +
                     b->node().counters().drop_replay + b->node().counters().drop_expired);
}

TEST(NodeTimers, RekeyKeepsEveryPacketWhenPacketsAreReorderedAcrossIt) {
  connect();
  uint32_t a_index = a->keypair_to(*b)->local_index;
  // Data packets of each step arrive in reverse order, after the step's
  // handshake messages: packets sealed under the old keys come in after
  // the new keys are in use.
  std::vector<Datagram> held;
  net->filter = [&](Datagram& d, std::vector<Datagram>& out) {
    if (d.is(PacketType::kData) && d.bytes.size() > kTransportOverhead) held.push_back(d);
    else out.push_back(d);
  };
  while (net->clock.now_ns() < kRekeyAfterTimeNs + 10 * kNsPerSec) {
    for (int i = 0; i < 3; ++i) {
      a->device_packet(make_packet(seq_a++));
      b->device_packet(make_packet(seq_b++));
    }
    net->run_ms(500);
    for (size_t i = held.size(); i-- > 0;) net->inject(held[i]);
    held.clear();
    net->pump();
  }
  LONGS_EQUAL(seq_a, b->written.size());
  LONGS_EQUAL(seq_b - 1000000, a->written.size());
  CHECK(a->keypair_to(*b)->local_index != a_index);
}

TEST(NodeTimers, ALostFinalHandshakeMessageKeepsTheOldKeysWorkingUntilARenewalSucceeds) {
  connect();
  uint32_t a_index = a->keypair_to(*b)->local_index;
  uint32_t b_index = b->keypair_to(*a)->local_index;
  while (net->clock.now_ns() < kRekeyAfterTimeNs - kNsPerSec) traffic_step(500);
  int finals_dropped = 0;
  net->filter = [&](Datagram& d, std::vector<Datagram>& out) {
    if (d.is(PacketType::kHandshakeFinal) && finals_dropped == 0) {
      ++finals_dropped;
      return;
    }
    out.push_back(d);
  };
  // Until the final message is lost: a has new keys it may not use yet.
  while (finals_dropped == 0) traffic_step(100);
  const Peer* pa = a->peer_of(*b);
  CHECK(pa->next != nullptr);
  LONGS_EQUAL(a_index, pa->current->local_index);
  LONGS_EQUAL(b_index, b->keypair_to(*a)->local_index);
  for (int i = 0; i < 5; ++i) traffic_step(100);
  check_traffic_delivered();
  LONGS_EQUAL(a_index, a->keypair_to(*b)->local_index);
  // Renewed soon after.
  for (int i = 0; i < 30; ++i) traffic_step(100);
  check_traffic_delivered();
  CHECK(a->keypair_to(*b)->local_index != a_index);
  CHECK(b->keypair_to(*a)->local_index != b_index);
  CHECK(a->peer_of(*b)->next == nullptr);
  // Both use the same new session.
  LONGS_EQUAL(a->keypair_to(*b)->remote_index, b->keypair_to(*a)->local_index);
  LONGS_EQUAL(b->keypair_to(*a)->remote_index, a->keypair_to(*b)->local_index);
}

TEST(NodeTimers, KeysPastRejectAfterTimeCarryNoDataButKeepalivesUntilRenewed) {
  NodeConfig ca = FakeNet::config(1), cb = FakeNet::config(2);
  ca.peer_timeout_s = cb.peer_timeout_s = 600;
  connect(ca, cb);
  // (No firewall probe: a probed peer keeps quiet for two minutes.)
  a->node().set_inbound_open(true);
  b->node().set_inbound_open(true);
  // No renewal can happen.
  net->filter = [&](Datagram& d, std::vector<Datagram>& out) {
    if (!is_handshake(d)) out.push_back(d);
  };
  const uint64_t created = a->keypair_to(*b)->created_ns;
  const uint64_t expiry = created + kRejectAfterTimeNs;
  while (net->clock.now_ns() < created + kSendDataBeforeNs - kNsPerSec) traffic_step(1000);
  check_traffic_delivered();
  // Sealed in time, arriving too late (held up on the way).
  std::vector<Datagram> held;
  net->filter = [&](Datagram& d, std::vector<Datagram>& out) {
    if (d.is(PacketType::kData) && d.bytes.size() > kTransportOverhead)
      held.push_back(d);
    else if (!is_handshake(d))
      out.push_back(d);
  };
  a->device_packet(make_packet(seq_a));
  net->pump();
  LONGS_EQUAL(1, held.size());
  net->filter = [&](Datagram& d, std::vector<Datagram>& out) {
    if (!is_handshake(d)) out.push_back(d);
  };
  net->clock.advance_ns(expiry + 1 - net->clock.now_ns());
  net->inject(held[0]);
  net->pump();
  LONGS_EQUAL(seq_a, b->written.size());
  LONGS_EQUAL(1, b->node().counters().drop_expired);
  // Not sealed at all: held for the renewal it asks for.
  b->device_packet(make_packet(seq_b));
  net->pump();
  LONGS_EQUAL(1, b->node().counters().stashed);
  LONGS_EQUAL(seq_b - 1000000, a->written.size());
  // Keepalives still go under the old keys: the pair stays.
  uint64_t heard = a->peer_of(*b)->last_received_ns;
  net->run_ms(30000);
  CHECK(connected(*a, *b));
  CHECK(a->peer_of(*b)->last_received_ns > heard);
  LONGS_EQUAL(1, b->node().counters().drop_stash);   // held 5 s at most
  // Once handshakes pass again, new data gets new keys at once.
  net->filter = nullptr;
  b->device_packet(make_packet(77777));
  net->run_ms(2000);
  LONGS_EQUAL(77777, packet_seq(a->written.back()));
  CHECK(age_s(b->keypair_to(*a)) < 3);
  LONGS_EQUAL(2, b->node().counters().stashed);
  LONGS_EQUAL(1, b->node().counters().drop_stash);
}

TEST(NodeTimers, AKeepaliveIsSentAfterKeepaliveSecondsOfSilence) {
  NodeConfig ca = FakeNet::config(1), cb = FakeNet::config(2);
  ca.keepalive_s = 10;
  cb.keepalive_s = 1000;
  cb.peer_timeout_s = 1000;
  connect(ca, cb);
  // Empty data packets, or the hellos (with only the sender's own route)
  // that stand for them between neighbours.
  auto keepalives_from_a = [&] {
    int n = 0;
    for (const Datagram& d : net->sent)
      if (d.from == a->addr() &&
          ((d.is(PacketType::kData) && d.bytes.size() == kTransportOverhead) ||
           (d.is(PacketType::kControl) &&
            d.bytes.size() == kTransportOverhead + 1 + kRoutesHeaderLen + kRouteEntryLen)))
        ++n;
    return n;
  };
  // (What a new neighbour hears at once: our route, in a message of a
  // hello's size.)
  net->run_ms(100);
  net->sent.clear();
  net->run_ms(9400);
  LONGS_EQUAL(0, keepalives_from_a());
  net->run_ms(1000);
  LONGS_EQUAL(1, keepalives_from_a());
  // Traffic postpones it. (Traffic brings hellos every 300 ms while it
  // flows and for two seconds after, to find a failed way fast.)
  net->run_ms(5000);
  a->device_packet(make_packet(1));
  net->run_ms(3000);
  int after_traffic = keepalives_from_a();
  CHECK(after_traffic >= 1 + 5);
  net->run_ms(6000);
  LONGS_EQUAL(after_traffic, keepalives_from_a());
  // Ten seconds after the last hello, the next.
  net->run_ms(3000);
  LONGS_EQUAL(after_traffic + 1, keepalives_from_a());
  // Keepalives reach b but are not written to its device.
  LONGS_EQUAL(1, b->written.size());
  uint64_t heard = b->peer_of(*a)->last_received_ns;
  CHECK(net->clock.now_ns() - heard < 2 * kNsPerSec);
}

TEST(NodeTimers, APeerIsRemovedAfterPeerTimeoutOfSilenceAndATargetIsContactedAgain) {
  NodeConfig ca = FakeNet::config(1), cb = FakeNet::config(2);
  ca.peer_timeout_s = cb.peer_timeout_s = 30;
  ca.keepalive_s = cb.keepalive_s = 10;
  connect(ca, cb);
  net->run_ms(60000);   // keepalives keep the peers
  CHECK(connected(*a, *b));
  traffic_step(0);      // both heard from just now
  net->pump();
  net->filter = [](Datagram&, std::vector<Datagram>&) {};   // all lost
  net->run_ms(29000);
  LONGS_EQUAL(1, a->node().peer_count());
  LONGS_EQUAL(1, b->node().peer_count());
  net->run_ms(2000);
  LONGS_EQUAL(0, a->node().peer_count());
  LONGS_EQUAL(0, b->node().peer_count());
  net->filter = nullptr;
  size_t before = net->sent.size();
  net->run_ms(3000);
  CHECK(connected(*a, *b));
  bool contacted = false;
  for (size_t i = before; i < net->sent.size(); ++i)
    if (net->sent[i].from == a->addr() && net->sent[i].is(PacketType::kHandshakeInit))
      contacted = true;
  CHECK(contacted);
  size_t got = b->written.size();
  a->device_packet(make_packet(5));
  net->pump();
  LONGS_EQUAL(got + 1, b->written.size());
  LONGS_EQUAL(5, packet_seq(b->written.back()));
}

TEST(NodeTimers, TheOtherNodeRenewsTheKeysWhenTheFirstRenewerDoesNot) {
  connect();
  Host* first = a->node().renews_first(*a->peer_of(*b)) ? a : b;
  Host* other = first == a ? b : a;
  CHECK(!other->node().renews_first(*other->peer_of(*first)));
  uint32_t index = other->keypair_to(*first)->local_index;
  // The first renewer's initiations are lost; the other renews after
  // kRekeyByOtherNs.
  net->filter = [&](Datagram& d, std::vector<Datagram>& out) {
    if (d.is(PacketType::kHandshakeInit) && d.from == first->addr()) return;
    out.push_back(d);
  };
  while (net->clock.now_ns() < kRekeyAfterTimeNs + 5 * kNsPerSec) traffic_step(500);
  LONGS_EQUAL(index, other->keypair_to(*first)->local_index);
  while (net->clock.now_ns() < kRekeyByOtherNs + 5 * kNsPerSec) traffic_step(500);
  check_traffic_delivered();
  CHECK(other->keypair_to(*first)->local_index != index);
  CHECK(other->keypair_to(*first)->initiator);
}

TEST(NodeTimers, OnlyOneNodeOfAPairRenewsEvenWhenBothStartedTheSession) {
  connect_both_ways();
  while (net->clock.now_ns() < 120 * kNsPerSec) traffic_step(500);
  net->sent.clear();
  while (net->clock.now_ns() < 420 * kNsPerSec) traffic_step(500);
  check_traffic_delivered();
  size_t from_a = 0, from_b = 0;
  for (const Datagram& d : net->sent) {
    if (!d.is(PacketType::kHandshakeInit)) continue;
    (d.from == a->addr() ? from_a : from_b) += 1;
  }
  // Both send under the same keypair: the one the first renewer started.
  LONGS_EQUAL(a->keypair_to(*b)->remote_index, b->keypair_to(*a)->local_index);
  bool a_first = a->node().renews_first(*a->peer_of(*b));
  // 300 s: three or four renewals, all by the same node.
  size_t first = a_first ? from_a : from_b, other = a_first ? from_b : from_a;
  CHECK_TEXT(first >= 3 && first <= 4, std::to_string(first).c_str());
  LONGS_EQUAL(0, other);
}

TEST(NodeTimers, AnIdlePairThatFormedTwiceOverSettlesOnOneKeypairAndLasts) {
  connect_both_ways();
  // One keypair from the start.
  LONGS_EQUAL(a->keypair_to(*b)->remote_index, b->keypair_to(*a)->local_index);
  // (Neither has to find out whether a firewall filters it: timers.cc.)
  a->node().set_inbound_open(true);
  b->node().set_inbound_open(true);
  size_t formed = net->sent.size();
  // Past kRejectAfterTimeNs, when the keypair only one side used would
  // have gone, and past peer_timeout.
  net->run_ms(10 * 60 * 1000);
  CHECK(connected(*a, *b));
  LONGS_EQUAL(a->keypair_to(*b)->remote_index, b->keypair_to(*a)->local_index);
  for (size_t i = formed; i < net->sent.size(); ++i) CHECK(!is_handshake(net->sent[i]));
  a->device_packet(make_packet(1));
  net->run_ms(1000);
  LONGS_EQUAL(1, packet_seq(b->written.back()));
}

TEST(NodeTimers, AnIdlePairRenewsItsKeysOnlyHourly) {
  connect();
  a->node().set_inbound_open(true);
  b->node().set_inbound_open(true);
  size_t formed = net->sent.size();
  auto inits = [&] {
    size_t n = 0;
    for (size_t i = formed; i < net->sent.size(); ++i) n += net->sent[i].is(PacketType::kHandshakeInit);
    return n;
  };
  net->run_ms(kIdleRekeyNs / kNsPerMs - 5000);
  LONGS_EQUAL(0, inits());
  net->run_ms(10000);
  LONGS_EQUAL(1, inits());
  CHECK(age_s(a->keypair_to(*b)) < 10);
  LONGS_EQUAL(a->keypair_to(*b)->remote_index, b->keypair_to(*a)->local_index);
}

TEST(NodeTimers, AnUnansweredTargetIsRetriedWithBackoff) {
  a = &net->add();
  a->node().add_target("nowhere");
  a->node().set_target_addresses(0, {FakeNet::address(77)});
  uint64_t start = net->clock.now_ns();
  net->tick();
  net->run_ms(60000);
  std::vector<uint64_t> when;
  for (const Datagram& d : net->sent)
    if (d.is(PacketType::kHandshakeInit)) when.push_back((d.sent_ns - start) / kNsPerMs);
  // The wait doubles from kConnectBackoffMinNs up to kConnectBackoffMaxNs,
  // each with up to kRetryJitterNs more (and a tick's rounding).
  const uint64_t want[] = {0, 1000, 3000, 7000, 15000, 31000, 47000};
  LONGS_EQUAL(sizeof want / sizeof want[0], when.size());
  const uint64_t slack = kRetryJitterNs / kNsPerMs + Node::kTickMs;
  for (size_t i = 0; i < when.size() && i < sizeof want / sizeof want[0]; ++i) {
    CHECK(when[i] >= want[i]);
    CHECK(when[i] <= want[i] + i * slack);
    if (i > 0) CHECK(when[i] - when[i - 1] >= want[i] - want[i - 1]);
  }
  LONGS_EQUAL(when.size(), net->undeliverable);
}

TEST(NodeTimers, ATargetWithSeveralAddressesIsTriedAtEachInTurn) {
  a = &net->add();
  b = &net->add();
  a->node().add_target("b");
  a->node().set_target_addresses(0, {FakeNet::address(77), FakeNet::address(78), b->addr()});
  net->tick();
  net->run_ms(2000);
  LONGS_EQUAL(0, a->node().peer_count());
  net->run_ms(2000);
  CHECK(connected(*a, *b));
}

TEST(NodeTimers, ARetiredTargetIsNeverContactedAgain) {
  a = &net->add();
  a->node().add_target("gone");
  a->node().add_target("also gone");
  a->node().set_target_addresses(0, {FakeNet::address(77)});
  a->node().set_target_addresses(1, {FakeNet::address(78)});
  net->tick();
  net->run_ms(3000);
  uint64_t before = net->undeliverable;
  CHECK(before >= 2);
  // A reload removes both; an address the parent sent on the way changes
  // nothing.
  a->node().retire_target(0);
  a->node().retire_target(1);
  a->node().set_target_addresses(1, {FakeNet::address(79)});
  CHECK(a->node().targets()[0].retired);
  net->run_ms(60 * 1000);
  UNSIGNED_LONGLONGS_EQUAL(before, net->undeliverable);
  // A peer added after them takes the next index and is contacted.
  b = &net->add();
  a->node().add_target("b");
  a->node().set_target_addresses(2, {b->addr()});
  net->run_ms(2000);
  CHECK(connected(*a, *b));
}

TEST(NodeTimers, APeerThatRestartedWithANewIdentityIsFoundAgain) {
  NodeConfig cfg = FakeNet::config(1);
  connect(cfg);
  NodeId old_b = b->node().id();
  // b restarts: a new node (new static key, no peers) at b's address.
  Host& c = net->add(FakeNet::config(3));
  Endpoint baddr = b->addr(), caddr = c.addr();
  net->filter = [baddr, caddr](Datagram& d, std::vector<Datagram>& out) {
    if (d.from == baddr) return;   // the old b is dead
    if (d.to == baddr) d.to = caddr;
    if (d.from == caddr) d.from = baddr;
    out.push_back(d);
  };
  // a keeps sending under the dead session; after keepalive plus the grace
  // period of silence it handshakes, meets the new node and drops the old.
  uint64_t quiet_ms = (uint64_t{cfg.keepalive_s} * kNsPerSec + kSilenceGraceNs) / kNsPerMs;
  uint32_t seq = 0;
  for (uint64_t ms = 0; ms < quiet_ms + 3000; ms += 500) {
    a->device_packet(make_packet(seq++));
    net->run_ms(500);
  }
  CHECK(a->node().find_peer(old_b) == nullptr);
  const Peer* p = a->peer_of(c);
  CHECK(p != nullptr && p->current != nullptr);
  size_t before = c.written.size();
  a->device_packet(make_packet(seq++));
  net->pump();
  LONGS_EQUAL(before + 1, c.written.size());
  CHECK(cfg.peer_timeout_s * 1000 > quiet_ms + 3000);   // not the peer timeout at work
}

TEST(NodeTimers, AForgedFinalMessageDoesNotCostTheResponderItsHandshake) {
  a = &net->add();
  b = &net->add();
  // Ahead of a's genuine final message, a copy with one bit flipped.
  net->filter = [&](Datagram& d, std::vector<Datagram>& out) {
    if (d.is(PacketType::kHandshakeFinal)) {
      Datagram forged = d;
      forged.bytes.back() ^= 1;
      out.push_back(forged);
    }
    out.push_back(d);
  };
  a->target(*b);
  net->tick();
  CHECK(connected(*a, *b));
  LONGS_EQUAL(1, b->node().counters().drop_auth);
  LONGS_EQUAL(1, b->node().counters().handshake_ok);
  // The initiator's keys were confirmed by the responder's keepalive: no
  // renewal was needed.
  CHECK(a->keypair_to(*b)->confirmed);
  LONGS_EQUAL(1, a->node().counters().handshake_ok);
}

TEST(NodeTimers, RenewalsOfASilentPeerAreGivenUpAfterTheAttemptTime) {
  // b initiated, so a has no configured target to fall back on.
  a = &net->add();
  b = &net->add();
  b->target(*a);
  net->tick();
  CHECK(connected(*a, *b));
  uint64_t t0 = net->clock.now_ns();
  net->filter = [&](Datagram& d, std::vector<Datagram>& out) {
    if (d.from != b->addr()) out.push_back(d);
  };
  // Data that goes unanswered is what makes a suspect a restart.
  a->device_packet(make_packet(1));
  net->run_ms(290 * 1000);
  uint64_t early = 0, late = 0;
  for (const Datagram& d : net->sent) {
    if (d.from != a->addr() || !d.is(PacketType::kHandshakeInit)) continue;
    uint64_t t = (d.sent_ns - t0) / kNsPerSec;
    if (t < 120) ++early;
    if (t > 35 + kRekeyAttemptNs / kNsPerSec + 2) ++late;
  }
  CHECK(early > 50);
  LONGS_EQUAL(0, late);
  // Still known until peer_timeout.
  CHECK(a->peer_of(*b) != nullptr);
  net->run_ms(15 * 1000);
  CHECK(a->peer_of(*b) == nullptr);
}
