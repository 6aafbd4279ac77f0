// Fuzz target for the control socket's request and status lines: any
// bytes must be parsed or refused without reading past them, a refusal
// must carry a reason with no control byte in it, and what parses must
// encode back to the same line.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engine/control_proto.h"

using namespace braid::engine;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view line(reinterpret_cast<const char*>(data), size);
  ControlRequest req;
  std::string error;
  if (parse_request(line, &req, &error)) {
    std::string again = encode_request(req);
    if (again.substr(0, again.size() - 1) != line) abort();
  } else {
    if (error.empty()) abort();
    for (char c : error)
      if (static_cast<unsigned char>(c) < 0x20) abort();
  }
  ControlCode code;
  size_t body_len = 0;
  std::string message;
  if (parse_status(line, &code, &body_len, &message)) {
    if (static_cast<int>(code) > 2 || body_len > kMaxControlBody) abort();
    std::string status = encode_status(code, body_len, message);
    if (status.find('\n') != status.size() - 1) abort();
  }
  return 0;
}
