// The Noise layer against the public cacophony test vectors
// (tests/data/noise/cacophony-25519-blake2b.json): every handshake and
// transport ciphertext byte for byte, every payload, the handshake hash.
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "common/hex.h"
#include "crypto/noise.h"
#include "crypto/sodium.h"

// Last: CppUTest redefines new, which the standard headers must not see.
#include <CppUTest/TestHarness.h>

using namespace braid;
using namespace braid::crypto;

namespace {

// A strict JSON reader (RFC 8259) for the vector file: enough of the
// grammar to reject anything malformed rather than guess.
struct Json {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject } type = Type::kNull;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<Json> array;
  std::map<std::string, Json> object;

  const Json* get(const std::string& key) const {
    auto it = object.find(key);
    return it == object.end() ? nullptr : &it->second;
  }
};

class JsonParser {
 public:
  explicit JsonParser(const std::string& text) : s_(text) {}

  bool parse(Json& out) {
    skip_ws();
    if (!value(out, 0)) return false;
    skip_ws();
    return pos_ == s_.size();
  }

 private:
  void skip_ws() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }
  bool eat(char c) {
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool literal(const char* word) {
    size_t n = strlen(word);
    if (s_.compare(pos_, n, word) != 0) return false;
    pos_ += n;
    return true;
  }
  bool value(Json& out, int depth) {
    if (depth > 32) return false;
    skip_ws();
    if (pos_ >= s_.size()) return false;
    char c = s_[pos_];
    if (c == '{') return object(out, depth);
    if (c == '[') return array(out, depth);
    if (c == '"') {
      out.type = Json::Type::kString;
      return string(out.string);
    }
    if (literal("true")) { out.type = Json::Type::kBool; out.boolean = true; return true; }
    if (literal("false")) { out.type = Json::Type::kBool; return true; }
    if (literal("null")) { out.type = Json::Type::kNull; return true; }
    return number(out);
  }
  bool object(Json& out, int depth) {
    out.type = Json::Type::kObject;
    ++pos_;
    if (eat('}')) return true;
    do {
      skip_ws();
      std::string key;
      if (!string(key) || !eat(':')) return false;
      Json v;
      if (!value(v, depth + 1)) return false;
      if (!out.object.emplace(key, std::move(v)).second) return false;  // duplicate key
    } while (eat(','));
    return eat('}');
  }
  bool array(Json& out, int depth) {
    out.type = Json::Type::kArray;
    ++pos_;
    if (eat(']')) return true;
    do {
      Json v;
      if (!value(v, depth + 1)) return false;
      out.array.push_back(std::move(v));
    } while (eat(','));
    return eat(']');
  }
  bool string(std::string& out) {
    if (pos_ >= s_.size() || s_[pos_] != '"') return false;
    ++pos_;
    while (pos_ < s_.size()) {
      unsigned char c = static_cast<unsigned char>(s_[pos_++]);
      if (c == '"') return true;
      if (c < 0x20) return false;
      if (c != '\\') {
        out.push_back(static_cast<char>(c));
        continue;
      }
      if (pos_ >= s_.size()) return false;
      char e = s_[pos_++];
      switch (e) {
        case '"': case '\\': case '/': out.push_back(e); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          // The vectors are ASCII; a \u escape of ASCII is all we accept.
          if (pos_ + 4 > s_.size()) return false;
          auto v = from_hex(s_.substr(pos_, 4));
          if (!v || (*v)[0] != 0 || (*v)[1] >= 0x80) return false;
          out.push_back(static_cast<char>((*v)[1]));
          pos_ += 4;
          break;
        }
        default: return false;
      }
    }
    return false;
  }
  bool number(Json& out) {
    size_t start = pos_;
    if (pos_ < s_.size() && s_[pos_] == '-') ++pos_;
    auto digits = [&] {
      size_t d = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      return pos_ - d;
    };
    size_t int_start = pos_;
    size_t n = digits();
    if (n == 0 || (n > 1 && s_[int_start] == '0')) return false;
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      if (digits() == 0) return false;
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (digits() == 0) return false;
    }
    out.type = Json::Type::kNumber;
    out.number = std::stod(s_.substr(start, pos_ - start));
    return true;
  }

  const std::string& s_;
  size_t pos_ = 0;
};

std::vector<uint8_t> hex_field(const Json& obj, const char* key) {
  const Json* v = obj.get(key);
  if (!v) return {};
  CHECK_TEXT(v->type == Json::Type::kString, key);
  auto bytes = from_hex(v->string);
  CHECK_TEXT(bytes.has_value(), key);
  return *bytes;
}

std::optional<Key> key_field(const Json& obj, const char* key) {
  if (!obj.get(key)) return std::nullopt;
  auto bytes = hex_field(obj, key);
  CHECK_TEXT(bytes.size() == kKeyLen, key);
  Key k{};
  std::copy(bytes.begin(), bytes.end(), k.begin());
  return k;
}

std::vector<Key> psk_field(const Json& obj, const char* key) {
  std::vector<Key> out;
  const Json* v = obj.get(key);
  if (!v) return out;
  CHECK(v->type == Json::Type::kArray);
  for (const auto& item : v->array) {
    auto bytes = from_hex(item.string);
    CHECK(bytes && bytes->size() == kKeyLen);
    Key k{};
    std::copy(bytes->begin(), bytes->end(), k.begin());
    out.push_back(k);
  }
  return out;
}

HandshakeConfig side_config(const Json& v, bool initiator) {
  const char* p = initiator ? "init_" : "resp_";
  auto field = [&](const char* name) { return std::string(p) + name; };
  HandshakeConfig c;
  c.protocol_name = v.get("protocol_name")->string;
  c.initiator = initiator;
  c.prologue = hex_field(v, field("prologue").c_str());
  c.static_private = key_field(v, field("static").c_str());
  c.ephemeral_private = key_field(v, field("ephemeral").c_str());
  c.remote_static = key_field(v, field("remote_static").c_str());
  c.remote_ephemeral = key_field(v, field("remote_ephemeral").c_str());
  c.psks = psk_field(v, field("psks").c_str());
  return c;
}

bool is_one_way(const std::string& name) {
  // "Noise_Kpsk0_25519_..." -> "Kpsk0"
  const size_t start = name.find('_') + 1;
  auto pattern = parse_pattern(name.substr(start, name.find('_', start) - start), nullptr);
  CHECK_TEXT(pattern.has_value(), name.c_str());
  return pattern->one_way;
}

void check_bytes(const std::string& what, const std::vector<uint8_t>& want,
                 const std::vector<uint8_t>& got) {
  if (want != got) FAIL((what + ": want " + to_hex(want) + " got " + to_hex(got)).c_str());
}

// Runs one vector; both sides are built from it and talk to each other,
// and every byte either side produces is compared with the vector's.
void run_vector(const Json& v) {
  const std::string name = v.get("protocol_name")->string;
  std::string error;
  auto init = HandshakeState::create(side_config(v, true), &error);
  CHECK_TEXT(init.has_value(), (name + ": " + error).c_str());
  auto resp = HandshakeState::create(side_config(v, false), &error);
  CHECK_TEXT(resp.has_value(), (name + ": " + error).c_str());

  const bool one_way = is_one_way(name);
  const auto& messages = v.get("messages")->array;
  std::optional<std::pair<CipherState, CipherState>> ic, rc;
  for (size_t i = 0; i < messages.size(); ++i) {
    const std::string what = name + " message " + std::to_string(i);
    auto payload = hex_field(messages[i], "payload");
    auto ciphertext = hex_field(messages[i], "ciphertext");
    const bool from_initiator = one_way || i % 2 == 0;
    std::vector<uint8_t> sent, received;
    if (!init->finished() || !resp->finished()) {
      HandshakeState& w = from_initiator ? *init : *resp;
      HandshakeState& r = from_initiator ? *resp : *init;
      CHECK_TEXT(w.is_my_turn_to_write(), what.c_str());
      CHECK_TEXT(w.write_message(payload, sent), what.c_str());
      check_bytes(what, ciphertext, sent);
      CHECK_TEXT(r.read_message(sent, received), what.c_str());
      check_bytes(what + " payload", payload, received);
      CHECK_EQUAL(init->finished(), resp->finished());
      if (init->finished()) {
        auto want = hex_field(v, "handshake_hash");
        std::vector<uint8_t> hi(init->handshake_hash().begin(), init->handshake_hash().end());
        std::vector<uint8_t> hr(resp->handshake_hash().begin(), resp->handshake_hash().end());
        check_bytes(name + " handshake hash (initiator)", want, hi);
        check_bytes(name + " handshake hash (responder)", want, hr);
        ic = init->split();
        rc = resp->split();
      }
      continue;
    }
    // Transport: the first split key carries initiator -> responder.
    CipherState& tx = from_initiator ? ic->first : rc->second;
    CipherState& rx = from_initiator ? rc->first : ic->second;
    CHECK_TEXT(tx.encrypt_with_ad({}, payload, sent), what.c_str());
    check_bytes(what, ciphertext, sent);
    CHECK_TEXT(rx.decrypt_with_ad({}, sent, received), what.c_str());
    check_bytes(what + " payload", payload, received);
  }
  CHECK_TEXT(init->finished() && resp->finished(), name.c_str());
}

}  // namespace

TEST_GROUP(NoiseVectors) {};

TEST(NoiseVectors, EveryCacophonyVectorPasses) {
  const std::string path = std::string(BRAID_TESTDATA) + "/noise/cacophony-25519-blake2b.json";
  std::ifstream in(path);
  CHECK_TEXT(in.good(), ("cannot open " + path).c_str());
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  Json root;
  CHECK_TEXT(JsonParser(text).parse(root), "malformed JSON in the vector file");
  const Json* vectors = root.get("vectors");
  CHECK(vectors && vectors->type == Json::Type::kArray);

  const bool aes = aes256gcm_available();
  int passed = 0, skipped = 0, chacha_total = 0, chacha_passed = 0;
  for (const Json& v : vectors->array) {
    const std::string name = v.get("protocol_name")->string;
    const bool is_chacha = name.find("_ChaChaPoly_") != std::string::npos;
    chacha_total += is_chacha;
    if (name.find("_AESGCM_") != std::string::npos && !aes) {
      ++skipped;
      continue;
    }
    run_vector(v);
    ++passed;
    chacha_passed += is_chacha;
  }
  printf("\nnoise vectors: %d passed, %d skipped\n", passed, skipped);
  CHECK(chacha_total > 0);
  LONGS_EQUAL(chacha_total, chacha_passed);
  LONGS_EQUAL(static_cast<long>(vectors->array.size()), passed + skipped);
}

TEST(NoiseVectors, JsonReaderRejectsMalformedInput) {
  const char* bad[] = {"", "{", "{\"a\":1,}", "[1 2]", "{\"a\" 1}", "01", "\"\\x\"",
                       "[1]x", "{\"a\":1,\"a\":2}", "tru", "\"a\nb\""};
  for (const char* text : bad) {
    Json j;
    std::string s(text);
    CHECK_FALSE_TEXT(JsonParser(s).parse(j), text);
  }
  Json j;
  std::string ok = " {\"a\": [1, -2.5e3, true, null, \"x\\u0041\"]} ";
  CHECK(JsonParser(ok).parse(j));
  STRCMP_EQUAL("xA", j.get("a")->array[4].string.c_str());
}
