// BLAKE2b, HMAC-BLAKE2b and Noise's HKDF, on libsodium's crypto_generichash.
#include "crypto/hash.h"

#include <sodium.h>

#include <algorithm>

#include "crypto/sodium.h"

namespace braid::crypto {

namespace {

void update(crypto_generichash_state& st, std::span<const uint8_t> data) {
  if (!data.empty()) crypto_generichash_update(&st, data.data(), data.size());
}

void start(crypto_generichash_state& st) {
  crypto_generichash_init(&st, nullptr, 0, kHashLen);
}

void finish(crypto_generichash_state& st, Digest& out) {
  crypto_generichash_final(&st, out.data(), out.size());
}

}  // namespace

Digest blake2b(std::span<const uint8_t> data) { return blake2b(data, {}); }

Digest blake2b(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  init();
  crypto_generichash_state st;
  start(st);
  update(st, a);
  update(st, b);
  Digest out;
  finish(st, out);
  return out;
}

Digest hmac_blake2b(std::span<const uint8_t> key, std::span<const uint8_t> data) {
  init();
  // K' is the key zero-padded to one block; a key longer than a block is
  // hashed first (RFC 2104 section 2). Noise keys are always 64 bytes.
  std::array<uint8_t, kBlockLen> pad{};
  if (key.size() > kBlockLen) {
    Digest hk = blake2b(key);
    std::copy(hk.begin(), hk.end(), pad.begin());
    sodium_memzero(hk.data(), hk.size());
  } else if (!key.empty()) {
    std::copy(key.begin(), key.end(), pad.begin());
  }

  for (auto& b : pad) b ^= 0x36;
  crypto_generichash_state st;
  start(st);
  update(st, pad);
  update(st, data);
  Digest inner;
  finish(st, inner);

  for (auto& b : pad) b ^= 0x36 ^ 0x5c;
  start(st);
  update(st, pad);
  update(st, inner);
  Digest out;
  finish(st, out);

  sodium_memzero(pad.data(), pad.size());
  sodium_memzero(inner.data(), inner.size());
  sodium_memzero(&st, sizeof st);
  return out;
}

namespace {

// Noise's HKDF: temp_key = HMAC(ck, ikm); output i = HMAC(temp_key,
// output i-1 || byte i), output 0 being empty.
void hkdf(std::span<const uint8_t> chaining_key, std::span<const uint8_t> ikm,
          Digest* outs[], int n) {
  Digest temp_key = hmac_blake2b(chaining_key, ikm);
  std::array<uint8_t, kHashLen + 1> in;
  for (int i = 0; i < n; ++i) {
    const size_t off = i == 0 ? kHashLen : 0;  // first input is the byte only
    if (i > 0) std::copy(outs[i - 1]->begin(), outs[i - 1]->end(), in.begin());
    in[kHashLen] = static_cast<uint8_t>(i + 1);
    *outs[i] = hmac_blake2b(temp_key, std::span<const uint8_t>(in).subspan(off));
  }
  sodium_memzero(in.data(), in.size());
  sodium_memzero(temp_key.data(), temp_key.size());
}

}  // namespace

void hkdf2(std::span<const uint8_t> chaining_key, std::span<const uint8_t> ikm,
           Digest& out1, Digest& out2) {
  Digest* outs[] = {&out1, &out2};
  hkdf(chaining_key, ikm, outs, 2);
}

void hkdf3(std::span<const uint8_t> chaining_key, std::span<const uint8_t> ikm,
           Digest& out1, Digest& out2, Digest& out3) {
  Digest* outs[] = {&out1, &out2, &out3};
  hkdf(chaining_key, ikm, outs, 3);
}

}  // namespace braid::crypto
