// The armoured text form: round trips, line endings, notes around the
// block, and the refusals (wrong label, bad base64, missing END, too long).
#include "identity/armor.h"

#include <CppUTest/TestHarness.h>

#include <string>
#include <vector>

using namespace braid::identity;

namespace {

std::vector<uint8_t> bytes(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 7 + 3);
  return v;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t i = s.find(from); i != std::string::npos; i = s.find(from, i + to.size()))
    s.replace(i, from.size(), to);
  return s;
}

}  // namespace

TEST_GROUP(Armor) {
  std::vector<uint8_t> out;
  std::string why;
};

TEST(Armor, RoundTripsEverySizeUpToSeveralLines) {
  for (size_t n = 0; n < 200; ++n) {
    const auto data = bytes(n);
    const std::string text = armor(kLabelCertificate, data);
    CHECK_TRUE_TEXT(dearmor(text, kLabelCertificate, 200, &out, &why), why.c_str());
    CHECK(out == data);
  }
}

// The expected text is Python's base64.b64encode of the same bytes, cut
// into lines of 64.
TEST(Armor, WritesSixtyFourCharacterLinesBetweenBeginAndEnd) {
  const std::string text = armor(kLabelCertificate, bytes(100));
  STRCMP_EQUAL(
      "-----BEGIN BRAID CERTIFICATE-----\n"
      "AwoRGB8mLTQ7QklQV15lbHN6gYiPlp2kq7K5wMfO1dzj6vH4/wYNFBsiKTA3PkVM\n"
      "U1phaG92fYSLkpmgp661vMPK0djf5u30+wIJEBceJSwzOkFIT1ZdZGtyeYCHjpWc\n"
      "o6qxuA==\n"
      "-----END BRAID CERTIFICATE-----\n",
      text.c_str());
}

TEST(Armor, AcceptsCrlfLineEnds) {
  const auto data = bytes(100);
  const std::string text = replace_all(armor(kLabelNodeKey, data), "\n", "\r\n");
  CHECK_TRUE_TEXT(dearmor(text, kLabelNodeKey, 100, &out, &why), why.c_str());
  CHECK(out == data);
}

TEST(Armor, IgnoresTextAroundTheBlock) {
  const auto data = bytes(40);
  const std::string text = "node alpha, made on Tuesday\n-----BEGIN NOT OURS-----\nabc\n" +
                           armor(kLabelNodePublicKey, data) + "trailing note\n-----END";
  CHECK_TRUE_TEXT(dearmor(text, kLabelNodePublicKey, 40, &out, &why), why.c_str());
  CHECK(out == data);
}

TEST(Armor, RefusesAnotherLabelAndSaysWhatItFound) {
  const std::string text = armor(kLabelNodeKey, bytes(32));
  CHECK_FALSE(dearmor(text, kLabelCertificate, 1024, &out, &why));
  CHECK(why.find("BRAID CERTIFICATE") != std::string::npos);
  CHECK(why.find("found BRAID NODE PRIVATE KEY") != std::string::npos);
  // A label that is a prefix of another does not match it.
  CHECK_FALSE(dearmor(armor("BRAID CERTIFICATE X", bytes(3)), kLabelCertificate, 10, &out, &why));
  CHECK_FALSE(dearmor("", kLabelCertificate, 10, &out, &why));
}

TEST(Armor, RefusesBadBase64) {
  const std::string good = armor(kLabelCertificate, bytes(30));
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"AwoR", "Aw*R"}, {"AwoR", "AwR"}, {"AwoR", "Aw oR"}, {"AwoR", "AwoR="}}) {
    const std::string bad = replace_all(good, from, to);
    CHECK_FALSE_TEXT(dearmor(bad, kLabelCertificate, 1024, &out, &why), bad.c_str());
    CHECK(why.find("base64") != std::string::npos);
  }
  // Non-zero bits in the padding: not the one encoding of these bytes.
  CHECK_FALSE(dearmor("-----BEGIN L-----\nAB==\n-----END L-----\n", "L", 10, &out, &why));
  CHECK(dearmor("-----BEGIN L-----\nAA==\n-----END L-----\n", "L", 10, &out, &why));
}

TEST(Armor, RefusesMissingOrMismatchedEnd) {
  std::string text = armor(kLabelCertificate, bytes(30));
  text = text.substr(0, text.find("-----END"));
  CHECK_FALSE(dearmor(text, kLabelCertificate, 1024, &out, &why));
  CHECK(why.find("END") != std::string::npos);
  text = replace_all(armor(kLabelCertificate, bytes(30)), "END BRAID CERTIFICATE",
                     "END BRAID REVOCATION LIST");
  CHECK_FALSE(dearmor(text, kLabelCertificate, 1024, &out, &why));
}

TEST(Armor, RefusesDataLongerThanTheLimit) {
  const std::string text = armor(kLabelCertificate, bytes(101));
  CHECK(dearmor(text, kLabelCertificate, 101, &out, &why));
  CHECK_FALSE(dearmor(text, kLabelCertificate, 100, &out, &why));
  CHECK(why.find("100") != std::string::npos);
  // A huge block is refused without decoding it all.
  const std::string huge = "-----BEGIN L-----\n" + std::string(1 << 20, 'A') + "\n";
  CHECK_FALSE(dearmor(huge, "L", 1024, &out, &why));
}

TEST(Armor, DearmorAllReturnsEveryBlockWithTheLabel) {
  const std::string text = armor(kLabelCertificate, bytes(5)) + "note\n" +
                           armor(kLabelRevocationList, bytes(6)) +
                           armor(kLabelCertificate, bytes(7));
  std::vector<std::vector<uint8_t>> all;
  CHECK_TRUE_TEXT(dearmor_all(text, kLabelCertificate, 100, &all, &why), why.c_str());
  CHECK_EQUAL(2u, all.size());
  CHECK(all[0] == bytes(5));
  CHECK(all[1] == bytes(7));
  CHECK(dearmor_all("nothing here", kLabelCertificate, 100, &all, &why));
  CHECK(all.empty());
  const std::string broken = text + "-----BEGIN BRAID CERTIFICATE-----\n!!!!\n"
                                    "-----END BRAID CERTIFICATE-----\n";
  CHECK_FALSE(dearmor_all(broken, kLabelCertificate, 100, &all, &why));
}
