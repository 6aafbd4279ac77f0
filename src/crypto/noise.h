// A generic Noise Protocol Framework implementation (revision 34) for
// DH 25519, ciphers ChaChaPoly and AESGCM, hash BLAKE2b: every one-way,
// fundamental and deferred pattern, with pre-messages and psk modifiers.
// It runs the handshakes; per-packet transport crypto is TransportKey's job
// (aead.h), fed with the keys split() gives.
//
// Nothing here aborts on input from the network: a bad message makes
// read_message() return false and leaves the handshake unusable.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "crypto/aead.h"
#include "crypto/hash.h"
#include "crypto/pattern.h"

namespace braid::crypto {

constexpr size_t kKeyLen = 32;     // X25519 keys, cipher keys, PSKs
constexpr size_t kTagLen = 16;     // AEAD tag
constexpr size_t kMaxMessageLen = 65535;  // Noise's limit on any message

using Key = std::array<uint8_t, kKeyLen>;

enum class CipherKind : uint8_t { kChaChaPoly, kAesGcm };

// Noise CipherState (section 5.1): a key (or none) and a 64-bit nonce.
// Move-only; the key is wiped on destruction and when moved from.
class CipherState {
 public:
  explicit CipherState(CipherKind kind = CipherKind::kChaChaPoly) : kind_(kind) {}
  ~CipherState();
  CipherState(CipherState&& other) noexcept;
  CipherState& operator=(CipherState&& other) noexcept;
  CipherState(const CipherState&) = delete;
  CipherState& operator=(const CipherState&) = delete;
  // An explicit copy, key included; copies of secrets are never implicit.
  CipherState clone() const;

  // A 32-byte key, or an empty span for "no key"; resets the nonce to 0.
  void initialize_key(std::span<const uint8_t> key32);
  bool has_key() const { return has_key_; }
  void set_nonce(uint64_t n) { n_ = n; }
  uint64_t nonce() const { return n_; }

  // Appends ciphertext || tag (or the plaintext unchanged when there is no
  // key) to out, which must not overlap pt. False when the nonce is
  // exhausted (2^64-1 is reserved).
  bool encrypt_with_ad(std::span<const uint8_t> ad, std::span<const uint8_t> pt,
                       std::vector<uint8_t>& out);
  // Appends the plaintext to out; false (out unchanged, nonce unchanged) on
  // a bad tag, a short ciphertext or an exhausted nonce.
  bool decrypt_with_ad(std::span<const uint8_t> ad, std::span<const uint8_t> ct,
                       std::vector<uint8_t>& out);
  // Noise's Rekey(): the key becomes ENCRYPT(k, 2^64-1, "", zeros)[0..32).
  void rekey();

  // The raw key, for handing it to the transport (see to_transport_key);
  // 32 bytes, meaningful only when has_key().
  const uint8_t* key() const { return k_.data(); }
  CipherKind kind() const { return kind_; }

 private:
  void wipe();
  bool seal(uint64_t n, std::span<const uint8_t> ad, std::span<const uint8_t> pt,
            uint8_t* out) const;

  CipherKind kind_;
  bool has_key_ = false;
  Key k_{};
  uint64_t n_ = 0;
};

// A transport key holding the same key and cipher, so packets sealed with
// counter n equal CipherState::encrypt_with_ad at nonce n.
TransportKey to_transport_key(const CipherState& cs);

// Noise SymmetricState (section 5.2) with BLAKE2b.
class SymmetricState {
 public:
  explicit SymmetricState(CipherKind kind) : cs_(kind) {}
  ~SymmetricState();
  SymmetricState(SymmetricState&&) noexcept = default;
  SymmetricState& operator=(SymmetricState&&) noexcept = default;
  SymmetricState clone() const;

  void initialize(std::string_view protocol_name);
  void mix_key(std::span<const uint8_t> ikm);
  void mix_hash(std::span<const uint8_t> data);
  void mix_key_and_hash(std::span<const uint8_t> ikm);
  bool has_key() const { return cs_.has_key(); }
  bool encrypt_and_hash(std::span<const uint8_t> pt, std::vector<uint8_t>& out);
  bool decrypt_and_hash(std::span<const uint8_t> ct, std::vector<uint8_t>& out);
  std::pair<CipherState, CipherState> split() const;
  const Digest& handshake_hash() const { return h_; }

 private:
  CipherState cs_;
  Digest ck_{};
  Digest h_{};
};

struct HandshakeConfig {
  std::string protocol_name;  // e.g. "Noise_XXpsk0_25519_ChaChaPoly_BLAKE2b"
  bool initiator = false;
  std::vector<uint8_t> prologue;
  std::optional<Key> static_private;     // s (the public key is derived)
  std::optional<Key> ephemeral_private;  // fixed e: tests and e pre-messages only
  std::optional<Key> remote_static;      // rs, when the pattern pre-knows it
  std::optional<Key> remote_ephemeral;   // re, for a pattern with an e pre-message
  std::vector<Key> psks;                 // one per psk token, in token order
};

// Noise HandshakeState (section 5.3). Move-only; secrets are wiped on
// destruction.
class HandshakeState {
 public:
  // nullopt and *error set on an unknown or unsupported protocol name, a
  // missing key the pattern needs, the wrong number of PSKs, or AESGCM on a
  // CPU without AES-NI.
  static std::optional<HandshakeState> create(const HandshakeConfig& config,
                                              std::string* error);
  ~HandshakeState();
  HandshakeState(HandshakeState&&) noexcept = default;
  HandshakeState& operator=(HandshakeState&&) noexcept = default;
  HandshakeState(const HandshakeState&) = delete;
  HandshakeState& operator=(const HandshakeState&) = delete;
  // An explicit copy of the whole state: a responder keeps one before
  // reading a message that may be forged, so a failed read does not cost
  // it the genuine handshake.
  HandshakeState clone() const;

  // Appends the next handshake message carrying payload to out. False (out
  // unchanged) when it is not our turn, the handshake is over or failed,
  // a DH gives the all-zero output, or the message would exceed 65535 bytes.
  bool write_message(std::span<const uint8_t> payload, std::vector<uint8_t>& out);
  // Processes the peer's next message and appends its payload to
  // payload_out. False on any length, authentication or DH failure, or when
  // it is not the peer's turn; the handshake is then unusable (failed()).
  bool read_message(std::span<const uint8_t> message, std::vector<uint8_t>& payload_out);

  bool finished() const { return next_ >= pattern_.messages.size(); }
  bool failed() const { return failed_; }
  bool is_my_turn_to_write() const;
  bool is_initiator() const { return initiator_; }

  // The transport keys: (initiator->responder, responder->initiator).
  // Only meaningful once finished(); empty CipherStates before.
  std::pair<CipherState, CipherState> split() const;
  // h: 64 bytes, the same on both sides once the handshake is finished;
  // a session identifier for channel binding.
  std::span<const uint8_t> handshake_hash() const { return ss_.handshake_hash(); }

  const Key& remote_static() const { return rs_; }
  bool has_remote_static() const { return has_rs_; }
  const Key& local_static_public() const { return s_pub_; }
  const Key& local_ephemeral_public() const { return e_pub_; }
  CipherKind cipher_kind() const { return kind_; }

 private:
  explicit HandshakeState(CipherKind kind) : kind_(kind), ss_(kind) {}
  bool dh(const Key& priv, const Key& pub);
  bool mix_token(Token t);
  bool write_tokens(std::span<const uint8_t> payload, std::vector<uint8_t>& out);
  bool read_tokens(std::span<const uint8_t> message, std::vector<uint8_t>& payload_out);
  void mix_ephemeral(const Key& pub);
  void finish_if_done();

  CipherKind kind_;
  SymmetricState ss_;
  HandshakePattern pattern_;
  size_t next_ = 0;  // index of the next message in pattern_.messages
  bool initiator_ = false;
  bool failed_ = false;
  bool has_s_ = false, has_e_ = false, has_rs_ = false, has_re_ = false;
  Key s_priv_{}, s_pub_{}, e_priv_{}, e_pub_{}, rs_{}, re_{};
  std::optional<Key> fixed_e_;
  // PSKs, wiped whenever their storage is given up (destruction, or being
  // assigned over), which a plain vector would not do.
  struct WipedKeys {
    std::vector<Key> keys;
    WipedKeys() = default;
    WipedKeys(WipedKeys&& other) noexcept = default;
    WipedKeys& operator=(WipedKeys&& other) noexcept;
    ~WipedKeys() { wipe(); }
    void wipe();
  };
  WipedKeys psks_;
  size_t next_psk_ = 0;
};

// A fresh X25519 key pair from the system's random source.
void generate_keypair(Key& priv, Key& pub);
// The X25519 public key of a private key.
Key public_key(const Key& priv);

}  // namespace braid::crypto
