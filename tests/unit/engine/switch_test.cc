// The switch forwarder: flooding, learning, VLANs, expiry, peer removal,
// the capacity bound under a spray of MACs and malformed frames.
#include "engine/switch.h"

#include <CppUTest/TestHarness.h>

#include <array>
#include <cstdint>
#include <map>
#include <random>
#include <utility>
#include <vector>

#include "engine/peer.h"

using braid::engine::NodeId;
using braid::engine::Peer;
using braid::engine::SwitchForwarder;

namespace {

constexpr uint64_t kTimeout = 300'000'000'000;   // 300 s, VpnCloud's default
constexpr uint64_t kBroadcast = 0xffffffffffff;
constexpr uint64_t kMacA = 0x020000000001;
constexpr uint64_t kMacB = 0x020000000002;
constexpr uint64_t kMacC = 0x020000000003;

// An Ethernet frame with a payload; `tags` are (TPID, VLAN id) pairs,
// outermost first.
std::vector<uint8_t> frame(uint64_t dst, uint64_t src,
                           std::vector<std::pair<uint16_t, uint16_t>> tags = {}) {
  std::vector<uint8_t> f;
  for (int i = 5; i >= 0; --i) f.push_back(static_cast<uint8_t>(dst >> (8 * i)));
  for (int i = 5; i >= 0; --i) f.push_back(static_cast<uint8_t>(src >> (8 * i)));
  for (auto [tpid, vid] : tags) {
    f.push_back(static_cast<uint8_t>(tpid >> 8));
    f.push_back(static_cast<uint8_t>(tpid));
    f.push_back(static_cast<uint8_t>(0xa0 | vid >> 8));   // priority 5: ignored
    f.push_back(static_cast<uint8_t>(vid));
  }
  f.push_back(0x08);   // IPv4
  f.push_back(0x00);
  f.resize(f.size() + 46);
  return f;
}

std::vector<std::pair<uint16_t, uint16_t>> vlan(uint16_t id) { return {{0x8100, id}}; }

}  // namespace

TEST_GROUP(SwitchForwarder) {
  Peer p1{NodeId{1}};
  Peer p2{NodeId{2}};
  Peer p3{NodeId{3}};
  SwitchForwarder sw{kTimeout, 1024};

  void setup() override {
    sw.peer_added(&p1);
    sw.peer_added(&p2);
    sw.peer_added(&p3);
  }
  // The one peer a frame goes to, or nullptr when it floods (to all three).
  Peer* unicast(const std::vector<uint8_t>& f) {
    auto d = sw.destinations(f);
    if (d.size() == 1) return d[0];
    CHECK_EQUAL(3u, d.size());
    return nullptr;
  }
};

TEST(SwitchForwarder, FloodsAFrameForAnUnknownDestinationToEveryPeer) {
  auto d = sw.destinations(frame(kMacA, kMacB));
  CHECK_EQUAL(3u, d.size());
  POINTERS_EQUAL(&p1, d[0]);
  POINTERS_EQUAL(&p2, d[1]);
  POINTERS_EQUAL(&p3, d[2]);
}

TEST(SwitchForwarder, FloodsBroadcastAndMulticastFrames) {
  sw.learn(frame(kBroadcast, kMacA), &p1, 1);
  POINTERS_EQUAL(nullptr, unicast(frame(kBroadcast, kMacA)));
  POINTERS_EQUAL(nullptr, unicast(frame(0x01005e000001, kMacA)));   // IPv4 multicast
  POINTERS_EQUAL(nullptr, unicast(frame(0x333300000001, kMacA)));   // IPv6 multicast
}

TEST(SwitchForwarder, IgnoresAGroupAddressAsSource) {
  sw.learn(frame(kMacA, 0x01005e000001), &p1, 1);
  sw.learn(frame(kMacA, kBroadcast), &p1, 1);
  CHECK_EQUAL(0u, sw.size());
}

TEST(SwitchForwarder, SendsToTheLearntPeerOnly) {
  sw.learn(frame(kBroadcast, kMacA), &p2, 1);
  CHECK_EQUAL(1u, sw.size());
  POINTERS_EQUAL(&p2, unicast(frame(kMacA, kMacB)));
  POINTERS_EQUAL(nullptr, unicast(frame(kMacB, kMacA)));
}

TEST(SwitchForwarder, FollowsAMacThatMovesToAnotherPeer) {
  sw.learn(frame(kBroadcast, kMacA), &p1, 1);
  sw.learn(frame(kBroadcast, kMacA), &p3, 2);
  CHECK_EQUAL(1u, sw.size());
  POINTERS_EQUAL(&p3, unicast(frame(kMacA, kMacB)));
}

TEST(SwitchForwarder, KeepsTheSameMacApartInEachVlan) {
  sw.learn(frame(kBroadcast, kMacA, vlan(10)), &p1, 1);
  sw.learn(frame(kBroadcast, kMacA, vlan(20)), &p2, 1);
  sw.learn(frame(kBroadcast, kMacA), &p3, 1);
  CHECK_EQUAL(3u, sw.size());
  POINTERS_EQUAL(&p1, unicast(frame(kMacA, kMacB, vlan(10))));
  POINTERS_EQUAL(&p2, unicast(frame(kMacA, kMacB, vlan(20))));
  POINTERS_EQUAL(&p3, unicast(frame(kMacA, kMacB)));
  POINTERS_EQUAL(nullptr, unicast(frame(kMacA, kMacB, vlan(30))));
}

TEST(SwitchForwarder, SwitchesAStackedFrameByItsOuterTag) {
  sw.learn(frame(kBroadcast, kMacA, {{0x88a8, 100}, {0x8100, 200}}), &p2, 1);
  POINTERS_EQUAL(&p2, unicast(frame(kMacA, kMacB, {{0x88a8, 100}, {0x8100, 7}})));
  POINTERS_EQUAL(&p2, unicast(frame(kMacA, kMacB, vlan(100))));
  POINTERS_EQUAL(nullptr, unicast(frame(kMacA, kMacB, vlan(200))));
}

TEST(SwitchForwarder, SharesTheUntaggedTableWithPriorityTaggedFrames) {
  sw.learn(frame(kBroadcast, kMacA, vlan(0)), &p2, 1);
  POINTERS_EQUAL(&p2, unicast(frame(kMacA, kMacB)));
}

TEST(SwitchForwarder, ForgetsAnEntryUnseenForLongerThanTheTimeout) {
  sw.learn(frame(kBroadcast, kMacA), &p1, 1000);
  sw.expire(1000 + kTimeout);
  POINTERS_EQUAL(&p1, unicast(frame(kMacA, kMacB)));
  sw.expire(1000 + kTimeout + 1);
  CHECK_EQUAL(0u, sw.size());
  POINTERS_EQUAL(nullptr, unicast(frame(kMacA, kMacB)));
}

TEST(SwitchForwarder, KeepsAnEntryRefreshedWithinTheTimeout) {
  sw.learn(frame(kBroadcast, kMacA), &p1, 1000);
  sw.learn(frame(kBroadcast, kMacA), &p1, 1000 + kTimeout / 2);
  sw.expire(1000 + kTimeout + 1);
  POINTERS_EQUAL(&p1, unicast(frame(kMacA, kMacB)));
}

TEST(SwitchForwarder, FloodsForAnEntryPastItsTimeoutBeforeExpireRuns) {
  sw.learn(frame(kBroadcast, kMacA), &p1, 1000);
  sw.learn(frame(kBroadcast, kMacB), &p2, 1000 + kTimeout + 1);
  CHECK_EQUAL(2u, sw.size());
  POINTERS_EQUAL(nullptr, unicast(frame(kMacA, kMacC)));
  POINTERS_EQUAL(&p2, unicast(frame(kMacB, kMacC)));
}

TEST(SwitchForwarder, RemovingAPeerPurgesItsEntriesAndItsPlaceInTheFlood) {
  sw.learn(frame(kBroadcast, kMacA), &p1, 1);
  sw.learn(frame(kBroadcast, kMacB, vlan(5)), &p1, 1);
  sw.learn(frame(kBroadcast, kMacC), &p2, 1);
  sw.peer_removed(&p1);
  CHECK_EQUAL(1u, sw.size());
  auto d = sw.destinations(frame(kMacA, kMacC));
  CHECK_EQUAL(2u, d.size());
  POINTERS_EQUAL(&p2, d[0]);
  POINTERS_EQUAL(&p3, d[1]);
  CHECK_EQUAL(2u, sw.destinations(frame(kMacB, kMacC, vlan(5))).size());
  auto c = sw.destinations(frame(kMacC, kMacA));
  CHECK_EQUAL(1u, c.size());
  POINTERS_EQUAL(&p2, c[0]);
}

TEST(SwitchForwarder, PurgesThePeerOfAnEntryEvenIfItWasNeverAdded) {
  Peer stranger{NodeId{9}};
  sw.learn(frame(kBroadcast, kMacA), &stranger, 1);
  sw.peer_removed(&stranger);
  CHECK_EQUAL(0u, sw.size());
}

TEST(SwitchForwarder, FloodsToAPeerAddedTwiceOnce) {
  sw.peer_added(&p2);
  CHECK_EQUAL(3u, sw.destinations(frame(kBroadcast, kMacA)).size());
}

TEST(SwitchForwarder, DropsFramesShorterThanAnEthernetHeader) {
  auto f = frame(kMacA, kMacB);
  sw.learn(frame(kBroadcast, kMacA), &p1, 1);
  for (size_t n = 0; n < 14; ++n) {
    std::span<const uint8_t> part(f.data(), n);
    CHECK_EQUAL(0u, sw.destinations(part).size());
    sw.learn(std::span<const uint8_t>(frame(kMacA, kMacC).data(), n), &p2, 2);
  }
  CHECK_EQUAL(1u, sw.size());
  POINTERS_EQUAL(&p1, unicast(std::vector<uint8_t>(f.begin(), f.begin() + 14)));
}

TEST(SwitchForwarder, DropsATaggedFrameShorterThanItsTag) {
  for (uint16_t tpid : {0x8100, 0x88a8}) {
    auto f = frame(kMacA, kMacB, {{tpid, 10}});
    for (size_t n = 14; n < 18; ++n) {
      std::span<const uint8_t> part(f.data(), n);
      CHECK_EQUAL(0u, sw.destinations(part).size());
      sw.learn(part, &p1, 1);
    }
    CHECK_EQUAL(0u, sw.size());
    sw.learn(std::span<const uint8_t>(f.data(), 18), &p1, 1);
    CHECK_EQUAL(1u, sw.size());
    sw.peer_removed(&p1);
    sw.peer_added(&p1);
  }
}

TEST(SwitchForwarder, LearnsNothingWithNoCapacity) {
  SwitchForwarder none(kTimeout, 0);
  none.peer_added(&p1);
  none.peer_added(&p2);
  none.learn(frame(kBroadcast, kMacA), &p1, 1);
  none.expire(2);
  CHECK_EQUAL(0u, none.size());
  CHECK_EQUAL(2u, none.destinations(frame(kMacA, kMacB)).size());
}

// 200000 random MACs into 1024 slots: the table stays within its capacity,
// and every entry it counts can still be found (no entry lost to a probe).
TEST(SwitchForwarder, StaysWithinItsCapacityUnderAMacSpray) {
  std::mt19937_64 rng(1);
  std::vector<uint64_t> sprayed;
  for (uint64_t t = 1; t <= 200000; ++t) {
    uint64_t mac = rng() & 0xfeffffffffff;   // unicast
    sprayed.push_back(mac);
    sw.learn(frame(kBroadcast, mac), &p2, t);
    if (t % 1000 == 0) CHECK(sw.size() <= 1024);
  }
  CHECK_EQUAL(1024u, sw.size());
  size_t found = 0;
  for (uint64_t mac : sprayed) {
    Peer* p = unicast(frame(mac, kMacA));
    if (p != nullptr) POINTERS_EQUAL(&p2, p);
    found += p != nullptr;
  }
  CHECK_EQUAL(sw.size(), found);

  // Expiry through a full table keeps the rest findable.
  sw.expire(kTimeout + 200000 - 512);
  CHECK(sw.size() > 0);
  CHECK(sw.size() < 1024);
  found = 0;
  for (uint64_t mac : sprayed) found += unicast(frame(mac, kMacA)) != nullptr;
  CHECK_EQUAL(sw.size(), found);
}

// A full window gives up its oldest entry: a MAC that carries traffic keeps
// its place while a peer sprays fresh MACs.
TEST(SwitchForwarder, KeepsAnActiveMacThroughASpray) {
  std::mt19937_64 rng(2);
  uint64_t t = 1;
  for (int i = 0; i < 100000; ++i, ++t) {
    if (i % 64 == 0) sw.learn(frame(kBroadcast, kMacA), &p1, t);
    sw.learn(frame(kBroadcast, rng() & 0xfeffffffffff), &p2, t);
  }
  POINTERS_EQUAL(&p1, unicast(frame(kMacA, kMacB)));
  CHECK_EQUAL(1024u, sw.size());
  sw.peer_removed(&p2);
  CHECK_EQUAL(1u, sw.size());
  POINTERS_EQUAL(&p1, unicast(frame(kMacA, kMacB)));
}

// Random learning, moves, expiry and peer removal in a small, crowded table
// against a plain map: deletions must leave every remaining entry findable.
// A key the table evicted for room may flood; nothing may go to a wrong or
// a removed peer, and the table counts exactly what it can find.
TEST(SwitchForwarder, AgreesWithAPlainMapThroughChurn) {
  constexpr uint64_t kTicks = 40;
  for (size_t capacity : {5, 47, 64}) {
    SwitchForwarder small(kTicks, capacity);
    Peer* peers[] = {&p1, &p2, &p3};
    for (Peer* p : peers) small.peer_added(p);
    std::map<uint64_t, std::pair<Peer*, uint64_t>> model;   // mac -> (peer, seen)
    std::mt19937_64 rng(capacity);
    for (uint64_t t = 1; t < 20000; ++t) {
      uint64_t mac = 0x020000000000 | (rng() % 48);
      Peer* p = peers[rng() % 3];
      if (rng() % 200 == 0) {
        small.peer_removed(p);
        small.peer_added(p);
        std::erase_if(model, [&](const auto& e) { return e.second.first == p; });
      } else {
        small.learn(frame(kBroadcast, mac), p, t);
        model[mac] = {p, t};
      }
      small.expire(t);
      std::erase_if(model, [&](const auto& e) { return t - e.second.second > kTicks; });
      CHECK(small.size() <= capacity);
      size_t found = 0;
      for (uint64_t m = 0x020000000000; m < 0x020000000000 + 48; ++m) {
        auto d = small.destinations(frame(m, kMacA, {}));
        if (d.size() != 1) continue;
        auto e = model.find(m);
        CHECK(e != model.end());
        POINTERS_EQUAL(e->second.first, d[0]);
        ++found;
      }
      CHECK_EQUAL(small.size(), found);
    }
  }
}
