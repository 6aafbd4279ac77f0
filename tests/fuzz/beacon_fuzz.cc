// Fuzz target for LAN beacons (engine/beacon.h): any bytes through the
// parser under a fixed network key must never crash, and whatever parses
// must be exactly the beacon write_beacon makes for the id it names. The
// first input byte chooses the framing: the rest as is, or the rest with
// the network's prefix and a valid mac written in, so the fuzzer reaches
// the accepting path without forging a mac.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include <sodium.h>

#include "crypto/sodium.h"
#include "engine/beacon.h"

using namespace braid::engine;

namespace {

const Magic kMagic = {0x62, 0x72, 0x64, 0x31};

const MacKey& network_key() {
  static const MacKey k = [] {
    braid::crypto::init();
    const std::vector<uint8_t> psk(32, 0x5a);
    return derive_mac_key(kMagic, psk);
  }();
  return k;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const MacKey& key = network_key();
  std::vector<uint8_t> pkt(data + 1, data + size);
  const bool framed = (data[0] & 1) != 0;
  if (framed && pkt.size() >= kPrefixLen) {
    memcpy(pkt.data(), kMagic.data(), kMagicLen);
    pkt[kMagicLen] = kBeaconType;
    if (pkt.size() == kBeaconLen) {
      // The mac a member of the network would write over these bytes.
      NodeId id;
      memcpy(id.data(), pkt.data() + kPrefixLen + 1, id.size());
      const uint8_t version = pkt[kPrefixLen];
      write_beacon(kMagic, id, key, pkt.data());
      pkt[kPrefixLen] = version;
      if (version != kBeaconVersion) {
        // Another version: only the mac over its own bytes would do.
        crypto_generichash(pkt.data() + kBeaconMacOffset, kMacLen, pkt.data(), kBeaconMacOffset,
                           key.mac1.data(), key.mac1.size());
      }
    }
  }

  NodeId id{};
  const BeaconCheck r = check_beacon(pkt, kMagic, key, &id);
  if (parse_beacon(pkt, kMagic, key, &id) != (r == BeaconCheck::kOk)) abort();
  if (r == BeaconCheck::kOk) {
    uint8_t again[kBeaconLen];
    write_beacon(kMagic, id, key, again);
    if (pkt.size() != kBeaconLen || memcmp(again, pkt.data(), kBeaconLen) != 0) abort();
  }
  // A framed beacon of this version is always accepted.
  if (framed && pkt.size() == kBeaconLen && pkt[kPrefixLen] == kBeaconVersion &&
      r != BeaconCheck::kOk)
    abort();
  return 0;
}
