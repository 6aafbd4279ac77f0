// Fuzzes the Noise handshake read path: arbitrary bytes as message 1, 2 or
// 3 of an XXpsk0 handshake whose other messages are genuine, built from
// fixed keys so every run is repeatable. Whatever arrives, read_message
// must return (true or false) and never crash, overread or leak.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "crypto/noise.h"
#include "crypto/sodium.h"

using namespace braid::crypto;

namespace {

Key fixed_key(uint8_t seed) {
  Key k;
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(seed * 37 + i);
  return k;
}

HandshakeState make(bool initiator, const std::string& name) {
  HandshakeConfig c;
  c.protocol_name = name;
  c.initiator = initiator;
  c.prologue = {'b', 'r', 'a', 'i', 'd'};
  c.static_private = fixed_key(initiator ? 1 : 2);
  c.ephemeral_private = fixed_key(initiator ? 3 : 4);
  c.psks.push_back(fixed_key(5));
  std::string error;
  auto hs = HandshakeState::create(c, &error);
  if (!hs) __builtin_trap();  // the fixed configuration is valid
  return std::move(*hs);
}

// Writes a genuine message from w and has r read it; traps if the genuine
// exchange itself fails, since that would be a bug, not bad input.
void exchange(HandshakeState& w, HandshakeState& r) {
  std::vector<uint8_t> msg, payload;
  if (!w.write_message({}, msg) || !r.read_message(msg, payload)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // First byte: which message is replaced (0, 1, 2) and, from bit 2, the
  // cipher, so AES-GCM's length and tag checks are reached too.
  const int target = data[0] % 3;
  const bool aes = (data[0] & 4) && aes256gcm_available();
  const std::string name =
      std::string("Noise_XXpsk0_25519_") + (aes ? "AESGCM" : "ChaChaPoly") + "_BLAKE2b";
  std::span<const uint8_t> fuzz(data + 1, size - 1);

  HandshakeState init = make(true, name);
  HandshakeState resp = make(false, name);
  if (target >= 1) exchange(init, resp);
  if (target >= 2) exchange(resp, init);
  HandshakeState& reader = target == 1 ? init : resp;
  std::vector<uint8_t> payload;
  const bool ok = reader.read_message(fuzz, payload);
  if (ok) {
    // Accepted (possible only for the genuine bytes): the state must go on
    // or finish consistently.
    if (reader.finished()) {
      auto keys = reader.split();
      (void)keys;
    }
  } else if (!reader.failed()) {
    __builtin_trap();  // a rejected message must leave the state unusable
  }
  return 0;
}
