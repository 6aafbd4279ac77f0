// The trust store: trusted CAs, their revocation lists, and the check of a
// peer's certificate.
#include "identity/trust.h"

namespace braid::identity {

const char* verdict_text(Verdict) { return "certificate refused"; }

bool TrustStore::add_ca(std::span<const uint8_t>, std::string* why) {
  *why = "not implemented";
  return false;
}
bool TrustStore::add_revocation_list(std::span<const uint8_t>, std::string* why) {
  *why = "not implemented";
  return false;
}
Verdict TrustStore::verify(std::span<const uint8_t>, uint64_t, Certificate*) const {
  return Verdict::kMalformed;
}
bool TrustStore::is_revoked(const Fingerprint&) const { return false; }

}  // namespace braid::identity
