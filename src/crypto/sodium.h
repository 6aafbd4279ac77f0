// libsodium start-up and the few primitives used outside the Noise layer:
// CPU feature checks and SHA-256 (for "--magic hash:STRING").
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace braid::crypto {

// Initializes libsodium; fatal when it cannot be initialized. Idempotent,
// and every other function of this library calls it, so callers need not.
void init();

// True when this CPU has the instructions libsodium needs for AES-256-GCM
// (AES-NI and PCLMUL). Without them AES-GCM is not offered at all: a
// software fallback would be slow and not constant time.
bool aes256gcm_available();

std::array<uint8_t, 32> sha256(std::span<const uint8_t> data);

}  // namespace braid::crypto
