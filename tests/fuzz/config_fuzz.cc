// Fuzz target for the configuration file: any text through the parser,
// the cross-checks and the effective-config printer must never crash, and
// whatever validates must read back as itself. Each input is read twice:
// as it is, and after a prefix that makes it the body of a [link NAME]
// section in a file that validates, so the link keys and checks are
// reached without the fuzzer having to find a whole header first.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "config/settings.h"

using namespace braid::config;

namespace {

void check(std::string_view text) {
  Config cfg;
  std::string error;
  if (!parse_ini_text(text, "fuzz.conf", &cfg, &error)) return;
  if (!validate(&cfg, &error)) return;
  Config back;
  if (!parse_ini_text(effective_config(cfg), "fuzz.conf", &back, &error)) abort();
  // A key read from shared_key_file comes back only after validate; a key
  // given directly comes back hidden.
  if (!validate(&back, &error) && cfg.shared_key_file.empty()) abort();
  if (cfg.shared_key_file.empty()) back.shared_key = cfg.shared_key;
  if (!(back == cfg)) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  check(text);
  std::string in_link = "[security]\nshared_key = fuzz\n[link fuzz]\ndevice = fuzz0\n";
  in_link.append(text);
  check(in_link);
  return 0;
}
