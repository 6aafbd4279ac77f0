// Many nodes with bounded tunnels (max_peers) on the fake network: they
// converge to a mesh where each keeps few direct tunnels and reaches the
// others through relays; when a random 30% of them fail, the survivors
// that the remaining tunnels still connect reach each other again; and
// following next hops never loops, checked every simulated second.
#include <algorithm>
#include <random>
#include <set>

#include "engine/node.h"
#include "engine/timers.h"
#include "fakenet.h"

#include <CppUTest/TestHarness.h>

using namespace braid;
using namespace braid::engine;
using namespace braid::engine::test;

namespace {

struct Sim {
  FakeNet& net;
  std::vector<bool> alive;
  std::unordered_map<NodeId, size_t, NodeIdHash> index;

  Sim(FakeNet& n, size_t count, uint32_t max_peers) : net(n) {
    for (size_t i = 0; i < count; ++i) {
      NodeConfig cfg = FakeNet::config(static_cast<int>(i) + 1);
      cfg.max_peers = max_peers;
      cfg.tunnel_refresh_ns = 30 * kNsPerSec;
      Host& h = net.add(cfg);
      index[h.node().id()] = i;
      // Each joins knowing one earlier node.
      if (i > 0) h.target(net.host(i == 1 ? 0 : std::mt19937(static_cast<uint32_t>(i))() % i));
    }
    alive.assign(count, true);
  }
  // Next hops from s towards d never come back to a node.
  void check_no_loops() {
    for (size_t s = 0; s < net.size(); ++s) {
      if (!alive[s]) continue;
      for (size_t d = 0; d < net.size(); ++d) {
        if (d == s || !alive[d]) continue;
        const NodeId& dest = net.host(d).node().id();
        std::set<size_t> seen;
        size_t at = s;
        while (at != d) {
          if (!seen.insert(at).second) FAIL("routing loop");
          auto nh = net.host(at).node().routes().next_hop(dest);
          if (!nh) break;
          at = index.at(*nh);
          if (!alive[at]) break;
        }
      }
    }
  }
  // `traffic`: every live node sends a packet every second (to every
  // peer: hub mode), which is what makes neighbours check each other
  // every second.
  void run_s(int secs, bool traffic = false) {
    for (int i = 0; i < secs; ++i) {
      // (Delivered node by node: a broadcast to every peer takes a pool
      // buffer per copy until delivered.)
      if (traffic)
        for (size_t k = 0; k < net.size(); ++k)
          if (alive[k]) {
            net.host(k).device_packet(make_packet(1000000));
            net.pump();
          }
      net.run_ms(1000);
      check_no_loops();
    }
  }
  // Survivors linked by direct tunnels between survivors.
  std::vector<int> components() {
    std::vector<int> comp(net.size(), -1);
    int next = 0;
    for (size_t s = 0; s < net.size(); ++s) {
      if (!alive[s] || comp[s] >= 0) continue;
      std::vector<size_t> todo{s};
      comp[s] = next;
      while (!todo.empty()) {
        size_t a = todo.back();
        todo.pop_back();
        for (const Peer* p : net.host(a).node().peers()) {
          size_t b = index.at(p->id());
          if (!alive[b] || comp[b] >= 0 || !p->direct()) continue;
          // A tunnel both ends use.
          const Peer* back = net.host(b).node().find_peer(net.host(a).node().id());
          if (back == nullptr || !back->direct()) continue;
          comp[b] = next;
          todo.push_back(b);
        }
      }
      ++next;
    }
    return comp;
  }
  // Every survivor sends one packet (hub mode: to every peer); returns
  // the pairs of the same component that did not get each other's.
  size_t missing_deliveries() {
    for (size_t i = 0; i < net.size(); ++i) net.host(i).written.clear();
    for (size_t i = 0; i < net.size(); ++i)
      if (alive[i]) {
        net.host(i).device_packet(make_packet(static_cast<uint32_t>(i) + 1));
        net.pump();
      }
    net.run_ms(500);
    std::vector<int> comp = components();
    size_t missing = 0;
    for (size_t d = 0; d < net.size(); ++d) {
      if (!alive[d]) continue;
      std::set<uint32_t> got;
      for (const auto& p : net.host(d).written) got.insert(packet_seq(p));
      for (size_t s = 0; s < net.size(); ++s)
        if (s != d && alive[s] && comp[s] == comp[d] && !got.count(static_cast<uint32_t>(s) + 1))
          ++missing;
    }
    return missing;
  }
};

}  // namespace

TEST_GROUP_BASE(MeshRouting, NetTest) {};

TEST(MeshRouting, BoundedTunnelsConvergeAndSurviveLosingAThirdOfTheNodesWithoutALoop) {
  const size_t n = 40;
  const uint32_t max_peers = 4;
  Sim sim(*net, n, max_peers);
  // Joining: each node opens at most max_peers tunnels (counting its
  // attempts under way), so on average a node holds at most twice that
  // many, those others opened to it included, before any refresh.
  sim.run_s(10);
  size_t most = 0, all = 0;
  for (size_t i = 0; i < n; ++i) all += net->host(i).node().direct_peers();
  CHECK_TEXT(all <= n * 2 * max_peers, std::to_string(all).c_str());
  // Then two tunnel refreshes (which trim the early nodes' surplus of
  // tunnels others opened to them).
  sim.run_s(80);
  // Tunnels others open to a node count until it trims them, 10 s
  // later, and a node one of whose tunnels was given up opens another at
  // once (configured peers' tunnels are never given up): at any moment
  // some nodes hold a few more than the bound, none many more.
  all = 0;
  for (size_t i = 0; i < n; ++i) {
    most = std::max(most, net->host(i).node().direct_peers());
    all += net->host(i).node().direct_peers();
  }
  CHECK_TEXT(most <= 3 * max_peers, std::to_string(most).c_str());
  CHECK_TEXT(all <= n * max_peers * 3 / 2, std::to_string(all).c_str());
  LONGS_EQUAL(0, sim.missing_deliveries());
  // A random 30% fail at once.
  std::mt19937 rng(30);
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  for (size_t i = 0; i < n * 3 / 10; ++i) {
    sim.alive[order[i]] = false;
    net->cut_off(net->host(order[i]));
  }
  // Under traffic, the failed nodes' neighbours find them silent within
  // 3.5 s and route around them; seqno requests make the routes that
  // remain feasible again.
  sim.run_s(20, true);
  LONGS_EQUAL(0, sim.missing_deliveries());
}
