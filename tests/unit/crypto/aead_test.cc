// The transport AEAD: round trips, every kind of tampering refused, the
// explicit plaintext mode, and agreement with the Noise CipherState.
#include "crypto/aead.h"

#include <array>
#include <vector>

#include "crypto/noise.h"
#include "crypto/sodium.h"

#include <CppUTest/TestHarness.h>

using namespace braid::crypto;

namespace {

std::array<uint8_t, 32> test_key(uint8_t seed) {
  std::array<uint8_t, 32> k;
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(seed + i * 7);
  return k;
}

std::vector<TransportCipher> real_ciphers() {
  std::vector<TransportCipher> out{TransportCipher::kChaCha20Poly1305};
  if (aes256gcm_available()) out.push_back(TransportCipher::kAes256Gcm);
  return out;
}

const std::array<uint8_t, 8> kAd = {1, 2, 3, 4, 5, 6, 7, 8};

struct Sealed {
  std::vector<uint8_t> data;
  std::array<uint8_t, 16> tag{};
};

Sealed seal(const TransportKey& key, uint64_t counter, const std::vector<uint8_t>& pt) {
  Sealed s{pt, {}};
  key.seal(counter, kAd, s.data.data(), s.data.size(), s.tag.data());
  return s;
}

bool open(const TransportKey& key, uint64_t counter, Sealed s, std::span<const uint8_t> ad = kAd) {
  return key.open(counter, ad, s.data.data(), s.data.size(), s.tag.data());
}

}  // namespace

TEST_GROUP(Aead) {
  std::vector<uint8_t> plaintext = std::vector<uint8_t>(1400, 0x5a);
};

TEST(Aead, SealedPacketOpensToThePlaintext) {
  for (auto c : real_ciphers()) {
    TransportKey key(c, test_key(1));
    Sealed s = seal(key, 42, plaintext);
    CHECK(s.data != plaintext);
    CHECK(key.open(42, kAd, s.data.data(), s.data.size(), s.tag.data()));
    CHECK(s.data == plaintext);
  }
}

TEST(Aead, EmptyPayloadRoundTrips) {
  for (auto c : real_ciphers()) {
    TransportKey key(c, test_key(1));
    Sealed s = seal(key, 0, {});
    CHECK(open(key, 0, s));
  }
}

TEST(Aead, TamperedCiphertextFailsToOpen) {
  for (auto c : real_ciphers()) {
    TransportKey key(c, test_key(1));
    Sealed s = seal(key, 7, plaintext);
    s.data[100] ^= 0x01;
    CHECK_FALSE(open(key, 7, s));
  }
}

TEST(Aead, TamperedTagFailsToOpen) {
  for (auto c : real_ciphers()) {
    TransportKey key(c, test_key(1));
    Sealed s = seal(key, 7, plaintext);
    s.tag[15] ^= 0x80;
    CHECK_FALSE(open(key, 7, s));
  }
}

TEST(Aead, TamperedAssociatedDataFailsToOpen) {
  for (auto c : real_ciphers()) {
    TransportKey key(c, test_key(1));
    Sealed s = seal(key, 7, plaintext);
    auto ad = kAd;
    ad[0] ^= 0xff;
    CHECK_FALSE(open(key, 7, s, ad));
  }
}

TEST(Aead, WrongCounterFailsToOpen) {
  for (auto c : real_ciphers()) {
    TransportKey key(c, test_key(1));
    Sealed s = seal(key, 7, plaintext);
    CHECK_FALSE(open(key, 8, s));
    CHECK_FALSE(open(key, 7ull << 32, s));  // a byte-order mix-up would land here
  }
}

TEST(Aead, WrongKeyFailsToOpen) {
  for (auto c : real_ciphers()) {
    TransportKey key(c, test_key(1));
    TransportKey other(c, test_key(2));
    CHECK_FALSE(open(other, 7, seal(key, 7, plaintext)));
  }
}

TEST(Aead, ReservedCounterIsRefusedOnOpen) {
  TransportKey key(TransportCipher::kChaCha20Poly1305, test_key(1));
  CHECK_FALSE(open(key, UINT64_MAX, seal(key, UINT64_MAX, plaintext)));
}

TEST(Aead, ChaChaAndAesGcmGiveDifferentCiphertexts) {
  if (!aes256gcm_available()) return;
  TransportKey chacha(TransportCipher::kChaCha20Poly1305, test_key(1));
  TransportKey aes(TransportCipher::kAes256Gcm, test_key(1));
  Sealed a = seal(chacha, 1, plaintext);
  Sealed b = seal(aes, 1, plaintext);
  CHECK(a.data != b.data);
  CHECK_FALSE(open(aes, 1, a));
}

TEST(Aead, PlaintextModeRoundTripsWithoutTag) {
  TransportKey key(TransportCipher::kNone, test_key(1));
  LONGS_EQUAL(0, key.tag_len());
  Sealed s = seal(key, 3, plaintext);
  CHECK(s.data == plaintext);
  CHECK(open(key, 3, s));
  CHECK(s.data == plaintext);
}

TEST(Aead, TagLengthIsSixteenForRealCiphers) {
  for (auto c : real_ciphers()) LONGS_EQUAL(16, TransportKey(c, test_key(1)).tag_len());
}

TEST(Aead, EmptyKeyIsInvalidAndNeverOpens) {
  TransportKey key;
  CHECK_FALSE(key.valid());
  CHECK_FALSE(open(key, 0, Sealed{plaintext, {}}));
}

TEST(Aead, MovedKeyStillWorksAndTheSourceIsEmpty) {
  for (auto c : real_ciphers()) {
    TransportKey a(c, test_key(1));
    Sealed s = seal(a, 9, plaintext);
    TransportKey b(std::move(a));
    CHECK_FALSE(a.valid());
    CHECK(open(b, 9, s));
    TransportKey d;
    d = std::move(b);
    CHECK_FALSE(b.valid());
    CHECK(open(d, 9, s));
  }
}

TEST(Aead, SealMatchesNoiseCipherStateAtTheSameNonce) {
  std::vector<CipherKind> kinds{CipherKind::kChaChaPoly};
  if (aes256gcm_available()) kinds.push_back(CipherKind::kAesGcm);
  for (auto kind : kinds) {
    for (uint64_t n : {0ull, 1ull, 0x0102030405060708ull}) {
      CipherState cs(kind);
      auto k = test_key(3);
      cs.initialize_key(k);
      cs.set_nonce(n);
      std::vector<uint8_t> noise_ct;
      CHECK(cs.encrypt_with_ad(kAd, plaintext, noise_ct));

      TransportKey key = to_transport_key(cs);
      CHECK(key.valid());
      Sealed s = seal(key, n, plaintext);
      std::vector<uint8_t> ours = s.data;
      ours.insert(ours.end(), s.tag.begin(), s.tag.end());
      CHECK(noise_ct == ours);
    }
  }
}
