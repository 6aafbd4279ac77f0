// The wire codec: classification by magic before any crypto, and the
// transport and relay headers' exact bytes, and the relay hop tag.
#include "engine/wire.h"

#include <algorithm>
#include <string>

#include "common/bytes.h"

#include <vector>

#include <CppUTest/TestHarness.h>

using namespace braid::engine;

namespace {
const Magic kMagic = {0x62, 0x72, 0x64, 0x01};
}

TEST_GROUP(Wire) {};

TEST(Wire, ClassifiesPacketsShorterThanThePrefixAsForeign) {
  const uint8_t pkt[5] = {0x62, 0x72, 0x64, 0x01, 4};
  for (size_t n = 0; n < kPrefixLen; ++n)
    LONGS_EQUAL(0, classify(std::span<const uint8_t>(pkt, n), kMagic));
  LONGS_EQUAL(4, classify(std::span<const uint8_t>(pkt, 5), kMagic));
}

TEST(Wire, ClassifiesAnotherNetworksMagicAsForeign) {
  for (int i = 0; i < 4; ++i) {
    uint8_t pkt[6] = {0x62, 0x72, 0x64, 0x01, 4, 0};
    pkt[i] ^= 0x80;
    LONGS_EQUAL(0, classify(pkt, kMagic));
  }
}

TEST(Wire, ClassifyReturnsTheTypeByteAfterTheRightMagic) {
  for (int t = 0; t < 256; ++t) {
    uint8_t pkt[5] = {0x62, 0x72, 0x64, 0x01, static_cast<uint8_t>(t)};
    LONGS_EQUAL(t, classify(pkt, kMagic));
  }
}

TEST(Wire, TransportHeaderHasTheDocumentedBytes) {
  uint8_t out[kTransportHeaderLen];
  write_transport_header(out, kMagic, PacketType::kData, 0x01020304, 0x05060708090a0b0cull);
  const uint8_t want[kTransportHeaderLen] = {0x62, 0x72, 0x64, 0x01, 4, 1, 2, 3, 4,
                                             5,    6,    7,    8,    9, 10, 11, 12};
  MEMCMP_EQUAL(want, out, sizeof want);
}

TEST(Wire, TransportHeaderRoundTrips) {
  for (PacketType type : {PacketType::kData, PacketType::kControl}) {
    std::vector<uint8_t> pkt(kTransportOverhead + 10, 0xee);
    write_transport_header(pkt.data(), kMagic, type, 0xfedcba98, UINT64_MAX - 1);
    TransportHeader h{};
    CHECK(parse_transport_header(pkt, &h));
    CHECK(h.type == type);
    LONGS_EQUAL(0xfedcba98, h.receiver_index);
    CHECK(h.counter == UINT64_MAX - 1);
    LONGS_EQUAL(static_cast<uint8_t>(type), classify(pkt, kMagic));
  }
}

TEST(Wire, ParseAcceptsAHeaderWithAnEmptyBodyAndATag) {
  std::vector<uint8_t> pkt(kTransportOverhead);
  write_transport_header(pkt.data(), kMagic, PacketType::kData, 7, 0);
  TransportHeader h{};
  CHECK(parse_transport_header(pkt, &h));
  LONGS_EQUAL(7, h.receiver_index);
}

TEST(Wire, ParseRefusesPacketsTooShortForAHeader) {
  std::vector<uint8_t> pkt(kTransportOverhead);
  write_transport_header(pkt.data(), kMagic, PacketType::kData, 7, 0);
  TransportHeader h{};
  for (size_t n = 0; n < kTransportHeaderLen; ++n)
    CHECK_FALSE(parse_transport_header(std::span<const uint8_t>(pkt.data(), n), &h));
}

TEST(Wire, ParseRefusesHandshakeAndUnknownTypes) {
  std::vector<uint8_t> pkt(kTransportOverhead + 4);
  for (int t = 0; t < 256; ++t) {
    if (t == 4 || t == 5) continue;
    write_transport_header(pkt.data(), kMagic, static_cast<PacketType>(t), 7, 0);
    TransportHeader h{};
    CHECK_FALSE(parse_transport_header(pkt, &h));
  }
}

TEST(Wire, HandshakePayloadCarriesOneCertificateAndSkipsUnknownFields) {
  std::vector<uint8_t> cert(300, 0xc3);
  std::vector<uint8_t> p;
  write_handshake_payload({}, &p);
  CHECK(p.empty());
  write_handshake_payload(cert, &p);
  LONGS_EQUAL(3 + 300, p.size());
  LONGS_EQUAL(1, p[0]);
  LONGS_EQUAL(300, braid::get_be16(p.data() + 1));
  std::span<const uint8_t> got;
  CHECK(parse_handshake_payload(p, &got));
  CHECK(std::equal(got.begin(), got.end(), cert.begin(), cert.end()));
  // An unknown field before it is skipped.
  std::vector<uint8_t> q = {9, 0, 2, 0xaa, 0xbb};
  q.insert(q.end(), p.begin(), p.end());
  CHECK(parse_handshake_payload(q, &got));
  LONGS_EQUAL(300, got.size());
  // Empty payload: no certificate, not malformed.
  CHECK(parse_handshake_payload({}, &got));
  CHECK(got.empty());
  // Two certificates, or any truncation, are malformed.
  std::vector<uint8_t> twice = p;
  twice.insert(twice.end(), p.begin(), p.end());
  CHECK_FALSE(parse_handshake_payload(twice, &got));
  for (size_t n = 1; n < p.size(); ++n)
    CHECK_FALSE(parse_handshake_payload(std::span(p).first(n), &got));
}

TEST(Wire, RelayHeaderHasTheDocumentedBytes) {
  RelayHeader h;
  h.receiver_index = 0x01020304;
  h.counter = 0x1112131415161718ull;
  h.hops = 16;
  h.dst.fill(0xdd);
  h.src.fill(0x55);
  std::vector<uint8_t> pkt(kRelayHeaderLen + 1, 0xee);
  write_relay_header(pkt.data(), kMagic, h);
  LONGS_EQUAL(98, kRelayHeaderLen);
  LONGS_EQUAL(94, kRelayOverhead);
  const uint8_t head[18] = {0x62, 0x72, 0x64, 0x01, 8, 1, 2, 3, 4,
                            0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 16};
  CHECK(std::equal(head, head + 18, pkt.begin()));
  CHECK(std::all_of(pkt.begin() + 18, pkt.begin() + 50, [](uint8_t b) { return b == 0xdd; }));
  CHECK(std::all_of(pkt.begin() + 50, pkt.begin() + 82, [](uint8_t b) { return b == 0x55; }));
  CHECK(std::all_of(pkt.begin() + 82, pkt.begin() + 98, [](uint8_t b) { return b == 0; }));
  RelayHeader back;
  CHECK(parse_relay_header(pkt, &back));
  LONGS_EQUAL(h.receiver_index, back.receiver_index);
  CHECK(h.counter == back.counter);
  LONGS_EQUAL(16, back.hops);
  CHECK(back.dst == h.dst && back.src == h.src);
  // A header alone, with no inner type byte, is not a relayed packet.
  CHECK_FALSE(parse_relay_header(std::span<const uint8_t>(pkt.data(), kRelayHeaderLen), &back));
}

TEST(Wire, RelayHopTagCoversEveryHeaderByteAndTheCounter) {
  std::array<uint8_t, 32> k;
  k.fill(0x42);
  braid::crypto::TransportKey key(braid::crypto::TransportCipher::kChaCha20Poly1305, k);
  RelayHeader h;
  h.receiver_index = 7;
  h.counter = 99;
  h.hops = 16;
  std::vector<uint8_t> pkt(kRelayHeaderLen + 1, 4);
  write_relay_header(pkt.data(), kMagic, h);
  seal_relay_hop(pkt.data(), key);
  CHECK(open_relay_hop(pkt.data(), key));
  for (size_t i = 0; i < kRelayHeaderLen; ++i) {
    std::vector<uint8_t> bad = pkt;
    bad[i] ^= 1;
    CHECK_FALSE_TEXT(open_relay_hop(bad.data(), key), std::to_string(i).c_str());
  }
  // Rewritten for another hop, it needs a new tag.
  set_relay_hop(pkt.data(), 8, 100, 15);
  CHECK_FALSE(open_relay_hop(pkt.data(), key));
  seal_relay_hop(pkt.data(), key);
  CHECK(open_relay_hop(pkt.data(), key));
  RelayHeader back;
  CHECK(parse_relay_header(pkt, &back));
  LONGS_EQUAL(8, back.receiver_index);
  CHECK(back.counter == 100);
  LONGS_EQUAL(15, back.hops);
}
