// The claims control message (ControlType::kClaims): the subnets a node
// routes to, sent to its peers in router mode. Body after the type byte:
//
//   count u8 (0..kMaxClaims)
//   count x { family u8 (4 or 6), len u8 (0..32 or 0..128),
//             addr (4 or 16 bytes, the bits past len zero) }
//
// One encoding per list: parse_claims() refuses anything write_claims()
// would not have written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "identity/prefix.h"

namespace braid::engine {

// As many as a router keeps per peer (RouterForwarder::kMaxClaimsPerPeer).
constexpr size_t kMaxClaims = 64;
// The longest body: the count and kMaxClaims IPv6 entries. A buffer of
// this size always holds what write_claims() writes.
constexpr size_t kMaxClaimsBodyLen = 1 + kMaxClaims * (2 + 16);

// Appends the body (without the type byte) to out; at most kMaxClaims
// entries are written. Entries of another family than 4 or 6 or with a
// length past the family's are left out, and bits past the length are
// written as zero, so what is written always parses. Returns the number
// written; out.ok() says whether the buffer had room.
size_t write_claims(std::span<const identity::IpPrefix> claims, ByteWriter& out);

// Parses the body (without the type byte): false with *why for a bad
// count, family, length, non-zero host bits, trailing bytes or a truncated
// entry; *out is then unspecified.
bool parse_claims(std::span<const uint8_t> body, std::vector<identity::IpPrefix>* out,
                  std::string* why);

}  // namespace braid::engine
