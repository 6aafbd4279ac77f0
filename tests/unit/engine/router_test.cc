// The router forwarder: longest prefix match over IPv4 and IPv6 claims,
// default routes, the same prefix claimed by two peers, withdrawal, peer
// removal, the per-peer cap and malformed packets.
#include "engine/router.h"

#include <CppUTest/TestHarness.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "engine/peer.h"
#include "identity/prefix.h"

using braid::engine::NodeId;
using braid::engine::Peer;
using braid::engine::RouterForwarder;
using braid::identity::IpPrefix;

namespace {

IpPrefix prefix(std::string_view text) {
  IpPrefix p;
  std::string why;
  if (!braid::identity::parse_prefix(text, true, &p, &why)) FAIL(why.c_str());
  return p;
}

// A minimal IPv4 or IPv6 packet (header only) to the given address.
std::vector<uint8_t> packet_to(std::string_view address) {
  IpPrefix a;
  std::string why;
  if (!braid::identity::parse_prefix(address, false, &a, &why)) FAIL(why.c_str());
  std::vector<uint8_t> p;
  if (a.family == 4) {
    p.assign(20, 0);
    p[0] = 0x45;
    p[12] = 10;   // source 10.255.255.1: not what is routed on
    p[13] = p[14] = 255;
    p[15] = 1;
    std::copy(a.addr.begin(), a.addr.begin() + 4, p.begin() + 16);
  } else {
    p.assign(40, 0);
    p[0] = 0x60;
    p[8] = 0xfd;
    std::copy(a.addr.begin(), a.addr.end(), p.begin() + 24);
  }
  return p;
}

}  // namespace

TEST_GROUP(RouterForwarder) {
  Peer p1{NodeId{1}};
  Peer p2{NodeId{2}};
  Peer p3{NodeId{3}};
  RouterForwarder router;

  void setup() override {
    router.peer_added(&p1);
    router.peer_added(&p2);
    router.peer_added(&p3);
  }

  void claim(Peer* p, std::vector<std::string_view> texts) {
    std::vector<IpPrefix> list;
    for (auto t : texts) list.push_back(prefix(t));
    LONGS_EQUAL(list.size(), router.set_claims(p, list));
  }

  // The one peer a packet goes to, or nullptr when it is dropped.
  Peer* to(std::string_view address) { return to_packet(packet_to(address)); }
  Peer* to_packet(const std::vector<uint8_t>& packet) {
    auto d = router.destinations(packet);
    CHECK(d.size() <= 1);
    return d.empty() ? nullptr : d[0];
  }
};

TEST(RouterForwarder, LongestPrefixWins) {
  claim(&p1, {"10.1.0.0/16"});
  claim(&p2, {"10.1.2.0/24"});
  claim(&p3, {"10.1.2.3/32"});
  POINTERS_EQUAL(&p1, to("10.1.9.9"));
  POINTERS_EQUAL(&p2, to("10.1.2.4"));
  POINTERS_EQUAL(&p3, to("10.1.2.3"));
  POINTERS_EQUAL(&p1, to("10.1.3.3"));
}

TEST(RouterForwarder, LongestPrefixWinsWhateverTheOrderOfClaims) {
  claim(&p3, {"10.1.2.3/32"});
  claim(&p2, {"10.1.2.0/24"});
  claim(&p1, {"10.1.0.0/16"});
  POINTERS_EQUAL(&p1, to("10.1.9.9"));
  POINTERS_EQUAL(&p2, to("10.1.2.4"));
  POINTERS_EQUAL(&p3, to("10.1.2.3"));
}

TEST(RouterForwarder, LongestPrefixWinsForIpv6) {
  claim(&p1, {"fd00::/8"});
  claim(&p2, {"fd00:1::/32", "10.0.0.0/8"});
  claim(&p3, {"fd00:1:0:0:5::/80"});
  POINTERS_EQUAL(&p1, to("fd99::1"));
  POINTERS_EQUAL(&p2, to("fd00:1::1"));
  POINTERS_EQUAL(&p3, to("fd00:1::5:0:0:1"));
  POINTERS_EQUAL(&p2, to("fd00:1::6:0:0:1"));
  POINTERS_EQUAL(&p2, to("10.2.3.4"));
}

TEST(RouterForwarder, PrefixLengthsOffByteBoundariesMatch) {
  claim(&p1, {"10.1.0.0/17"});
  claim(&p2, {"fd00:1::8000:0:0:0/65"});
  POINTERS_EQUAL(&p1, to("10.1.127.255"));
  POINTERS_EQUAL(nullptr, to("10.1.128.0"));
  POINTERS_EQUAL(&p2, to("fd00:1::8000:0:0:1"));
  POINTERS_EQUAL(nullptr, to("fd00:1::7fff:ffff:ffff:ffff"));
}

TEST(RouterForwarder, FamiliesDoNotMix) {
  // ::/96 has the same bits as 0.0.0.0 but is another family.
  claim(&p1, {"::/96"});
  POINTERS_EQUAL(nullptr, to("0.0.0.1"));
  claim(&p2, {"0.0.0.0/8"});
  POINTERS_EQUAL(&p1, to("::1"));
  POINTERS_EQUAL(&p2, to("0.0.0.1"));
}

TEST(RouterForwarder, UnclaimedDestinationIsDropped) {
  claim(&p1, {"10.1.0.0/16", "fd00:1::/32"});
  POINTERS_EQUAL(nullptr, to("10.2.0.1"));
  POINTERS_EQUAL(nullptr, to("fd00:2::1"));
}

TEST(RouterForwarder, NoClaimsDropsEverything) {
  LONGS_EQUAL(0, router.size());
  POINTERS_EQUAL(nullptr, to("10.0.0.1"));
  POINTERS_EQUAL(nullptr, to("::1"));
}

TEST(RouterForwarder, DefaultRoutesCatchTheRest) {
  claim(&p1, {"0.0.0.0/0", "::/0"});
  claim(&p2, {"10.1.0.0/16", "fd00:1::/32"});
  POINTERS_EQUAL(&p1, to("192.0.2.1"));
  POINTERS_EQUAL(&p1, to("2001:db8::1"));
  POINTERS_EQUAL(&p2, to("10.1.0.1"));
  POINTERS_EQUAL(&p2, to("fd00:1::1"));
}

TEST(RouterForwarder, MulticastAndBroadcastAreNotForwardedEvenUnderADefaultRoute) {
  claim(&p1, {"0.0.0.0/0", "::/0"});
  POINTERS_EQUAL(nullptr, to("224.0.0.1"));
  POINTERS_EQUAL(nullptr, to("239.255.255.250"));
  POINTERS_EQUAL(nullptr, to("255.255.255.255"));
  POINTERS_EQUAL(nullptr, to("ff02::1"));
  POINTERS_EQUAL(&p1, to("223.255.255.255"));
  POINTERS_EQUAL(&p1, to("fe80::1"));
}

TEST(RouterForwarder, SamePrefixGoesToTheLaterClaimAndBackOnWithdrawal) {
  claim(&p1, {"10.1.0.0/16"});
  claim(&p2, {"10.1.0.0/16"});
  LONGS_EQUAL(2, router.size());
  POINTERS_EQUAL(&p2, to("10.1.0.1"));
  claim(&p2, {});
  LONGS_EQUAL(1, router.size());
  POINTERS_EQUAL(&p1, to("10.1.0.1"));
  claim(&p2, {"10.1.0.0/16"});
  POINTERS_EQUAL(&p2, to("10.1.0.1"));
  claim(&p1, {});
  POINTERS_EQUAL(&p2, to("10.1.0.1"));
}

TEST(RouterForwarder, SamePrefixFromThreePeersFallsBackInOrder) {
  claim(&p1, {"fd00:1::/32"});
  claim(&p2, {"fd00:1::/32"});
  claim(&p3, {"fd00:1::/32"});
  POINTERS_EQUAL(&p3, to("fd00:1::1"));
  router.peer_removed(&p3);
  POINTERS_EQUAL(&p2, to("fd00:1::1"));
  router.peer_removed(&p2);
  POINTERS_EQUAL(&p1, to("fd00:1::1"));
}

TEST(RouterForwarder, RepeatingAnUnchangedClaimDoesNotMakeItNewer) {
  claim(&p1, {"10.1.0.0/16"});
  claim(&p2, {"10.1.0.0/16"});
  claim(&p1, {"10.1.0.0/16", "10.9.0.0/16"});   // re-announced, with one more
  POINTERS_EQUAL(&p2, to("10.1.0.1"));
  POINTERS_EQUAL(&p1, to("10.9.0.1"));
  // Withdrawn and claimed again, it is a new claim.
  claim(&p1, {"10.9.0.0/16"});
  claim(&p1, {"10.1.0.0/16", "10.9.0.0/16"});
  POINTERS_EQUAL(&p1, to("10.1.0.1"));
}

TEST(RouterForwarder, SetClaimsReplacesThePeersClaims) {
  claim(&p1, {"10.1.0.0/16", "10.2.0.0/16"});
  claim(&p1, {"10.3.0.0/16"});
  LONGS_EQUAL(1, router.size());
  POINTERS_EQUAL(nullptr, to("10.1.0.1"));
  POINTERS_EQUAL(nullptr, to("10.2.0.1"));
  POINTERS_EQUAL(&p1, to("10.3.0.1"));
}

TEST(RouterForwarder, PeerRemovedForgetsItsClaims) {
  claim(&p1, {"10.1.0.0/16", "fd00:1::/32"});
  claim(&p2, {"10.2.0.0/16"});
  router.peer_removed(&p1);
  LONGS_EQUAL(1, router.size());
  POINTERS_EQUAL(nullptr, to("10.1.0.1"));
  POINTERS_EQUAL(nullptr, to("fd00:1::1"));
  POINTERS_EQUAL(&p2, to("10.2.0.1"));
  router.peer_removed(&p1);   // twice: nothing happens
  LONGS_EQUAL(1, router.size());
}

TEST(RouterForwarder, ClaimsOfAPeerNeverAddedAreForgottenOnRemoval) {
  Peer stranger{NodeId{9}};
  claim(&stranger, {"10.1.0.0/16"});
  POINTERS_EQUAL(&stranger, to("10.1.0.1"));
  router.peer_removed(&stranger);
  POINTERS_EQUAL(nullptr, to("10.1.0.1"));
}

TEST(RouterForwarder, MalformedPacketsGoNowhere) {
  claim(&p1, {"0.0.0.0/0", "::/0"});
  auto v4 = packet_to("10.0.0.1");
  auto v6 = packet_to("fd00::1");
  POINTERS_EQUAL(&p1, to_packet(v4));
  POINTERS_EQUAL(&p1, to_packet(v6));
  POINTERS_EQUAL(nullptr, to_packet({}));
  POINTERS_EQUAL(nullptr, to_packet({0x45}));
  POINTERS_EQUAL(nullptr, to_packet(std::vector<uint8_t>(v4.begin(), v4.begin() + 19)));
  POINTERS_EQUAL(nullptr, to_packet(std::vector<uint8_t>(v6.begin(), v6.begin() + 39)));
  POINTERS_EQUAL(nullptr, to_packet(std::vector<uint8_t>(v6.begin(), v6.begin() + 20)));
  auto v5 = v4;
  v5[0] = 0x55;
  POINTERS_EQUAL(nullptr, to_packet(v5));
  auto v0 = v6;
  v0[0] = 0x00;
  POINTERS_EQUAL(nullptr, to_packet(v0));
}

TEST(RouterForwarder, AtMost64ClaimsPerPeerAreKept) {
  std::vector<IpPrefix> list;
  for (int i = 0; i < 70; ++i) list.push_back(prefix("10." + std::to_string(i) + ".0.0/16"));
  LONGS_EQUAL(RouterForwarder::kMaxClaimsPerPeer, 64);
  LONGS_EQUAL(64, router.set_claims(&p1, list));
  LONGS_EQUAL(64, router.size());
  POINTERS_EQUAL(&p1, to("10.63.0.1"));
  POINTERS_EQUAL(nullptr, to("10.64.0.1"));
  // The cap is per peer.
  claim(&p2, {"10.64.0.0/16"});
  LONGS_EQUAL(65, router.size());
  POINTERS_EQUAL(&p2, to("10.64.0.1"));
}

TEST(RouterForwarder, InvalidAndRepeatedClaimsAreNotKept) {
  IpPrefix bad_family = prefix("10.1.0.0/16");
  bad_family.family = 5;
  IpPrefix too_long = prefix("10.2.0.0/16");
  too_long.len = 33;
  IpPrefix host_bits = prefix("10.3.0.0/16");
  host_bits.addr[3] = 7;   // cleared: the claim is 10.3.0.0/16
  const IpPrefix good = prefix("10.4.0.0/16");
  const std::vector<IpPrefix> list{bad_family, too_long, host_bits, good, good};
  LONGS_EQUAL(2, router.set_claims(&p1, list));
  LONGS_EQUAL(2, router.size());
  POINTERS_EQUAL(nullptr, to("10.1.0.1"));
  POINTERS_EQUAL(nullptr, to("10.2.0.1"));
  POINTERS_EQUAL(&p1, to("10.3.9.9"));
  POINTERS_EQUAL(&p1, to("10.4.0.1"));
  LONGS_EQUAL(0, router.set_claims(nullptr, list));
}

TEST(RouterForwarder, RouteLooksUpABareAddress) {
  claim(&p1, {"10.1.0.0/16", "fd00:1::/32"});
  const uint8_t v4[4] = {10, 1, 2, 3};
  const uint8_t v6[16] = {0xfd, 0x00, 0x00, 0x01};
  POINTERS_EQUAL(&p1, router.route(4, v4));
  POINTERS_EQUAL(&p1, router.route(6, v6));
  POINTERS_EQUAL(nullptr, router.route(6, v4));
  POINTERS_EQUAL(nullptr, router.route(5, v4));
}

// Many random claims of every length against a plain scan of the same
// claims: the longest containing prefix, the newest among equals.
TEST(RouterForwarder, AgreesWithALinearScanOverRandomClaims) {
  std::mt19937 rng(7);
  std::vector<Peer> peers;
  for (uint8_t i = 0; i < 8; ++i) peers.emplace_back(NodeId{static_cast<uint8_t>(10 + i)});
  struct Ref {
    IpPrefix prefix;
    size_t order;
    Peer* peer;
  };
  std::vector<Ref> ref;
  size_t order = 0;
  for (Peer& peer : peers) {
    std::vector<IpPrefix> list;
    for (int n = 0; n < 40; ++n) {
      IpPrefix p;
      p.family = rng() % 2 ? 4 : 6;
      p.len = static_cast<uint8_t>(rng() % (p.addr_len() * 8 + 1));
      // Few distinct leading bits so prefixes nest and collide.
      for (size_t i = 0; i < p.addr_len(); ++i)
        p.addr[i] = static_cast<uint8_t>(rng() % 2 ? 0x80 : 0);
      for (size_t i = p.len; i < 128; ++i)
        p.addr[i / 8] &= static_cast<uint8_t>(~(0x80u >> (i % 8)));
      bool seen = false;
      for (auto& q : list) seen = seen || q == p;
      if (!seen) list.push_back(p);
    }
    CHECK_EQUAL(list.size(), router.set_claims(&peer, list));
    ++order;
    for (auto& p : list) ref.push_back({p, order, &peer});
  }
  for (int n = 0; n < 2000; ++n) {
    const uint8_t family = rng() % 2 ? 4 : 6;
    const size_t len = family == 4 ? 4 : 16;
    uint8_t addr[16];
    for (size_t i = 0; i < len; ++i) addr[i] = static_cast<uint8_t>(rng() % 2 ? 0x80 : 0);
    if (n % 3 == 0) addr[len - 1] = static_cast<uint8_t>(rng());
    const Ref* best = nullptr;
    for (const Ref& r : ref) {
      if (!braid::identity::prefix_contains(r.prefix, family, {addr, len})) continue;
      if (best == nullptr || r.prefix.len > best->prefix.len ||
          (r.prefix.len == best->prefix.len && r.order > best->order))
        best = &r;
    }
    POINTERS_EQUAL(best ? best->peer : nullptr, router.route(family, {addr, len}));
  }
}
