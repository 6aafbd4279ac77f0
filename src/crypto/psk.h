// Key stretching for shared-key networks: the configured shared_key
// becomes the 32-byte Noise PSK mixed into every handshake.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace braid::crypto {

// Argon2id (libsodium's crypto_pwhash, OPSLIMIT/MEMLIMIT_INTERACTIVE:
// two passes over 64 MiB, about a tenth of a second), so a guessed key
// costs an attacker the same for every guess.
//
// The salt is BLAKE2b-128("braid psk salt v1" || magic): it comes from the
// network magic, so two networks with the same shared key but different
// magics get different PSKs, and a table precomputed for one network is
// useless for another. Every node of a network derives the same PSK
// without any exchange.
//
// Fatal only when libsodium cannot get the memory; run it once at start-up.
std::array<uint8_t, 32> derive_psk(std::string_view shared_key,
                                   std::span<const uint8_t, 4> magic);

}  // namespace braid::crypto
