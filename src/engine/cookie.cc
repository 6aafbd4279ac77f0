// mac1/mac2 and cookies; see cookie.h.
#include "engine/cookie.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "common/bytes.h"

namespace braid::engine {
namespace {

std::array<uint8_t, 32> derive(const char* label, const Magic& magic,
                               std::span<const uint8_t> material) {
  std::array<uint8_t, 32> out;
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, out.size());
  crypto_generichash_update(&st, reinterpret_cast<const uint8_t*>(label), strlen(label));
  crypto_generichash_update(&st, magic.data(), magic.size());
  crypto_generichash_update(&st, material.data(), material.size());
  crypto_generichash_final(&st, out.data(), out.size());
  return out;
}

void mac(std::span<const uint8_t> key, std::span<const uint8_t> data, uint8_t* out) {
  crypto_generichash(out, kMacLen, data.data(), data.size(), key.data(), key.size());
}

}  // namespace

MacKey derive_mac_key(const Magic& magic, std::span<const uint8_t> material) {
  MacKey k;
  k.mac1 = derive("braid mac1 v1", magic, material);
  k.cookie = derive("braid cookie v1", magic, material);
  return k;
}

void write_mac1(std::span<uint8_t> pkt, const MacKey& key) {
  size_t at = pkt.size() - 2 * kMacLen;
  mac(key.mac1, pkt.first(at), pkt.data() + at);
}

bool check_mac1(std::span<const uint8_t> pkt, const MacKey& key) {
  if (pkt.size() < 2 * kMacLen) return false;
  size_t at = pkt.size() - 2 * kMacLen;
  uint8_t expect[kMacLen];
  mac(key.mac1, pkt.first(at), expect);
  return sodium_memcmp(expect, pkt.data() + at, kMacLen) == 0;
}

void write_mac2(std::span<uint8_t> pkt, std::span<const uint8_t, kCookieLen> cookie) {
  size_t at = pkt.size() - kMacLen;
  mac(cookie, pkt.first(at), pkt.data() + at);
}

bool check_mac2(std::span<const uint8_t> pkt, std::span<const uint8_t, kCookieLen> cookie) {
  if (pkt.size() < 2 * kMacLen) return false;
  size_t at = pkt.size() - kMacLen;
  uint8_t expect[kMacLen];
  mac(cookie, pkt.first(at), expect);
  return sodium_memcmp(expect, pkt.data() + at, kMacLen) == 0;
}

bool CookieChecker::note_initiation(uint64_t now_ns) {
  if (now_ns - window_start_ns_ >= 1000000000ull) {
    previous_count_ = now_ns - window_start_ns_ < 2000000000ull ? count_ : 0;
    window_start_ns_ = now_ns;
    count_ = 0;
  }
  ++count_;
  return count_ > threshold_ || previous_count_ > threshold_;
}

void CookieChecker::rotate(uint64_t now_ns) {
  if (has_secret_ && now_ns - secret_born_ns_ < kCookieSecretLifetimeNs) return;
  // A previous secret older than two lifetimes has no cookie still in use.
  if (has_secret_ && now_ns - secret_born_ns_ < 2 * kCookieSecretLifetimeNs)
    previous_secret_ = secret_;
  else
    randombytes_buf(previous_secret_.data(), previous_secret_.size());
  randombytes_buf(secret_.data(), secret_.size());
  randombytes_buf(nonce_prefix_.data(), nonce_prefix_.size());
  nonce_counter_ = 0;
  secret_born_ns_ = now_ns;
  has_secret_ = true;
}

std::array<uint8_t, kCookieLen> CookieChecker::cookie_for(const std::array<uint8_t, 32>& secret,
                                                          const Endpoint& from) const {
  uint8_t data[16 + 2];
  memcpy(data, &from.sa.sin6_addr, 16);
  memcpy(data + 16, &from.sa.sin6_port, 2);   // already in network byte order
  std::array<uint8_t, kCookieLen> out;
  mac(secret, data, out.data());
  return out;
}

bool CookieChecker::check(std::span<const uint8_t> pkt, const Endpoint& from, uint64_t now_ns) {
  rotate(now_ns);
  last_from_ = from;
  last_cookie_ = cookie_for(secret_, from);
  // An initiation without a cookie carries a zero mac2: no need to try
  // the previous secret for it.
  static const uint8_t kZero[kMacLen] = {};
  if (pkt.size() < kMacLen || memcmp(pkt.data() + pkt.size() - kMacLen, kZero, kMacLen) == 0)
    return false;
  return check_mac2(pkt, last_cookie_) || check_mac2(pkt, cookie_for(previous_secret_, from));
}

void CookieChecker::make_reply(std::span<const uint8_t> pkt, const Endpoint& from,
                               const MacKey& key, const Magic& magic,
                               std::span<uint8_t, kCookieReplyLen> out) {
  const auto cookie = from == last_from_ ? last_cookie_ : cookie_for(secret_, from);
  uint8_t* p = out.data();
  memcpy(p, magic.data(), kMagicLen);
  p[kMagicLen] = static_cast<uint8_t>(PacketType::kCookieReply);
  // The initiator's sender index names its handshake.
  memcpy(p + kPrefixLen, pkt.data() + kPrefixLen, kIndexLen);
  uint8_t* nonce = p + kPrefixLen + kIndexLen;
  memcpy(nonce, nonce_prefix_.data(), nonce_prefix_.size());
  put_be64(nonce + nonce_prefix_.size(), ++nonce_counter_);
  const uint8_t* mac1 = pkt.data() + pkt.size() - 2 * kMacLen;
  crypto_aead_xchacha20poly1305_ietf_encrypt(nonce + kCookieNonceLen, nullptr, cookie.data(),
                                             cookie.size(), mac1, kMacLen, nullptr, nonce,
                                             key.cookie.data());
}

bool CookieJar::accept_reply(std::span<const uint8_t> reply, const MacKey& key,
                             std::span<const uint8_t, kMacLen> sent_mac1, const Endpoint& to,
                             uint64_t now_ns) {
  if (reply.size() != kCookieReplyLen) return false;
  const uint8_t* nonce = reply.data() + kPrefixLen + kIndexLen;
  std::array<uint8_t, kCookieLen> cookie;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(cookie.data(), nullptr, nullptr,
                                                 nonce + kCookieNonceLen, kCookieLen + kTagLen,
                                                 sent_mac1.data(), kMacLen, nonce,
                                                 key.cookie.data()) != 0)
    return false;
  auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.to == to; });
  if (it == entries_.end()) {
    if (entries_.size() >= kMaxEntries) {
      it = std::min_element(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
        return a.received_ns < b.received_ns;
      });
    } else {
      it = entries_.insert(entries_.end(), Entry{});
    }
  }
  it->to = to;
  it->cookie = cookie;
  it->received_ns = now_ns;
  return true;
}

const std::array<uint8_t, kCookieLen>* CookieJar::find(const Endpoint& to, uint64_t now_ns) const {
  for (const Entry& e : entries_)
    if (e.to == to && now_ns - e.received_ns < kCookieUseNs) return &e.cookie;
  return nullptr;
}

}  // namespace braid::engine
