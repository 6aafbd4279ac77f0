// The priority lane's classifier: what counts as interactive, on tun and
// tap, and that short or odd packets are bulk.
#include "engine/priority.h"

#include <vector>

// Last: its new/delete macros must not reach the standard headers.
#include <CppUTest/TestHarness.h>

using namespace braid::engine;

namespace {

std::vector<uint8_t> ipv4(uint8_t tos, uint8_t proto) {
  std::vector<uint8_t> p(28, 0);
  p[0] = 0x45;
  p[1] = tos;
  p[9] = proto;
  return p;
}

std::vector<uint8_t> ipv6(uint8_t traffic_class, uint8_t next) {
  std::vector<uint8_t> p(48, 0);
  p[0] = static_cast<uint8_t>(0x60 | (traffic_class >> 4));
  p[1] = static_cast<uint8_t>(traffic_class << 4);
  p[6] = next;
  return p;
}

// An Ethernet frame around `ip` with the given tags (TPIDs) first.
std::vector<uint8_t> frame(const std::vector<uint8_t>& ip, uint16_t type,
                           std::vector<uint16_t> tags = {}) {
  std::vector<uint8_t> f(12, 0xaa);
  for (uint16_t t : tags) {
    f.push_back(static_cast<uint8_t>(t >> 8));
    f.push_back(static_cast<uint8_t>(t));
    f.push_back(0x00);
    f.push_back(0x05);   // VLAN 5
  }
  f.push_back(static_cast<uint8_t>(type >> 8));
  f.push_back(static_cast<uint8_t>(type));
  f.insert(f.end(), ip.begin(), ip.end());
  return f;
}

}  // namespace

TEST_GROUP(Priority) {};

TEST(Priority, Ipv4ByTosDscpAndIcmp) {
  CHECK(is_priority(ipv4(0, 1), false));          // ICMP
  CHECK_FALSE(is_priority(ipv4(0, 6), false));    // TCP
  CHECK_FALSE(is_priority(ipv4(0, 17), false));   // UDP
  CHECK(is_priority(ipv4(0x10, 6), false));       // TOS low delay
  CHECK(is_priority(ipv4(46 << 2, 17), false));   // EF
  CHECK(is_priority(ipv4(48 << 2, 6), false));    // CS6
  CHECK_FALSE(is_priority(ipv4(34 << 2, 6), false));   // AF41: bulk
  CHECK_FALSE(is_priority(ipv4(0x08, 6), false));      // TOS high throughput
}

TEST(Priority, Ipv6ByTrafficClassAndIcmp6) {
  CHECK(is_priority(ipv6(0, 58), false));
  CHECK_FALSE(is_priority(ipv6(0, 6), false));
  CHECK(is_priority(ipv6(46 << 2, 17), false));
  CHECK(is_priority(ipv6(48 << 2, 6), false));
  CHECK_FALSE(is_priority(ipv6(10 << 2, 6), false));
}

TEST(Priority, TapFramesAfterUpToTwoVlanTags) {
  CHECK(is_priority(frame(ipv4(0, 1), 0x0800), true));
  CHECK(is_priority(frame(ipv6(0, 58), 0x86dd), true));
  CHECK_FALSE(is_priority(frame(ipv4(0, 6), 0x0800), true));
  CHECK(is_priority(frame(ipv4(0, 1), 0x0800, {0x8100}), true));
  CHECK(is_priority(frame(ipv4(0, 1), 0x0800, {0x88a8, 0x8100}), true));
  CHECK_FALSE(is_priority(frame(ipv4(0, 1), 0x0800, {0x88a8, 0x8100, 0x8100}), true));
  CHECK_FALSE(is_priority(frame(ipv4(0, 1), 0x0806), true));   // ARP
  // A tun packet read as a frame, and the other way round, is bulk.
  CHECK_FALSE(is_priority(ipv4(0, 1), true));
  CHECK_FALSE(is_priority(frame(ipv4(0, 1), 0x0800), false));
}

TEST(Priority, EveryTruncationIsBulk) {
  for (const auto& p : {ipv4(0, 1), ipv6(0, 58)}) {
    size_t header = (p[0] >> 4) == 4 ? 20 : 40;
    for (size_t n = 0; n < header; ++n)
      CHECK_FALSE(is_priority(std::span<const uint8_t>(p.data(), n), false));
    auto f = frame(p, (p[0] >> 4) == 4 ? 0x0800 : 0x86dd, {0x8100});
    for (size_t n = 0; n < 18 + header; ++n)
      CHECK_FALSE(is_priority(std::span<const uint8_t>(f.data(), n), true));
  }
}
