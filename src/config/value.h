// Parsers for the values of single keys and options, shared by the file
// and the command line so both accept exactly the same text.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.h"

namespace braid::config {

// Why a value was refused. `expected` completes "bad value 'V' for KEY: ";
// when `message` is set it is the whole reason instead.
struct ValueError {
  std::string expected;
  std::string message;
};

inline constexpr uint32_t kMinMtu = 576;     // the IPv4 minimum datagram size
inline constexpr uint32_t kMinTapMtu = 590;  // 576 plus the 14-byte Ethernet header
inline constexpr uint32_t kMaxMtu = 65535;

std::string_view trim(std::string_view text);
// Splits a comma-separated list and trims each item; an empty text is an
// empty list, an empty item between commas is kept (and then refused).
std::vector<std::string_view> split_list(std::string_view text);
bool iequals(std::string_view a, std::string_view b);

// A value as written after "key =" (inih has already stripped the spaces
// around it): an inline comment starts at ';' or '#' at the start or after
// whitespace; a value in double quotes keeps ';', '#' and surrounding
// spaces, with \" and \\ as escapes. A value that starts with '"' but is
// not a complete quoted string (text after the closing quote) is literal,
// so shell commands like "/usr/bin/x" arg keep their quotes.
std::string decode_value(std::string_view raw);
// The shortest text that decode_value turns back into value.
std::string encode_value(std::string_view value);

bool parse_bool(std::string_view text, bool* out, ValueError* err);
// Decimal digits only, no sign.
bool parse_number(std::string_view text, uint32_t min, uint32_t max, uint32_t* out,
                  ValueError* err);
// "auto" (0) or kMinMtu..kMaxMtu.
bool parse_mtu(std::string_view text, uint32_t* out, ValueError* err);
// PORT, ADDR:PORT or [V6ADDR]:PORT; address literals only. The address
// is stored without brackets, "" for all addresses.
bool parse_listen(std::string_view text, std::string* address, uint16_t* port, ValueError* err);
// HOST:PORT or [V6ADDR]:PORT.
bool parse_peer(std::string_view text, PeerSpec* out, ValueError* err);
// ADDR/PREFIX with the host bits zero.
bool parse_subnet(std::string_view text, Subnet* out, ValueError* err);
// 8 hex digits or hash:STRING (the first 4 bytes of SHA-256(STRING)).
bool parse_magic(std::string_view text, std::array<uint8_t, 4>* out, ValueError* err);

// A rate with tc's units: a bare number or "bit" (bits/s), kbit, mbit,
// gbit, tbit (x1000 each) and the short k, m, g; "bps" (bytes/s), kbps,
// mbps, gbps, tbps. Units in any case; the number may have a decimal
// fraction ("1.5mbit"). Stored in bytes per second, rounded down, and
// only kMinBandwidth..kMaxBandwidth.
bool parse_bandwidth(std::string_view text, uint64_t* out, ValueError* err);
// Milliseconds: "150" or "150ms".
bool parse_millis(std::string_view text, uint32_t min, uint32_t max, uint32_t* out,
                  ValueError* err);
// Seconds: "300" or "300s".
bool parse_seconds(std::string_view text, uint32_t min, uint32_t max, uint32_t* out,
                   ValueError* err);
// A percentage: "5" or "5%".
bool parse_percent(std::string_view text, uint32_t min, uint32_t max, uint32_t* out,
                   ValueError* err);
// An IP address literal in its canonical text form (inet_ntop's), so one
// address is written one way; false when text is not an address.
bool canonical_ip(std::string_view text, std::string* out);
// An existing interface's name: 1..15 bytes, no '/', ':', space or
// control byte, not "." or "..".
bool valid_ifname(std::string_view name);
// A link's name: 1..kMaxLinkName of [A-Za-z0-9_.-].
bool valid_link_name(std::string_view name);

// A host name (letters, digits, '-', '_' in dot-separated labels), an
// IPv4 literal, or an IPv6 literal (given without brackets).
bool valid_host(std::string_view host);
bool valid_ip_literal(std::string_view text);
// False when a subnet has bits set beyond its prefix, a prefix too long
// for its family or an IPv4 address with bytes beyond the fourth.
bool valid_subnet(const Subnet& subnet);

std::string_view device_type_name(DeviceType type);
std::string_view mode_name(Mode mode);
std::string_view crypto_name(Crypto crypto);
std::string_view log_level_name(braid::LogLevel level);

}  // namespace braid::config
