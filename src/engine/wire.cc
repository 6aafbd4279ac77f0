// Header serializers for transport packets and the handshake payload.
#include "engine/wire.h"

#include <cstring>

#include "common/bytes.h"

namespace braid::engine {

void write_transport_header(uint8_t* out, const Magic& magic, PacketType type,
                            uint32_t receiver_index, uint64_t counter) {
  out[0] = magic[0];
  out[1] = magic[1];
  out[2] = magic[2];
  out[3] = magic[3];
  out[4] = static_cast<uint8_t>(type);
  put_be32(out + kPrefixLen, receiver_index);
  put_be64(out + kPrefixLen + kIndexLen, counter);
}

bool parse_transport_header(std::span<const uint8_t> pkt, TransportHeader* out) {
  // The tag's length depends on the cipher (none in plain mode): the
  // caller checks it.
  if (pkt.size() < kTransportHeaderLen) return false;
  uint8_t type = pkt[4];
  if (type != static_cast<uint8_t>(PacketType::kData) &&
      type != static_cast<uint8_t>(PacketType::kControl))
    return false;
  out->type = static_cast<PacketType>(type);
  out->receiver_index = get_be32(pkt.data() + kPrefixLen);
  out->counter = get_be64(pkt.data() + kPrefixLen + kIndexLen);
  return true;
}

void write_relay_header(uint8_t* out, const Magic& magic, const RelayHeader& h) {
  write_transport_header(out, magic, PacketType::kRelay, h.receiver_index, h.counter);
  out[kRelayHopsOffset] = h.hops;
  memcpy(out + kRelayDstOffset, h.dst.data(), kNodeIdLen);
  memcpy(out + kRelaySrcOffset, h.src.data(), kNodeIdLen);
  memset(out + kRelayTagOffset, 0, kTagLen);
}

void set_relay_hop(uint8_t* header, uint32_t receiver_index, uint64_t counter, uint8_t hops) {
  put_be32(header + kPrefixLen, receiver_index);
  put_be64(header + kPrefixLen + kIndexLen, counter);
  header[kRelayHopsOffset] = hops;
}

void seal_relay_hop(uint8_t* header, const crypto::TransportKey& key) {
  uint64_t counter = get_be64(header + kPrefixLen + kIndexLen);
  // (Plain mode writes no tag: the field stays as it is, zero.)
  key.seal(counter, {header, kRelayTagOffset}, nullptr, 0, header + kRelayTagOffset);
}

bool open_relay_hop(const uint8_t* header, const crypto::TransportKey& key) {
  uint64_t counter = get_be64(header + kPrefixLen + kIndexLen);
  return key.open(counter, {header, kRelayTagOffset}, nullptr, 0, header + kRelayTagOffset);
}

bool parse_relay_header(std::span<const uint8_t> pkt, RelayHeader* out) {
  if (pkt.size() <= kRelayHeaderLen) return false;
  out->receiver_index = get_be32(pkt.data() + kPrefixLen);
  out->counter = get_be64(pkt.data() + kPrefixLen + kIndexLen);
  out->hops = pkt[kRelayHopsOffset];
  memcpy(out->dst.data(), pkt.data() + kRelayDstOffset, kNodeIdLen);
  memcpy(out->src.data(), pkt.data() + kRelaySrcOffset, kNodeIdLen);
  return true;
}

bool parse_handshake_payload(std::span<const uint8_t> payload,
                             std::span<const uint8_t>* certificate) {
  *certificate = {};
  bool seen = false;
  ByteReader r(payload);
  while (r.ok() && !r.done()) {
    uint8_t type = r.u8();
    uint16_t len = r.u16();
    auto value = r.bytes(len);
    if (!r.ok()) return false;
    if (type == static_cast<uint8_t>(PayloadField::kCertificate)) {
      if (seen) return false;
      seen = true;
      *certificate = value;
    }
  }
  return r.ok();
}

void write_handshake_payload(std::span<const uint8_t> certificate, std::vector<uint8_t>* out) {
  if (certificate.empty()) return;
  uint8_t head[3];
  head[0] = static_cast<uint8_t>(PayloadField::kCertificate);
  put_be16(head + 1, static_cast<uint16_t>(certificate.size()));
  out->insert(out->end(), head, head + 3);
  out->insert(out->end(), certificate.begin(), certificate.end());
}

}  // namespace braid::engine
