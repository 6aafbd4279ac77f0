// Two nodes joined by two links (multi-link) on the fake network: paths
// found and probed, bulk spread by the links' rates, each link paced,
// failover within three probe intervals and back, order restored across
// paths of different delays, the priority lane on the fastest path.
#include <algorithm>
#include <cstring>

#include "common/bytes.h"
#include "engine/node.h"
#include "engine/pacer.h"
#include "fakenet.h"

// Last: its new/delete macros must not reach the standard headers.
#include <CppUTest/TestHarness.h>

using namespace braid;
using namespace braid::engine;
using namespace braid::engine::test;

namespace {

constexpr uint64_t kFibre = 50 * 1000 * 1000 / 8;   // 50 Mbit/s in bytes per second
constexpr uint64_t kLte = 25 * 1000 * 1000 / 8;

// The link of a fake address: 10.L.0.n.
int link_of(const Endpoint& e) { return e.sa.sin6_addr.s6_addr[13]; }

NodeConfig two_links(int n, uint64_t rate0 = kFibre, uint64_t rate1 = kLte) {
  NodeConfig cfg = FakeNet::config(n);
  LinkConfig fibre;
  fibre.name = "fibre";
  fibre.bandwidth = rate0;
  LinkConfig lte;
  lte.name = "lte";
  lte.bandwidth = rate1;
  cfg.links = {fibre, lte};
  return cfg;
}

// An IPv4 ICMP echo request: the priority lane's.
std::vector<uint8_t> icmp_packet(uint32_t seq) {
  std::vector<uint8_t> p(64, 0);
  p[0] = 0x45;
  put_be16(&p[2], 64);
  p[8] = 64;
  p[9] = 1;   // ICMP
  put_be32(&p[24], seq);
  return p;
}

size_t usable_paths(const Peer* p) {
  if (p == nullptr) return 0;
  return static_cast<size_t>(std::count_if(p->paths.begin(), p->paths.end(),
                                           [](const Path& x) { return x.monitor.usable(); }));
}

}  // namespace

TEST_GROUP_BASE(NodeMultilink, NetTest) {
  Host* a = nullptr;
  Host* b = nullptr;
  // Links that are cut (by index), and whether a link's datagrams can
  // reach another link's address (no: each link is its own wire).
  bool cut[2] = {false, false};

  void setup() override {
    NetTest::setup();
    net->filter = [this](Datagram& d, std::vector<Datagram>& out) {
      int lf = link_of(d.from), lt = link_of(d.to);
      if (lf != lt || (lf < 2 && cut[lf])) return;
      out.push_back(std::move(d));
    };
  }

  void pair(NodeConfig ca, NodeConfig cb) {
    a = &net->add(ca);
    b = &net->add(cb);
    a->target(*b);
    net->run_fine_ms(1000, 5);
    CHECK(connected(*a, *b));
  }

  // Offers `rate` bytes per second of `size`-byte packets from a for `ms`,
  // in steps of one millisecond.
  uint32_t send(uint64_t rate, size_t size, uint64_t ms, uint32_t first_seq = 0) {
    double carry = 0;
    uint32_t seq = first_seq;
    for (uint64_t t = 0; t < ms; ++t) {
      carry += static_cast<double>(rate) / 1000.0 / static_cast<double>(size);
      while (carry >= 1) {
        a->device_packet(make_packet(seq++, size));
        carry -= 1;
      }
      net->run_fine_ms(1, 1);
    }
    return seq;
  }
};

TEST(NodeMultilink, EachLinkFindsItsWayToThePeerAndCrossPathsStayDown) {
  pair(two_links(1), two_links(2));
  net->run_fine_ms(2000, 5);
  const Peer* pb = a->peer_of(*b);
  const Peer* pa = b->peer_of(*a);
  LONGS_EQUAL(2, usable_paths(pb));
  LONGS_EQUAL(2, usable_paths(pa));
  for (const Path& p : pb->paths)
    if (p.monitor.usable()) LONGS_EQUAL(p.link, link_of(p.remote));
  // Both links reported up.
  CHECK(a->node().links()[0].up && a->node().links()[1].up);
}

TEST(NodeMultilink, BulkIsSpreadByBytesInProportionToTheLinksRates) {
  pair(two_links(1), two_links(2));
  net->run_fine_ms(1000, 5);
  uint64_t b0 = a->link_bytes[0], b1 = a->link_bytes[1];
  // 10 Mbit/s: well within both links, so nothing waits and the shares
  // alone decide. Sizes vary so that bytes, not packets, are compared.
  uint32_t seq = 0;
  for (int t = 0; t < 2000; ++t) {
    a->device_packet(make_packet(seq++, 200 + (t % 7) * 180));
    net->run_fine_ms(1, 1);
  }
  double d0 = static_cast<double>(a->link_bytes[0] - b0);
  double d1 = static_cast<double>(a->link_bytes[1] - b1);
  CHECK(d1 > 0);
  double ratio = d0 / d1;
  CHECK_TEXT(ratio > 1.9 && ratio < 2.1, ("ratio " + std::to_string(ratio)).c_str());
  LONGS_EQUAL(seq, b->written.size());
}

TEST(NodeMultilink, UnderLoadEachLinkCarriesItsOwnRateAndTheyAddUp) {
  pair(two_links(1), two_links(2));
  net->run_fine_ms(1000, 5);
  uint64_t b0 = a->link_bytes[0], b1 = a->link_bytes[1];
  send(12500000, 1200, 1000);   // 100 Mbit/s offered
  double d0 = static_cast<double>(a->link_bytes[0] - b0);
  double d1 = static_cast<double>(a->link_bytes[1] - b1);
  // Paced by wire bytes (headers included), a second's worth each.
  CHECK_TEXT(d0 > 0.9 * kFibre && d0 < 1.02 * kFibre, std::to_string(d0).c_str());
  CHECK_TEXT(d1 > 0.9 * kLte && d1 < 1.02 * kLte, std::to_string(d1).c_str());
  CHECK(a->node().counters().drop_link_queue > 0);
}

TEST(NodeMultilink, ASilentLinkIsDownWithinThreeProbeIntervalsAndComesBack) {
  pair(two_links(1), two_links(2));
  net->run_fine_ms(1000, 5);
  uint32_t seq = send(1250000, 1000, 500);   // 10 Mbit/s
  a->link_events.clear();
  cut[1] = true;
  uint64_t cut_at = net->clock.now_ns();
  uint64_t down_at = 0;
  for (int t = 0; t < 1000 && down_at == 0; ++t) {
    seq = send(1250000, 1000, 1, seq);
    for (const Path& p : a->peer_of(*b)->paths)
      if (p.link == 1 && link_of(p.remote) == 1 && !p.monitor.usable())
        down_at = net->clock.now_ns();
  }
  CHECK(down_at != 0);
  // Three 100 ms intervals, a timeout, and the 100 ms tick that notices.
  CHECK_TEXT(down_at - cut_at <= 450 * kNsPerMs, std::to_string((down_at - cut_at) / kNsPerMs).c_str());
  net->run_fine_ms(1100, 5);
  CHECK(!a->link_events.empty());
  CHECK(a->link_events.back() == std::make_pair(uint8_t{1}, false));
  // Everything now goes over the fibre, and arrives.
  size_t before = b->written.size();
  uint64_t l1 = a->link_datagrams[1];
  seq = send(1250000, 1000, 500, seq);
  CHECK(b->written.size() - before >= 600);
  // (Only probes try the cut link.)
  CHECK(a->link_datagrams[1] - l1 < 20);
  cut[1] = false;
  net->run_fine_ms(1500, 5);
  CHECK(a->link_events.back() == std::make_pair(uint8_t{1}, true));
  l1 = a->link_datagrams[1];
  send(1250000, 1000, 500, seq);
  CHECK(a->link_datagrams[1] - l1 > 100);
}

TEST(NodeMultilink, OrderIsRestoredAcrossPathsOfDifferentDelays) {
  net->latency = [](const Datagram& d) {
    return link_of(d.from) == 0 ? 5 * kNsPerMs : 30 * kNsPerMs;
  };
  pair(two_links(1), two_links(2));
  net->run_fine_ms(3000, 5);
  size_t before = b->written.size();
  uint32_t seq = send(1250000, 1000, 1000, 1000);
  net->run_fine_ms(500, 1);
  CHECK(b->written.size() - before == seq - 1000);
  uint32_t expect = 1000;
  for (size_t i = before; i < b->written.size(); ++i) LONGS_EQUAL(expect++, packet_seq(b->written[i]));
  CHECK(a->link_datagrams[1] > 100);   // both links really carried it
}

TEST(NodeMultilink, ThePriorityLaneTakesTheFastestPathAndIsNotHeldBehindBulk) {
  net->latency = [](const Datagram& d) {
    return link_of(d.from) == 0 ? 30 * kNsPerMs : 5 * kNsPerMs;
  };
  pair(two_links(1), two_links(2));
  net->run_fine_ms(3000, 5);
  uint64_t l0 = a->link_datagrams[0], l1 = a->link_datagrams[1];
  for (uint32_t i = 0; i < 20; ++i) {
    a->device_packet(icmp_packet(i));
    net->run_fine_ms(10, 1);
  }
  // All twenty over the 5 ms link (probes aside).
  CHECK(a->link_datagrams[1] - l1 >= 20);
  CHECK(a->link_datagrams[0] - l0 < 5);
}

TEST(NodeMultilink, AFallbackLinkCarriesNothingUntilTheOtherLinksAreDown) {
  NodeConfig ca = two_links(1);
  ca.links[1].fallback_only = true;
  pair(ca, two_links(2));
  net->run_fine_ms(2000, 5);
  uint64_t l1 = a->link_datagrams[1];
  uint32_t seq = send(1250000, 1000, 500);
  // Probes and answers to the peer's probes only: 500 ms at 100 ms each.
  CHECK(a->link_datagrams[1] - l1 < 25);
  cut[0] = true;
  net->run_fine_ms(1000, 5);
  size_t before = b->written.size();
  l1 = a->link_datagrams[1];
  send(1250000, 1000, 500, seq);
  CHECK(a->link_datagrams[1] - l1 > 400);
  CHECK(b->written.size() - before > 400);
}

TEST(NodeMultilink, ASingleLinkNodeLearnsBothLinksOfItsPeer) {
  // b has one link; a's second link is found from a's link list and a's
  // probes, and b spreads its own traffic over both of a's links.
  net->filter = nullptr;
  pair(two_links(1), FakeNet::config(2));
  net->run_fine_ms(2000, 5);
  LONGS_EQUAL(2, usable_paths(b->peer_of(*a)));
  CHECK(b->peer_of(*a)->multilink);
}

TEST(NodeMultilink, ThePeerOfAFallbackLinkKeepsOffItToo) {
  NodeConfig ca = two_links(1);
  ca.links[1].fallback_only = true;
  pair(ca, two_links(2));
  net->run_fine_ms(2000, 5);
  // b has two regular links, but a told it that its second is a fallback.
  uint64_t l1 = b->link_datagrams[1];
  for (uint32_t i = 0; i < 500; ++i) {
    b->device_packet(make_packet(i, 1000));
    net->run_fine_ms(1, 1);
  }
  CHECK(b->link_datagrams[1] - l1 < 25);   // probes and answers only
  LONGS_EQUAL(500, a->written.size());
}

TEST(NodeMultilink, ALinkThatCarriesLessThanItsBandwidthIsPacedDownToWhatGetsThrough) {
  // The lte link is configured at 50 Mbit/s but its wire carries 25: what
  // it sends beyond that is lost. A second at 100 Mbit/s offered teaches
  // the node; the next second is measured.
  Pacer wire(kLte, 16000);
  uint64_t lost = 0;
  net->filter = [&](Datagram& d, std::vector<Datagram>& out) {
    int lf = link_of(d.from);
    if (lf != link_of(d.to)) return;
    if (lf == 1 && !wire.take(d.bytes.size() + 42, net->clock.now_ns())) {
      ++lost;
      return;
    }
    out.push_back(std::move(d));
  };
  pair(two_links(1, kFibre, 2 * kLte), two_links(2));
  net->run_fine_ms(1000, 5);
  uint32_t seq = send(12500000, 1200, 2000);
  uint64_t lost_before = lost, b1 = a->link_bytes[1];
  size_t got = b->written.size();
  send(12500000, 1200, 1000, seq);
  double d1 = static_cast<double>(a->link_bytes[1] - b1);
  // Paced near what the wire carries, losing little of it.
  CHECK_TEXT(d1 < 1.15 * kLte, std::to_string(d1).c_str());
  CHECK_TEXT(lost - lost_before < 0.1 * d1 / 1200, std::to_string(lost - lost_before).c_str());
  CHECK(a->node().links()[1].rate() < 1.1 * kLte);
  // And both links' worth arrives: over 90% of 75 Mbit/s of 1200-byte packets.
  double delivered = static_cast<double>(b->written.size() - got) * 1200;
  CHECK_TEXT(delivered > 0.85 * (kFibre + kLte) * 1200 / 1275, std::to_string(delivered).c_str());
}

TEST(NodeMultilink, RedundantPriorityCopiesDoNotMakeTheSecondPathLookLossy) {
  net->latency = [](const Datagram& d) {
    return link_of(d.from) == 0 ? 10 * kNsPerMs : 5 * kNsPerMs;
  };
  NodeConfig ca = two_links(1);
  ca.priority_copies = 2;
  pair(ca, two_links(2));
  net->run_fine_ms(2000, 5);
  size_t before = b->written.size();
  for (uint32_t i = 0; i < 1000; ++i) {
    a->device_packet(icmp_packet(i));
    net->run_fine_ms(2, 1);
  }
  net->run_fine_ms(500, 5);
  // Each ping once (the second copy dropped), and both paths still up.
  LONGS_EQUAL(1000, b->written.size() - before);
  CHECK(b->node().counters().drop_replay >= 900);
  for (const Path& p : a->peer_of(*b)->paths)
    if (link_of(p.remote) == p.link) CHECK_TEXT(p.monitor.state() == PathState::kUp,
                                                path_state_name(p.monitor.state()));
}
