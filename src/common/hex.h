// Hexadecimal text for keys, magics and test vectors.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace braid {

std::string to_hex(std::span<const uint8_t> bytes);
// Accepts upper and lower case; nullopt on odd length or a non-hex digit.
std::optional<std::vector<uint8_t>> from_hex(std::string_view text);

}  // namespace braid
