// mac1/mac2, the responder's load test and cookies, the initiator's jar.
#include "engine/cookie.h"

#include <cstring>

#include "common/bytes.h"
#include "common/clock.h"

#include <CppUTest/TestHarness.h>

using namespace braid;
using namespace braid::engine;

namespace {

const Magic kMagic = {1, 2, 3, 4};

std::vector<uint8_t> initiation(uint8_t fill) {
  std::vector<uint8_t> p(kMinInitLen, fill);
  memcpy(p.data(), kMagic.data(), 4);
  p[4] = static_cast<uint8_t>(PacketType::kHandshakeInit);
  memset(p.data() + p.size() - kInitMacsLen, 0, kInitMacsLen);
  return p;
}

Endpoint ep(uint8_t last, uint16_t port = 3210) {
  const uint8_t a[4] = {192, 0, 2, last};
  return Endpoint::from_bytes(4, a, port);
}

}  // namespace

TEST_GROUP(Cookie) {};

TEST(Cookie, Mac1VerifiesOnlyUnderItsKeyAndOverEveryByte) {
  MacKey k = derive_mac_key(kMagic, std::vector<uint8_t>(32, 7));
  MacKey other = derive_mac_key(kMagic, std::vector<uint8_t>(32, 8));
  CHECK(!(k == other));
  // The magic is part of the derivation: another network, another key.
  CHECK(!(k == derive_mac_key({1, 2, 3, 5}, std::vector<uint8_t>(32, 7))));
  auto p = initiation(9);
  write_mac1(p, k);
  CHECK(check_mac1(p, k));
  CHECK_FALSE(check_mac1(p, other));
  for (size_t i = 0; i < p.size() - kMacLen; ++i) {
    p[i] ^= 1;
    CHECK_FALSE(check_mac1(p, k));
    p[i] ^= 1;
  }
  // mac2 is not covered by mac1.
  p.back() ^= 1;
  CHECK(check_mac1(p, k));
  CHECK_FALSE(check_mac1(std::vector<uint8_t>(10), k));
}

TEST(Cookie, UnderLoadOnlyPastTheThresholdAndForASecondAfter) {
  CookieChecker c(3);
  uint64_t t = 5 * kNsPerSec;
  for (int i = 0; i < 3; ++i) CHECK_FALSE(c.note_initiation(t));
  CHECK(c.note_initiation(t));
  // The next second still remembers the busy one.
  CHECK(c.note_initiation(t + kNsPerSec + 1));
  // A quiet second later, no more.
  CHECK_FALSE(c.note_initiation(t + 3 * kNsPerSec));
}

TEST(Cookie, AReplyGivesTheInitiatorACookieThatMakesAValidMac2) {
  CookieChecker checker(0);
  CookieJar jar;
  MacKey k = derive_mac_key(kMagic, {});
  Endpoint initiator = ep(1), responder = ep(2);
  uint64_t now = 10 * kNsPerSec;
  auto p = initiation(3);
  put_be32(p.data() + kPrefixLen, 0xabcd);
  write_mac1(p, k);
  CHECK_FALSE(checker.check(p, initiator, now));

  std::array<uint8_t, kCookieReplyLen> reply;
  checker.make_reply(p, initiator, k, kMagic, reply);
  LONGS_EQUAL(static_cast<uint8_t>(PacketType::kCookieReply), reply[4]);
  LONGS_EQUAL(0xabcd, get_be32(reply.data() + kPrefixLen));
  std::array<uint8_t, kMacLen> mac1;
  memcpy(mac1.data(), p.data() + p.size() - kInitMacsLen, kMacLen);
  // Sealed to the mac1 key and the initiation's mac1.
  CHECK_FALSE(jar.accept_reply(reply, derive_mac_key(kMagic, std::vector<uint8_t>(1, 1)), mac1,
                               responder, now));
  auto wrong_mac1 = mac1;
  wrong_mac1[0] ^= 1;
  CHECK_FALSE(jar.accept_reply(reply, k, wrong_mac1, responder, now));
  CHECK(jar.find(responder, now) == nullptr);
  CHECK(jar.accept_reply(reply, k, mac1, responder, now));
  const auto* cookie = jar.find(responder, now);
  CHECK(cookie != nullptr);

  auto again = initiation(4);
  write_mac1(again, k);
  write_mac2(again, *cookie);
  CHECK(checker.check(again, initiator, now));
  // The cookie is bound to the address and port it was made for.
  CHECK_FALSE(checker.check(again, ep(1, 3211), now));
  CHECK_FALSE(checker.check(again, ep(9), now));
  // It survives one renewal of the secret, not two.
  CHECK(checker.check(again, initiator, now + kCookieSecretLifetimeNs));
  CHECK_FALSE(checker.check(again, initiator, now + 2 * kCookieSecretLifetimeNs + 1));
  // The initiator stops using it before the responder forgets it.
  CHECK(jar.find(responder, now + kCookieUseNs + 1) == nullptr);
}

TEST(Cookie, TheJarHoldsABoundedNumberOfCookies) {
  CookieChecker checker(0);
  CookieJar jar;
  MacKey k = derive_mac_key(kMagic, {});
  auto p = initiation(1);
  write_mac1(p, k);
  std::array<uint8_t, kMacLen> mac1;
  memcpy(mac1.data(), p.data() + p.size() - kInitMacsLen, kMacLen);
  for (size_t i = 0; i < CookieJar::kMaxEntries + 10; ++i) {
    std::array<uint8_t, kCookieReplyLen> reply;
    checker.check(p, ep(1), i);
    checker.make_reply(p, ep(1), k, kMagic, reply);
    CHECK(jar.accept_reply(reply, k, mac1, ep(1, static_cast<uint16_t>(1000 + i)), i + 1));
  }
  // Every reply has its own nonce.
  std::array<uint8_t, kCookieReplyLen> r1, r2;
  checker.make_reply(p, ep(1), k, kMagic, r1);
  checker.make_reply(p, ep(1), k, kMagic, r2);
  CHECK(memcmp(r1.data() + kPrefixLen + kIndexLen, r2.data() + kPrefixLen + kIndexLen,
               kCookieNonceLen) != 0);
  // The oldest made room for the newest.
  CHECK(jar.find(ep(1, 1000), 100) == nullptr);
  CHECK(jar.find(ep(1, static_cast<uint16_t>(1000 + CookieJar::kMaxEntries + 9)), 100) != nullptr);
}
