// The Internet checksum (RFC 1071) of IPv4 headers and of TCP and UDP over
// IPv4 and IPv6: what the offload code computes when it cuts a device
// super-packet into segments or joins received segments into one.
#pragma once

#include <cstddef>
#include <cstdint>

namespace braid::engine {

// Adds `data`, read as big-endian 16-bit words, to the running
// ones-complement sum `sum` and returns the new sum folded to 16 bits (so
// chaining never overflows). Pieces of one summed region may be chained;
// each must start at an even offset of the region, and only the last may
// have an odd length (its last byte counts as the high byte of a word
// padded with zero). Eight bytes per step: this runs over every payload byte
// the offload code touches.
uint32_t checksum_add(const uint8_t* data, size_t len, uint32_t sum);

// Folds the carries of a sum into 16 bits, not complemented.
uint16_t checksum_fold(uint64_t sum);

// The value to store in a checksum field: the complement of the folded sum.
inline uint16_t checksum_finish(uint64_t sum) {
  return static_cast<uint16_t>(~checksum_fold(sum));
}

// The sum of the TCP/UDP pseudo-header: addresses (4 bytes each, or 16 for
// IPv6), protocol and transport length (header and payload). Folded to 16
// bits, not complemented: exactly what a checksum-offloading sender leaves in
// the checksum field for the device to complete.
uint32_t pseudo_header_sum(bool v6, const uint8_t* src, const uint8_t* dst, uint8_t proto,
                           uint32_t length);

}  // namespace braid::engine
