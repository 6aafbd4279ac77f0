// The armoured text form of keys, certificates and revocation lists:
// base64 between BEGIN and END lines, so the files can be mailed, pasted
// and annotated.
#include "identity/armor.h"

#include <sodium.h>

#include "crypto/sodium.h"

namespace braid::identity {
namespace {

constexpr size_t kLineLen = 64;
constexpr std::string_view kDashes = "-----";

std::string_view trim(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

// "-----BEGIN X-----" -> "X" when `word` is "BEGIN"; empty otherwise.
std::string_view boundary_label(std::string_view line, std::string_view word) {
  if (line.size() < 2 * kDashes.size() + word.size() + 1) return {};
  if (!line.starts_with(kDashes) || !line.ends_with(kDashes)) return {};
  line = line.substr(kDashes.size(), line.size() - 2 * kDashes.size());
  if (!line.starts_with(word) || line[word.size()] != ' ') return {};
  return line.substr(word.size() + 1);
}

bool decode_base64(const std::string& b64, std::string_view label, size_t max_len,
                   std::vector<uint8_t>* out, std::string* why) {
  out->clear();
  if (b64.empty()) return true;
  if (b64.size() % 4 != 0) {
    *why = std::string(label) + ": invalid base64 (length not a multiple of 4)";
    return false;
  }
  size_t decoded = b64.size() / 4 * 3;
  if (b64.back() == '=') --decoded;
  if (b64[b64.size() - 2] == '=') --decoded;
  if (decoded > max_len) {
    *why = std::string(label) + ": " + std::to_string(decoded) + " bytes, more than the " +
           std::to_string(max_len) + " allowed";
    return false;
  }
  crypto::init();
  out->resize(decoded);
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out->data(), out->size(), b64.data(), b64.size(), nullptr, &len, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != b64.data() + b64.size() || len != decoded) {
    *why = std::string(label) + ": invalid base64";
    out->clear();
    return false;
  }
  return true;
}

// Decodes the blocks with this label, at most `limit` of them. Sets
// *others to the labels of other blocks seen, for the error message.
bool scan(std::string_view text, std::string_view label, size_t max_len, size_t limit,
          std::vector<std::vector<uint8_t>>* out, std::string* others, std::string* why) {
  out->clear();
  // Base64 never needs more than this many characters for max_len bytes.
  const size_t max_b64 = (max_len + 2) / 3 * 4;
  bool inside = false;
  std::string b64;
  size_t line_no = 0;
  while (!text.empty() && out->size() < limit) {
    const size_t nl = text.find('\n');
    const std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    if (!inside) {
      const std::string_view begin = boundary_label(line, "BEGIN");
      if (begin == label) {
        inside = true;
        b64.clear();
      } else if (!begin.empty()) {
        if (!others->empty()) *others += ", ";
        *others += begin;
      }
      continue;
    }
    if (line.starts_with(kDashes)) {
      if (boundary_label(line, "END") != label) {
        *why = std::string(label) + ": line " + std::to_string(line_no) + ": expected '-----END " +
               std::string(label) + "-----'";
        return false;
      }
      std::vector<uint8_t> data;
      if (!decode_base64(b64, label, max_len, &data, why)) return false;
      out->push_back(std::move(data));
      inside = false;
      continue;
    }
    b64 += line;
    if (b64.size() > max_b64) {
      *why = std::string(label) + ": more than " + std::to_string(max_len) + " bytes";
      return false;
    }
  }
  if (inside) {
    *why = std::string(label) + ": no '-----END " + std::string(label) + "-----' line";
    return false;
  }
  return true;
}

}  // namespace

std::string armor(std::string_view label, std::span<const uint8_t> data) {
  crypto::init();
  std::string b64(sodium_base64_encoded_len(data.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(b64.data(), b64.size(), data.data(), data.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  b64.resize(b64.size() - 1);  // the terminating NUL
  std::string out = "-----BEGIN " + std::string(label) + "-----\n";
  for (size_t i = 0; i < b64.size(); i += kLineLen) {
    out.append(b64, i, kLineLen);
    out += '\n';
  }
  out += "-----END " + std::string(label) + "-----\n";
  return out;
}

bool dearmor(std::string_view text, std::string_view label, size_t max_len,
             std::vector<uint8_t>* out, std::string* why) {
  std::vector<std::vector<uint8_t>> blocks;
  std::string others;
  if (!scan(text, label, max_len, 1, &blocks, &others, why)) return false;
  if (blocks.empty()) {
    *why = "no '-----BEGIN " + std::string(label) + "-----' block";
    if (!others.empty()) *why += " (found " + others + ")";
    return false;
  }
  *out = std::move(blocks.front());
  return true;
}

bool dearmor_all(std::string_view text, std::string_view label, size_t max_len,
                 std::vector<std::vector<uint8_t>>* out, std::string* why) {
  std::string others;
  return scan(text, label, max_len, SIZE_MAX, out, &others, why);
}

}  // namespace braid::identity
