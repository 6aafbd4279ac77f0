// The LAN beacon: its bytes, every corruption refused, which interfaces it
// goes out on, and which families a socket can carry. Sending on real
// interfaces is left to tests/netns/lan_beacon_probe.sh.
#include "engine/beacon.h"

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <deque>

#include "common/fd.h"
#include "iflist.h"

#include <CppUTest/TestHarness.h>

using namespace braid;
using namespace braid::engine;
using braid::engine::test::IfList;

namespace {

const Magic kMagic = {1, 2, 3, 4};

MacKey key(uint8_t fill) { return derive_mac_key(kMagic, std::vector<uint8_t>(32, fill)); }

NodeId node_id(uint8_t seed) {
  NodeId id;
  for (size_t i = 0; i < id.size(); ++i) id[i] = static_cast<uint8_t>(seed + i * 7);
  return id;
}

std::vector<uint8_t> beacon(const NodeId& id, const MacKey& k) {
  std::vector<uint8_t> p(kBeaconLen);
  write_beacon(kMagic, id, k, p.data());
  return p;
}

const LanInterface* find(const std::vector<LanInterface>& v, const char* name) {
  for (const auto& i : v)
    if (i.name == name) return &i;
  return nullptr;
}

UniqueFd socket6(const char* addr, int v6only) {
  UniqueFd fd(socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  inet_pton(AF_INET6, addr, &sa.sin6_addr);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return UniqueFd();
  return fd;
}

}  // namespace

TEST_GROUP(Beacon) {};

TEST(Beacon, HoldsMagicTypeVersionIdAndAMacOfTheFirst38Bytes) {
  const NodeId id = node_id(3);
  const MacKey k = key(7);
  auto p = beacon(id, k);
  LONGS_EQUAL(54, kBeaconLen);
  MEMCMP_EQUAL(kMagic.data(), p.data(), 4);
  LONGS_EQUAL(7, p[4]);
  LONGS_EQUAL(1, p[5]);
  MEMCMP_EQUAL(id.data(), p.data() + 6, 32);
  uint8_t mac[16];
  crypto_generichash(mac, sizeof mac, p.data(), 38, k.mac1.data(), k.mac1.size());
  MEMCMP_EQUAL(mac, p.data() + 38, 16);
}

TEST(Beacon, ParsesWhatItWrote) {
  const NodeId id = node_id(9);
  auto p = beacon(id, key(7));
  NodeId got{};
  CHECK(parse_beacon(p, kMagic, key(7), &got));
  CHECK(got == id);
  CHECK(check_beacon(p, kMagic, key(7), &got) == BeaconCheck::kOk);
}

TEST(Beacon, RefusesEveryOtherLength) {
  auto p = beacon(node_id(1), key(7));
  NodeId got{};
  for (size_t len : {size_t{0}, size_t{5}, kBeaconLen - 1}) {
    CHECK(check_beacon(std::span(p).first(len), kMagic, key(7), &got) ==
          BeaconCheck::kMalformed);
  }
  p.push_back(0);
  CHECK(check_beacon(p, kMagic, key(7), &got) == BeaconCheck::kMalformed);
  CHECK(got == NodeId{});
}

TEST(Beacon, RefusesAnotherVersionTypeOrMagic) {
  NodeId got{};
  for (size_t at = 0; at < kPrefixLen + 1; ++at) {
    auto p = beacon(node_id(1), key(7));
    p[at] ^= 0x10;
    CHECK(check_beacon(p, kMagic, key(7), &got) == BeaconCheck::kMalformed);
  }
  // Another version with a valid mac is still not ours to read.
  auto p = beacon(node_id(1), key(7));
  p[5] = 2;
  crypto_generichash(p.data() + 38, 16, p.data(), 38, key(7).mac1.data(), 32);
  CHECK_FALSE(parse_beacon(p, kMagic, key(7), &got));
  CHECK(got == NodeId{});
}

TEST(Beacon, RefusesAnyFlippedBitOfIdOrMac) {
  const auto good = beacon(node_id(5), key(7));
  NodeId got{};
  for (size_t at = kPrefixLen + 1; at < kBeaconLen; ++at) {
    for (int bit = 0; bit < 8; ++bit) {
      auto p = good;
      p[at] ^= static_cast<uint8_t>(1 << bit);
      CHECK(check_beacon(p, kMagic, key(7), &got) == BeaconCheck::kBadMac);
    }
  }
  CHECK(got == NodeId{});
}

TEST(Beacon, RefusesAnotherNetworksKey) {
  auto p = beacon(node_id(5), key(7));
  NodeId got{};
  CHECK(check_beacon(p, kMagic, key(8), &got) == BeaconCheck::kBadMac);
  // Same key material, another magic: another key, and another prefix.
  const Magic other = {1, 2, 3, 5};
  MacKey k2 = derive_mac_key(other, std::vector<uint8_t>(32, 7));
  std::vector<uint8_t> q(kBeaconLen);
  write_beacon(other, node_id(5), k2, q.data());
  CHECK(check_beacon(q, kMagic, key(7), &got) == BeaconCheck::kMalformed);
  memcpy(q.data(), kMagic.data(), 4);
  CHECK(check_beacon(q, kMagic, key(7), &got) == BeaconCheck::kBadMac);
  CHECK(got == NodeId{});
}

TEST_GROUP(LanInterfaces) {};

TEST(LanInterfaces, OnlyUpMulticastNonLoopbackWithAnAddressAndNotTheOverlay) {
  const unsigned up = IFF_UP | IFF_MULTICAST | IFF_BROADCAST;
  IfList l;
  l.link("lo", IFF_UP | IFF_LOOPBACK | IFF_MULTICAST, 1);
  l.v4("lo", IFF_UP | IFF_LOOPBACK | IFF_MULTICAST, "127.0.0.1");
  l.link("eth0", up, 2);
  l.link("braid0", up, 3);
  l.v4("braid0", up, "10.99.0.1");
  l.link("eth1", IFF_MULTICAST | IFF_BROADCAST, 4);   // down
  l.v4("eth1", IFF_MULTICAST | IFF_BROADCAST, "192.168.9.1");
  l.link("wg0", IFF_UP | IFF_POINTOPOINT, 5);          // no multicast
  l.v4("wg0", IFF_UP | IFF_POINTOPOINT, "10.8.0.1");
  l.link("eth2", up, 6);                                // no address
  l.v4("eth0", up, "192.168.1.5");
  l.v6("eth0", up, "fe80::1", 2);
  l.v6("eth3", up, "fe80::3", 7);                       // IPv6 only, no link entry
  l.v4("tun1", IFF_UP | IFF_MULTICAST | IFF_POINTOPOINT, "10.1.0.1");   // no link entry
  auto v = lan_interfaces(l.head(), "braid0");
  LONGS_EQUAL(3, v.size());
  const LanInterface* e0 = find(v, "eth0");
  CHECK(e0 != nullptr);
  LONGS_EQUAL(2, e0->index);
  CHECK(e0->has_v4 && e0->has_v6);
  const LanInterface* e3 = find(v, "eth3");
  CHECK(e3 != nullptr);
  LONGS_EQUAL(7, e3->index);
  CHECK(!e3->has_v4 && e3->has_v6);
  const LanInterface* t = find(v, "tun1");
  CHECK(t != nullptr);
  LONGS_EQUAL(0, t->index);   // resolved later, by name
  CHECK(t->has_v4 && !t->has_v6);
  // Without an overlay name nothing more is excluded than the rest.
  LONGS_EQUAL(4, lan_interfaces(l.head(), "").size());
  LONGS_EQUAL(0, lan_interfaces(nullptr, "braid0").size());
}

TEST_GROUP(LanBeacon) {};

TEST(LanBeacon, ADualStackSocketCarriesBothFamiliesAndKnowsItsPort) {
  UniqueFd fd = socket6("::", 0);
  if (!fd) return;   // no IPv6 here
  LanBeacon b(fd.get(), AF_INET6, 0, "braid0");
  CHECK(b.v4());
  CHECK(b.v6());
  sockaddr_in6 sa{};
  socklen_t len = sizeof sa;
  getsockname(fd.get(), reinterpret_cast<sockaddr*>(&sa), &len);
  LONGS_EQUAL(ntohs(sa.sin6_port), b.port());
  LONGS_EQUAL(3210, LanBeacon(fd.get(), AF_INET6, 3210, "braid0").port());
  // Our own beacons do not come back to us.
  int loop = 1;
  len = sizeof loop;
  getsockopt(fd.get(), IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &loop, &len);
  LONGS_EQUAL(0, loop);
}

TEST(LanBeacon, AnIpv6OnlyOrBoundSocketCarriesOnlyWhatItCan) {
  UniqueFd only6 = socket6("::", 1);
  if (!only6) return;
  LanBeacon a(only6.get(), AF_INET6, 0, "braid0");
  CHECK(!a.v4());
  CHECK(a.v6());
  UniqueFd bound6 = socket6("::1", 0);
  if (bound6) {
    LanBeacon b(bound6.get(), AF_INET6, 0, "braid0");
    CHECK(!b.v4());
    CHECK(b.v6());
  }
  UniqueFd mapped = socket6("::ffff:127.0.0.1", 0);
  if (mapped) {
    LanBeacon c(mapped.get(), AF_INET6, 0, "braid0");
    CHECK(c.v4());
    CHECK(!c.v6());
  }
}

TEST(LanBeacon, AnIpv4SocketCarriesIpv4Only) {
  UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  LanBeacon b(fd.get(), AF_INET, 3210, "braid0");
  CHECK(b.v4());
  CHECK(!b.v6());
  unsigned char loop = 1;
  socklen_t len = sizeof loop;
  getsockopt(fd.get(), IPPROTO_IP, IP_MULTICAST_LOOP, &loop, &len);
  LONGS_EQUAL(0, loop);
}
