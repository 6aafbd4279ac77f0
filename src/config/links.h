// [link NAME] sections: the name in the section header, the keys a link
// section holds, the checks a set of links must pass and how the links
// are printed back.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/keys.h"
#include "config/settings.h"
#include "config/value.h"

namespace braid::config {

enum class LinkHeader : uint8_t { kNotALink, kLink, kBadName };

// What a section header names: "link NAME" or `link "NAME"` (inih hands
// over the text between the brackets) is kLink with *name set; "link"
// followed by anything that is not a valid name is kBadName.
LinkHeader parse_link_header(std::string_view section, std::string* name);

struct LinkKey {
  std::string_view name;
  KeyKind kind;
  // Applies a value; for a list, adds one item.
  bool (*set)(std::string_view value, LinkSpec* link, ValueError* err);
  // The values as the file writes them; none when the key is not set.
  std::vector<std::string> (*get)(const LinkSpec& link);
};

std::span<const LinkKey> link_keys();
const LinkKey* find_link_key(std::string_view name);

// The rules for each link and for the links together (names unique, no
// two sockets the kernel would refuse on one port, not every link a
// fallback). "" when they hold; else
// the message, which names the link, and *at is the index of the link at
// fault so the file parser can name its line.
std::string check_links(const Config& cfg, size_t* at);

// The [link "NAME"] sections, for effective_config: every key set, and
// the values inherited from [network] as comments.
std::string format_links(const Config& cfg);

}  // namespace braid::config
