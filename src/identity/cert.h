// Certificates and revocation lists: what a network's CA signs, in the
// binary encoding doc/protocol.md describes ("Certificates"). Parsing is
// strict (every field known, in order, within its limits, the whole input
// consumed) because the bytes come from the network inside handshakes.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "identity/prefix.h"

namespace braid::identity {

constexpr uint8_t kCertVersion = 1;
// Certificates travel inside a handshake message, which must fit one UDP
// datagram on any path; a CA cannot sign anything larger.
constexpr size_t kMaxCertLen = 1024;
constexpr size_t kMaxNameLen = 64;
constexpr size_t kMaxGroupLen = 32;
constexpr size_t kMaxAddresses = 8;
constexpr size_t kMaxClaims = 32;
constexpr size_t kMaxMacRanges = 8;
constexpr size_t kMaxGroups = 8;
// A revocation list holds at most this many fingerprints (64 KiB of IPC
// payload with room to spare).
constexpr size_t kMaxRevoked = 1500;
// The largest encoding of a revocation list: header, issuer, issued_at,
// kMaxRevoked fingerprints and the signature, each field with its 3-byte
// tag and length.
constexpr size_t kMaxRevocationListLen = 2 + (3 + 16) + (3 + 8) + kMaxRevoked * (3 + 32) + (3 + 64);
// Domain separation: what each signature covers starts with one of these,
// so a signature over one kind of object never verifies as another.
inline constexpr char kCertSignatureContext[] = "braid certificate v1";
inline constexpr char kRevocationSignatureContext[] = "braid revocation list v1";

using PublicKey = std::array<uint8_t, 32>;
// Identifies a CA key: BLAKE2b with a 16-byte output over the CA's Ed25519
// public key.
using KeyId = std::array<uint8_t, 16>;
// Identifies one certificate: BLAKE2b-256 of its whole encoding, signature
// included. Revocation lists name certificates by it.
using Fingerprint = std::array<uint8_t, 32>;
using Signature = std::array<uint8_t, 64>;

enum class CertKind : uint8_t { kCa = 1, kNode = 2 };

struct Certificate {
  CertKind kind = CertKind::kNode;
  // 1..kMaxNameLen bytes of [A-Za-z0-9._-].
  std::string name;
  // A node: its static X25519 public key (= its node id). A CA: its
  // Ed25519 public key.
  PublicKey public_key{};
  // Unix seconds; valid when not_before <= now < not_after.
  uint64_t not_before = 0;
  uint64_t not_after = 0;
  // The key id of the CA that signed it (a CA's own for a CA certificate).
  KeyId issuer{};
  // Node only: its overlay addresses (host address / network length).
  std::vector<IpPrefix> addresses;
  // Node only: subnets it may claim (route for, source packets from).
  std::vector<IpPrefix> claims;
  // Node only: MAC ranges it may source frames from (tap). None listed
  // means any.
  std::vector<MacRange> macs;
  // Free-form group names, 1..kMaxGroupLen bytes of [A-Za-z0-9._-].
  std::vector<std::string> groups;
  Signature signature{};
};

KeyId key_id(const PublicKey& ca_public_key);
// True when s has 1..max_len bytes, all of [A-Za-z0-9._-] (names, groups).
bool valid_name(std::string_view s, size_t max_len);
Fingerprint fingerprint(std::span<const uint8_t> encoded_cert);

// The bytes the signature covers: the whole encoding but the signature
// field. False when a field is out of its limits (then *why says which).
bool encode_tbs(const Certificate& c, std::vector<uint8_t>* out, std::string* why);
// The whole encoding, signature included.
bool encode(const Certificate& c, std::vector<uint8_t>* out, std::string* why);
// Strict parse; does not check the signature or the validity period.
bool decode(std::span<const uint8_t> in, Certificate* out, std::string* why);

// Signs c with the CA's Ed25519 secret key (libsodium's 64-byte form):
// sets c->issuer to the key id of that key and c->signature. False when c
// does not encode.
bool sign(Certificate* c, std::span<const uint8_t, 64> ca_secret_key, std::string* why);
// True when c's signature verifies under the Ed25519 public key.
bool verify_signature(const Certificate& c, const PublicKey& ca_public_key);

// A CA's list of revoked certificates, signed by it.
struct RevocationList {
  KeyId issuer{};
  uint64_t issued_at = 0;  // unix seconds; a newer list replaces an older one
  std::vector<Fingerprint> revoked;  // sorted, no duplicates once encoded
  Signature signature{};
};

bool encode_tbs(const RevocationList& l, std::vector<uint8_t>* out, std::string* why);
bool encode(const RevocationList& l, std::vector<uint8_t>* out, std::string* why);
bool decode(std::span<const uint8_t> in, RevocationList* out, std::string* why);
// Sorts and de-duplicates l->revoked, sets issuer and signature.
bool sign(RevocationList* l, std::span<const uint8_t, 64> ca_secret_key, std::string* why);
bool verify_signature(const RevocationList& l, const PublicKey& ca_public_key);

}  // namespace braid::identity
