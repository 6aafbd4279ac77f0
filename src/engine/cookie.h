// What makes a handshake initiation cheap to refuse (WireGuard's defence,
// adapted to braid's XX handshake):
//
//   mac1  every initiation ends with mac1 and mac2 (16 bytes each). mac1
//         is keyed by something a member knows — the responder's node id
//         when the initiator knows it, else the network (its PSK, or a
//         trusted CA's public key) — so a stranger's initiation costs one
//         BLAKE2b and is dropped before any Diffie-Hellman.
//   mac2  while the responder is under load, it answers an initiation
//         that has no valid mac2 with a cookie reply instead of processing
//         it. The cookie is a MAC of the sender's address under a secret
//         renewed every two minutes, sent encrypted so only the holder of
//         the mac1 key can read it; mac2 keyed by it proves the sender
//         receives packets at its source address, so per-source limits
//         then hold against spoofing.
//
// doc/protocol.md ("Initiation MACs and cookies") has the bytes.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "engine/endpoint.h"
#include "engine/wire.h"

namespace braid::engine {

constexpr size_t kMacLen = 16;
constexpr size_t kCookieLen = 16;
constexpr size_t kCookieNonceLen = 24;
// magic, type, receiver index, nonce, sealed cookie (cookie + tag)
constexpr size_t kCookieReplyLen = kPrefixLen + kIndexLen + kCookieNonceLen + kCookieLen + kTagLen;  // 65
// A cookie is renewed this often by the responder; an initiator uses one
// for a little less.
constexpr uint64_t kCookieSecretLifetimeNs = 120ull * 1000000000ull;
constexpr uint64_t kCookieUseNs = 110ull * 1000000000ull;

// The keys derived from one piece of key material (a node id, the PSK, a
// CA public key, or nothing in plain mode).
struct MacKey {
  std::array<uint8_t, 32> mac1{};
  std::array<uint8_t, 32> cookie{};   // seals cookie replies
  bool operator==(const MacKey&) const = default;
};
MacKey derive_mac_key(const Magic& magic, std::span<const uint8_t> material);

// pkt: a whole initiation, whose last 32 bytes are mac1 || mac2.
void write_mac1(std::span<uint8_t> pkt, const MacKey& key);
bool check_mac1(std::span<const uint8_t> pkt, const MacKey& key);
void write_mac2(std::span<uint8_t> pkt, std::span<const uint8_t, kCookieLen> cookie);
bool check_mac2(std::span<const uint8_t> pkt, std::span<const uint8_t, kCookieLen> cookie);

// The responder's side: cookies for source addresses, and whether it is
// under load (more valid-mac1 initiations in the last second than it
// wants to process without proof of address).
class CookieChecker {
 public:
  explicit CookieChecker(uint64_t under_load_per_sec) : threshold_(under_load_per_sec) {}
  // Counts one initiation with a valid mac1; true when the node is under
  // load and such initiations need a valid mac2.
  bool note_initiation(uint64_t now_ns);
  // mac2 of pkt is valid for a cookie of `from` (current or previous
  // secret). Remembers the current cookie of `from` for make_reply.
  bool check(std::span<const uint8_t> pkt, const Endpoint& from, uint64_t now_ns);
  // A cookie reply to the initiation pkt from `from`, sealed with key;
  // call right after check() for the same packet, whose cookie it uses.
  void make_reply(std::span<const uint8_t> pkt, const Endpoint& from, const MacKey& key,
                  const Magic& magic, std::span<uint8_t, kCookieReplyLen> out);

 private:
  void rotate(uint64_t now_ns);
  std::array<uint8_t, kCookieLen> cookie_for(const std::array<uint8_t, 32>& secret,
                                             const Endpoint& from) const;

  uint64_t threshold_;
  uint64_t window_start_ns_ = 0;
  uint64_t count_ = 0, previous_count_ = 0;
  std::array<uint8_t, 32> secret_{}, previous_secret_{};
  uint64_t secret_born_ns_ = 0;
  bool has_secret_ = false;
  // The current cookie of the source check() saw last.
  Endpoint last_from_;
  std::array<uint8_t, kCookieLen> last_cookie_{};
  // Reply nonces: a random prefix drawn once and a counter, unique
  // without a system call per reply (XChaCha20's nonce is large enough).
  std::array<uint8_t, kCookieNonceLen - 8> nonce_prefix_{};
  uint64_t nonce_counter_ = 0;
};

// The initiator's side: cookies received, by the responder address they
// are for. Small and bounded; the oldest entry makes room.
class CookieJar {
 public:
  static constexpr size_t kMaxEntries = 64;
  // Opens a cookie reply for an initiation we sent with mac1 `sent_mac1`
  // under `key`; stores the cookie for `to`. False when it does not open.
  bool accept_reply(std::span<const uint8_t> reply, const MacKey& key,
                    std::span<const uint8_t, kMacLen> sent_mac1, const Endpoint& to,
                    uint64_t now_ns);
  // The cookie for `to` while fresh.
  const std::array<uint8_t, kCookieLen>* find(const Endpoint& to, uint64_t now_ns) const;

 private:
  struct Entry {
    Endpoint to;
    std::array<uint8_t, kCookieLen> cookie{};
    uint64_t received_ns = 0;
  };
  std::vector<Entry> entries_;
};

}  // namespace braid::engine
