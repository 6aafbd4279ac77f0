// The route table alone: feasibility, selection, seqno requests, expiry;
// and many tables exchanging announcements over random graphs with
// failures, checked for loops after every message.
#include <algorithm>
#include <deque>
#include <map>
#include <random>
#include <set>

#include "engine/route_table.h"

#include <CppUTest/TestHarness.h>

using namespace braid;
using namespace braid::engine;

namespace {

// Node i's id: spread like a real (random) key, with i in its last bytes.
NodeId node(int i) {
  NodeId id{};
  uint64_t x = (static_cast<uint64_t>(i) + 1) * 0x9E3779B97F4A7C15ull;
  for (int k = 0; k < 8; ++k) id[k] = static_cast<uint8_t>(x >> (8 * k));
  id[30] = static_cast<uint8_t>(i >> 8);
  id[31] = static_cast<uint8_t>(i);
  return id;
}

constexpr uint64_t kSec = kNsPerSec;

// Tables on a graph, exchanging announcements through a FIFO of messages
// (updates and seqno requests), as nodes joined by sessions would.
class Graph {
 public:
  explicit Graph(int n) {
    for (int i = 0; i < n; ++i) tables.emplace_back(node(i), static_cast<uint16_t>(i * 7919));
    alive.assign(n, true);
    adj.resize(n);
  }
  void link(int a, int b, uint16_t cost) {
    edges[{std::min(a, b), std::max(a, b)}] = cost;
    adj[a].insert(b);
    adj[b].insert(a);
    tables[a].set_neighbour(node(b), cost, now);
    tables[b].set_neighbour(node(a), cost, now);
  }
  void cut(int a, int b) {
    edges.erase({std::min(a, b), std::max(a, b)});
    adj[a].erase(b);
    adj[b].erase(a);
    tables[a].remove_neighbour(node(b), now);
    tables[b].remove_neighbour(node(a), now);
    // Only their tables changed: a loop formed now passes through one.
    for (size_t d = 0; d < tables.size(); ++d) {
      check_no_loop(a, static_cast<int>(d));
      check_no_loop(b, static_cast<int>(d));
    }
  }
  // Both ends of a tunnel about to go mark it draining (tunnels.cc).
  void drain(int a, int b) {
    tables[a].set_draining(node(b), true, now);
    tables[b].set_draining(node(a), true, now);
  }
  void kill(int a) {
    alive[a] = false;
    std::set<int> gone = adj[a];
    for (int b : gone) cut(a, b);
  }
  const std::set<int>& neighbours(int a) const { return adj[a]; }
  // Every node announces every destination to every neighbour.
  void full_round() {
    for (size_t a = 0; a < tables.size(); ++a) {
      if (!alive[a]) continue;
      std::vector<RouteEntry> entries;
      for (const NodeId& d : tables[a].destinations())
        if (auto e = tables[a].announce(d)) entries.push_back(*e);
      for (int b : neighbours(static_cast<int>(a)))
        for (const RouteEntry& e : entries) queue.push_back(Msg{static_cast<int>(a), b, e, false, 0});
    }
  }
  // Triggered updates and requests the tables have asked for.
  void take_pending(int a) {
    for (const NodeId& d : tables[a].take_changed())
      if (auto e = tables[a].announce(d))
        for (int b : neighbours(a)) queue.push_back(Msg{a, b, *e, false, 0});
    for (const auto& r : tables[a].take_requests())
      queue.push_back(Msg{a, index(r.to), RouteEntry{r.dest, r.seqno, 0}, true, r.hops});
  }
  int index(const NodeId& id) const { return id[30] << 8 | id[31]; }
  // Delivers one message; false when none is left.
  bool step() {
    if (queue.empty()) return false;
    Msg m = queue.front();
    queue.pop_front();
    ++messages;
    if (!alive[m.to] || adj[m.from].count(m.to) == 0)
      return true;   // lost with its link
    RouteTable& t = tables[m.to];
    struct Pending {
      Graph& g;
      int at;
      ~Pending() { g.take_pending(at); }
    } pending{*this, m.to};
    if (!m.request) {
      t.on_update(node(m.from), m.entry, now);
      // Only this table changed, and only for this destination: a loop
      // it closed passes through it.
      check_no_loop(m.to, index(m.entry.dest));
      return true;
    }
    RequestAction act = t.on_request(node(m.from), m.entry.dest, m.entry.seqno, m.hops, now);
    if (act.kind == RequestAction::kAnswer) {
      if (auto e = t.announce(m.entry.dest)) queue.push_back(Msg{m.to, m.from, *e, false, 0});
    } else if (act.kind == RequestAction::kForward) {
      queue.push_back(Msg{m.to, index(act.next), m.entry, true, static_cast<uint8_t>(m.hops - 1)});
    }
    return true;
  }
  // Runs to quiescence, checking for a loop after every message.
  void settle() {
    for (size_t a = 0; a < tables.size(); ++a)
      if (alive[a]) take_pending(static_cast<int>(a));
    size_t guard = 0;
    while (step()) CHECK(++guard < 5000000);
    check_no_loops();
  }
  // Following next hops from s towards d never comes back to a node.
  void check_no_loop(int s, int d) {
    if (d >= static_cast<int>(tables.size()) || !alive[d]) return;
    std::vector<bool> seen(tables.size());
    int at = s;
    while (at != d) {
      if (seen[at]) FAIL("routing loop");
      seen[at] = true;
      auto nh = tables[at].next_hop(node(d));
      if (!nh) break;
      at = index(*nh);
    }
  }
  void check_no_loops() {
    for (size_t d = 0; d < tables.size(); ++d)
      for (size_t s = 0; s < tables.size(); ++s)
        if (alive[s] && s != d) check_no_loop(static_cast<int>(s), static_cast<int>(d));
  }
  // Whether s reaches d by next hops.
  bool reaches(int s, int d) {
    int at = s;
    for (int hops = 0; hops <= kMaxHops && at != d; ++hops) {
      auto nh = tables[at].next_hop(node(d));
      if (!nh) return false;
      at = index(*nh);
    }
    return at == d;
  }
  bool connected(int s, int d) const {
    std::set<int> seen{s};
    std::vector<int> todo{s};
    while (!todo.empty()) {
      int a = todo.back();
      todo.pop_back();
      if (a == d) return true;
      for (int b : neighbours(a))
        if (seen.insert(b).second) todo.push_back(b);
    }
    return false;
  }

  struct Msg {
    int from, to;
    RouteEntry entry;
    bool request;
    uint8_t hops;
  };
  std::vector<RouteTable> tables;
  std::vector<bool> alive;
  std::map<std::pair<int, int>, uint16_t> edges;
  std::vector<std::set<int>> adj;
  std::deque<Msg> queue;
  uint64_t now = kSec;
  size_t messages = 0;
};

}  // namespace

TEST_GROUP(RouteTable) {};

TEST(RouteTable, ANeighboursAnnouncementBecomesARouteThroughIt) {
  RouteTable t(node(0), 1);
  t.set_neighbour(node(1), 10, kSec);
  t.on_update(node(1), RouteEntry{node(2), 5, 20}, kSec);
  auto nh = t.next_hop(node(2));
  CHECK(nh && *nh == node(1));
  LONGS_EQUAL(30, t.metric(node(2)));
  // Not from a neighbour: ignored.
  t.on_update(node(3), RouteEntry{node(4), 5, 1}, kSec);
  CHECK(!t.next_hop(node(4)));
}

TEST(RouteTable, AnnouncingSetsTheFeasibilityDistanceAndWorseRoutesOfThatSeqnoAreRefused) {
  RouteTable t(node(0), 1);
  t.set_neighbour(node(1), 10, kSec);
  t.set_neighbour(node(3), 10, kSec);
  t.on_update(node(1), RouteEntry{node(2), 5, 20}, kSec);
  auto e = t.announce(node(2));
  CHECK(e && e->metric == 30 && e->seqno == 5);
  // Neighbour 1 loses its way; neighbour 3 offers seqno 5 at 30, which is
  // not below what we announced (30): it could lead back through us.
  t.on_update(node(1), RouteEntry{node(2), 5, kMetricInfinity}, kSec);
  t.on_update(node(3), RouteEntry{node(2), 5, 30}, kSec);
  CHECK(!t.next_hop(node(2)));
  // ... so the table asks for a newer seqno, of the neighbour that has a route.
  auto reqs = t.take_requests();
  LONGS_EQUAL(1, reqs.size());
  CHECK(reqs[0].to == node(3) && reqs[0].dest == node(2));
  LONGS_EQUAL(6, reqs[0].seqno);
  // A newer seqno is feasible whatever its metric.
  t.on_update(node(3), RouteEntry{node(2), 6, 500}, kSec);
  auto nh = t.next_hop(node(2));
  CHECK(nh && *nh == node(3));
  // Same seqno, strictly smaller than the distance: feasible.
  t.on_update(node(1), RouteEntry{node(2), 6, 100}, kSec);
  auto e2 = t.announce(node(2));
  CHECK(e2 && e2->metric == 110);
}

TEST(RouteTable, ABetterRouteReplacesTheSelectedOneOnlyBeyondTheHysteresis) {
  RouteTable t(node(0), 1);
  t.set_neighbour(node(1), 10, kSec);
  t.set_neighbour(node(3), 10, kSec);
  t.on_update(node(1), RouteEntry{node(2), 5, 100}, kSec);
  t.on_update(node(3), RouteEntry{node(2), 5, 95}, kSec);   // 105 vs 110: kept
  CHECK(*t.next_hop(node(2)) == node(1));
  t.on_update(node(3), RouteEntry{node(2), 5, 50}, kSec);   // 60 vs 110: taken
  CHECK(*t.next_hop(node(2)) == node(3));
}

TEST(RouteTable, ANeighbourGoneOrUnreachableTakesItsRoutesAndTheChangeIsTold) {
  RouteTable t(node(0), 1);
  t.set_neighbour(node(1), 10, kSec);
  t.set_neighbour(node(3), 10, kSec);
  t.on_update(node(1), RouteEntry{node(2), 5, 100}, kSec);
  t.on_update(node(3), RouteEntry{node(2), 7, 50}, kSec);
  // Both are feasible (nothing announced yet); the better metric wins.
  CHECK(*t.next_hop(node(2)) == node(3));
  t.announce(node(2));
  t.take_changed();
  t.set_neighbour(node(3), kMetricInfinity, 2 * kSec);
  // Neighbour 1's seqno 5 is older than the distance's 7: unfeasible.
  CHECK(!t.next_hop(node(2)));
  auto changed = t.take_changed();
  CHECK(std::find(changed.begin(), changed.end(), node(2)) != changed.end());
  auto e = t.announce(node(2));
  CHECK(e && e->metric == kMetricInfinity);
  t.set_neighbour(node(3), 10, 3 * kSec);
  CHECK(*t.next_hop(node(2)) == node(3));
  t.remove_neighbour(node(3), 4 * kSec);
  CHECK(!t.next_hop(node(2)));
}

TEST(RouteTable, ASeqnoRequestIsAnsweredForwardedOrMakesTheDestinationAnnounceANewSeqno) {
  RouteTable t(node(0), 100);
  t.set_neighbour(node(1), 10, kSec);
  t.set_neighbour(node(3), 10, kSec);
  // For ourselves: a newer seqno is taken and announced.
  RequestAction a = t.on_request(node(1), node(0), 101, 16, kSec);
  LONGS_EQUAL(RequestAction::kAnnounceSelf, a.kind);
  LONGS_EQUAL(101, t.seqno());
  auto changed = t.take_changed();
  CHECK(!changed.empty() && changed[0] == node(0));
  LONGS_EQUAL(RequestAction::kAnswer, t.on_request(node(1), node(0), 90, 16, kSec).kind);
  // For a destination with a route of that seqno: answered.
  t.on_update(node(3), RouteEntry{node(2), 9, 10}, kSec);
  LONGS_EQUAL(RequestAction::kAnswer, t.on_request(node(1), node(2), 9, 16, kSec).kind);
  // For a newer one: passed on towards it, once, and never back.
  a = t.on_request(node(1), node(2), 10, 16, kSec);
  LONGS_EQUAL(RequestAction::kForward, a.kind);
  CHECK(a.next == node(3));
  LONGS_EQUAL(RequestAction::kNone, t.on_request(node(1), node(2), 10, 16, kSec).kind);
  LONGS_EQUAL(RequestAction::kNone, t.on_request(node(3), node(2), 11, 16, 3 * kSec).kind);
  LONGS_EQUAL(RequestAction::kNone, t.on_request(node(1), node(2), 12, 1, 3 * kSec).kind);
}

TEST(RouteTable, ADrainingNeighboursRouteIsKeptUntilTheOneToReplaceItIsFeasible) {
  RouteTable t(node(0), 1);
  t.set_neighbour(node(1), 10, kSec);
  t.set_neighbour(node(3), 10, kSec);
  t.on_update(node(1), RouteEntry{node(2), 5, 0}, kSec);
  t.announce(node(2));   // distance (5, 10)
  t.on_update(node(3), RouteEntry{node(2), 5, 10}, kSec);   // 10: not below it
  t.take_requests();
  t.set_draining(node(1), true, 2 * kSec);
  CHECK(t.draining(node(1)));
  // Still the way (nothing else is feasible), and a newer seqno is asked
  // for, of both: the route through 1 surely leads to the destination.
  CHECK(*t.next_hop(node(2)) == node(1));
  auto reqs = t.take_requests();
  LONGS_EQUAL(2, reqs.size());
  LONGS_EQUAL(6, reqs[0].seqno);
  // At the seqno already announced the metric stays what it was...
  auto e = t.announce(node(2));
  CHECK(e && e->seqno == 5 && e->metric == 10);
  // ... but the next seqno, come through the draining neighbour first, is
  // announced at kDrainMetric, so the route through 3 at that seqno is
  // feasible when it comes, and taken although it is longer.
  t.on_update(node(1), RouteEntry{node(2), 6, 0}, 3 * kSec);
  CHECK(*t.next_hop(node(2)) == node(1));
  e = t.announce(node(2));
  CHECK(e && e->seqno == 6 && e->metric == kDrainMetric);
  t.on_update(node(3), RouteEntry{node(2), 6, 10}, 3 * kSec);
  CHECK(*t.next_hop(node(2)) == node(3));
  LONGS_EQUAL(20, t.metric(node(2)));
  e = t.announce(node(2));
  CHECK(e && e->metric == 20);
}

TEST(RouteTable, AFeasibleRouteThroughANeighbourInServiceBeatsADrainingOnesShorterRoute) {
  RouteTable t(node(0), 1);
  t.set_neighbour(node(1), 10, kSec);
  t.set_neighbour(node(3), 10, kSec);
  t.on_update(node(1), RouteEntry{node(2), 5, 0}, kSec);
  t.on_update(node(3), RouteEntry{node(2), 5, 50}, kSec);   // feasible: nothing announced
  CHECK(*t.next_hop(node(2)) == node(1));
  t.set_draining(node(1), true, 2 * kSec);
  CHECK(*t.next_hop(node(2)) == node(3));
  CHECK(t.take_requests().empty());
  // The mark holds across a change of cost, and lifting it brings the
  // shorter route back.
  t.set_neighbour(node(1), 12, 2 * kSec);
  CHECK(*t.next_hop(node(2)) == node(3));
  t.set_draining(node(1), false, 3 * kSec);
  CHECK(*t.next_hop(node(2)) == node(1));
}

TEST(RouteTable, ADrainedTunnelIsCutWithoutAnyPairLosingItsRoute) {
  // A ring, whose every other way round is long, and a random graph: one
  // tunnel drains until the network is quiet, then goes. Every pair that
  // is still connected reaches the other at once, without a message more.
  Graph ring(8);
  for (int i = 0; i < 8; ++i) ring.link(i, (i + 1) % 8, 10);
  std::mt19937 rng(11);
  const int n = 60;
  Graph mesh(n);
  for (int a = 0; a < n; ++a)
    for (int k = 0; k < 2; ++k) {
      int b = static_cast<int>(rng() % n);
      if (b != a) mesh.link(a, b, static_cast<uint16_t>(10 + rng() % 91));
    }
  for (Graph* g : {&ring, &mesh}) {
    for (int round = 0; round < 2; ++round) {
      g->full_round();
      g->settle();
    }
    int size = static_cast<int>(g->tables.size());
    for (int cut = 0; cut < 5; ++cut) {
      // A tunnel that many routes use: a node's first neighbour.
      int a = static_cast<int>(rng() % size);
      if (g->neighbours(a).empty()) continue;
      int b = *g->neighbours(a).begin();
      g->drain(a, b);
      g->settle();
      g->cut(a, b);
      for (int s = 0; s < size; ++s)
        for (int d = 0; d < size; ++d)
          if (s != d && g->connected(s, d)) CHECK_TEXT(g->reaches(s, d), (std::to_string(s) + "->" + std::to_string(d)).c_str());
      g->settle();
    }
  }
}

TEST(RouteTable, OurOwnSeqnoJumpsPastANewerOneHeldForUs) {
  RouteTable t(node(0), 5);
  t.set_neighbour(node(1), 10, kSec);
  t.on_update(node(1), RouteEntry{node(0), 40, 10}, kSec);
  LONGS_EQUAL(41, t.seqno());
  auto e = t.announce(node(0));
  CHECK(e && e->seqno == 41 && e->metric == 0);
}

TEST(RouteTable, SeqnosCompareAcrossTheWrap) {
  CHECK(seqno_older(0xFFF0, 0x0010));
  CHECK(!seqno_older(0x0010, 0xFFF0));
  CHECK(seqno_older(1, 2));
  CHECK(!seqno_older(2, 2));
}

TEST(RouteTable, RoutesNotRefreshedExpireAndUnreachableDestinationsAreForgotten) {
  RouteTable t(node(0), 1);
  t.set_neighbour(node(1), 10, kSec);
  t.on_update(node(1), RouteEntry{node(2), 5, 10}, kSec);
  t.announce(node(2));
  t.expire(kSec + RouteTable::kRouteHoldNs / 2);
  CHECK(t.next_hop(node(2)).has_value());
  t.expire(2 * kSec + RouteTable::kRouteHoldNs);
  CHECK(!t.next_hop(node(2)));
  LONGS_EQUAL(1, t.size());   // remembered: its distance still guards
  t.expire(3 * kSec + RouteTable::kRouteHoldNs + RouteTable::kForgetNs);
  LONGS_EQUAL(0, t.size());
}

TEST(RouteTable, ALineConvergesAndRoutesAroundACutInARing) {
  Graph g(6);
  for (int i = 0; i < 6; ++i) g.link(i, (i + 1) % 6, 10);
  g.full_round();
  g.settle();
  g.full_round();
  g.settle();
  CHECK(g.reaches(0, 3));
  CHECK(*g.tables[0].next_hop(node(1)) == node(1));
  g.cut(0, 1);
  g.settle();
  g.full_round();
  g.settle();
  for (int s = 0; s < 6; ++s)
    for (int d = 0; d < 6; ++d)
      if (s != d) CHECK(g.reaches(s, d));
  CHECK(*g.tables[0].next_hop(node(1)) == node(5));
}

TEST(RouteTable, TwoHundredNodesConvergeLoseAThirdAndReconvergeWithoutALoop) {
  // Each node links to up to 4 random others (about 8 neighbours each, as
  // max_peers 8 keeps), costs 10..100.
  std::mt19937 rng(6);
  const int n = 200;
  Graph g(n);
  for (int a = 0; a < n; ++a)
    for (int k = 0; k < 4; ++k) {
      int b = static_cast<int>(rng() % n);
      if (b != a) g.link(a, b, static_cast<uint16_t>(10 + rng() % 91));
    }
  for (int round = 0; round < 3; ++round) {
    g.full_round();
    g.settle();
  }
  for (int s = 0; s < n; s += 7)
    for (int d = 0; d < n; d += 5)
      if (s != d && g.connected(s, d)) CHECK(g.reaches(s, d));
  // A random 30% fail at once; triggered updates and requests, then one
  // round of full announcements (what the timers do).
  std::vector<int> order(n);
  for (int i = 0; i < n; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  for (int i = 0; i < n * 3 / 10; ++i) g.kill(order[i]);
  g.check_no_loops();
  g.settle();
  g.now += 20 * kSec;
  g.full_round();
  g.settle();
  size_t pairs = 0, unreached = 0;
  for (int s = 0; s < n; ++s)
    for (int d = 0; d < n; ++d) {
      if (s == d || !g.alive[s] || !g.alive[d] || !g.connected(s, d)) continue;
      ++pairs;
      if (!g.reaches(s, d)) ++unreached;
    }
  CHECK(pairs > 10000);
  LONGS_EQUAL(0, unreached);
  // Announcements are per route (a message carries many): what it cost.
  CHECK(g.messages < 2000000);
}
