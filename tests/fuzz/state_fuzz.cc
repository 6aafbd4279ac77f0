// Fuzz target for the peer state file: any text through the parser must
// never crash, and whatever it accepts must format to a file that parses
// back to the same entries with no bad line — what the engine writes, it
// must read.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "engine/statefile.h"

using namespace braid::engine;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<StatePeer> peers;
  size_t bad = 0;
  std::string why;
  if (!parse_state(text, &peers, &bad, &why)) {
    if (why.empty()) abort();
    return 0;
  }
  for (const StatePeer& p : peers)
    if (p.endpoints.empty() || p.endpoints.size() > kMaxStateEndpoints) abort();

  const std::string again = format_state(peers);
  std::vector<StatePeer> back;
  if (!parse_state(again, &back, &bad, &why) || bad != 0 || back != peers) abort();
  if (format_state(back) != again) abort();

  // Ageing keeps a bounded, duplicate-free subset that still formats.
  age_state(&back, 1700000000, kStateMaxAgeS);
  if (back.size() > kMaxStatePeers) abort();
  if (!parse_state(format_state(back), &peers, &bad, &why) || peers != back) abort();
  return 0;
}
