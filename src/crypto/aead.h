// The transport (per-packet) AEAD: one direction's key, sealing and opening
// in place with no allocation. Nonces are built from the packet counter
// exactly as Noise builds them for the same cipher, so a key split off a
// Noise handshake (CipherState::key()) is used here unchanged.
#pragma once

#include <sodium.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace braid::crypto {

enum class TransportCipher : uint8_t {
  kChaCha20Poly1305 = 1,
  kAes256Gcm = 2,
  kNone = 3,  // explicit plaintext mode ("crypto = plain"): no tag, no secrecy
};

class TransportKey {
 public:
  static constexpr size_t kKeyLen = 32;
  static constexpr size_t kTagLen = 16;

  TransportKey() = default;  // empty: valid() is false, open() fails
  // Fatal when kAes256Gcm is asked for on a CPU without AES-NI: callers
  // check aes256gcm_available() when the configuration is read.
  TransportKey(TransportCipher cipher, std::span<const uint8_t, kKeyLen> key);
  ~TransportKey();
  TransportKey(TransportKey&& other) noexcept;
  TransportKey& operator=(TransportKey&& other) noexcept;
  TransportKey(const TransportKey&) = delete;
  TransportKey& operator=(const TransportKey&) = delete;

  bool valid() const { return valid_; }
  TransportCipher cipher() const { return cipher_; }
  // 16, or 0 for kNone.
  size_t tag_len() const { return cipher_ == TransportCipher::kNone ? 0 : kTagLen; }

  // Encrypts buf[0..len) in place and writes tag_len() bytes to tag.
  // The counter must never repeat under one key, and the caller must refuse
  // counter 2^64-1 (Noise reserves it; a session rekeys long before).
  // Sealing with an empty key is a programming error and fatal: it would
  // otherwise put plaintext on the wire.
  void seal(uint64_t counter, std::span<const uint8_t> ad, uint8_t* buf, size_t len,
            uint8_t* tag) const;
  // Checks the tag and decrypts buf[0..len) in place. False on any
  // failure (bad tag, empty key, counter 2^64-1); buf is then unspecified
  // and must be dropped. Never fatal: any packet can be forged.
  bool open(uint64_t counter, std::span<const uint8_t> ad, uint8_t* buf, size_t len,
            const uint8_t* tag) const;

 private:
  struct AesStateDeleter {
    void operator()(crypto_aead_aes256gcm_state* st) const;
  };
  void wipe();

  TransportCipher cipher_ = TransportCipher::kNone;
  bool valid_ = false;
  std::array<uint8_t, kKeyLen> key_{};
  // The expanded AES key schedule; libsodium wants it 16-byte aligned,
  // which the type's own alignment gives through operator new.
  std::unique_ptr<crypto_aead_aes256gcm_state, AesStateDeleter> aes_;
};

// The 12-byte AEAD nonces Noise defines: 4 zero bytes, then the counter
// little-endian (ChaChaPoly) or big-endian (AESGCM).
void chacha_nonce(uint64_t counter, uint8_t out[12]);
void aesgcm_nonce(uint64_t counter, uint8_t out[12]);

}  // namespace braid::crypto
