// The peer-exchange message bodies: exact layout and every refusal.
#include "engine/exchange.h"

#include <cstring>

// Last: its new/delete macros must not reach the standard headers.
#include <CppUTest/TestHarness.h>

using namespace braid;
using namespace braid::engine;

namespace {

Endpoint v4(uint8_t last, uint16_t port) {
  const uint8_t a[4] = {198, 51, 100, last};
  return Endpoint::from_bytes(4, a, port);
}

Endpoint v6(uint8_t first, uint8_t last, uint16_t port) {
  uint8_t a[16] = {first, 0x01, 0x0d, 0xb8};
  a[15] = last;
  return Endpoint::from_bytes(6, a, port);
}

std::vector<uint8_t> encode(uint8_t flags, const std::vector<PeerEntry>& entries, size_t* n) {
  std::vector<uint8_t> buf(2048);
  ByteWriter w(buf);
  *n = write_peers(flags, entries, w);
  CHECK(w.ok());
  buf.resize(w.size());
  return buf;
}

}  // namespace

TEST_GROUP(PeerExchange) {};

TEST(PeerExchange, EntriesRoundTripInTheDocumentedLayout) {
  PeerEntry a{{}, v4(7, 3210)};
  a.id.fill(0xaa);
  PeerEntry b{{}, v6(0x20, 9, 4000)};
  b.id.fill(0xbb);
  size_t n = 0;
  auto body = encode(kPeersIntroduction, {a, b}, &n);
  LONGS_EQUAL(2, n);
  LONGS_EQUAL(2 + (32 + 1 + 4 + 2) + (32 + 1 + 16 + 2), body.size());
  LONGS_EQUAL(1, body[0]);
  LONGS_EQUAL(2, body[1]);
  LONGS_EQUAL(0xaa, body[2]);
  LONGS_EQUAL(4, body[34]);
  LONGS_EQUAL(198, body[35]);
  LONGS_EQUAL(3210, get_be16(&body[39]));
  LONGS_EQUAL(6, body[41 + 32]);
  uint8_t flags = 0;
  std::vector<PeerEntry> out;
  std::string why;
  CHECK_TEXT(parse_peers(body, &flags, &out, &why), why.c_str());
  LONGS_EQUAL(kPeersIntroduction, flags);
  LONGS_EQUAL(2, out.size());
  CHECK(out[0].id == a.id);
  CHECK(out[0].endpoint == a.endpoint);
  CHECK(out[1].endpoint == b.endpoint);
}

TEST(PeerExchange, AtMostTwentyEntriesAndOnlyAddressesOthersCanSendTo) {
  std::vector<PeerEntry> many(30, PeerEntry{{}, v4(1, 1)});
  many[0].endpoint = v4(1, 0);                       // port 0
  many[1].endpoint = v6(0xfe, 1, 3210);              // fe80::/10 is link-local
  many[1].endpoint.sa.sin6_addr.s6_addr[1] = 0x80;
  many[2].endpoint = Endpoint::from_bytes(4, std::array<uint8_t, 4>{224, 0, 0, 1}.data(), 1);
  size_t n = 0;
  auto body = encode(0, many, &n);
  LONGS_EQUAL(kMaxPeerEntries, n);
  LONGS_EQUAL(n, body[1]);
}

TEST(PeerExchange, LoopbackAddressesAreNotShareable) {
  const uint8_t lo4[4] = {127, 0, 0, 1};
  const uint8_t lo4b[4] = {127, 9, 9, 9};
  uint8_t lo6[16] = {};
  lo6[15] = 1;
  CHECK_FALSE(shareable(Endpoint::from_bytes(4, lo4, 3210)));
  CHECK_FALSE(shareable(Endpoint::from_bytes(4, lo4b, 3210)));
  CHECK_FALSE(shareable(Endpoint::from_bytes(6, lo6, 3210)));
  CHECK(shareable(v4(7, 3210)));
}

TEST(PeerExchange, MalformedBodiesAreRefused) {
  PeerEntry a{{}, v4(7, 3210)};
  size_t n = 0;
  auto good = encode(0, {a}, &n);
  uint8_t flags;
  std::vector<PeerEntry> out;
  std::string why;
  auto refuses = [&](std::vector<uint8_t> body, const char* reason) {
    CHECK_FALSE(parse_peers(body, &flags, &out, &why));
    STRCMP_CONTAINS(reason, why.c_str());
  };
  refuses({}, "truncated");
  auto b = good;
  b[0] = 2;
  refuses(b, "unknown flags");
  b = good;
  b[34] = 5;
  refuses(b, "family");
  b = good;
  b.pop_back();
  refuses(b, "truncated");
  b = good;
  b.push_back(0);
  refuses(b, "trailing");
  b = good;
  b[1] = 2;
  refuses(b, "truncated");
  b = good;
  b[39] = b[40] = 0;
  refuses(b, "send to");
  // An IPv4 address dressed as IPv6 (::ffff:a.b.c.d): one encoding only.
  PeerEntry m{{}, v4(7, 3210)};
  std::vector<uint8_t> mapped = {0, 1};
  mapped.insert(mapped.end(), m.id.begin(), m.id.end());
  mapped.push_back(6);
  const uint8_t* s6 = m.endpoint.sa.sin6_addr.s6_addr;
  mapped.insert(mapped.end(), s6, s6 + 16);
  mapped.push_back(0x0c);
  mapped.push_back(0x8a);
  refuses(mapped, "IPv4-mapped");
}

TEST(PeerExchange, AnAddressReportRoundTripsInTheDocumentedLayout) {
  for (const Endpoint& e : {v4(9, 3210), v6(0x20, 5, 4000)}) {
    std::vector<uint8_t> buf(64);
    ByteWriter w(buf);
    write_seen(e, w);
    CHECK(w.ok());
    buf.resize(w.size());
    LONGS_EQUAL(e.is_v4() ? 1 + 4 + 2 : 1 + 16 + 2, buf.size());
    LONGS_EQUAL(e.is_v4() ? 4 : 6, buf[0]);
    LONGS_EQUAL(ntohs(e.sa.sin6_port), get_be16(&buf[buf.size() - 2]));
    Endpoint back;
    std::string why;
    CHECK_TEXT(parse_seen(buf, &back, &why), why.c_str());
    CHECK(back == e);
  }
}

TEST(PeerExchange, MalformedAddressReportsAreRefused) {
  std::vector<uint8_t> good(64);
  ByteWriter w(good);
  write_seen(v4(9, 3210), w);
  good.resize(w.size());
  Endpoint at;
  std::string why;
  for (size_t n = 0; n < good.size(); ++n) {
    std::vector<uint8_t> cut(good.begin(), good.begin() + static_cast<ptrdiff_t>(n));
    CHECK(!parse_seen(cut, &at, &why));
  }
  std::vector<uint8_t> longer = good;
  longer.push_back(0);
  CHECK(!parse_seen(longer, &at, &why));
  STRCMP_EQUAL("trailing bytes", why.c_str());
  std::vector<uint8_t> family = good;
  family[0] = 5;
  CHECK(!parse_seen(family, &at, &why));
  std::vector<uint8_t> port0 = good;
  port0[5] = port0[6] = 0;
  CHECK(!parse_seen(port0, &at, &why));
  std::vector<uint8_t> multicast = good;
  multicast[1] = 239;
  CHECK(!parse_seen(multicast, &at, &why));
}

TEST(PeerExchange, APathProbeRoundTripsInTheDocumentedLayout) {
  PathProbeMsg m{true, 0x01020304, 0x1122334455667788ull, 99};
  std::vector<uint8_t> buf(64);
  ByteWriter w(buf);
  write_path_probe(m, w);
  buf.resize(w.size());
  LONGS_EQUAL(kPathProbeLen, buf.size());
  LONGS_EQUAL(1, buf[0]);
  LONGS_EQUAL(0x01020304, get_be32(&buf[1]));
  CHECK(0x1122334455667788ull == get_be64(&buf[5]));
  CHECK(99 == get_be64(&buf[13]));
  PathProbeMsg back;
  std::string why;
  CHECK_TEXT(parse_path_probe(buf, &back, &why), why.c_str());
  CHECK(back.answer && back.seq == m.seq && back.time_ns == m.time_ns && back.count == 99);
  std::vector<uint8_t> seq0 = buf;
  seq0[1] = seq0[2] = seq0[3] = seq0[4] = 0;
  CHECK(!parse_path_probe(seq0, &back, &why));
  buf[0] = 2;
  CHECK(!parse_path_probe(buf, &back, &why));
  STRCMP_EQUAL("unknown flags", why.c_str());
  buf.pop_back();
  CHECK(!parse_path_probe(buf, &back, &why));
}

TEST(PeerExchange, ALinkListRoundTripsAndRefusesWhatNoNodeCouldReach) {
  std::vector<LinkEndpoint> eps = {{v4(9, 3210), false}, {v6(0x20, 5, 4000), true}};
  std::vector<uint8_t> buf(256);
  ByteWriter w(buf);
  LONGS_EQUAL(2, write_links(eps, w));
  buf.resize(w.size());
  LONGS_EQUAL(1 + (1 + 1 + 4 + 2) + (1 + 1 + 16 + 2), buf.size());
  LONGS_EQUAL(0, buf[1]);
  LONGS_EQUAL(kLinkFallback, buf[1 + 8]);
  std::vector<LinkEndpoint> back;
  std::string why;
  CHECK_TEXT(parse_links(buf, &back, &why), why.c_str());
  CHECK(back == eps);
  std::vector<uint8_t> longer = buf;
  longer.push_back(0);
  CHECK(!parse_links(longer, &back, &why));
  std::vector<uint8_t> many = {static_cast<uint8_t>(kMaxLinkEndpoints + 1)};
  CHECK(!parse_links(many, &back, &why));
  std::vector<uint8_t> port0 = buf;
  port0[7] = port0[8] = 0;
  CHECK(!parse_links(port0, &back, &why));
  std::vector<uint8_t> flags = buf;
  flags[1] = 2;
  CHECK(!parse_links(flags, &back, &why));
  STRCMP_EQUAL("unknown flags", why.c_str());
  for (size_t n = 0; n < buf.size(); ++n) {
    std::vector<uint8_t> cut(buf.begin(), buf.begin() + static_cast<ptrdiff_t>(n));
    CHECK(!parse_links(cut, &back, &why));
  }
}
