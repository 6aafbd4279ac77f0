// The claims message body: what is written reads back, the bytes are the
// ones protocol.md describes, and every malformed body is refused.
#include "engine/claims.h"

#include <CppUTest/TestHarness.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "identity/prefix.h"

using braid::ByteWriter;
using braid::engine::kMaxClaims;
using braid::engine::kMaxClaimsBodyLen;
using braid::engine::parse_claims;
using braid::engine::write_claims;
using braid::identity::IpPrefix;

namespace {

IpPrefix prefix(std::string_view text) {
  IpPrefix p;
  std::string why;
  if (!braid::identity::parse_prefix(text, true, &p, &why)) FAIL(why.c_str());
  return p;
}

std::vector<uint8_t> encode(const std::vector<IpPrefix>& claims, size_t* written = nullptr) {
  std::array<uint8_t, kMaxClaimsBodyLen> buf;
  ByteWriter w(buf);
  const size_t n = write_claims(claims, w);
  if (written) *written = n;
  CHECK(w.ok());
  return {buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(w.size())};
}

// parse_claims must refuse the body; returns why.
std::string refused(const std::vector<uint8_t>& body) {
  std::vector<IpPrefix> out;
  std::string why;
  CHECK_FALSE(parse_claims(body, &out, &why));
  CHECK(!why.empty());
  return why;
}

}  // namespace

TEST_GROUP(Claims) {};

TEST(Claims, RoundTripOfIpv4AndIpv6Claims) {
  const std::vector<IpPrefix> claims{prefix("10.1.0.0/16"), prefix("fd00:1::/32"),
                                     prefix("0.0.0.0/0"), prefix("::/0"),
                                     prefix("10.1.2.3/32"), prefix("fd00::1/128"),
                                     prefix("10.1.128.0/17")};
  size_t n = 0;
  const auto body = encode(claims, &n);
  LONGS_EQUAL(claims.size(), n);
  std::vector<IpPrefix> back;
  std::string why;
  CHECK_TRUE_TEXT(parse_claims(body, &back, &why), why.c_str());
  CHECK(back == claims);
}

TEST(Claims, EmptyListIsOneZeroByte) {
  const auto body = encode({});
  CHECK(body == std::vector<uint8_t>{0});
  std::vector<IpPrefix> back{prefix("10.0.0.0/8")};
  std::string why;
  CHECK_TRUE(parse_claims(body, &back, &why));
  CHECK(back.empty());
}

TEST(Claims, BytesAreCountThenFamilyLengthAddress) {
  const auto body = encode({prefix("10.1.0.0/16"), prefix("fd00::/8")});
  const std::vector<uint8_t> expected{2,
                                      4, 16, 10, 1, 0, 0,
                                      6, 8, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  CHECK(body == expected);
}

TEST(Claims, WriterStopsAt64Claims) {
  std::vector<IpPrefix> claims;
  for (int i = 0; i < 70; ++i) claims.push_back(prefix("fd00:" + std::to_string(i) + "::/32"));
  size_t n = 0;
  const auto body = encode(claims, &n);
  LONGS_EQUAL(kMaxClaims, n);
  LONGS_EQUAL(kMaxClaimsBodyLen, body.size());
  std::vector<IpPrefix> back;
  std::string why;
  CHECK_TRUE(parse_claims(body, &back, &why));
  CHECK(back == std::vector<IpPrefix>(claims.begin(), claims.begin() + kMaxClaims));
}

TEST(Claims, WriterLeavesOutInvalidEntriesAndClearsHostBits) {
  IpPrefix bad_family = prefix("10.1.0.0/16");
  bad_family.family = 0;
  IpPrefix too_long = prefix("fd00::/16");
  too_long.len = 129;
  IpPrefix host_bits = prefix("10.3.0.0/17");
  host_bits.addr[2] = 0xff;
  host_bits.addr[3] = 1;
  size_t n = 0;
  const auto body = encode({bad_family, too_long, host_bits}, &n);
  LONGS_EQUAL(1, n);
  std::vector<IpPrefix> back;
  std::string why;
  CHECK_TRUE_TEXT(parse_claims(body, &back, &why), why.c_str());
  LONGS_EQUAL(1, back.size());
  CHECK(back[0] == prefix("10.3.128.0/17"));
}

TEST(Claims, WriterReportsABufferTooSmall) {
  std::array<uint8_t, 5> buf;
  ByteWriter w(buf);
  write_claims(std::vector<IpPrefix>{prefix("10.1.0.0/16")}, w);
  CHECK_FALSE(w.ok());
}

TEST(Claims, RefusesAnEmptyBody) {
  refused({});
}

TEST(Claims, RefusesACountPast64) {
  std::vector<uint8_t> body{65};
  for (int i = 0; i < 65; ++i) body.insert(body.end(), {4, 0, 0, 0, 0, 0});
  STRCMP_CONTAINS("65", refused(body).c_str());
  body[0] = 0xff;
  refused(body);
}

TEST(Claims, RefusesAnUnknownFamily) {
  STRCMP_CONTAINS("family", refused({1, 5, 0, 0, 0, 0, 0}).c_str());
  refused({1, 0, 0, 0, 0, 0, 0});
  refused({2, 4, 8, 10, 0, 0, 0, 16, 8, 10, 0, 0, 0});
}

TEST(Claims, RefusesALengthPastTheFamilys) {
  STRCMP_CONTAINS("length", refused({1, 4, 33, 0, 0, 0, 0}).c_str());
  std::vector<uint8_t> v6{1, 6, 129};
  v6.resize(3 + 16);
  refused(v6);
}

TEST(Claims, RefusesBitsPastTheLength) {
  STRCMP_CONTAINS("10.1.0.1/16", refused({1, 4, 16, 10, 1, 0, 1}).c_str());
  refused({1, 4, 0, 0, 0, 0, 1});
  refused({1, 4, 17, 10, 1, 0x40, 0});
  std::vector<uint8_t> v6{1, 6, 64, 0xfd};
  v6.resize(3 + 16);
  v6.back() = 1;
  refused(v6);
}

TEST(Claims, RefusesATruncatedEntry) {
  STRCMP_CONTAINS("truncated", refused({1}).c_str());
  refused({1, 4});
  refused({1, 4, 8, 10, 0, 0});
  refused({2, 4, 8, 10, 0, 0, 0});
  std::vector<uint8_t> v6{1, 6, 8, 0xfd};
  v6.resize(3 + 15);
  refused(v6);
}

TEST(Claims, RefusesTrailingBytes) {
  STRCMP_CONTAINS("after", refused({0, 0}).c_str());
  refused({1, 4, 8, 10, 0, 0, 0, 0});
}

TEST(Claims, ReadsAnIpv4EntryAsSixBytes) {
  // An IPv4 entry is 6 bytes: nothing of the IPv6 size is expected.
  std::vector<IpPrefix> out;
  std::string why;
  CHECK_TRUE_TEXT(parse_claims(std::vector<uint8_t>{1, 4, 8, 10, 0, 0, 0}, &out, &why),
                  why.c_str());
  LONGS_EQUAL(1, out.size());
  CHECK(out[0] == prefix("10.0.0.0/8"));
}
