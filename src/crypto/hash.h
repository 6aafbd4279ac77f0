// BLAKE2b-512, HMAC-BLAKE2b and the HKDF of the Noise specification
// (revision 34, section 4.3): the hash functions of the Noise layer.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace braid::crypto {

constexpr size_t kHashLen = 64;    // BLAKE2b-512 output (Noise HASHLEN)
constexpr size_t kBlockLen = 128;  // BLAKE2b block (Noise BLOCKLEN, HMAC's B)

using Digest = std::array<uint8_t, kHashLen>;

// BLAKE2b with 64-byte output and no key.
Digest blake2b(std::span<const uint8_t> data);
// BLAKE2b of the concatenation a || b, without building it.
Digest blake2b(std::span<const uint8_t> a, std::span<const uint8_t> b);

// HMAC (RFC 2104) over BLAKE2b with a block size of 128 bytes, as Noise
// defines it. This is not BLAKE2b's own keyed mode, which gives different
// output.
Digest hmac_blake2b(std::span<const uint8_t> key, std::span<const uint8_t> data);

// Noise's HKDF(chaining_key, input_key_material, 2 or 3). The caller wipes
// the outputs when they hold secrets.
void hkdf2(std::span<const uint8_t> chaining_key, std::span<const uint8_t> ikm,
           Digest& out1, Digest& out2);
void hkdf3(std::span<const uint8_t> chaining_key, std::span<const uint8_t> ikm,
           Digest& out1, Digest& out2, Digest& out3);

}  // namespace braid::crypto
