// Parsers and names of single configuration values.
#include "config/value.h"

#include <arpa/inet.h>

#include <cctype>

#include "common/hex.h"
#include "crypto/sodium.h"

namespace braid::config {
namespace {

constexpr std::string_view kPortRange = "a port number between 1 and 65535";

bool parse_port(std::string_view text, uint16_t* port) {
  uint32_t v = 0;
  ValueError ignored;
  if (!parse_number(text, 1, 65535, &v, &ignored)) return false;
  *port = static_cast<uint16_t>(v);
  return true;
}

bool is_ipv4(std::string_view text) {
  in_addr a;
  return text.size() < INET_ADDRSTRLEN && inet_pton(AF_INET, std::string(text).c_str(), &a) == 1;
}

bool is_ipv6(std::string_view text) {
  in6_addr a;
  return text.size() < INET6_ADDRSTRLEN && inet_pton(AF_INET6, std::string(text).c_str(), &a) == 1;
}

// Splits "[v6]:port" or "host:port" into host and port text; false when
// the shape is wrong (no port, unbracketed IPv6, text after "]").
bool split_host_port(std::string_view text, std::string_view* host, std::string_view* port,
                     bool* bracketed) {
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return false;
    *host = text.substr(1, close - 1);
    *port = text.substr(close + 2);
    *bracketed = true;
    return true;
  }
  size_t colon = text.find(':');
  if (colon == std::string_view::npos || text.find(':', colon + 1) != std::string_view::npos)
    return false;
  *host = text.substr(0, colon);
  *port = text.substr(colon + 1);
  *bracketed = false;
  return true;
}

}  // namespace

std::string_view trim(std::string_view text) {
  size_t b = 0, e = text.size();
  while (b < e && isspace(static_cast<unsigned char>(text[b]))) ++b;
  while (e > b && isspace(static_cast<unsigned char>(text[e - 1]))) --e;
  return text.substr(b, e - b);
}

std::vector<std::string_view> split_list(std::string_view text) {
  std::vector<std::string_view> items;
  if (trim(text).empty()) return items;
  size_t start = 0;
  for (;;) {
    size_t comma = text.find(',', start);
    items.push_back(trim(text.substr(start, comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return items;
}

namespace {

bool is_space(char c) { return isspace(static_cast<unsigned char>(c)) != 0; }

// Where an inline comment starts in text, or npos.
size_t comment_start(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i)
    if ((text[i] == ';' || text[i] == '#') && (i == 0 || is_space(text[i - 1]))) return i;
  return std::string_view::npos;
}

// A complete quoted value, optionally followed by a comment.
bool unquote(std::string_view raw, std::string* out) {
  out->clear();
  for (size_t i = 1; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\\' && i + 1 < raw.size() && (raw[i + 1] == '"' || raw[i + 1] == '\\')) {
      out->push_back(raw[++i]);
    } else if (c == '"') {
      std::string_view rest = raw.substr(i + 1);
      std::string_view after = trim(rest);
      return after.empty() || (is_space(rest[0]) && (after[0] == ';' || after[0] == '#'));
    } else {
      out->push_back(c);
    }
  }
  return false;
}

}  // namespace

std::string decode_value(std::string_view raw) {
  std::string out;
  if (!raw.empty() && raw[0] == '"' && unquote(raw, &out)) return out;
  return std::string(trim(raw.substr(0, comment_start(raw))));
}

std::string encode_value(std::string_view value) {
  bool quote =
      !value.empty() && (is_space(value.front()) || is_space(value.back()) ||
                         value.front() == '"' || comment_start(value) != std::string_view::npos);
  if (!quote) return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (tolower(static_cast<unsigned char>(a[i])) != tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

bool parse_bool(std::string_view text, bool* out, ValueError* err) {
  for (const char* yes : {"yes", "true", "on", "1"}) {
    if (iequals(text, yes)) {
      *out = true;
      return true;
    }
  }
  for (const char* no : {"no", "false", "off", "0"}) {
    if (iequals(text, no)) {
      *out = false;
      return true;
    }
  }
  err->expected = "expected yes, no, true, false, on, off, 1 or 0";
  return false;
}

bool parse_number(std::string_view text, uint32_t min, uint32_t max, uint32_t* out,
                  ValueError* err) {
  uint64_t v = 0;
  bool ok = !text.empty() && text.size() <= 10;
  for (char c : text) {
    if (c < '0' || c > '9') ok = false;
    if (ok) v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (!ok || v < min || v > max) {
    err->expected =
        "expected a number between " + std::to_string(min) + " and " + std::to_string(max);
    return false;
  }
  *out = static_cast<uint32_t>(v);
  return true;
}

bool parse_mtu(std::string_view text, uint32_t* out, ValueError* err) {
  if (iequals(text, "auto")) {
    *out = 0;
    return true;
  }
  if (!parse_number(text, kMinMtu, kMaxMtu, out, err)) {
    err->expected = "expected auto or a number between " + std::to_string(kMinMtu) + " and " +
                    std::to_string(kMaxMtu);
    return false;
  }
  return true;
}

bool parse_listen(std::string_view text, std::string* address, uint16_t* port, ValueError* err) {
  err->expected = "expected PORT, ADDRESS:PORT or [IPV6ADDRESS]:PORT with " +
                  std::string(kPortRange) + " and an address literal";
  if (text.find(':') == std::string_view::npos && text.find('[') == std::string_view::npos) {
    if (!parse_port(text, port)) return false;
    address->clear();
    return true;
  }
  std::string_view host, port_text;
  bool bracketed;
  if (!split_host_port(text, &host, &port_text, &bracketed)) return false;
  if (bracketed ? !is_ipv6(host) : !is_ipv4(host)) return false;
  if (!parse_port(port_text, port)) return false;
  *address = host;
  return true;
}

bool parse_peer(std::string_view text, PeerSpec* out, ValueError* err) {
  err->expected = "expected HOST:PORT with " + std::string(kPortRange) +
                  " (an IPv6 address in brackets: [2001:db8::1]:3210)";
  std::string_view host, port_text;
  bool bracketed;
  if (!split_host_port(text, &host, &port_text, &bracketed)) return false;
  if (bracketed ? !is_ipv6(host) : (host.find(':') != std::string_view::npos || !valid_host(host)))
    return false;
  if (!parse_port(port_text, &out->port)) return false;
  out->host = host;
  return true;
}

bool parse_subnet(std::string_view text, Subnet* out, ValueError* err) {
  err->expected = "expected ADDRESS/PREFIX, e.g. 10.0.1.0/24 or fd00::/64";
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return false;
  std::string addr(text.substr(0, slash));
  Subnet s;
  uint32_t max_prefix;
  if (addr.size() < INET_ADDRSTRLEN && inet_pton(AF_INET, addr.c_str(), s.addr.data()) == 1) {
    s.family = AF_INET;
    max_prefix = 32;
  } else if (addr.size() < INET6_ADDRSTRLEN &&
             inet_pton(AF_INET6, addr.c_str(), s.addr.data()) == 1) {
    s.family = AF_INET6;
    max_prefix = 128;
  } else {
    return false;
  }
  uint32_t prefix;
  ValueError ignored;
  if (!parse_number(text.substr(slash + 1), 0, max_prefix, &prefix, &ignored)) return false;
  s.prefix = static_cast<uint8_t>(prefix);
  if (!valid_subnet(s)) {
    Subnet masked = s;
    for (size_t bit = s.prefix; bit < 128; ++bit)
      masked.addr[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
    err->expected = "the address has host bits set beyond the prefix (did you mean " +
                    format_subnet(masked) + "?)";
    return false;
  }
  *out = s;
  return true;
}

bool parse_magic(std::string_view text, std::array<uint8_t, 4>* out, ValueError* err) {
  err->expected = "expected 8 hex digits or hash:STRING";
  if (text.starts_with("hash:")) {
    std::string_view name = text.substr(5);
    auto digest = crypto::sha256({reinterpret_cast<const uint8_t*>(name.data()), name.size()});
    std::copy(digest.begin(), digest.begin() + 4, out->begin());
    return true;
  }
  if (text.size() != 8) return false;
  auto bytes = from_hex(text);
  if (!bytes) return false;
  std::copy(bytes->begin(), bytes->end(), out->begin());
  return true;
}

namespace {

struct RateUnit {
  std::string_view name;
  uint64_t bits;  // bits per second of one unit
};

// tc's decimal units (tc-rate(8)), and k/m/g as kbit/mbit/gbit.
constexpr RateUnit kRateUnits[] = {
    {"", 1},
    {"bit", 1},
    {"k", 1000},
    {"kbit", 1000},
    {"m", 1000'000},
    {"mbit", 1000'000},
    {"g", 1000'000'000},
    {"gbit", 1000'000'000},
    {"tbit", 1000'000'000'000},
    {"bps", 8},
    {"kbps", 8'000},
    {"mbps", 8'000'000},
    {"gbps", 8'000'000'000},
    {"tbps", 8'000'000'000'000},
};

// Digits with an optional unit suffix, the number at most `max`.
bool parse_with_suffix(std::string_view text, std::string_view suffix, uint32_t min,
                       uint32_t max, uint32_t* out) {
  if (text.size() > suffix.size() && iequals(text.substr(text.size() - suffix.size()), suffix))
    text.remove_suffix(suffix.size());
  ValueError ignored;
  return parse_number(text, min, max, out, &ignored);
}

}  // namespace

bool parse_bandwidth(std::string_view text, uint64_t* out, ValueError* err) {
  err->expected = "expected a rate from 8kbit to 100gbit: a number with a unit bit, kbit, mbit, "
                  "gbit (bits/s) or bps, kbps, mbps, gbps (bytes/s)";
  size_t i = 0;
  // At most 12 integer and 9 fraction digits: the product below fits 128 bits.
  unsigned __int128 mantissa = 0, scale = 1;
  size_t int_digits = 0, frac_digits = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++int_digits)
    mantissa = mantissa * 10 + static_cast<unsigned>(text[i] - '0');
  if (i < text.size() && text[i] == '.') {
    for (++i; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++frac_digits) {
      mantissa = mantissa * 10 + static_cast<unsigned>(text[i] - '0');
      scale *= 10;
    }
    if (frac_digits == 0) return false;
  }
  if (int_digits == 0 || int_digits > 12 || frac_digits > 9) return false;
  std::string_view unit = text.substr(i);
  for (const RateUnit& u : kRateUnits) {
    if (!iequals(unit, u.name)) continue;
    unsigned __int128 bytes = mantissa * u.bits / scale / 8;
    if (bytes < kMinBandwidth || bytes > kMaxBandwidth) return false;
    *out = static_cast<uint64_t>(bytes);
    return true;
  }
  return false;
}

std::string format_bandwidth(uint64_t bytes_per_second) {
  // Whole bits always: a byte rate times 8 is exact in the largest unit
  // that divides it.
  unsigned __int128 bits = static_cast<unsigned __int128>(bytes_per_second) * 8;
  const std::pair<uint64_t, const char*> units[] = {{1000'000'000'000, "tbit"},
                                                    {1000'000'000, "gbit"},
                                                    {1000'000, "mbit"},
                                                    {1000, "kbit"}};
  for (const auto& [size, name] : units) {
    if (bits >= size && bits % size == 0)
      return std::to_string(static_cast<uint64_t>(bits / size)) + name;
  }
  return std::to_string(static_cast<uint64_t>(bits)) + "bit";
}

bool parse_millis(std::string_view text, uint32_t min, uint32_t max, uint32_t* out,
                  ValueError* err) {
  if (parse_with_suffix(text, "ms", min, max, out)) return true;
  err->expected = "expected milliseconds between " + std::to_string(min) + " and " +
                  std::to_string(max) + ", e.g. " + std::to_string(min) + "ms";
  return false;
}

bool parse_seconds(std::string_view text, uint32_t min, uint32_t max, uint32_t* out,
                   ValueError* err) {
  if (parse_with_suffix(text, "s", min, max, out)) return true;
  err->expected = "expected seconds between " + std::to_string(min) + " and " +
                  std::to_string(max) + ", e.g. " + std::to_string(min) + "s";
  return false;
}

bool parse_percent(std::string_view text, uint32_t min, uint32_t max, uint32_t* out,
                   ValueError* err) {
  if (parse_with_suffix(text, "%", min, max, out)) return true;
  err->expected = "expected a percentage between " + std::to_string(min) + " and " +
                  std::to_string(max) + ", e.g. 5%";
  return false;
}

bool canonical_ip(std::string_view text, std::string* out) {
  uint8_t addr[16];
  char buf[INET6_ADDRSTRLEN];
  int family = is_ipv4(text) ? AF_INET : is_ipv6(text) ? AF_INET6 : 0;
  if (family == 0 || inet_pton(family, std::string(text).c_str(), addr) != 1 ||
      !inet_ntop(family, addr, buf, sizeof buf))
    return false;
  *out = buf;
  return true;
}

bool valid_ifname(std::string_view name) {
  if (name.empty() || name.size() > 15 || name == "." || name == "..") return false;
  for (unsigned char c : name)
    if (c <= ' ' || c == 0x7f || c == '/' || c == ':') return false;
  return true;
}

bool valid_link_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxLinkName) return false;
  for (unsigned char c : name)
    if (!isalnum(c) && c != '_' && c != '.' && c != '-') return false;
  return true;
}

int link_family(const LinkSpec& link) { return is_ipv4(link.bind) ? AF_INET : AF_INET6; }

bool valid_ip_literal(std::string_view text) { return is_ipv4(text) || is_ipv6(text); }

bool valid_host(std::string_view host) {
  if (host.find(':') != std::string_view::npos) return is_ipv6(host);
  if (host.empty() || host.size() > 253) return false;
  bool numeric = true;
  size_t label = 0;
  for (size_t i = 0; i <= host.size(); ++i) {
    char c = i < host.size() ? host[i] : '.';
    if (c == '.') {
      if (label == 0 || label > 63) return false;
      label = 0;
      continue;
    }
    bool ok = isalnum(static_cast<unsigned char>(c)) || c == '_' || (c == '-' && label > 0);
    if (!ok) return false;
    if (!isdigit(static_cast<unsigned char>(c))) numeric = false;
    ++label;
  }
  // All-digit labels are an IPv4 address, or nothing a resolver accepts.
  return !numeric || is_ipv4(host);
}

bool valid_subnet(const Subnet& subnet) {
  size_t bits;
  if (subnet.family == AF_INET) {
    bits = 32;
    for (size_t i = 4; i < 16; ++i)
      if (subnet.addr[i] != 0) return false;
  } else if (subnet.family == AF_INET6) {
    bits = 128;
  } else {
    return false;
  }
  if (subnet.prefix > bits) return false;
  for (size_t bit = subnet.prefix; bit < bits; ++bit)
    if (subnet.addr[bit / 8] & (0x80u >> (bit % 8))) return false;
  return true;
}

std::string format_peer(const PeerSpec& peer) {
  std::string port = std::to_string(peer.port);
  if (peer.host.find(':') != std::string::npos) return "[" + peer.host + "]:" + port;
  return peer.host + ":" + port;
}

std::string format_subnet(const Subnet& subnet) {
  char text[INET6_ADDRSTRLEN] = "?";
  if (subnet.family == AF_INET || subnet.family == AF_INET6)
    inet_ntop(subnet.family, subnet.addr.data(), text, sizeof text);
  return std::string(text) + "/" + std::to_string(subnet.prefix);
}

std::string_view device_type_name(DeviceType type) {
  return type == DeviceType::kTap ? "tap" : "tun";
}

std::string_view mode_name(Mode mode) {
  switch (mode) {
    case Mode::kHub: return "hub";
    case Mode::kSwitch: return "switch";
    case Mode::kRouter: return "router";
    case Mode::kNormal: break;
  }
  return "normal";
}

std::string_view crypto_name(Crypto crypto) {
  switch (crypto) {
    case Crypto::kAes256: return "aes256";
    case Crypto::kPlain: return "plain";
    case Crypto::kChaCha20: break;
  }
  return "chacha20";
}

std::string_view log_level_name(braid::LogLevel level) {
  switch (level) {
    case braid::LogLevel::kError: return "error";
    case braid::LogLevel::kWarn: return "warning";
    case braid::LogLevel::kDebug: return "debug";
    case braid::LogLevel::kInfo: break;
  }
  return "info";
}

}  // namespace braid::config
