// The mesh on the fake network: nodes given one bootstrap peer find all
// the others, NATs are crossed by introductions, gossip never keeps a dead
// node alive, router mode forwards by claims, LAN beacons connect
// neighbours.
#include <sodium.h>

#include <functional>
#include <memory>

#include "common/bytes.h"
#include "engine/node.h"
#include "engine/timers.h"
#include "fakenet.h"

// Last: its new/delete macros must not reach the standard headers.
#include <CppUTest/TestHarness.h>

using namespace braid;
using namespace braid::engine;
using namespace braid::engine::test;

namespace {

Endpoint public_address(int n) {
  const uint8_t a[4] = {192, 0, 2, static_cast<uint8_t>(n)};
  return Endpoint::from_bytes(4, a, 40000 + n);
}

identity::IpPrefix prefix(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t len) {
  identity::IpPrefix p;
  p.family = 4;
  p.addr[0] = a, p.addr[1] = b, p.addr[2] = c, p.addr[3] = d;
  p.len = len;
  return p;
}

// An IPv4 packet (header only, then a sequence number) to dst.
std::vector<uint8_t> ipv4_to(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint32_t seq) {
  std::vector<uint8_t> p(24, 0);
  p[0] = 0x45;
  put_be16(&p[2], static_cast<uint16_t>(p.size()));
  p[8] = 64;
  p[9] = 17;
  p[16] = a, p[17] = b, p[18] = c, p[19] = d;
  put_be32(&p[20], seq);
  return p;
}

}  // namespace

TEST_GROUP_BASE(Mesh, NetTest) {
  // Every pair of the first n hosts holds a session.
  size_t missing_pairs(size_t n) {
    size_t missing = 0;
    for (size_t i = 0; i < n; ++i)
      for (size_t j = i + 1; j < n; ++j)
        if (!connected(net->host(i), net->host(j))) ++missing;
    return missing;
  }
  // Two router-mode nodes, a given b as its peer; b claims `b_claims`.
  std::pair<Host&, Host&> router_pair(std::vector<identity::IpPrefix> b_claims) {
    NodeConfig ca = FakeNet::config(1), cb = FakeNet::config(2);
    ca.forward = cb.forward = ForwardMode::kRouter;
    cb.claims = std::move(b_claims);
    Host& a = net->add(ca);
    Host& b = net->add(cb);
    a.target(b);
    return {a, b};
  }
};

TEST(Mesh, FiftyNodesEachGivenOneBootstrapPeerReachAFullMesh) {
  // Node k's only configured peer is a random earlier node: no node but
  // the first is known to more than a few others at the start.
  net->add();
  for (int k = 1; k < 50; ++k) {
    Host& h = net->add();
    h.target(net->host(randombytes_uniform(static_cast<uint32_t>(k))));
  }
  net->run_ms(10 * 1000);
  LONGS_EQUAL(0, missing_pairs(50));
  for (size_t i = 0; i < 50; ++i) LONGS_EQUAL(49, net->host(i).node().peers().size());
  // And traffic flows between nodes that were never configured together.
  net->host(7).device_packet(make_packet(4242));
  net->pump();
  LONGS_EQUAL(4242, packet_seq(net->host(33).written.back()));
}

TEST_GROUP_BASE(MeshNat, NetTest) {
  // a is public; b and c sit behind NATs of their own and know only a.
  // b joins first; when c joins, a tells c about b (in its list) and b
  // about c (a single-entry list, the same size as an introduction).
  // `drop` decides which of a's single-entry lists to b are lost.
  Host* a = nullptr;
  Host* b = nullptr;
  Host* c = nullptr;
  void join(std::function<bool(int)> drop) {
    a = &net->add();
    b = &net->add();
    c = &net->add();
    net->behind_nat(*b, public_address(2));
    net->behind_nat(*c, public_address(3));
    b->target(*a);
    net->run_ms(2000);
    int single = 0;
    net->filter = [this, drop, single](Datagram& d, std::vector<Datagram>& out) mutable {
      // 1 + 2 + 32 + 1 + 4 + 2 bytes of control body, sealed.
      if (d.from == a->addr() && d.to == public_address(2) && d.is(PacketType::kControl) &&
          d.bytes.size() == kTransportOverhead + 42 && drop(single++))
        return;
      out.push_back(d);
    };
    c->target(*a);
    net->run_ms(5000);
  }
};

TEST(MeshNat, TwoNodesBehindSeparateNatsConnectDirectlyThroughAnIntroduction) {
  // a's news of c is lost: c knocks on b's closed NAT, asks a to
  // introduce it, and b, told that c is sending now, sends too.
  join([](int i) { return i == 0; });
  CHECK(connected(*a, *b));
  CHECK(connected(*a, *c));
  CHECK(connected(*b, *c));
  CHECK(net->nat_dropped > 0);
  CHECK(b->peer_of(*c)->endpoint == public_address(3));
  CHECK(c->peer_of(*b)->endpoint == public_address(2));
  // b's packets to c go straight from its public address to c's (hub
  // mode: a gets its own copy), and a relays nothing.
  net->sent.clear();
  b->device_packet(make_packet(7));
  net->pump();
  size_t direct = 0;
  for (const Datagram& d : net->sent) {
    CHECK(d.from == public_address(2));
    if (d.to == public_address(3)) ++direct;
  }
  LONGS_EQUAL(1, direct);
  LONGS_EQUAL(7, packet_seq(c->written.back()));
}

TEST(MeshNat, WithoutTheIntroductionNodesBehindNatsReachEachOtherOnlyThroughARelay) {
  // The control experiment: the introduction is lost as well. b and c
  // get a session all the same, through a.
  join([](int) { return true; });
  CHECK(connected(*a, *b));
  CHECK(connected(*a, *c));
  CHECK(net->nat_dropped > 0);
  CHECK(connected(*b, *c));
  CHECK_FALSE(b->peer_of(*c)->direct());
  CHECK_FALSE(c->peer_of(*b)->direct());
  CHECK(a->node().counters().forwarded > 0);
}

TEST(MeshNat, KeepalivesHoldANatOpenOnlyWhereOneIsOnThePath) {
  join([](int) { return false; });
  CHECK(connected(*b, *c));
  // Past the formation's activity and a's firewall probe (a peer kept
  // quiet for two minutes, whose packet then reached a).
  net->run_ms(4 * 60 * 1000);
  // Each was told where the other sees it: a at its own address, b and c
  // at their NATs' public ones.
  CHECK(a->node().inbound_open());
  CHECK(a->node().direct_path(*a->peer_of(*b)));
  CHECK_FALSE(b->node().direct_path(*b->peer_of(*a)));
  CHECK_FALSE(c->node().direct_path(*c->peer_of(*b)));
  net->sent.clear();
  const uint64_t secs = 600;
  net->run_ms(secs * 1000);
  // The longest silence from one endpoint to another, and its keepalives.
  auto longest_gap_s = [&](const Endpoint& from, const Endpoint& to) {
    uint64_t last = 0, gap = 0;
    for (const Datagram& d : net->sent)
      if (d.from == from && d.to == to) {
        if (last) gap = std::max(gap, d.sent_ns - last);
        last = d.sent_ns;
      }
    return gap / kNsPerSec;
  };
  auto keepalives = [&](const Endpoint& from, const Endpoint& to) {
    size_t n = 0;
    for (const Datagram& d : net->sent)
      n += d.from == from && d.to == to && d.is(PacketType::kData) &&
           d.bytes.size() == kTransportOverhead;
    return n;
  };
  const uint64_t keepalive = FakeNet::config(1).keepalive_s;
  // Behind a NAT: something every `keepalive` seconds, to the public node
  // and to each other.
  CHECK(longest_gap_s(public_address(2), a->addr()) <= keepalive + 1);
  CHECK(longest_gap_s(public_address(2), public_address(3)) <= keepalive + 1);
  CHECK(longest_gap_s(public_address(3), public_address(2)) <= keepalive + 1);
  // The public node, whose address b sees as it is, keeps quiet: a
  // keepalive after two minutes at most (its peer lists, every minute
  // here, count as well).
  CHECK(keepalives(a->addr(), public_address(2)) <= secs / 120 + 1);
  CHECK(longest_gap_s(a->addr(), public_address(2)) > 2 * keepalive);
  CHECK(connected(*a, *b));
  CHECK(connected(*a, *c));
  CHECK(connected(*b, *c));
  CHECK(a->node().live(*a->peer_of(*b)));
  CHECK(b->node().live(*b->peer_of(*a)));
}

TEST(Mesh, ANodeBehindAFirewallWithoutNatKeepsItsKeepalivesAndStaysReachable) {
  // f keeps its address but its gateway forgets a flow after 30 s; a and
  // b are open. f contacts them both, so no stranger ever knocks.
  Host& a = net->add();
  Host& b = net->add();
  Host& f = net->add();
  net->behind_firewall(f, 30 * kNsPerSec);
  f.target(a);
  f.target(b);
  net->run_ms(3000);
  LONGS_EQUAL(0, missing_pairs(3));
  net->run_ms(10 * 60 * 1000);
  CHECK(a.node().inbound_open());
  CHECK_FALSE(f.node().inbound_open());
  CHECK(f.node().firewall_found());
  CHECK_FALSE(a.node().firewall_found());
  // f's probe failed: it keeps the short keepalive to everyone.
  net->sent.clear();
  net->run_ms(5 * 60 * 1000);
  const uint64_t keepalive = FakeNet::config(1).keepalive_s;
  for (const Host* to : {&a, &b}) {
    uint64_t last = 0, gap = 0;
    for (const Datagram& d : net->sent)
      if (d.from == f.addr() && d.to == to->addr()) {
        if (last) gap = std::max(gap, d.sent_ns - last);
        last = d.sent_ns;
      }
    CHECK_TEXT(gap <= (keepalive + 1) * kNsPerSec, std::to_string(gap / kNsPerSec).c_str());
  }
  // So a's data gets through at once, after any silence.
  size_t got = f.written.size();
  a.device_packet(make_packet(9));
  net->run_ms(1000);
  LONGS_EQUAL(got + 1, f.written.size());
  LONGS_EQUAL(0, missing_pairs(3));
}

TEST(Mesh, AProbeOfAPeerThatDiedProvesNothingEitherWay) {
  // a asks b to keep quiet, and b dies meanwhile: a neither goes quiet
  // nor concludes that a firewall filters it.
  Host& a = net->add();
  Host& b = net->add();
  b.target(a);
  net->run_ms(60 * 1000);   // idle, and each probes (or is probed)
  net->cut_off(b);
  net->run_ms(4 * 60 * 1000);
  CHECK_FALSE(a.node().firewall_found());
  CHECK_FALSE(a.node().inbound_open() && a.peer_of(b) && a.node().direct_path(*a.peer_of(b)));
}

TEST(Mesh, AProbeRequestOfAnyOtherLengthIsRefused) {
  Host& a = net->add();
  Host& b = net->add();
  a.target(b);
  net->run_ms(1000);
  uint64_t before = b.node().counters().drop_control;
  // A probe request with three bytes instead of two, sealed under a's
  // session as a's node would seal it.
  auto* kp = const_cast<Keypair*>(a.keypair_to(b));
  const std::vector<uint8_t> msg = {6, 0, 120, 0};
  std::vector<uint8_t> pkt(kTransportHeaderLen + msg.size() + kTagLen);
  uint64_t counter = kp->send_counter++;
  write_transport_header(pkt.data(), FakeNet::config(1).magic, PacketType::kControl,
                         kp->remote_index, counter);
  uint8_t* body = pkt.data() + kTransportHeaderLen;
  memcpy(body, msg.data(), msg.size());
  kp->send.seal(counter, {pkt.data(), kTransportHeaderLen}, body, msg.size(), body + msg.size());
  net->send(Datagram{a.addr(), b.addr(), pkt});
  net->pump();
  LONGS_EQUAL(before + 1, b.node().counters().drop_control);
}

TEST(Mesh, GossipDoesNotKeepADeadNodeAliveAndAClosingNodeGoesAtOnce) {
  for (int i = 0; i < 5; ++i) net->add();
  for (size_t i = 1; i < 5; ++i) net->host(i).target(net->host(0));
  net->run_ms(5 * 1000);
  LONGS_EQUAL(0, missing_pairs(5));
  // Node 4 leaves cleanly: everyone forgets it at once.
  net->host(4).node().close_all();
  net->pump();
  for (size_t i = 0; i < 4; ++i) CHECK(net->host(i).peer_of(net->host(4)) == nullptr);
  net->cut_off(net->host(4));
  // Node 3 dies silently: it goes at peer_timeout, and the others' gossip
  // does not bring it back as a peer or keep it a candidate for long.
  net->cut_off(net->host(3));
  net->run_ms((FakeNet::config(1).peer_timeout_s + 5) * 1000);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(net->host(i).peer_of(net->host(3)) == nullptr);
    LONGS_EQUAL(2, net->host(i).node().peers().size());
  }
  net->run_ms(kCandidateTtlNs / kNsPerMs + 2000);
  for (size_t i = 0; i < 3; ++i) {
    LONGS_EQUAL(0, net->host(i).node().candidates().size());
    LONGS_EQUAL(0, missing_pairs(3));
  }
}

TEST(Mesh, APeerListWithoutASessionBehindItConnectsNothing) {
  // Gossip about a node that does not answer leaves it a candidate only:
  // never a peer, and gone after kCandidateTtlNs.
  Host& a = net->add();
  Host& b = net->add();
  b.target(a);
  net->run_ms(2000);
  NodeId ghost;
  ghost.fill(0x77);
  a.node().learn_peer(ghost, FakeNet::address(99), &b.node().id(), false);
  net->run_ms(10 * 1000);
  CHECK(a.node().find_peer(ghost) == nullptr);
  LONGS_EQUAL(1, a.node().candidates().size());
  net->run_ms(kCandidateTtlNs / kNsPerMs);
  LONGS_EQUAL(0, a.node().candidates().size());
}

TEST(Mesh, InRouterModePacketsGoToTheLongestClaimAndTheRestAreDroppedAndCounted) {
  std::vector<Host*> h;
  for (int i = 1; i <= 3; ++i) {
    NodeConfig c = FakeNet::config(i);
    c.forward = ForwardMode::kRouter;
    // Each claims its own address; node 2 also 10.2.0.0/16, node 3 the
    // narrower 10.2.3.0/24 inside it.
    c.claims = {prefix(10, 99, 0, static_cast<uint8_t>(i), 32)};
    if (i == 2) c.claims.push_back(prefix(10, 2, 0, 0, 16));
    if (i == 3) c.claims.push_back(prefix(10, 2, 3, 0, 24));
    h.push_back(&net->add(c));
  }
  h[1]->target(*h[0]);
  h[2]->target(*h[0]);
  net->run_ms(3000);
  LONGS_EQUAL(0, missing_pairs(3));
  h[0]->device_packet(ipv4_to(10, 2, 3, 9, 1));    // node 3: /24 beats /16
  h[0]->device_packet(ipv4_to(10, 2, 4, 9, 2));    // node 2
  h[0]->device_packet(ipv4_to(10, 99, 0, 2, 3));   // node 2's own address
  h[0]->device_packet(ipv4_to(10, 3, 0, 1, 4));    // nobody's
  net->pump();
  LONGS_EQUAL(2, h[1]->written.size());
  LONGS_EQUAL(1, h[2]->written.size());
  LONGS_EQUAL(1, get_be32(&h[2]->written[0][20]));
  LONGS_EQUAL(1, h[0]->node().counters().drop_no_route);
}

TEST(Mesh, ClaimsAReloadChangesReachThePeersAtOnce) {
  auto hosts = router_pair({prefix(10, 2, 0, 0, 16)});
  Host& a = hosts.first;
  Host& b = hosts.second;
  net->run_ms(1000);
  a.device_packet(ipv4_to(10, 2, 0, 1, 1));
  a.device_packet(ipv4_to(10, 3, 0, 1, 2));
  net->pump();
  LONGS_EQUAL(1, b.written.size());
  // b now claims 10.3.0.0/16 instead.
  b.node().set_claims({prefix(10, 3, 0, 0, 16)});
  net->pump();
  a.device_packet(ipv4_to(10, 2, 0, 1, 3));
  a.device_packet(ipv4_to(10, 3, 0, 1, 4));
  net->pump();
  LONGS_EQUAL(2, b.written.size());
  LONGS_EQUAL(4, get_be32(&b.written[1][20]));
  // Nothing at all: what b held is withdrawn.
  b.node().set_claims({});
  net->pump();
  a.device_packet(ipv4_to(10, 3, 0, 1, 5));
  net->pump();
  LONGS_EQUAL(2, b.written.size());
}

TEST(Mesh, ALostClaimsMessageIsSentAgain) {
  auto hosts = router_pair({prefix(10, 2, 0, 0, 16)});
  Host& a = hosts.first;
  Host& b = hosts.second;
  // The first control message b sends (its claims) is lost.
  bool dropped = false;
  net->filter = [&](Datagram& d, std::vector<Datagram>& out) {
    if (!dropped && d.from == b.addr() && d.is(PacketType::kControl)) {
      dropped = true;
      return;
    }
    out.push_back(d);
  };
  net->run_ms(500);
  CHECK(dropped);
  a.device_packet(ipv4_to(10, 2, 0, 1, 1));
  net->pump();
  LONGS_EQUAL(0, b.written.size());
  net->run_ms(1000);
  a.device_packet(ipv4_to(10, 2, 0, 1, 2));
  net->pump();
  LONGS_EQUAL(1, b.written.size());
}

TEST(Mesh, ALanBeaconConnectsTwoNodesThatKnewNothingOfEachOther) {
  Host& a = net->add();
  Host& b = net->add();
  a.node().on_beacon(b.addr(), b.node().id());
  net->run_ms(1000);
  CHECK(connected(a, b));
  // Our own beacon, looped back, is ignored.
  a.node().on_beacon(a.addr(), a.node().id());
  LONGS_EQUAL(0, a.node().candidates().size());
}

TEST(Mesh, ManagementTrafficOfAnIdleMeshStaysSmall) {
  // Twenty nodes, all bootstrapped from the first, idle for ten minutes:
  // what each sends per second is keepalives and the peer exchange. A
  // bound that fails if the exchange ran every tick or idle pairs renewed
  // their keys or kept the short keepalive.
  net->add();
  for (int k = 1; k < 20; ++k) net->add().target(net->host(0));
  net->run_ms(10 * 1000);
  LONGS_EQUAL(0, missing_pairs(20));
  // Each node first finds out that unsolicited packets reach it (no
  // firewall, timers.cc): by a stranger's first contact, or by going quiet
  // towards one peer of larger id; the node of the largest id has none to
  // probe and may have to keep the short keepalive.
  net->run_ms(8 * 60 * 1000);
  size_t largest = 0;
  for (size_t i = 1; i < 20; ++i)
    if (net->host(largest).node().id() < net->host(i).node().id()) largest = i;
  for (size_t i = 0; i < 20; ++i)
    if (i != largest) CHECK(net->host(i).node().inbound_open());
  net->sent.clear();
  const uint64_t secs = 600;
  net->run_ms(secs * 1000);
  uint64_t bytes = 0;
  for (const Datagram& d : net->sent) bytes += d.bytes.size() + 28;
  double per_node = static_cast<double>(bytes) / 20 / secs;
  // 19 keepalives every two minutes, which are hellos carrying the
  // sender's own route (routing.cc: 15 B/s), and three peer lists a
  // minute (38 B/s); no other routes (in a full mesh no node wants them)
  // and idle pairs renew no keys.
  CHECK_TEXT(per_node < 65, std::to_string(per_node).c_str());
  for (const Datagram& d : net->sent) CHECK(!d.is(PacketType::kHandshakeInit));
  LONGS_EQUAL(0, missing_pairs(20));
}

TEST(Mesh, BeaconsActedOnAreLimitedPerSecondAndConfiguredAddressesAreLeftToTheirOwnLoop) {
  Host& a = net->add();
  Host& b = net->add();
  a.target(b);
  // A burst of (replayed or forged) beacons of 20 nodes: 10 are acted on.
  for (uint8_t i = 0; i < 20; ++i) {
    NodeId id;
    id.fill(static_cast<uint8_t>(0x80 + i));
    a.node().on_beacon(FakeNet::address(100 + i), id);
  }
  LONGS_EQUAL(kBeaconsPerSec, a.node().candidates().size());
  LONGS_EQUAL(20 - kBeaconsPerSec, a.node().counters().drop_rate_limited);
  // A node heard of at b's configured address is not contacted twice.
  NodeId other;
  other.fill(0x11);
  a.node().learn_peer(other, b.addr(), nullptr, false);
  LONGS_EQUAL(kBeaconsPerSec, a.node().candidates().size());
}

TEST(Mesh, GossipCannotMakeANodeSendInitiationsFasterThanItsBounds) {
  Host& a = net->add();
  Host& b = net->add();
  b.target(a);
  net->run_ms(1000);
  // b's (made-up) news of 200 nodes at one victim address, urgent, twice.
  const Endpoint victim = FakeNet::address(200, 9999);
  for (int round = 0; round < 2; ++round)
    for (int i = 0; i < 200; ++i) {
      NodeId id;
      id.fill(static_cast<uint8_t>(i));
      id[31] = 0xee;
      a.node().learn_peer(id, victim, &b.node().id(), true);
    }
  net->sent.clear();
  net->tick();
  size_t to_victim = 0;
  for (const Datagram& d : net->sent) to_victim += d.to == victim;
  LONGS_EQUAL(kCandidateAttemptsPerTick, to_victim);
  // News again at once does not bring the attempts already made forward.
  for (int i = 0; i < 200; ++i) {
    NodeId id;
    id.fill(static_cast<uint8_t>(i));
    id[31] = 0xee;
    a.node().learn_peer(id, victim, &b.node().id(), true);
  }
  net->sent.clear();
  net->tick();
  to_victim = 0;
  for (const Datagram& d : net->sent) to_victim += d.to == victim;
  CHECK(to_victim <= kCandidateAttemptsPerTick);
}
