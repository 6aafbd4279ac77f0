// libsodium start-up and CPU feature checks.
#include "crypto/sodium.h"

#include <sodium.h>

#include "common/log.h"

namespace braid::crypto {

void init() {
  // sodium_init is itself idempotent and thread safe; 1 means "already done".
  if (sodium_init() < 0) fatalx("libsodium could not be initialized");
}

bool aes256gcm_available() {
  init();
  return crypto_aead_aes256gcm_is_available() == 1;
}

std::array<uint8_t, 32> sha256(std::span<const uint8_t> data) {
  init();
  std::array<uint8_t, 32> out;
  crypto_hash_sha256(out.data(), data.data(), data.size());
  return out;
}

}  // namespace braid::crypto
