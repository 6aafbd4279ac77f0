// The transport AEAD on libsodium's detached, in-place functions.
#include "crypto/aead.h"

#include <cstring>
#include <utility>

#include "common/bytes.h"
#include "common/log.h"
#include "crypto/sodium.h"

namespace braid::crypto {

void chacha_nonce(uint64_t counter, uint8_t out[12]) {
  memset(out, 0, 4);
  for (int i = 0; i < 8; ++i) out[4 + i] = static_cast<uint8_t>(counter >> (8 * i));
}

void aesgcm_nonce(uint64_t counter, uint8_t out[12]) {
  memset(out, 0, 4);
  put_be64(out + 4, counter);
}

void TransportKey::AesStateDeleter::operator()(crypto_aead_aes256gcm_state* st) const {
  sodium_memzero(st, sizeof *st);
  delete st;
}

TransportKey::TransportKey(TransportCipher cipher, std::span<const uint8_t, kKeyLen> key)
    : cipher_(cipher), valid_(true) {
  init();
  std::copy(key.begin(), key.end(), key_.begin());
  if (cipher_ == TransportCipher::kAes256Gcm) {
    if (!aes256gcm_available()) fatalx("AES-256-GCM asked for but this CPU lacks AES-NI");
    aes_.reset(new crypto_aead_aes256gcm_state);
    crypto_aead_aes256gcm_beforenm(aes_.get(), key_.data());
    // The schedule is all the cipher needs from now on.
    sodium_memzero(key_.data(), key_.size());
  }
}

TransportKey::~TransportKey() { wipe(); }

TransportKey::TransportKey(TransportKey&& other) noexcept
    : cipher_(other.cipher_), valid_(other.valid_), key_(other.key_),
      aes_(std::move(other.aes_)) {
  other.wipe();
}

TransportKey& TransportKey::operator=(TransportKey&& other) noexcept {
  if (this != &other) {
    wipe();
    cipher_ = other.cipher_;
    valid_ = other.valid_;
    key_ = other.key_;
    aes_ = std::move(other.aes_);
    other.wipe();
  }
  return *this;
}

void TransportKey::wipe() {
  sodium_memzero(key_.data(), key_.size());
  aes_.reset();
  valid_ = false;
  cipher_ = TransportCipher::kNone;
}

void TransportKey::seal(uint64_t counter, std::span<const uint8_t> ad, uint8_t* buf,
                        size_t len, uint8_t* tag) const {
  if (!valid_) fatalx("transport seal with an empty key");
  // libsodium declares the buffers non-null even when empty.
  uint8_t empty = 0;
  if (buf == nullptr) buf = &empty;
  uint8_t nonce[12];
  switch (cipher_) {
    case TransportCipher::kChaCha20Poly1305:
      chacha_nonce(counter, nonce);
      crypto_aead_chacha20poly1305_ietf_encrypt_detached(
          buf, tag, nullptr, buf, len, ad.data(), ad.size(), nullptr, nonce, key_.data());
      break;
    case TransportCipher::kAes256Gcm:
      aesgcm_nonce(counter, nonce);
      crypto_aead_aes256gcm_encrypt_detached_afternm(
          buf, tag, nullptr, buf, len, ad.data(), ad.size(), nullptr, nonce, aes_.get());
      break;
    case TransportCipher::kNone:
      break;
  }
}

bool TransportKey::open(uint64_t counter, std::span<const uint8_t> ad, uint8_t* buf,
                        size_t len, const uint8_t* tag) const {
  if (!valid_ || counter == UINT64_MAX) return false;
  uint8_t empty = 0;
  if (buf == nullptr) buf = &empty;
  uint8_t nonce[12];
  switch (cipher_) {
    case TransportCipher::kChaCha20Poly1305:
      chacha_nonce(counter, nonce);
      return crypto_aead_chacha20poly1305_ietf_decrypt_detached(
                 buf, nullptr, buf, len, tag, ad.data(), ad.size(), nonce, key_.data()) == 0;
    case TransportCipher::kAes256Gcm:
      aesgcm_nonce(counter, nonce);
      return crypto_aead_aes256gcm_decrypt_detached_afternm(
                 buf, nullptr, buf, len, tag, ad.data(), ad.size(), nonce, aes_.get()) == 0;
    case TransportCipher::kNone:
      return true;
  }
  return false;
}

}  // namespace braid::crypto
