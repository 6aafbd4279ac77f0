// BLAKE2b, HMAC-BLAKE2b and Noise's HKDF against values computed with an
// independent implementation (Python's hashlib and hmac).
#include "crypto/hash.h"

#include <sodium.h>

#include <string>
#include <vector>

#include "common/hex.h"
#include "crypto/sodium.h"

#include <CppUTest/TestHarness.h>

using namespace braid;
using namespace braid::crypto;

namespace {

std::span<const uint8_t> text(const char* s) {
  return {reinterpret_cast<const uint8_t*>(s), strlen(s)};
}

std::vector<uint8_t> range(int from, int to) {
  std::vector<uint8_t> v;
  for (int i = from; i < to; ++i) v.push_back(static_cast<uint8_t>(i));
  return v;
}

}  // namespace

TEST_GROUP(Hash) {};

TEST(Hash, Blake2bMatchesKnownDigests) {
  STRCMP_EQUAL(
      "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
      "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923",
      to_hex(blake2b(text("abc"))).c_str());
  STRCMP_EQUAL(
      "786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419"
      "d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce",
      to_hex(blake2b({})).c_str());
}

TEST(Hash, Blake2bOfTwoPartsEqualsBlake2bOfTheirConcatenation) {
  CHECK(blake2b(text("ab"), text("c")) == blake2b(text("abc")));
  CHECK(blake2b({}, text("abc")) == blake2b(text("abc")));
}

TEST(Hash, HmacWithHashLengthKeyMatchesIndependentValue) {
  auto key = range(0, 64);
  STRCMP_EQUAL(
      "d5c354db8734599df655a766636031ffe97c7a231686edbe2433cf806e247635"
      "e49799b8116ef17632c422f08616e059cd0792b81c48a40b7f291c5f622269c4",
      to_hex(hmac_blake2b(key, text("braid hmac test"))).c_str());
}

TEST(Hash, HmacWithShortKeyMatchesIndependentValue) {
  STRCMP_EQUAL(
      "92294f92c0dfb9b00ec9ae8bd94d7e7d8a036b885a499f149dfe2fd2199394aa"
      "af6b8894a1730cccb2cd050f9bcf5062a38b51b0dab33207f8ef35ae2c9df51b",
      to_hex(hmac_blake2b(text("key"), text("The quick brown fox jumps over the lazy dog")))
          .c_str());
}

TEST(Hash, HmacHashesAKeyLongerThanOneBlockFirst) {
  std::vector<uint8_t> key(131, 0xaa);
  STRCMP_EQUAL(
      "a54b2943b2a20227d41ca46c0945af09bc1faefb2f49894c23aebc557fb79c48"
      "89dca74408dc865086667aedee4a3185c53a49c80b814c4c5813ea0c8b38a8f8",
      to_hex(hmac_blake2b(key, text("Test Using Larger Than Block-Size Key - Hash Key First")))
          .c_str());
}

TEST(Hash, HmacIsNotBlake2bKeyedMode) {
  auto key = range(0, 64);
  Digest keyed;
  const auto msg = text("braid hmac test");
  crypto_generichash(keyed.data(), keyed.size(), msg.data(), msg.size(), key.data(),
                     key.size());
  CHECK(keyed != hmac_blake2b(key, msg));
}

TEST(Hash, Hkdf3MatchesIndependentValues) {
  auto ck = range(0x40, 0x80);
  auto ikm = range(0, 32);
  Digest o1, o2, o3;
  hkdf3(ck, ikm, o1, o2, o3);
  STRCMP_EQUAL(
      "1cc10dea66b8bb51820aec3bd82ac8477e6d8594fb61e7f9f0080fc429f5595f"
      "8a3cb8af14ccbee1082aef9513191c3c2aeb5d50d6d471d048e8ba5f0f3f4c19",
      to_hex(o1).c_str());
  STRCMP_EQUAL(
      "c8382b1474771d6f5e6c301e949a3a1c4720807434b608b39b86c6e5f0b26c05"
      "e0fb29438924c5b7293fb00bba0f4a3eae07e27927881008a45018b78b10c92c",
      to_hex(o2).c_str());
  STRCMP_EQUAL(
      "dea80b274bfce3eae687044bd7e53b529dfd8675e206493a9e6ea39467fb9ffe"
      "12791d10ebac5256362edcc538a15fdcdea97a2265182058bdb94d03428126cd",
      to_hex(o3).c_str());
}

TEST(Hash, Hkdf2WithEmptyInputMatchesIndependentValues) {
  auto ck = range(0x40, 0x80);
  Digest o1, o2;
  hkdf2(ck, {}, o1, o2);
  STRCMP_EQUAL(
      "fbae6305753b22641f6bc7924aaae82065a324f57985244d97c623b209ffc86e"
      "88b1496ad12ae6de65727d4c0be2b3a44cda6af02a62a454f88d38c69353e8af",
      to_hex(o1).c_str());
  STRCMP_EQUAL(
      "22c794d3a500f0e2db08a64e17a4bc4c563216d0a8aea052f02beb380aa4bbcd"
      "b035a49f1582b15ac175213963cfbae779d181a19f433aae985889408a8552cd",
      to_hex(o2).c_str());
}

TEST(Hash, HkdfOutputsMayAliasTheChainingKey) {
  // SymmetricState::mix_key writes the new chaining key over the old one.
  auto ck_bytes = range(0x40, 0x80);
  Digest ck;
  std::copy(ck_bytes.begin(), ck_bytes.end(), ck.begin());
  Digest o1, o2, o3;
  hkdf3(ck, range(0, 32), o1, o2, o3);
  Digest t2, t3;
  hkdf3(ck, range(0, 32), ck, t2, t3);
  CHECK(ck == o1);
  CHECK(t2 == o2);
  CHECK(t3 == o3);
}

TEST_GROUP(Sodium) {};

TEST(Sodium, InitIsIdempotent) {
  init();
  init();
  CHECK(aes256gcm_available() == aes256gcm_available());
}

TEST(Sodium, Sha256MatchesKnownDigest) {
  // "--magic hash:corp" takes the first four bytes of this.
  STRCMP_EQUAL("19f4c684a3ff4f2dfa73b8d9098257cfb08e3da6b5ac7f86aa3aa36537018265",
               to_hex(sha256(text("corp"))).c_str());
  STRCMP_EQUAL("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
               to_hex(sha256({})).c_str());
}
