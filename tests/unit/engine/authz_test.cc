// Source checks of inner packets against a peer's certificate.
#include "engine/authz.h"

#include <arpa/inet.h>

#include <cstring>
#include <vector>

#include <CppUTest/TestHarness.h>

using namespace braid;
using namespace braid::engine;
namespace id = braid::identity;

namespace {

id::Certificate cert() {
  id::Certificate c;
  std::string why;
  id::IpPrefix p;
  id::parse_prefix("10.7.0.1/16", false, &p, &why);
  c.addresses.push_back(p);
  id::parse_prefix("fd00:7::1/64", false, &p, &why);
  c.addresses.push_back(p);
  id::parse_prefix("10.7.1.0/24", true, &p, &why);
  c.claims.push_back(p);
  id::parse_prefix("fd00:8::/48", true, &p, &why);
  c.claims.push_back(p);
  return c;
}

std::vector<uint8_t> v4(const char* src) {
  std::vector<uint8_t> p(20, 0);
  p[0] = 0x45;
  inet_pton(AF_INET, src, p.data() + 12);
  return p;
}

std::vector<uint8_t> v6(const char* src) {
  std::vector<uint8_t> p(40, 0);
  p[0] = 0x60;
  inet_pton(AF_INET6, src, p.data() + 8);
  return p;
}

bool ok(const id::Certificate& c, const std::vector<uint8_t>& p, bool tap = false) {
  return source_allowed(c, tap, p.data(), p.size());
}

}  // namespace

TEST_GROUP(Authz) {};

TEST(Authz, AnIpPacketMayComeFromTheNodesOwnAddressOrItsClaims) {
  id::Certificate c = cert();
  CHECK(ok(c, v4("10.7.0.1")));
  CHECK(ok(c, v4("10.7.1.200")));
  CHECK(ok(c, v6("fd00:7::1")));
  CHECK(ok(c, v6("fd00:8:0:5::9")));
  // Its network is not its address: a neighbour's is refused.
  CHECK_FALSE(ok(c, v4("10.7.0.2")));
  CHECK_FALSE(ok(c, v4("10.7.2.1")));
  CHECK_FALSE(ok(c, v6("fd00:7::2")));
  CHECK_FALSE(ok(c, v6("fe80::1")));
}

TEST(Authz, ShortOrNonIpPacketsAreRefused) {
  id::Certificate c = cert();
  auto p = v4("10.7.0.1");
  CHECK_FALSE(source_allowed(c, false, p.data(), 19));
  auto q = v6("fd00:7::1");
  CHECK_FALSE(source_allowed(c, false, q.data(), 39));
  p[0] = 0x55;
  CHECK_FALSE(ok(c, p));
  CHECK_FALSE(source_allowed(c, false, p.data(), 0));
}

TEST(Authz, FramesAreCheckedAgainstMacRangesWhenTheCertificateHasAny) {
  id::Certificate c = cert();
  std::vector<uint8_t> f(60, 0);
  const uint8_t mac[6] = {0x02, 0x42, 0x11, 0, 0, 1};
  memcpy(f.data() + 6, mac, 6);
  CHECK(ok(c, f, true));   // no ranges: any source MAC
  id::MacRange r;
  std::string why;
  CHECK(id::parse_mac_range("02:42:00:00:00:00/16", &r, &why));
  c.macs.push_back(r);
  CHECK(ok(c, f, true));
  f[7] = 0x43;
  CHECK_FALSE(ok(c, f, true));
  CHECK_FALSE(source_allowed(c, true, f.data(), 11));
}
