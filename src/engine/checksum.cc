// The Internet checksum, eight bytes per step.
#include "engine/checksum.h"

#include <bit>
#include <cstring>

namespace braid::engine {
namespace {

// The ones-complement sum does not depend on byte order (RFC 1071, 2.B):
// words are summed in the machine's order and the folded result swapped
// once at the end on a little-endian machine.
uint16_t to_big_endian(uint16_t v) {
  if constexpr (std::endian::native == std::endian::little)
    return static_cast<uint16_t>(v << 8 | v >> 8);
  return v;
}

uint64_t load64(const uint8_t* p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

}  // namespace

uint16_t checksum_fold(uint64_t sum) {
  sum = (sum & 0xffffffff) + (sum >> 32);
  sum = (sum & 0xffffffff) + (sum >> 32);
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

uint32_t checksum_add(const uint8_t* data, size_t len, uint32_t sum) {
  // Each 64-bit load is added as two 32-bit halves into 64-bit
  // accumulators, which cannot overflow before 2^32 steps: no carry
  // handling in the loop, and the four chains run in parallel.
  uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  while (len >= 32) {
    uint64_t w0 = load64(data), w1 = load64(data + 8);
    uint64_t w2 = load64(data + 16), w3 = load64(data + 24);
    a0 += (w0 & 0xffffffff) + (w0 >> 32);
    a1 += (w1 & 0xffffffff) + (w1 >> 32);
    a2 += (w2 & 0xffffffff) + (w2 >> 32);
    a3 += (w3 & 0xffffffff) + (w3 >> 32);
    data += 32;
    len -= 32;
  }
  while (len >= 8) {
    uint64_t w = load64(data);
    a0 += (w & 0xffffffff) + (w >> 32);
    data += 8;
    len -= 8;
  }
  // The tail, zero-padded to eight bytes, in the same machine order.
  if (len > 0) {
    uint8_t tail[8] = {};
    memcpy(tail, data, len);
    uint64_t w = load64(tail);
    a1 += (w & 0xffffffff) + (w >> 32);
  }
  uint64_t total = (a0 & 0xffffffff) + (a0 >> 32) + (a1 & 0xffffffff) + (a1 >> 32) +
                   (a2 & 0xffffffff) + (a2 >> 32) + (a3 & 0xffffffff) + (a3 >> 32);
  return checksum_fold(static_cast<uint64_t>(to_big_endian(checksum_fold(total))) + sum);
}

uint32_t pseudo_header_sum(bool v6, const uint8_t* src, const uint8_t* dst, uint8_t proto,
                           uint32_t length) {
  size_t alen = v6 ? 16 : 4;
  uint32_t sum = checksum_add(src, alen, 0);
  sum = checksum_add(dst, alen, sum);
  return checksum_fold(static_cast<uint64_t>(sum) + proto + (length >> 16) + (length & 0xffff));
}

}  // namespace braid::engine
