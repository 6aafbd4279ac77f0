// The armoured text form of keys, certificates and revocation lists.
#include "identity/armor.h"

namespace braid::identity {

std::string armor(std::string_view, std::span<const uint8_t>) { return {}; }
bool dearmor(std::string_view, std::string_view, size_t, std::vector<uint8_t>*,
             std::string* why) {
  *why = "not implemented";
  return false;
}
bool dearmor_all(std::string_view, std::string_view, size_t,
                 std::vector<std::vector<uint8_t>>*, std::string* why) {
  *why = "not implemented";
  return false;
}

}  // namespace braid::identity
