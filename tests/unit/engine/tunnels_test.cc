// Bounded tunnels (max_peers) when a neighbour dies: its dead direct
// tunnel must not hold the bound, or a node whose only tunnel led to it
// would never open one to anyone else and stay cut off until its tunnel
// refresh.
#include "engine/node.h"
#include "engine/timers.h"
#include "fakenet.h"

#include <CppUTest/TestHarness.h>

using namespace braid;
using namespace braid::engine;
using namespace braid::engine::test;

TEST_GROUP_BASE(Tunnels, NetTest){};

TEST(Tunnels, ADeadTunnelFreesItsPlaceUnderTheBound) {
  // a and c allow one direct tunnel each and both know only b; they reach
  // each other through b. Then b dies.
  NodeConfig ca = FakeNet::config(1), cc = FakeNet::config(3);
  ca.max_peers = cc.max_peers = 1;
  ca.tunnel_refresh_ns = cc.tunnel_refresh_ns = 3600 * kNsPerSec;
  Host& a = net->add(ca);
  Host& b = net->add();
  Host& c = net->add(cc);
  a.target(b);
  c.target(b);
  net->run_ms(20000);
  const Peer* ac = a.node().find_peer(c.node().id());
  CHECK(ac != nullptr);
  CHECK_FALSE(ac->direct());
  LONGS_EQUAL(1, a.node().direct_peers());
  net->cut_off(b);
  // Well within peer_timeout and the tunnel refresh: only the dead
  // tunnel's place being given back lets a go direct to c. a keeps
  // sending to c, as a user would (hellos go often under traffic).
  for (uint32_t s = 0; s < kDeadTunnelNs / kNsPerSec + 10; ++s) {
    a.device_packet(make_packet(1000 + s));
    net->run_ms(1000);
  }
  ac = a.node().find_peer(c.node().id());
  CHECK(ac != nullptr);
  CHECK_TRUE(ac->direct());
  c.written.clear();
  a.device_packet(make_packet(77));
  net->run_ms(500);
  bool got = false;
  for (const auto& p : c.written) got |= packet_seq(p) == 77;
  CHECK_TRUE(got);
}
