// The handshake pattern table, written as in the Noise specification so it
// can be checked against it line by line, and its parser.
#include "crypto/pattern.h"

#include <set>

namespace braid::crypto {

namespace {

struct PatternText {
  const char* name;
  const char* pre;       // pre-messages, ';'-separated; "" when none
  const char* messages;  // messages, ';'-separated
};

// Revision 34: section 7.4 (one-way), 7.5 (fundamental), 18 (deferred).
constexpr PatternText kPatterns[] = {
    {"N", "<- s", "-> e, es"},
    {"K", "-> s; <- s", "-> e, es, ss"},
    {"X", "<- s", "-> e, es, s, ss"},

    {"NN", "", "-> e; <- e, ee"},
    {"NK", "<- s", "-> e, es; <- e, ee"},
    {"NX", "", "-> e; <- e, ee, s, es"},
    {"XN", "", "-> e; <- e, ee; -> s, se"},
    {"XK", "<- s", "-> e, es; <- e, ee; -> s, se"},
    {"XX", "", "-> e; <- e, ee, s, es; -> s, se"},
    {"KN", "-> s", "-> e; <- e, ee, se"},
    {"KK", "-> s; <- s", "-> e, es, ss; <- e, ee, se"},
    {"KX", "-> s", "-> e; <- e, ee, se, s, es"},
    {"IN", "", "-> e, s; <- e, ee, se"},
    {"IK", "<- s", "-> e, es, s, ss; <- e, ee, se"},
    {"IX", "", "-> e, s; <- e, ee, se, s, es"},

    {"NK1", "<- s", "-> e; <- e, ee, es"},
    {"NX1", "", "-> e; <- e, ee, s; -> es"},
    {"X1N", "", "-> e; <- e, ee; -> s; <- se"},
    {"X1K", "<- s", "-> e, es; <- e, ee; -> s; <- se"},
    {"XK1", "<- s", "-> e; <- e, ee, es; -> s, se"},
    {"X1K1", "<- s", "-> e; <- e, ee, es; -> s; <- se"},
    {"X1X", "", "-> e; <- e, ee, s, es; -> s; <- se"},
    {"XX1", "", "-> e; <- e, ee, s; -> es, s, se"},
    {"X1X1", "", "-> e; <- e, ee, s; -> es, s; <- se"},
    {"K1N", "-> s", "-> e; <- e, ee; -> se"},
    {"K1K", "-> s; <- s", "-> e, es; <- e, ee; -> se"},
    {"KK1", "-> s; <- s", "-> e; <- e, ee, se, es"},
    {"K1K1", "-> s; <- s", "-> e; <- e, ee, es; -> se"},
    {"K1X", "-> s", "-> e; <- e, ee, s, es; -> se"},
    {"KX1", "-> s", "-> e; <- e, ee, se, s; -> es"},
    {"K1X1", "-> s", "-> e; <- e, ee, s; -> se, es"},
    {"I1N", "", "-> e, s; <- e, ee; -> se"},
    {"I1K", "<- s", "-> e, es, s; <- e, ee; -> se"},
    {"IK1", "<- s", "-> e, s; <- e, ee, se, es"},
    {"I1K1", "<- s", "-> e, s; <- e, ee, es; -> se"},
    {"I1X", "", "-> e, s; <- e, ee, s, es; -> se"},
    {"IX1", "", "-> e, s; <- e, ee, se, s; -> es"},
    {"I1X1", "", "-> e, s; <- e, ee, s; -> se, es"},
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  if (trim(s).empty()) return out;
  for (;;) {
    size_t pos = s.find(sep);
    out.push_back(trim(s.substr(0, pos)));
    if (pos == std::string_view::npos) return out;
    s.remove_prefix(pos + 1);
  }
}

struct Line {
  bool from_initiator;
  std::vector<Token> tokens;
};

// "-> e, es" -> {true, {kE, kES}}. The table is fixed, so a malformed line
// is a bug found by the tests, not an input error.
Line parse_line(std::string_view text) {
  Line line{text.substr(0, 2) == "->", {}};
  for (auto t : split(text.substr(2), ',')) {
    if (t == "e") line.tokens.push_back(Token::kE);
    else if (t == "s") line.tokens.push_back(Token::kS);
    else if (t == "ee") line.tokens.push_back(Token::kEE);
    else if (t == "es") line.tokens.push_back(Token::kES);
    else if (t == "se") line.tokens.push_back(Token::kSE);
    else if (t == "ss") line.tokens.push_back(Token::kSS);
  }
  return line;
}

HandshakePattern build(const PatternText& p) {
  HandshakePattern hp;
  for (auto text : split(p.pre, ';')) {
    Line line = parse_line(text);
    (line.from_initiator ? hp.initiator_pre : hp.responder_pre) = line.tokens;
  }
  for (auto text : split(p.messages, ';')) hp.messages.push_back(parse_line(text).tokens);
  hp.one_way = std::string_view(p.name).size() == 1;
  return hp;
}

// "psk0" -> 0; -1 when not a psk modifier.
int psk_position(std::string_view mod) {
  if (mod.substr(0, 3) != "psk") return -1;
  mod.remove_prefix(3);
  if (mod.empty() || mod.size() > 2 || (mod.size() == 2 && mod[0] == '0')) return -1;
  int n = 0;
  for (char c : mod) {
    if (c < '0' || c > '9') return -1;
    n = n * 10 + (c - '0');
  }
  return n;
}

}  // namespace

std::optional<HandshakePattern> parse_pattern(std::string_view name, std::string* error) {
  // The base name is upper case letters and digits; modifiers start with
  // a lower case letter and are joined by '+'.
  size_t base_len = 0;
  while (base_len < name.size() &&
         ((name[base_len] >= 'A' && name[base_len] <= 'Z') ||
          (name[base_len] >= '0' && name[base_len] <= '9')))
    ++base_len;
  std::string_view base = name.substr(0, base_len);
  std::string_view mods = name.substr(base_len);

  const PatternText* found = nullptr;
  for (const auto& p : kPatterns)
    if (base == p.name) found = &p;
  if (!found) {
    if (error) *error = "unknown handshake pattern '" + std::string(base) + "'";
    return std::nullopt;
  }
  HandshakePattern hp = build(*found);
  if (mods.empty()) return hp;
  if (mods.find(' ') != std::string_view::npos) {
    if (error) *error = "space in pattern name '" + std::string(name) + "'";
    return std::nullopt;
  }

  std::set<int> seen;
  for (auto mod : split(mods, '+')) {
    int n = psk_position(mod);
    if (n < 0) {
      if (error) *error = "unsupported pattern modifier '" + std::string(mod) + "'";
      return std::nullopt;
    }
    if (n > static_cast<int>(hp.messages.size()) || !seen.insert(n).second) {
      if (error) *error = "bad psk modifier '" + std::string(mod) + "' for pattern " +
                          std::string(base);
      return std::nullopt;
    }
    // psk0 opens the first message; pskN (N >= 1) closes message N.
    if (n == 0)
      hp.messages[0].insert(hp.messages[0].begin(), Token::kPsk);
    else
      hp.messages[n - 1].push_back(Token::kPsk);
    ++hp.psk_count;
  }
  return hp;
}

std::vector<std::string> pattern_names() {
  std::vector<std::string> out;
  for (const auto& p : kPatterns) out.emplace_back(p.name);
  return out;
}

}  // namespace braid::crypto
