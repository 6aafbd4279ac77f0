// Fuzz target for the configuration file: any text through the parser,
// the cross-checks and the effective-config printer must never crash, and
// whatever validates must read back as itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "config/settings.h"

using namespace braid::config;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Config cfg;
  std::string error;
  if (!parse_ini_text(text, "fuzz.conf", &cfg, &error)) return 0;
  if (!validate(&cfg, &error)) return 0;
  Config back;
  if (!parse_ini_text(effective_config(cfg), "fuzz.conf", &back, &error)) abort();
  // A key read from shared_key_file comes back only after validate; a key
  // given directly comes back hidden.
  if (!validate(&back, &error) && cfg.shared_key_file.empty()) abort();
  if (cfg.shared_key_file.empty()) back.shared_key = cfg.shared_key;
  if (!(back == cfg)) abort();
  return 0;
}
