// JSON output (json.h).
#include "common/json.h"

#include <cinttypes>
#include <cstdio>

namespace braid {

std::string json_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          // Bytes above 0x7f pass through: names come from certificates
          // and configuration, which are UTF-8.
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

void JsonWriter::separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!filled_.empty()) {
    if (filled_.back()) *out_ += ',';
    filled_.back() = true;
  }
}

void JsonWriter::begin_object() {
  separate();
  *out_ += '{';
  filled_.push_back(false);
}

void JsonWriter::end_object() {
  *out_ += '}';
  filled_.pop_back();
}

void JsonWriter::begin_array() {
  separate();
  *out_ += '[';
  filled_.push_back(false);
}

void JsonWriter::end_array() {
  *out_ += ']';
  filled_.pop_back();
}

JsonWriter& JsonWriter::key(std::string_view name) {
  separate();
  *out_ += '"';
  *out_ += json_escape(name);
  *out_ += "\":";
  after_key_ = true;
  return *this;
}

void JsonWriter::value(std::string_view s) {
  separate();
  *out_ += '"';
  *out_ += json_escape(s);
  *out_ += '"';
}

void JsonWriter::value(uint64_t v) {
  separate();
  *out_ += std::to_string(v);
}

void JsonWriter::value(int64_t v) {
  separate();
  *out_ += std::to_string(v);
}

void JsonWriter::value(bool v) {
  separate();
  *out_ += v ? "true" : "false";
}

void JsonWriter::fixed(uint64_t v, unsigned decimals) {
  separate();
  uint64_t scale = 1;
  for (unsigned i = 0; i < decimals; ++i) scale *= 10;
  *out_ += std::to_string(v / scale);
  if (decimals == 0) return;
  char frac[24];
  snprintf(frac, sizeof frac, ".%0*" PRIu64, static_cast<int>(decimals), v % scale);
  *out_ += frac;
}

void JsonWriter::null() {
  separate();
  *out_ += "null";
}

}  // namespace braid
