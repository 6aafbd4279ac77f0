// A small streaming JSON writer for the control socket's --json answers
// and the stats file: objects, arrays, strings escaped as RFC 8259 asks,
// integers and booleans. It never parses: nothing braid reads is JSON.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace braid {

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  void begin_object();
  void end_object();
  void begin_array();
  void end_array();
  // The next value's name, inside an object.
  JsonWriter& key(std::string_view name);

  void value(std::string_view s);
  void value(const char* s) { value(std::string_view(s)); }
  void value(uint64_t v);
  void value(int64_t v);
  void value(uint32_t v) { value(static_cast<uint64_t>(v)); }
  void value(int v) { value(static_cast<int64_t>(v)); }
  void value(bool v);
  // A fixed-point number: v / 10^decimals (e.g. milliseconds with
  // microsecond precision), exact where a double would not be.
  void fixed(uint64_t v, unsigned decimals);
  void null();

 private:
  void separate();
  std::string* out_;
  // Per open container: whether it already holds a value.
  std::vector<bool> filled_;
  bool after_key_ = false;
};

// s with the characters JSON must escape escaped (no quotes around it).
std::string json_escape(std::string_view s);

}  // namespace braid
