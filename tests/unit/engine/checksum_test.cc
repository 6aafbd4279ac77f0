// The Internet checksum against a byte-at-a-time reference and against
// packets whose checksums are known.
#include "engine/checksum.h"

#include <cstdint>
#include <vector>

#include <CppUTest/TestHarness.h>

using namespace braid::engine;

namespace {

// RFC 1071 word by word: the slowest obviously right way.
uint32_t reference_sum(const uint8_t* p, size_t len, uint32_t sum) {
  for (size_t i = 0; i + 1 < len; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (len % 2) sum += static_cast<uint32_t>(p[len - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return sum;
}

std::vector<uint8_t> pseudo_random(size_t n, uint32_t seed) {
  std::vector<uint8_t> v(n);
  for (auto& b : v) {
    seed = seed * 1103515245 + 12345;
    b = static_cast<uint8_t>(seed >> 16);
  }
  return v;
}

}  // namespace

TEST_GROUP(Checksum) {};

TEST(Checksum, MatchesTheReferenceForEveryLengthAndStartingSum) {
  std::vector<uint8_t> data = pseudo_random(300, 7);
  for (size_t len = 0; len <= data.size(); ++len) {
    for (uint32_t start : {0u, 1u, 0xfffeu, 0xffffu}) {
      LONGS_EQUAL(reference_sum(data.data(), len, start), checksum_add(data.data(), len, start));
    }
  }
}

TEST(Checksum, AllOnesDataCarriesAroundWithoutLoss) {
  std::vector<uint8_t> data(4096, 0xff);
  LONGS_EQUAL(0xffff, checksum_add(data.data(), data.size(), 0));
  LONGS_EQUAL(0xffff, checksum_add(data.data(), data.size(), 0xffff));
  std::vector<uint8_t> big(65535, 0xff);
  LONGS_EQUAL(reference_sum(big.data(), big.size(), 0), checksum_add(big.data(), big.size(), 0));
}

TEST(Checksum, ChainedEvenPiecesEqualOnePass) {
  std::vector<uint8_t> data = pseudo_random(1501, 99);
  uint32_t whole = checksum_add(data.data(), data.size(), 0);
  uint32_t sum = checksum_add(data.data(), 20, 0);
  sum = checksum_add(data.data() + 20, 32, sum);
  sum = checksum_add(data.data() + 52, data.size() - 52, sum);
  LONGS_EQUAL(whole, sum);
}

TEST(Checksum, UnalignedStartGivesTheSameSum) {
  std::vector<uint8_t> data = pseudo_random(1000, 3);
  std::vector<uint8_t> shifted(data.size() + 1);
  std::copy(data.begin(), data.end(), shifted.begin() + 1);
  LONGS_EQUAL(checksum_add(data.data(), data.size(), 0),
              checksum_add(shifted.data() + 1, data.size(), 0));
}

TEST(Checksum, FoldHandlesLargeSums) {
  LONGS_EQUAL(0, checksum_fold(0));
  LONGS_EQUAL(0xffff, checksum_fold(0xffff));
  LONGS_EQUAL(1, checksum_fold(0x10000));
  LONGS_EQUAL(0xffff, checksum_fold(0xffffffffffffffffull));
  // 2^32 + 0xffff * 2^16 is 1 modulo 0xffff.
  LONGS_EQUAL(1, checksum_fold(0x1ffff0000ull));
}

TEST(Checksum, Ipv4HeaderOfTheTextbookExample) {
  // The usual worked example of the IPv4 header checksum: 0xb861.
  const uint8_t hdr[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                           0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  LONGS_EQUAL(0xb861, checksum_finish(checksum_add(hdr, sizeof hdr, 0)));
  uint8_t with[20];
  std::copy(hdr, hdr + 20, with);
  with[10] = 0xb8;
  with[11] = 0x61;
  LONGS_EQUAL(0xffff, checksum_fold(checksum_add(with, sizeof with, 0)));
}

TEST(Checksum, PseudoHeaderOfIpv4AndIpv6) {
  const uint8_t s4[4] = {10, 0, 0, 1}, d4[4] = {10, 0, 0, 2};
  uint32_t want = reference_sum(s4, 4, 0);
  want = reference_sum(d4, 4, want);
  want = reference_sum(nullptr, 0, want + 6 + 1480);
  LONGS_EQUAL(want, pseudo_header_sum(false, s4, d4, 6, 1480));

  uint8_t s6[16], d6[16];
  for (int i = 0; i < 16; ++i) {
    s6[i] = static_cast<uint8_t>(0xfd + i * 17);
    d6[i] = static_cast<uint8_t>(0x20 + i * 29);
  }
  // A length above 65535 (IPv6 jumbograms) is summed as two 16-bit words.
  uint32_t w6 = reference_sum(s6, 16, 0);
  w6 = reference_sum(d6, 16, w6);
  w6 = reference_sum(nullptr, 0, w6 + 17 + 0x1 + 0x0004);
  LONGS_EQUAL(w6, pseudo_header_sum(true, s6, d6, 17, 0x10004));
}

TEST(Checksum, TcpChecksumOfASynWithOptionsAgreesWithTheReference) {
  // An IPv4/TCP SYN with MSS, SACK, timestamp and window-scale options and
  // an empty checksum field.
  const uint8_t pkt[] = {
      0x45, 0x00, 0x00, 0x3c, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00, 0xac, 0x10,
      0x0a, 0x63, 0xac, 0x10, 0x0a, 0x0c, 0xa0, 0x8b, 0x00, 0x16, 0x8d, 0x0d, 0xe4, 0xe8,
      0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0x72, 0x10, 0x00, 0x00, 0x00, 0x00, 0x02, 0x04,
      0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x49, 0x8f, 0x3e, 0x00, 0x00, 0x00, 0x00,
      0x01, 0x03, 0x03, 0x07};
  std::vector<uint8_t> p(pkt, pkt + sizeof pkt);
  // Compute the TCP checksum with the reference, then check the fast path
  // agrees on both the value and the verification.
  uint32_t ref = reference_sum(p.data() + 12, 8, 0);
  ref = reference_sum(nullptr, 0, ref + 6 + 40);
  ref = reference_sum(p.data() + 20, 40, ref);
  uint16_t want = static_cast<uint16_t>(~ref);
  uint32_t fast = pseudo_header_sum(false, p.data() + 12, p.data() + 16, 6, 40);
  LONGS_EQUAL(want, checksum_finish(checksum_add(p.data() + 20, 40, fast)));
  p[36] = static_cast<uint8_t>(want >> 8);
  p[37] = static_cast<uint8_t>(want);
  fast = pseudo_header_sum(false, p.data() + 12, p.data() + 16, 6, 40);
  LONGS_EQUAL(0xffff, checksum_fold(checksum_add(p.data() + 20, 40, fast)));
}
