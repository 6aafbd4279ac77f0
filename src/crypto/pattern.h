// Noise handshake patterns (revision 34, sections 7 and 9): the table of
// every one-way, fundamental and deferred pattern, and the parser that
// turns a pattern name with psk modifiers ("XXpsk3", "NNpsk0+psk2") into
// token lists.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace braid::crypto {

enum class Token : uint8_t { kE, kS, kEE, kES, kSE, kSS, kPsk };

struct HandshakePattern {
  // Pre-message tokens (only kE and kS) known before the handshake.
  std::vector<Token> initiator_pre;
  std::vector<Token> responder_pre;
  // Messages alternate, the first sent by the initiator.
  std::vector<std::vector<Token>> messages;
  bool one_way = false;  // N, K, X: a single message, no reply
  int psk_count = 0;     // psk tokens; > 0 turns on Noise's PSK mode
};

// nullopt and *error set for an unknown pattern or a bad modifier.
std::optional<HandshakePattern> parse_pattern(std::string_view name, std::string* error);

// The base names of every pattern in the table, for tests.
std::vector<std::string> pattern_names();

}  // namespace braid::crypto
