// Key, certificate and revocation-list files.
#include "identity/keyfile.h"

namespace braid::identity {

bool read_text_file(const std::string& path, std::string*, std::string* why) {
  *why = path + ": not implemented";
  return false;
}
bool write_text_file(const std::string& path, const std::string&, unsigned, bool,
                     std::string* why) {
  *why = path + ": not implemented";
  return false;
}
NodeKey generate_node_key() { return {}; }
bool load_node_key(const std::string& path, NodeKey*, std::string* why) {
  *why = path + ": not implemented";
  return false;
}
bool load_public_key(const std::string& path, PublicKey*, std::string* why) {
  *why = path + ": not implemented";
  return false;
}
CaKey generate_ca_key() { return {}; }
bool ca_key_from_seed(std::span<const uint8_t, 32>, CaKey*) { return false; }
bool load_ca_key(const std::string& path, CaKey*, std::string* why) {
  *why = path + ": not implemented";
  return false;
}
bool load_certificate(const std::string& path, std::vector<uint8_t>*, Certificate*,
                      std::string* why) {
  *why = path + ": not implemented";
  return false;
}
bool load_certificates(const std::string& path, std::vector<std::vector<uint8_t>>*,
                       std::string* why) {
  *why = path + ": not implemented";
  return false;
}
bool load_revocation_list(const std::string& path, std::vector<uint8_t>*, RevocationList*,
                          std::string* why) {
  *why = path + ": not implemented";
  return false;
}

}  // namespace braid::identity
