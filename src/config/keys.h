// The table of the configuration file's keys: section, name, whether the
// key is a list, the command-line option that takes the same value, and
// how a value is applied. The file parser, the command line and the
// effective-config printer all work from this one table.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.h"
#include "config/value.h"

namespace braid::config {

enum class KeyKind : uint8_t { kScalar, kList };

struct Key {
  std::string_view section;
  std::string_view name;
  KeyKind kind;
  std::string_view option;  // long option taking the same value; "" if none
  // Applies a value; for a list, adds one item.
  bool (*set)(std::string_view value, Config* cfg, ValueError* err);
  void (*clear)(Config* cfg);  // lists only: empties the list
  // The values as the file writes them (before quoting): one for a
  // scalar, none for a scalar that is not to be printed, any number for a
  // list.
  std::vector<std::string> (*get)(const Config& cfg);
  bool secret;  // the value is never echoed in messages
};

std::span<const Key> keys();
const Key* find_key(std::string_view section, std::string_view name);
const Key* find_option(std::string_view option);
bool known_section(std::string_view section);
inline constexpr std::string_view kSectionList =
    "[device], [network], [security], [daemon] or [link NAME]";

}  // namespace braid::config
