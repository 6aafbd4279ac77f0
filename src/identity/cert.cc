// Certificates and revocation lists: the strict encoding, signing and
// signature checks.
#include "identity/cert.h"

namespace braid::identity {

KeyId key_id(const PublicKey&) { return {}; }
Fingerprint fingerprint(std::span<const uint8_t>) { return {}; }
bool encode_tbs(const Certificate&, std::vector<uint8_t>*, std::string* why) {
  *why = "not implemented";
  return false;
}
bool encode(const Certificate&, std::vector<uint8_t>*, std::string* why) {
  *why = "not implemented";
  return false;
}
bool decode(std::span<const uint8_t>, Certificate*, std::string* why) {
  *why = "not implemented";
  return false;
}
bool sign(Certificate*, std::span<const uint8_t, 64>, std::string* why) {
  *why = "not implemented";
  return false;
}
bool verify_signature(const Certificate&, const PublicKey&) { return false; }
bool encode_tbs(const RevocationList&, std::vector<uint8_t>*, std::string* why) {
  *why = "not implemented";
  return false;
}
bool encode(const RevocationList&, std::vector<uint8_t>*, std::string* why) {
  *why = "not implemented";
  return false;
}
bool decode(std::span<const uint8_t>, RevocationList*, std::string* why) {
  *why = "not implemented";
  return false;
}
bool sign(RevocationList*, std::span<const uint8_t, 64>, std::string* why) {
  *why = "not implemented";
  return false;
}
bool verify_signature(const RevocationList&, const PublicKey&) { return false; }

}  // namespace braid::identity
