// The trust store: trusted CAs, their revocation lists, and the check of a
// certificate a peer presents in its handshake.
#include "identity/trust.h"

#include <algorithm>

#include "common/hex.h"

namespace braid::identity {

const char* verdict_text(Verdict v) {
  switch (v) {
    case Verdict::kOk: return "ok";
    case Verdict::kMalformed: return "malformed certificate";
    case Verdict::kNotNode: return "not a node certificate";
    case Verdict::kUnknownCa: return "signed by an unknown CA";
    case Verdict::kBadSignature: return "bad certificate signature";
    case Verdict::kNotYetValid: return "certificate not yet valid";
    case Verdict::kExpired: return "certificate expired";
    case Verdict::kCaExpired: return "CA certificate expired or not yet valid";
    case Verdict::kRevoked: return "certificate revoked";
    case Verdict::kKeyMismatch: return "certificate is for another key";
  }
  return "certificate refused";
}

bool TrustStore::add_ca(std::span<const uint8_t> encoded, std::string* why) {
  Certificate c;
  std::string reason;
  if (!decode(encoded, &c, &reason)) {
    *why = "bad CA certificate: " + reason;
    return false;
  }
  if (c.kind != CertKind::kCa) {
    *why = "'" + c.name + "' is a node certificate, not a CA certificate";
    return false;
  }
  // decode() has checked that the issuer is the CA's own key id.
  if (!verify_signature(c, c.public_key)) {
    *why = "CA certificate '" + c.name + "' is not signed by its own key";
    return false;
  }
  const KeyId id = c.issuer;
  for (auto& ca : cas_) {
    if (ca.id != id) continue;
    // The same key certified twice (a renewed CA certificate next to the
    // old one): keep the one that lasts longer, and the revocation list.
    if (c.not_after > ca.cert.not_after) ca.cert = std::move(c);
    return true;
  }
  Ca ca;
  ca.cert = std::move(c);
  ca.id = id;
  cas_.push_back(std::move(ca));
  return true;
}

bool TrustStore::add_revocation_list(std::span<const uint8_t> encoded, std::string* why) {
  RevocationList l;
  std::string reason;
  if (!decode(encoded, &l, &reason)) {
    *why = "bad revocation list: " + reason;
    return false;
  }
  auto ca = std::find_if(cas_.begin(), cas_.end(), [&](const Ca& c) { return c.id == l.issuer; });
  if (ca == cas_.end()) {
    *why = "revocation list from an unknown CA (key id " + to_hex(l.issuer) + ")";
    return false;
  }
  if (!verify_signature(l, ca->cert.public_key)) {
    *why = "revocation list is not signed by CA '" + ca->cert.name + "'";
    return false;
  }
  if (ca->has_list && l.issued_at < ca->list_issued_at) {
    *why = "revocation list of CA '" + ca->cert.name + "' issued at " +
           std::to_string(l.issued_at) + " is older than the one in use (issued at " +
           std::to_string(ca->list_issued_at) + ")";
    return false;
  }
  ca->revoked = std::move(l.revoked);
  ca->list_issued_at = l.issued_at;
  ca->has_list = true;
  return true;
}

void TrustStore::keep_lists_of(const TrustStore& older) {
  for (Ca& ca : cas_) {
    auto was = std::find_if(older.cas_.begin(), older.cas_.end(), [&](const Ca& o) { return o.id == ca.id; });
    if (was == older.cas_.end() || !was->has_list) continue;
    ca.revoked = was->revoked;
    ca.list_issued_at = was->list_issued_at;
    ca.has_list = true;
  }
}

Verdict TrustStore::verify(std::span<const uint8_t> encoded, uint64_t now_s,
                           Certificate* out) const {
  Certificate c;
  std::string why;
  if (!decode(encoded, &c, &why)) return Verdict::kMalformed;
  Verdict v = verify(c, fingerprint(encoded), now_s);
  if (v == Verdict::kOk && out) *out = std::move(c);
  return v;
}

Verdict TrustStore::verify(const Certificate& c, const Fingerprint& f, uint64_t now_s,
                           bool signature) const {
  if (c.kind != CertKind::kNode) return Verdict::kNotNode;
  auto ca = std::find_if(cas_.begin(), cas_.end(), [&](const Ca& a) { return a.id == c.issuer; });
  if (ca == cas_.end()) return Verdict::kUnknownCa;
  if (signature && !verify_signature(c, ca->cert.public_key)) return Verdict::kBadSignature;
  if (now_s < ca->cert.not_before || now_s >= ca->cert.not_after) return Verdict::kCaExpired;
  if (now_s < c.not_before) return Verdict::kNotYetValid;
  if (now_s >= c.not_after) return Verdict::kExpired;
  // Only the issuing CA can revoke its certificates.
  if (std::binary_search(ca->revoked.begin(), ca->revoked.end(), f)) return Verdict::kRevoked;
  return Verdict::kOk;
}

}  // namespace braid::identity
