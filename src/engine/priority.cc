#include "engine/priority.h"

#include "common/bytes.h"

namespace braid::engine {
namespace {

constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoIcmp6 = 58;
constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherIpv6 = 0x86dd;
constexpr uint16_t kEtherVlan = 0x8100;
constexpr uint16_t kEtherQinQ = 0x88a8;

bool priority_dscp(uint8_t traffic_class) {
  uint8_t dscp = traffic_class >> 2;
  return dscp == kDscpEf || dscp == kDscpCs6;
}

bool ip_priority(std::span<const uint8_t> p) {
  if (p.empty()) return false;
  switch (p[0] >> 4) {
    case 4:
      if (p.size() < 20) return false;
      return (p[1] & kTosLowDelay) != 0 || priority_dscp(p[1]) || p[9] == kProtoIcmp;
    case 6: {
      if (p.size() < 40) return false;
      uint8_t tc = static_cast<uint8_t>(((p[0] & 0x0f) << 4) | (p[1] >> 4));
      return priority_dscp(tc) || p[6] == kProtoIcmp6;
    }
    default:
      return false;
  }
}

}  // namespace

bool is_priority(std::span<const uint8_t> packet, bool tap) {
  if (!tap) return ip_priority(packet);
  // Destination and source MAC, then the EtherType, after up to two tags.
  size_t off = 12;
  for (int tags = 0; tags <= 2; ++tags) {
    if (packet.size() < off + 2) return false;
    uint16_t type = get_be16(packet.data() + off);
    off += 2;
    if (type == kEtherVlan || type == kEtherQinQ) {
      if (tags == 2) return false;
      off += 2;   // the tag's control information
      continue;
    }
    if (type != kEtherIpv4 && type != kEtherIpv6) return false;
    return ip_priority(packet.subspan(off));
  }
  return false;
}

}  // namespace braid::engine
