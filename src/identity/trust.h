// What a node trusts: its network's CA certificates and their revocation
// lists. Checks a certificate a peer presents (signed by a trusted CA,
// within its validity and the CA's, not revoked) and says why it refuses.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "identity/cert.h"

namespace braid::identity {

enum class Verdict : uint8_t {
  kOk,
  kMalformed,      // does not decode
  kNotNode,        // a CA certificate where a node's belongs
  kUnknownCa,      // issuer is not a trusted CA
  kBadSignature,
  kNotYetValid,
  kExpired,
  kCaExpired,      // the CA certificate itself is outside its validity
  kRevoked,
  kKeyMismatch,    // the certificate's key is not the peer's static key
};
// "certificate expired", "signed by an unknown CA", ...
const char* verdict_text(Verdict v);

class TrustStore {
 public:
  // Adds a CA certificate: it must decode, be kind kCa, carry its own key
  // id as issuer and verify under its own key.
  bool add_ca(std::span<const uint8_t> encoded, std::string* why);
  // Installs a revocation list: it must decode and verify under the CA it
  // names (which must be trusted). Replaces that CA's previous list unless
  // the new one is older (issued_at smaller), which is refused.
  bool add_revocation_list(std::span<const uint8_t> encoded, std::string* why);

  // Takes the revocation lists of the CAs it shares with `older`: a CA
  // set changed live still revokes what it did, and refuses older lists.
  void keep_lists_of(const TrustStore& older);

  // Checks a node certificate. On kOk, *out (may be nullptr) holds it.
  Verdict verify(std::span<const uint8_t> encoded, uint64_t now_s, Certificate* out) const;
  // The same for a certificate decoded before (a peer's, checked again
  // when the CAs or lists change); f is its fingerprint. Without
  // `signature`, the signature is taken as checked under the CA with its
  // issuer's key id (the key id names the key).
  Verdict verify(const Certificate& c, const Fingerprint& f, uint64_t now_s,
                 bool signature = true) const;

  bool empty() const { return cas_.empty(); }
  struct Ca {
    Certificate cert;
    KeyId id{};
    std::vector<Fingerprint> revoked;  // sorted
    uint64_t list_issued_at = 0;
    bool has_list = false;
  };
  const std::vector<Ca>& cas() const { return cas_; }

 private:
  std::vector<Ca> cas_;
};

}  // namespace braid::identity
