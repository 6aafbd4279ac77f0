// Argon2id stretching of the shared key, salted by the network magic.
#include "crypto/psk.h"

#include <sodium.h>

#include "common/log.h"
#include "crypto/sodium.h"

namespace braid::crypto {

namespace {

constexpr char kSaltLabel[] = "braid psk salt v1";  // versioned: changing it splits networks

}  // namespace

std::array<uint8_t, 32> derive_psk(std::string_view shared_key,
                                   std::span<const uint8_t, 4> magic) {
  init();
  static_assert(crypto_pwhash_SALTBYTES == 16);
  std::array<uint8_t, crypto_pwhash_SALTBYTES> salt;
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, salt.size());
  crypto_generichash_update(&st, reinterpret_cast<const uint8_t*>(kSaltLabel),
                            sizeof kSaltLabel - 1);
  crypto_generichash_update(&st, magic.data(), magic.size());
  crypto_generichash_final(&st, salt.data(), salt.size());

  // crypto_pwhash declares every pointer non-null, even for an empty key.
  const char* key = shared_key.empty() ? "" : shared_key.data();
  std::array<uint8_t, 32> psk;
  // With these fixed, valid parameters the only failure is memory.
  if (crypto_pwhash(psk.data(), psk.size(), key, shared_key.size(), salt.data(),
                    crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                    crypto_pwhash_ALG_ARGON2ID13) != 0)
    fatalx("out of memory deriving the PSK from the shared key (Argon2id needs %zu MiB)",
           static_cast<size_t>(crypto_pwhash_MEMLIMIT_INTERACTIVE >> 20));
  return psk;
}

}  // namespace braid::crypto
