// IP prefixes and MAC ranges: text forms, edges (/0, /32, /128) and the
// membership tests the data path uses.
#include "identity/prefix.h"

#include <CppUTest/TestHarness.h>

#include <string>

using namespace braid::identity;

namespace {

IpPrefix prefix(const char* text, bool host_bits_zero = false) {
  IpPrefix p;
  std::string why;
  if (!parse_prefix(text, host_bits_zero, &p, &why)) FAIL(why.c_str());
  return p;
}

bool parses(const char* text, bool host_bits_zero = false) {
  IpPrefix p;
  std::string why;
  const bool ok = parse_prefix(text, host_bits_zero, &p, &why);
  if (!ok) CHECK_FALSE(why.empty());
  return ok;
}

MacRange mac_range(const char* text) {
  MacRange r;
  std::string why;
  if (!parse_mac_range(text, &r, &why)) FAIL(why.c_str());
  return r;
}

}  // namespace

TEST_GROUP(Prefix) {};

TEST(Prefix, ParsesIpv4WithAndWithoutLength) {
  IpPrefix p = prefix("10.7.0.1/16");
  CHECK_EQUAL(4, p.family);
  CHECK_EQUAL(16, p.len);
  CHECK_EQUAL(10, p.addr[0]);
  CHECK_EQUAL(1, p.addr[3]);
  CHECK_EQUAL(0, p.addr[4]);
  CHECK_EQUAL(32, prefix("192.0.2.9").len);
  STRCMP_EQUAL("10.7.0.1/16", format_prefix(p).c_str());
  STRCMP_EQUAL("192.0.2.9/32", format_prefix(prefix("192.0.2.9")).c_str());
}

TEST(Prefix, ParsesIpv6WithAndWithoutLength) {
  IpPrefix p = prefix("fd00:7::1/64");
  CHECK_EQUAL(6, p.family);
  CHECK_EQUAL(64, p.len);
  CHECK_EQUAL(0xfd, p.addr[0]);
  CHECK_EQUAL(1, p.addr[15]);
  CHECK_EQUAL(128, prefix("::1").len);
  STRCMP_EQUAL("fd00:7::1/64", format_prefix(p).c_str());
  STRCMP_EQUAL("::/0", format_prefix(prefix("::/0", true)).c_str());
}

TEST(Prefix, AcceptsTheEdgeLengths) {
  CHECK(parses("0.0.0.0/0", true));
  CHECK(parses("10.0.0.1/32", true));
  CHECK(parses("::/0", true));
  CHECK(parses("fd00::1/128", true));
}

TEST(Prefix, RefusesBadInput) {
  CHECK_FALSE(parses(""));
  CHECK_FALSE(parses("/24"));
  CHECK_FALSE(parses("10.0.0.0/"));
  CHECK_FALSE(parses("10.0.0.0/33"));
  CHECK_FALSE(parses("10.0.0.0/-1"));
  CHECK_FALSE(parses("10.0.0.0/024"));
  CHECK_FALSE(parses("10.0.0.0/8/8"));
  CHECK_FALSE(parses("10.0.0/8"));
  CHECK_FALSE(parses("10.0.0.256"));
  CHECK_FALSE(parses("10.0.0.1 /8"));
  CHECK_FALSE(parses("fd00::/129"));
  CHECK_FALSE(parses("fd00:::1"));
  CHECK_FALSE(parses("example.net"));
  CHECK_FALSE(parses(std::string(200, '1').c_str()));
}

TEST(Prefix, ClaimsRefuseHostBitsButAddressesKeepThem) {
  CHECK(parses("10.7.0.1/16", false));
  CHECK_FALSE(parses("10.7.0.1/16", true));
  CHECK(parses("10.7.0.0/16", true));
  CHECK_FALSE(parses("fd00::1/64", true));
  IpPrefix p;
  std::string why;
  CHECK_FALSE(parse_prefix("10.7.1.5/24", true, &p, &why));
  CHECK(why.find("10.7.1.0/24") != std::string::npos);
}

TEST(Prefix, ContainsComparesOnlyTheLeadingBits) {
  const IpPrefix net = prefix("10.7.0.1/16");
  const uint8_t in[4] = {10, 7, 200, 3};
  const uint8_t out[4] = {10, 8, 0, 1};
  CHECK(prefix_contains(net, 4, in));
  CHECK_FALSE(prefix_contains(net, 4, out));
  CHECK_FALSE(prefix_contains(net, 6, in));
  const uint8_t odd[4] = {10, 7, 0, 0};
  CHECK(prefix_contains(prefix("10.7.0.0/17", true), 4, odd));
  const uint8_t past[4] = {10, 7, 128, 0};
  CHECK_FALSE(prefix_contains(prefix("10.7.0.0/17", true), 4, past));
}

TEST(Prefix, ContainsAtTheEdges) {
  const uint8_t any4[4] = {203, 0, 113, 7};
  CHECK(prefix_contains(prefix("0.0.0.0/0", true), 4, any4));
  CHECK(prefix_contains(prefix("203.0.113.7/32"), 4, any4));
  const uint8_t other4[4] = {203, 0, 113, 6};
  CHECK_FALSE(prefix_contains(prefix("203.0.113.7/32"), 4, other4));
  uint8_t v6[16] = {0xfd, 0, 0, 7};
  v6[15] = 1;
  CHECK(prefix_contains(prefix("::/0", true), 6, v6));
  CHECK(prefix_contains(prefix("fd00:7::1/128"), 6, v6));
  v6[15] = 2;
  CHECK_FALSE(prefix_contains(prefix("fd00:7::1/128"), 6, v6));
  CHECK(prefix_contains(prefix("fd00:7::/127", true), 6, v6) == false);
  // An address of the wrong size never matches.
  CHECK_FALSE(prefix_contains(prefix("0.0.0.0/0", true), 4, std::span<const uint8_t>(v6, 16)));
}

TEST(Prefix, CoversNeedsSameFamilyAndLongerInnerPrefix) {
  CHECK(prefix_covers(prefix("10.0.0.0/8", true), prefix("10.7.1.0/24", true)));
  CHECK(prefix_covers(prefix("10.0.0.0/8", true), prefix("10.0.0.0/8", true)));
  CHECK_FALSE(prefix_covers(prefix("10.7.1.0/24", true), prefix("10.0.0.0/8", true)));
  CHECK_FALSE(prefix_covers(prefix("10.0.0.0/8", true), prefix("11.0.0.0/24", true)));
  CHECK(prefix_covers(prefix("0.0.0.0/0", true), prefix("192.0.2.1")));
  CHECK_FALSE(prefix_covers(prefix("0.0.0.0/0", true), prefix("::1")));
  CHECK(prefix_covers(prefix("fd00::/8", true), prefix("fd00:7::/64", true)));
  CHECK(prefix_covers(prefix("fd00:7::1/64"), prefix("fd00:7::2/128")));
}

TEST_GROUP(MacRange) {};

TEST(MacRange, ParsesRangesAndSingleAddresses) {
  MacRange r = mac_range("02:42:AC:00:00:00/24");
  CHECK_EQUAL(24, r.len);
  CHECK_EQUAL(0xac, r.mac[2]);
  STRCMP_EQUAL("02:42:ac:00:00:00/24", format_mac_range(r).c_str());
  CHECK_EQUAL(48, mac_range("02:11:22:33:44:55").len);
  CHECK_EQUAL(0, mac_range("00:00:00:00:00:00/0").len);
}

TEST(MacRange, RefusesBadInput) {
  MacRange r;
  std::string why;
  for (const char* bad : {"", "02:42:ac:00:00", "02:42:ac:00:00:00:00", "02-42-ac-00-00-00",
                          "02:42:ac:00:00:0g", "02:42:ac:00:00:00/49", "02:42:ac:00:00:00/",
                          "02:42:ac:00:00:01/24", "2:42:ac:00:00:00/8"}) {
    CHECK_FALSE_TEXT(parse_mac_range(bad, &r, &why), bad);
    CHECK_FALSE(why.empty());
  }
}

TEST(MacRange, ContainsComparesTheFixedBits) {
  const MacRange r = mac_range("02:42:00:00:00:00/16");
  const uint8_t in[6] = {0x02, 0x42, 1, 2, 3, 4};
  const uint8_t out[6] = {0x02, 0x43, 1, 2, 3, 4};
  CHECK(mac_range_contains(r, in));
  CHECK_FALSE(mac_range_contains(r, out));
  CHECK(mac_range_contains(mac_range("00:00:00:00:00:00/0"), out));
  CHECK(mac_range_contains(mac_range("02:43:01:02:03:04"), out));
  CHECK_FALSE(mac_range_contains(mac_range("02:43:01:02:03:05"), out));
  const uint8_t half[6] = {0x02, 0x42, 0x80, 0, 0, 0};
  CHECK_FALSE(mac_range_contains(mac_range("02:42:00:00:00:00/17"), half));
}
