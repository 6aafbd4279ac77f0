// The text form of keys, certificates and revocation lists in files:
//
//   -----BEGIN BRAID CERTIFICATE-----
//   base64 (standard alphabet, padded), lines of at most 64 characters
//   -----END BRAID CERTIFICATE-----
//
// Text before BEGIN and after END is ignored (room for a human-readable
// note); lines may end in CRLF.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace braid::identity {

// Labels in use.
inline constexpr const char* kLabelCertificate = "BRAID CERTIFICATE";
inline constexpr const char* kLabelRevocationList = "BRAID REVOCATION LIST";
inline constexpr const char* kLabelCaKey = "BRAID CA PRIVATE KEY";          // Ed25519 seed, 32 bytes
inline constexpr const char* kLabelNodeKey = "BRAID NODE PRIVATE KEY";      // X25519, 32 bytes
inline constexpr const char* kLabelNodePublicKey = "BRAID NODE PUBLIC KEY"; // X25519, 32 bytes

std::string armor(std::string_view label, std::span<const uint8_t> data);
// The data of the first block with this label. False with *why set when
// there is none, the END line is missing or does not match, the base64 is
// invalid, or the data exceeds max_len bytes.
bool dearmor(std::string_view text, std::string_view label, size_t max_len,
             std::vector<uint8_t>* out, std::string* why);
// Every block with this label, in order (a file may hold several CA
// certificates). False on the first bad block; true with none found.
bool dearmor_all(std::string_view text, std::string_view label, size_t max_len,
                 std::vector<std::vector<uint8_t>>* out, std::string* why);

}  // namespace braid::identity
