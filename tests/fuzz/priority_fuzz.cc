// Fuzz target for the priority lane's classifier: any bytes, as an IP
// packet and as an Ethernet frame, must be classified without reading
// past them (the sanitizers see to that) and the same way twice.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "engine/priority.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  for (bool tap : {false, true})
    if (braid::engine::is_priority(in, tap) != braid::engine::is_priority(in, tap)) abort();
  return 0;
}
