// The Noise layer's behaviour beyond the vectors: protocol names, required
// keys, every pattern and psk placement talking to itself, and refusal of
// wrong, tampered, truncated and oversized messages without a crash.
#include "crypto/noise.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "crypto/sodium.h"

#include <CppUTest/TestHarness.h>

using namespace braid::crypto;

namespace {

const char* kXXpsk0 = "Noise_XXpsk0_25519_ChaChaPoly_BLAKE2b";

Key fixed_key(uint8_t seed) {
  Key k;
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(seed * 31 + i);
  return k;
}

std::vector<uint8_t> bytes(const char* s) { return {s, s + strlen(s)}; }

struct Pair {
  HandshakeState init;
  HandshakeState resp;
};

// Both sides of a handshake with fixed keys (so messages are repeatable),
// each knowing the other's static key when the pattern pre-shares it.
Pair make_pair(const std::string& name, const Key& init_psk, const Key& resp_psk,
               int psk_count) {
  HandshakeConfig i, r;
  i.protocol_name = r.protocol_name = name;
  i.initiator = true;
  i.prologue = r.prologue = bytes("braid test");
  i.static_private = fixed_key(1);
  r.static_private = fixed_key(2);
  i.ephemeral_private = fixed_key(3);
  r.ephemeral_private = fixed_key(4);
  i.remote_static = public_key(fixed_key(2));
  r.remote_static = public_key(fixed_key(1));
  for (int n = 0; n < psk_count; ++n) {
    i.psks.push_back(init_psk);
    r.psks.push_back(resp_psk);
  }
  std::string error;
  auto hi = HandshakeState::create(i, &error);
  CHECK_TEXT(hi.has_value(), error.c_str());
  auto hr = HandshakeState::create(r, &error);
  CHECK_TEXT(hr.has_value(), error.c_str());
  return Pair{std::move(*hi), std::move(*hr)};
}

Pair make_xxpsk0() { return make_pair(kXXpsk0, fixed_key(9), fixed_key(9), 1); }

// Runs messages 0..n-1 of a handshake; returns message n as written (not
// yet read), or everything run when n is past the end.
std::vector<uint8_t> run_until(Pair& p, size_t n) {
  for (size_t m = 0;; ++m) {
    if (p.init.finished() && p.resp.finished()) return {};
    HandshakeState& w = p.init.is_my_turn_to_write() ? p.init : p.resp;
    HandshakeState& r = &w == &p.init ? p.resp : p.init;
    std::vector<uint8_t> msg, payload;
    CHECK(w.write_message(bytes("payload"), msg));
    if (m == n) return msg;
    CHECK(r.read_message(msg, payload));
    CHECK(payload == bytes("payload"));
  }
}

HandshakeState& reader_of(Pair& p, size_t n) { return n % 2 == 0 ? p.resp : p.init; }

void check_transport_works(Pair& p) {
  auto [i_send, i_recv] = p.init.split();
  auto rc = p.resp.split();
  CHECK(i_send.has_key());
  std::vector<uint8_t> ct, pt;
  CHECK(i_send.encrypt_with_ad({}, bytes("to responder"), ct));
  CHECK(rc.first.decrypt_with_ad({}, ct, pt));
  CHECK(pt == bytes("to responder"));
  ct.clear();
  pt.clear();
  CHECK(rc.second.encrypt_with_ad({}, bytes("to initiator"), ct));
  CHECK(i_recv.decrypt_with_ad({}, ct, pt));
  CHECK(pt == bytes("to initiator"));
}

}  // namespace

TEST_GROUP(Noise) {};

TEST(Noise, BadProtocolNamesAreRejectedWithAReason) {
  const char* bad[] = {
      "",
      "Noise",
      "Noise_XX_25519_ChaChaPoly",
      "Noise_XX_25519_ChaChaPoly_BLAKE2b_extra",
      "noise_XX_25519_ChaChaPoly_BLAKE2b",
      "Noise_XX_448_ChaChaPoly_BLAKE2b",
      "Noise_XX_25519_ChaChaPoly_SHA256",
      "Noise_XX_25519_AES_BLAKE2b",
      "Noise_ZZ_25519_ChaChaPoly_BLAKE2b",
      "Noise_xx_25519_ChaChaPoly_BLAKE2b",
      "Noise__25519_ChaChaPoly_BLAKE2b",
      "Noise_XXpsk4_25519_ChaChaPoly_BLAKE2b",
      "Noise_Npsk2_25519_ChaChaPoly_BLAKE2b",
      "Noise_XXpsk0+psk0_25519_ChaChaPoly_BLAKE2b",
      "Noise_XXpsk0+_25519_ChaChaPoly_BLAKE2b",
      "Noise_XXpsk_25519_ChaChaPoly_BLAKE2b",
      "Noise_XXpsk01_25519_ChaChaPoly_BLAKE2b",
      "Noise_XXpsk0 _25519_ChaChaPoly_BLAKE2b",
      "Noise_XXfallback_25519_ChaChaPoly_BLAKE2b",
      "Noise_XX+psk0_25519_ChaChaPoly_BLAKE2b",
  };
  for (const char* name : bad) {
    HandshakeConfig c;
    c.protocol_name = name;
    c.static_private = fixed_key(1);
    std::string error;
    CHECK_FALSE_TEXT(HandshakeState::create(c, &error).has_value(), name);
    CHECK_TEXT(!error.empty(), name);
  }
}

TEST(Noise, MissingOrSurplusKeysAreRejected) {
  std::string error;
  HandshakeConfig c;
  c.protocol_name = "Noise_XX_25519_ChaChaPoly_BLAKE2b";
  CHECK_FALSE(HandshakeState::create(c, &error).has_value());  // no static key
  CHECK(error.find("static") != std::string::npos);

  c.protocol_name = "Noise_IK_25519_ChaChaPoly_BLAKE2b";
  c.initiator = true;
  c.static_private = fixed_key(1);
  CHECK_FALSE(HandshakeState::create(c, &error).has_value());  // no remote static key
  c.remote_static = public_key(fixed_key(2));
  CHECK(HandshakeState::create(c, &error).has_value());

  c.protocol_name = "Noise_NNpsk0+psk2_25519_ChaChaPoly_BLAKE2b";
  c.psks = {fixed_key(5)};
  CHECK_FALSE(HandshakeState::create(c, &error).has_value());  // needs two
  CHECK(error.find("PSK") != std::string::npos);
  c.psks.push_back(fixed_key(6));
  CHECK(HandshakeState::create(c, &error).has_value());
  c.psks.push_back(fixed_key(7));
  CHECK_FALSE(HandshakeState::create(c, &error).has_value());  // one too many
}

TEST(Noise, LongProtocolNameIsHashedNotTruncated) {
  // Over 64 bytes: h starts as its hash; both sides must still agree.
  Pair p = make_pair("Noise_I1K1psk0+psk1+psk2+psk3_25519_ChaChaPoly_BLAKE2b", fixed_key(8),
                     fixed_key(8), 4);
  run_until(p, 99);
  CHECK(p.init.finished() && p.resp.finished());
  check_transport_works(p);
}

TEST(Noise, XXpsk0RoundTripAuthenticatesBothStaticKeys) {
  Pair p = make_xxpsk0();
  CHECK(p.init.is_my_turn_to_write());
  CHECK_FALSE(p.resp.is_my_turn_to_write());
  run_until(p, 99);
  CHECK(p.init.finished());
  CHECK(p.resp.finished());
  CHECK(p.init.has_remote_static());
  CHECK(p.init.remote_static() == p.resp.local_static_public());
  CHECK(p.resp.remote_static() == p.init.local_static_public());
  LONGS_EQUAL(64, p.init.handshake_hash().size());
  CHECK(std::equal(p.init.handshake_hash().begin(), p.init.handshake_hash().end(),
                   p.resp.handshake_hash().begin()));
  check_transport_works(p);
}

TEST(Noise, XXpsk0WithWrongPskFailsAtFirstMessageOnResponder) {
  Pair p = make_pair(kXXpsk0, fixed_key(9), fixed_key(10), 1);
  std::vector<uint8_t> msg, payload;
  CHECK(p.init.write_message({}, msg));
  CHECK_FALSE(p.resp.read_message(msg, payload));
  CHECK(p.resp.failed());
  CHECK(payload.empty());
  // A failed state stays failed.
  CHECK_FALSE(p.resp.write_message({}, msg));
  CHECK_FALSE(p.resp.read_message(msg, payload));
}

TEST(Noise, EveryTamperedByteOfEveryMessageIsRejected) {
  for (size_t n = 0; n < 3; ++n) {
    Pair ref = make_xxpsk0();
    const size_t len = run_until(ref, n).size();
    for (size_t pos = 0; pos < len; ++pos) {
      Pair p = make_xxpsk0();
      auto msg = run_until(p, n);
      msg[pos] ^= 0x04;
      std::vector<uint8_t> payload;
      CHECK_FALSE_TEXT(reader_of(p, n).read_message(msg, payload),
                       ("message " + std::to_string(n) + " byte " + std::to_string(pos)).c_str());
      CHECK(reader_of(p, n).failed());
    }
  }
}

TEST(Noise, TruncatedAndExtendedMessagesAreRejected) {
  for (size_t n = 0; n < 3; ++n) {
    Pair ref = make_xxpsk0();
    const auto full = run_until(ref, n);
    for (size_t len = 0; len < full.size(); ++len) {
      Pair p = make_xxpsk0();
      auto msg = run_until(p, n);
      msg.resize(len);
      std::vector<uint8_t> payload;
      CHECK_FALSE(reader_of(p, n).read_message(msg, payload));
    }
    Pair p = make_xxpsk0();
    auto msg = run_until(p, n);
    msg.push_back(0);
    std::vector<uint8_t> payload;
    CHECK_FALSE(reader_of(p, n).read_message(msg, payload));
  }
}

TEST(Noise, MessagesOutOfTurnAreRefused) {
  Pair p = make_xxpsk0();
  std::vector<uint8_t> msg, payload;
  CHECK_FALSE(p.resp.write_message({}, msg));
  CHECK(msg.empty());
  CHECK_FALSE(p.init.read_message(msg, payload));
  run_until(p, 99);
  CHECK_FALSE(p.init.write_message({}, msg));  // handshake over
  CHECK_FALSE(p.resp.read_message(msg, payload));
}

TEST(Noise, LowOrderEphemeralKeyIsRejected) {
  Pair p = make_pair("Noise_NN_25519_ChaChaPoly_BLAKE2b", {}, {}, 0);
  std::vector<uint8_t> msg, payload;
  CHECK(p.init.write_message({}, msg));
  CHECK(p.resp.read_message(msg, payload));
  msg.clear();
  CHECK(p.resp.write_message({}, msg));
  std::fill(msg.begin(), msg.begin() + 32, 0);  // the identity point: DH gives zero
  CHECK_FALSE(p.init.read_message(msg, payload));
}

TEST(Noise, OversizedMessagesAreRefused) {
  Pair p = make_pair("Noise_NN_25519_ChaChaPoly_BLAKE2b", {}, {}, 0);
  std::vector<uint8_t> msg, payload;
  // Message 0 of NN is e (32 bytes) and the payload in clear.
  CHECK_FALSE(p.init.write_message(std::vector<uint8_t>(kMaxMessageLen - 31), msg));
  CHECK(msg.empty());
  Pair q = make_pair("Noise_NN_25519_ChaChaPoly_BLAKE2b", {}, {}, 0);
  CHECK(q.init.write_message(std::vector<uint8_t>(kMaxMessageLen - 32), msg));
  LONGS_EQUAL(kMaxMessageLen, msg.size());
  CHECK(q.resp.read_message(msg, payload));
  Pair r = make_pair("Noise_NN_25519_ChaChaPoly_BLAKE2b", {}, {}, 0);
  msg.push_back(0);
  CHECK_FALSE(r.resp.read_message(msg, payload));
}

TEST(Noise, WriteAppendsToWhatTheCallerAlreadyHas) {
  Pair p = make_xxpsk0();
  std::vector<uint8_t> msg = {0xaa, 0xbb};  // e.g. a packet header
  CHECK(p.init.write_message({}, msg));
  CHECK_EQUAL(0xaa, msg[0]);
  std::vector<uint8_t> payload;
  CHECK(p.resp.read_message(std::span<const uint8_t>(msg).subspan(2), payload));
}

TEST(Noise, EveryPatternCompletesWithEachCipherAndPskPlacement) {
  std::vector<std::string> ciphers{"ChaChaPoly"};
  if (aes256gcm_available()) ciphers.push_back("AESGCM");
  int runs = 0;
  for (const auto& base : pattern_names()) {
    auto pattern = parse_pattern(base, nullptr);
    CHECK(pattern.has_value());
    const size_t messages = pattern->messages.size();
    std::vector<std::pair<std::string, int>> mods{{"", 0}, {"psk0", 1}};
    mods.emplace_back("psk" + std::to_string(messages), 1);
    if (messages >= 2) mods.emplace_back("psk0+psk2", 2);
    for (const auto& cipher : ciphers) {
      for (const auto& [mod, count] : mods) {
        const std::string name = "Noise_" + base + mod + "_25519_" + cipher + "_BLAKE2b";
        Pair p = make_pair(name, fixed_key(7), fixed_key(7), count);
        run_until(p, 99);
        CHECK_TEXT(p.init.finished() && p.resp.finished(), name.c_str());
        CHECK_TEXT(std::equal(p.init.handshake_hash().begin(), p.init.handshake_hash().end(),
                              p.resp.handshake_hash().begin()),
                   name.c_str());
        // The responder learns the initiator's static key unless the
        // pattern is anonymous for the initiator (N first letter).
        if (base[0] != 'N') {
          CHECK_TEXT(p.resp.has_remote_static(), name.c_str());
          CHECK_TEXT(p.resp.remote_static() == p.init.local_static_public(), name.c_str());
        } else {
          CHECK_FALSE_TEXT(p.resp.has_remote_static(), name.c_str());
        }
        if (!pattern->one_way && base.back() != 'N') {
          CHECK_TEXT(p.init.remote_static() == p.resp.local_static_public(), name.c_str());
        }
        auto i = p.init.split();
        auto r = p.resp.split();
        std::vector<uint8_t> ct, pt;
        CHECK(i.first.encrypt_with_ad({}, bytes("x"), ct));
        CHECK_TEXT(r.first.decrypt_with_ad({}, ct, pt), name.c_str());
        ++runs;
      }
    }
  }
  CHECK(runs >= 38 * 3);
}

TEST(Noise, PskInTheWrongPlaceOnOneSideFails) {
  Pair p = make_pair("Noise_NNpsk0_25519_ChaChaPoly_BLAKE2b", fixed_key(7), fixed_key(7), 1);
  Pair q = make_pair("Noise_NNpsk2_25519_ChaChaPoly_BLAKE2b", fixed_key(7), fixed_key(7), 1);
  std::vector<uint8_t> msg, payload;
  CHECK(p.init.write_message({}, msg));
  CHECK_FALSE(q.resp.read_message(msg, payload));
}

TEST(Noise, RandomEphemeralKeysGiveFreshHandshakes) {
  HandshakeConfig c;
  c.protocol_name = "Noise_NN_25519_ChaChaPoly_BLAKE2b";
  c.initiator = true;
  std::string error;
  auto a = HandshakeState::create(c, &error);
  auto b = HandshakeState::create(c, &error);
  std::vector<uint8_t> ma, mb;
  CHECK(a->write_message({}, ma));
  CHECK(b->write_message({}, mb));
  CHECK(ma != mb);
}

TEST(Noise, CipherStateRefusesTheReservedNonce) {
  CipherState cs;
  cs.initialize_key(fixed_key(1));
  cs.set_nonce(UINT64_MAX);
  std::vector<uint8_t> out;
  CHECK_FALSE(cs.encrypt_with_ad({}, bytes("x"), out));
  CHECK(out.empty());
  CHECK_FALSE(cs.decrypt_with_ad({}, std::vector<uint8_t>(17), out));
}

TEST(Noise, CipherStateWithoutKeyPassesDataThrough) {
  CipherState cs;
  CHECK_FALSE(cs.has_key());
  std::vector<uint8_t> out;
  CHECK(cs.encrypt_with_ad({}, bytes("abc"), out));
  CHECK(out == bytes("abc"));
}

TEST(Noise, CipherStateFailedDecryptKeepsTheNonce) {
  CipherState a, b;
  a.initialize_key(fixed_key(1));
  b.initialize_key(fixed_key(1));
  std::vector<uint8_t> ct, pt;
  CHECK(a.encrypt_with_ad({}, bytes("abc"), ct));
  auto bad = ct;
  bad[0] ^= 1;
  CHECK_FALSE(b.decrypt_with_ad({}, bad, pt));
  LONGS_EQUAL(0, b.nonce());
  CHECK(b.decrypt_with_ad({}, ct, pt));
  LONGS_EQUAL(1, b.nonce());
  CHECK_FALSE(b.decrypt_with_ad({}, std::vector<uint8_t>(15), pt));  // shorter than a tag
}

TEST(Noise, RekeyChangesTheKeyTheSameWayOnBothSides) {
  CipherState a, b;
  a.initialize_key(fixed_key(1));
  b.initialize_key(fixed_key(1));
  a.rekey();
  b.rekey();
  CHECK(std::memcmp(a.key(), fixed_key(1).data(), 32) != 0);
  std::vector<uint8_t> ct, pt;
  CHECK(a.encrypt_with_ad({}, bytes("abc"), ct));
  CHECK(b.decrypt_with_ad({}, ct, pt));
}

TEST(Noise, MovedCipherStateLeavesNoKeyBehind) {
  CipherState a;
  a.initialize_key(fixed_key(1));
  CipherState b(std::move(a));
  CHECK_FALSE(a.has_key());
  CHECK(b.has_key());
  for (int i = 0; i < 32; ++i) LONGS_EQUAL(0, a.key()[i]);
}

TEST(Noise, GeneratedKeypairIsConsistent) {
  Key priv, pub, priv2, pub2;
  generate_keypair(priv, pub);
  generate_keypair(priv2, pub2);
  CHECK(public_key(priv) == pub);
  CHECK(priv != priv2);
}
