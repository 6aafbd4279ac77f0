// Certificates and revocation lists: the byte-exact encoding, round trips,
// every way a decoder must refuse an encoding, and the signatures.
#include "identity/cert.h"

#include <sodium.h>

#include <CppUTest/TestHarness.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "common/hex.h"
#include "fixtures.h"

using namespace braid;
using namespace braid::identity;
using namespace braid::identity::testing;

namespace {

using Bytes = std::vector<uint8_t>;
using Field = std::pair<uint8_t, Bytes>;

// An encoding split into its header and fields, built without the code
// under test so that tests can reorder, repeat and damage fields.
struct Parts {
  uint8_t version = 1;
  uint8_t kind = 2;
  std::vector<Field> fields;

  Bytes join() const {
    Bytes out{version, kind};
    for (const auto& [tag, value] : fields) {
      out.push_back(tag);
      out.push_back(static_cast<uint8_t>(value.size() >> 8));
      out.push_back(static_cast<uint8_t>(value.size()));
      out.insert(out.end(), value.begin(), value.end());
    }
    return out;
  }
  Field* find(uint8_t tag) {
    for (auto& f : fields)
      if (f.first == tag) return &f;
    return nullptr;
  }
  size_t index(uint8_t tag) const {
    for (size_t i = 0; i < fields.size(); ++i)
      if (fields[i].first == tag) return i;
    FAIL("no such field");
    return 0;
  }
};

Parts split(const Bytes& in) {
  Parts p;
  p.version = in[0];
  p.kind = in[1];
  for (size_t i = 2; i < in.size();) {
    const size_t len = get_be16(&in[i + 1]);
    p.fields.emplace_back(in[i], Bytes(in.begin() + i + 3, in.begin() + i + 3 + len));
    i += 3 + len;
  }
  return p;
}

bool decodes(const Bytes& in, std::string* why = nullptr) {
  Certificate c;
  std::string w;
  const bool ok = decode(in, &c, &w);
  if (!ok) CHECK_FALSE(w.empty());
  if (why) *why = w;
  return ok;
}

bool encodes(const Certificate& c) {
  Bytes out;
  std::string why;
  const bool ok = encode(c, &out, &why);
  if (!ok) CHECK_FALSE(why.empty());
  return ok;
}

std::string text_of(const Bytes& b) { return std::string(b.begin(), b.end()); }

}  // namespace

TEST_GROUP(Cert) {
  TestCa ca;
  Bytes valid;
  void setup() override {
    ca = make_ca();
    valid = signed_by(ca, node_cert());
  }
};

TEST(Cert, KeyIdIsBlake2b128OfThePublicKey) {
  PublicKey pk;
  for (size_t i = 0; i < pk.size(); ++i) pk[i] = static_cast<uint8_t>(i);
  // Python: hashlib.blake2b(bytes(range(32)), digest_size=16)
  STRCMP_EQUAL("f39a2cad58411cd49f577e5086b8031f", to_hex(key_id(pk)).c_str());
}

TEST(Cert, FingerprintIsBlake2b256OfTheWholeEncoding) {
  const uint8_t abc[] = {'a', 'b', 'c'};
  // Python: hashlib.blake2b(b"abc", digest_size=32)
  STRCMP_EQUAL("bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319",
               to_hex(fingerprint(abc)).c_str());
}

TEST(Cert, EncodingMatchesTheDocumentedLayoutByteForByte) {
  Certificate c;
  c.kind = CertKind::kNode;
  c.name = "a";
  c.public_key.fill(0x11);
  c.not_before = 0x0102030405060708ull;
  c.not_after = 0x0102030405060709ull;
  c.issuer.fill(0x22);
  IpPrefix p;
  std::string why;
  CHECK(parse_prefix("10.0.0.1/8", false, &p, &why));
  c.addresses.push_back(p);
  CHECK(parse_prefix("fd00::/8", true, &p, &why));
  c.claims.push_back(p);
  MacRange m;
  CHECK(parse_mac_range("02:00:00:00:00:00/8", &m, &why));
  c.macs.push_back(m);
  c.groups = {"g"};
  c.signature.fill(0x33);
  Bytes out;
  CHECK_TRUE_TEXT(encode(c, &out, &why), why.c_str());
  const std::string expected =
      "0102"                                      // version 1, kind node
      "010001" "61"                               // name "a"
      "020020" + std::string(64, '1') +           // public key
      "030008" "0102030405060708"                 // not_before
      "040008" "0102030405060709"                 // not_after
      "050010" + std::string(32, '2') +           // issuer key id
      "060006" "0408" "0a000001"                  // address 10.0.0.1/8
      "070012" "0608" "fd000000000000000000000000000000"  // claim fd00::/8
      "080007" "08" "020000000000"                // MAC range 02:..:00/8
      "090001" "67"                               // group "g"
      "ff0040" + std::string(128, '3');           // signature
  STRCMP_EQUAL(expected.c_str(), to_hex(out).c_str());
  Bytes tbs;
  CHECK(encode_tbs(c, &tbs, &why));
  CHECK(tbs.size() + 67 == out.size());
  CHECK(std::equal(tbs.begin(), tbs.end(), out.begin()));
}

// A complete vector for other implementations (doc/protocol.md,
// "Certificates"): a CA from the seed 01 02 .. 20, a node certificate and
// a revocation list it signs. The signatures were checked independently
// with OpenSSL's Ed25519 over the context string and the bytes before the
// signature field.
TEST(Cert, KnownAnswerVectorsMatch) {
  std::array<uint8_t, 32> seed;
  for (size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<uint8_t>(i + 1);
  CaKey key;
  CHECK(ca_key_from_seed(seed, &key));
  STRCMP_EQUAL("79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664",
               to_hex(key.public_key).c_str());
  STRCMP_EQUAL("df34250704abcdf8ccae1da7fb55dc49", to_hex(key_id(key.public_key)).c_str());

  Certificate ca_cert;
  ca_cert.kind = CertKind::kCa;
  ca_cert.name = "corp";
  ca_cert.public_key = key.public_key;
  ca_cert.not_before = 1800000000;
  ca_cert.not_after = 2115360000;
  std::string why;
  Bytes enc;
  CHECK(sign(&ca_cert, key.secret_key, &why));
  CHECK(encode(ca_cert, &enc, &why));
  STRCMP_EQUAL(
      "0101010004636f727002002079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664"
      "030008000000006b49d200040008000000007e15d500050010df34250704abcdf8ccae1da7fb55dc49ff0040"
      "ea7b247b3608b0c18b0e17b9fb9ee269ac87f84920e9933d9452ded420e0fb9932a407b79d14ad4ee70668fb"
      "6253e54bb97730eacf6a2b3752035e3dc6e77b0e",
      to_hex(enc).c_str());

  Certificate node;
  node.kind = CertKind::kNode;
  node.name = "alpha";
  for (size_t i = 0; i < node.public_key.size(); ++i)
    node.public_key[i] = static_cast<uint8_t>(0x40 + i);
  node.not_before = 1800000000;
  node.not_after = 1831536000;
  IpPrefix p;
  CHECK(parse_prefix("10.7.0.1/16", false, &p, &why));
  node.addresses.push_back(p);
  CHECK(parse_prefix("10.7.1.0/24", true, &p, &why));
  node.claims.push_back(p);
  node.groups = {"ops"};
  CHECK(sign(&node, key.secret_key, &why));
  CHECK(encode(node, &enc, &why));
  STRCMP_EQUAL(
      "0102010005616c706861020020404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e"
      "5f030008000000006b49d200040008000000006d2b0580050010df34250704abcdf8ccae1da7fb55dc490600"
      "0604100a07000107000604180a0701000900036f7073ff004046559b371fc45231d5c1e4052a859d90e87bee"
      "774ac243eb10061709f4147fe8aaca98b38f5e70641b53cafe2f46c90114be2abca3406e9f2214a37026e164"
      "0f",
      to_hex(enc).c_str());
  const Fingerprint fp = fingerprint(enc);
  STRCMP_EQUAL("ef65f5b4f336a4161f501bef8d0249e44875dea6195ab748bc707b78c1db4fc8",
               to_hex(fp).c_str());

  RevocationList l;
  l.issued_at = 1800000100;
  l.revoked = {fp};
  CHECK(sign(&l, key.secret_key, &why));
  CHECK(encode(l, &enc, &why));
  STRCMP_EQUAL(
      "0103050010df34250704abcdf8ccae1da7fb55dc490a0008000000006b49d2640b0020ef65f5b4f336a4161f"
      "501bef8d0249e44875dea6195ab748bc707b78c1db4fc8ff00406e7c1ae740e41c38637b122249c992678f3f"
      "b3c563f6be4501653a3d3712a878b74ded32c0222570e596d099bde7dd7278c1c9fb4feadcdaadf4711b0603"
      "3c00",
      to_hex(enc).c_str());
}

TEST(Cert, SignatureCoversContextAndEveryByteBeforeIt) {
  Certificate c;
  std::string why;
  CHECK(decode(valid, &c, &why));
  Bytes msg(kCertSignatureContext, kCertSignatureContext + 20);
  msg.insert(msg.end(), valid.begin(), valid.end() - 67);
  CHECK_EQUAL(0, crypto_sign_verify_detached(c.signature.data(), msg.data(), msg.size(),
                                             ca.key.public_key.data()));
  CHECK(verify_signature(c, ca.key.public_key));
  CHECK_FALSE(verify_signature(c, make_ca("other").key.public_key));
}

TEST(Cert, NodeCertificateRoundTrips) {
  const Certificate in = node_cert();
  Bytes enc = signed_by(ca, in);
  Certificate out;
  std::string why;
  CHECK_TRUE_TEXT(decode(enc, &out, &why), why.c_str());
  CHECK(out.kind == CertKind::kNode);
  STRCMP_EQUAL(in.name.c_str(), out.name.c_str());
  CHECK(in.public_key == out.public_key);
  CHECK_EQUAL(in.not_before, out.not_before);
  CHECK_EQUAL(in.not_after, out.not_after);
  CHECK(key_id(ca.key.public_key) == out.issuer);
  CHECK(in.addresses == out.addresses);
  CHECK(in.claims == out.claims);
  CHECK(in.macs == out.macs);
  CHECK(in.groups == out.groups);
  Bytes again;
  CHECK(encode(out, &again, &why));
  CHECK(again == enc);
}

TEST(Cert, CaCertificateRoundTripsAndIsItsOwnIssuer) {
  Certificate out;
  std::string why;
  CHECK_TRUE_TEXT(decode(ca.encoded, &out, &why), why.c_str());
  CHECK(out.kind == CertKind::kCa);
  CHECK(out.issuer == key_id(out.public_key));
  CHECK(verify_signature(out, out.public_key));
}

TEST(Cert, MinimalNodeCertificateDecodes) {
  Certificate c = node_cert();
  c.addresses.clear();
  c.claims.clear();
  c.macs.clear();
  c.groups.clear();
  CHECK(decodes(signed_by(ca, c)));
}

TEST(Cert, EveryTruncationIsRefused) {
  for (size_t n = 0; n < valid.size(); ++n)
    CHECK_FALSE_TEXT(decodes(Bytes(valid.begin(), valid.begin() + n)), std::to_string(n).c_str());
}

TEST(Cert, TrailingBytesAreRefused) {
  Bytes longer = valid;
  longer.push_back(0);
  std::string why;
  CHECK_FALSE(decodes(longer, &why));
  Parts p = split(valid);
  p.fields.emplace_back(255, Bytes(64, 0));
  CHECK_FALSE(decodes(p.join()));
}

TEST(Cert, OversizedInputIsRefused) {
  Parts p = split(valid);
  // A group field long enough to pass 1024 bytes; refused for its size
  // before anything else.
  p.fields.insert(p.fields.begin() + static_cast<long>(p.index(255)), {9, Bytes(1100, 'a')});
  std::string why;
  CHECK_FALSE(decodes(p.join(), &why));
  CHECK(why.find("1024") != std::string::npos);
}

TEST(Cert, EncodeRefusesMoreThanMaxCertLen) {
  Certificate c = node_cert();
  c.claims.clear();
  c.groups.clear();
  std::string why;
  // 32 IPv6 claims (21 bytes each) and 8 groups of 32 bytes (35 each)
  // make more than 1024 bytes.
  for (int i = 0; i < 32; ++i) {
    IpPrefix p;
    CHECK(parse_prefix("fd00:" + std::to_string(i + 1) + "::/32", true, &p, &why));
    c.claims.push_back(p);
  }
  for (int i = 0; i < 8; ++i) c.groups.push_back(std::string(31, 'g') + std::to_string(i));
  CHECK_FALSE(sign(&c, ca.key.secret_key, &why));
  CHECK_TEXT(why.find("1024") != std::string::npos, why.c_str());
}

TEST(Cert, BadVersionAndKindAreRefused) {
  std::string why;
  Bytes b = valid;
  b[0] = 2;
  CHECK_FALSE(decodes(b, &why));
  CHECK(why.find("version") != std::string::npos);
  for (uint8_t kind : {0, 3, 4, 255}) {
    b = valid;
    b[1] = kind;
    CHECK_FALSE(decodes(b));
  }
}

TEST(Cert, UnknownTagIsRefused) {
  for (uint8_t tag : {0, 10, 11, 12, 100, 254}) {
    Parts p = split(valid);
    p.fields.insert(p.fields.begin() + static_cast<long>(p.index(255)), {tag, Bytes(1, 'x')});
    std::string why;
    CHECK_FALSE(decodes(p.join(), &why));
  }
}

TEST(Cert, FieldsOutOfOrderAreRefused) {
  Parts p = split(valid);
  std::swap(p.fields[0], p.fields[1]);  // public key before name
  std::string why;
  CHECK_FALSE(decodes(p.join(), &why));
  CHECK(why.find("order") != std::string::npos);
  p = split(valid);
  // A claim (7) before the addresses (6).
  const size_t claim = p.index(7);
  Field f = p.fields[claim];
  p.fields.erase(p.fields.begin() + static_cast<long>(claim));
  p.fields.insert(p.fields.begin() + static_cast<long>(p.index(6)), f);
  CHECK_FALSE(decodes(p.join()));
  p = split(valid);
  // Signature not last.
  f = p.fields.back();
  p.fields.pop_back();
  p.fields.insert(p.fields.begin() + static_cast<long>(p.index(9)), f);
  CHECK_FALSE(decodes(p.join()));
}

TEST(Cert, RepeatedSingleFieldIsRefused) {
  for (uint8_t tag : {1, 2, 3, 4, 5, 255}) {
    Parts p = split(valid);
    const size_t i = p.index(tag);
    p.fields.insert(p.fields.begin() + static_cast<long>(i), p.fields[i]);
    std::string why;
    CHECK_FALSE_TEXT(decodes(p.join(), &why), std::to_string(tag).c_str());
  }
}

TEST(Cert, DuplicateRepeatableEntriesAreRefused) {
  for (uint8_t tag : {6, 7, 8, 9}) {
    Parts p = split(valid);
    const size_t i = p.index(tag);
    p.fields.insert(p.fields.begin() + static_cast<long>(i), p.fields[i]);
    std::string why;
    CHECK_FALSE_TEXT(decodes(p.join(), &why), std::to_string(tag).c_str());
    CHECK(why.find("duplicate") != std::string::npos);
  }
  Certificate c = node_cert();
  c.groups.push_back(c.groups[0]);
  CHECK_FALSE(encodes(c));
  c = node_cert();
  c.claims.push_back(c.claims[0]);
  CHECK_FALSE(encodes(c));
}

TEST(Cert, TooManyRepeatableEntriesAreRefused) {
  Certificate c = node_cert();
  c.addresses.clear();
  std::string why;
  for (int i = 0; i < 9; ++i) {
    IpPrefix p;
    CHECK(parse_prefix("10.0.0." + std::to_string(i + 1) + "/8", false, &p, &why));
    c.addresses.push_back(p);
  }
  CHECK_FALSE(encodes(c));
  c.addresses.pop_back();
  CHECK(encodes(c));
  // The decoder counts too.
  Parts p = split(signed_by(ca, c));
  const size_t i = p.index(6);
  Field extra = p.fields[i];
  extra.second[5] = 99;
  p.fields.insert(p.fields.begin() + static_cast<long>(i), extra);
  CHECK_FALSE(decodes(p.join(), &why));
  CHECK(why.find("more than 8") != std::string::npos);
}

TEST(Cert, WrongLengthsAreRefused) {
  const std::pair<uint8_t, size_t> cases[] = {{2, 31}, {2, 33}, {3, 7}, {4, 9}, {5, 15},
                                              {6, 5},  {6, 18}, {7, 17}, {8, 6}, {8, 8},
                                              {255, 63}, {1, 0}, {1, 65}, {9, 0}, {9, 33}};
  for (const auto& [tag, len] : cases) {
    Parts p = split(valid);
    Field* f = p.find(tag);
    f->second.resize(len, 'a');
    std::string why;
    const std::string what = std::to_string(tag) + "/" + std::to_string(len);
    CHECK_FALSE_TEXT(decodes(p.join(), &why), what.c_str());
  }
}

TEST(Cert, AddressFamilyMustMatchItsLength) {
  Parts p = split(valid);
  p.find(6)->second[0] = 6;  // says IPv6 in a 6-byte field
  CHECK_FALSE(decodes(p.join()));
  p = split(valid);
  p.find(6)->second[0] = 5;
  CHECK_FALSE(decodes(p.join()));
  p = split(valid);
  p.find(6)->second[1] = 33;  // IPv4 /33
  CHECK_FALSE(decodes(p.join()));
}

TEST(Cert, MissingRequiredFieldIsRefused) {
  for (uint8_t tag : {1, 2, 3, 4, 5, 255}) {
    Parts p = split(valid);
    p.fields.erase(p.fields.begin() + static_cast<long>(p.index(tag)));
    std::string why;
    CHECK_FALSE(decodes(p.join(), &why));
    CHECK_TEXT(why.find("missing") != std::string::npos || why.find("order") != std::string::npos,
               why.c_str());
  }
}

TEST(Cert, HostBitsInAClaimAreRefused) {
  Parts p = split(valid);
  p.find(7)->second[5] = 1;  // 10.7.1.1/24
  std::string why;
  CHECK_FALSE(decodes(p.join(), &why));
  CHECK(why.find("claim") != std::string::npos);
  // The same in an address is the node's own host address.
  p = split(valid);
  p.find(6)->second[5] = 9;
  CHECK(decodes(p.join()));
}

TEST(Cert, MacRangeBitsPastItsLengthAndZeroLengthAreRefused) {
  Parts p = split(valid);
  p.find(8)->second[6] = 1;
  CHECK_FALSE(decodes(p.join()));
  p = split(valid);
  p.find(8)->second = {0, 0, 0, 0, 0, 0, 0};
  CHECK_FALSE(decodes(p.join()));
  p = split(valid);
  p.find(8)->second[0] = 49;
  CHECK_FALSE(decodes(p.join()));
}

TEST(Cert, CaCertificateWithNodeFieldsIsRefused) {
  Certificate c = node_cert();
  c.kind = CertKind::kCa;
  c.public_key = ca.key.public_key;
  std::string why;
  CHECK_FALSE(sign(&c, ca.key.secret_key, &why));
  CHECK(why.find("CA") != std::string::npos);
  for (uint8_t tag : {6, 7, 8}) {
    Parts p = split(ca.encoded);
    Parts node = split(valid);
    p.fields.insert(p.fields.begin() + static_cast<long>(p.index(255)), *node.find(tag));
    CHECK_FALSE(decodes(p.join(), &why));
  }
}

TEST(Cert, CaCertificateIssuedByAnotherKeyIsRefused) {
  Parts p = split(ca.encoded);
  p.find(5)->second[0] ^= 1;
  std::string why;
  CHECK_FALSE(decodes(p.join(), &why));
  CHECK(why.find("own key") != std::string::npos);
}

TEST(Cert, BadNameAndGroupCharactersAreRefused) {
  for (const char* bad : {"a b", "a/b", "é", "a\nb", "a:b", ""}) {
    Certificate c = node_cert();
    c.name = bad;
    CHECK_FALSE_TEXT(encodes(c), bad);
    c = node_cert();
    c.groups = {bad};
    CHECK_FALSE_TEXT(encodes(c), bad);
    Parts p = split(valid);
    p.find(1)->second = Bytes(bad, bad + strlen(bad));
    CHECK_FALSE_TEXT(decodes(p.join()), bad);
  }
  Certificate c = node_cert();
  c.name = std::string(64, 'n');
  CHECK(encodes(c));
  c.name += "n";
  CHECK_FALSE(encodes(c));
  c = node_cert();
  c.name = "Node-1.example_net";
  CHECK(encodes(c));
}

TEST(Cert, NotAfterMustFollowNotBefore) {
  Certificate c = node_cert("alpha", kNow, kNow);
  CHECK_FALSE(encodes(c));
  Parts p = split(valid);
  p.find(4)->second = p.find(3)->second;
  CHECK_FALSE(decodes(p.join()));
}

TEST(Cert, SignatureFailsAfterAnyByteFlip) {
  for (size_t i = 0; i < valid.size(); ++i) {
    for (uint8_t bit : {0x01, 0x80}) {
      Bytes b = valid;
      b[i] ^= bit;
      Certificate c;
      std::string why;
      if (!decode(b, &c, &why)) continue;
      CHECK_FALSE_TEXT(verify_signature(c, ca.key.public_key), std::to_string(i).c_str());
    }
  }
}

TEST(Cert, RevocationListIsNotACertificate) {
  const Bytes list = revocation_list(ca, kNow, {});
  std::string why;
  CHECK_FALSE(decodes(list, &why));
  CHECK(why.find("revocation list") != std::string::npos);
  RevocationList l;
  CHECK_FALSE(decode(valid, &l, &why));
}

TEST_GROUP(RevocationList) {
  TestCa ca;
  std::vector<Fingerprint> prints;
  void setup() override {
    ca = make_ca();
    for (int i = 0; i < 3; ++i) prints.push_back(fingerprint(signed_by(ca, node_cert())));
  }
};

TEST(RevocationList, RoundTripsSortedAndSigned) {
  const Bytes enc = revocation_list(ca, kNow, {prints[2], prints[0], prints[1], prints[0]});
  RevocationList l;
  std::string why;
  CHECK_TRUE_TEXT(decode(enc, &l, &why), why.c_str());
  CHECK_EQUAL(kNow, l.issued_at);
  CHECK(l.issuer == key_id(ca.key.public_key));
  CHECK_EQUAL(3u, l.revoked.size());
  CHECK(std::is_sorted(l.revoked.begin(), l.revoked.end()));
  CHECK(verify_signature(l, ca.key.public_key));
  CHECK_FALSE(verify_signature(l, make_ca("other").key.public_key));
  Bytes again;
  CHECK(encode(l, &again, &why));
  CHECK(again == enc);
}

TEST(RevocationList, EncodingMatchesTheDocumentedLayout) {
  RevocationList l;
  l.issuer.fill(0x22);
  l.issued_at = 0x10;
  Fingerprint f;
  f.fill(0x44);
  l.revoked = {f};
  l.signature.fill(0x33);
  Bytes out;
  std::string why;
  CHECK(encode(l, &out, &why));
  const std::string expected = "0103"                                   // version 1, list
                               "050010" + std::string(32, '2') +        // issuer
                               "0a0008" "0000000000000010"              // issued_at
                               "0b0020" + std::string(64, '4') +        // revoked
                               "ff0040" + std::string(128, '3');        // signature
  STRCMP_EQUAL(expected.c_str(), to_hex(out).c_str());
}

TEST(RevocationList, SignatureUsesItsOwnContext) {
  const Bytes enc = revocation_list(ca, kNow, prints);
  RevocationList l;
  std::string why;
  CHECK(decode(enc, &l, &why));
  Bytes msg(kRevocationSignatureContext, kRevocationSignatureContext + 24);
  msg.insert(msg.end(), enc.begin(), enc.end() - 67);
  CHECK_EQUAL(0, crypto_sign_verify_detached(l.signature.data(), msg.data(), msg.size(),
                                             ca.key.public_key.data()));
  STRCMP_EQUAL("braid revocation list v1", text_of(Bytes(msg.begin(), msg.begin() + 24)).c_str());
}

TEST(RevocationList, EmptyListIsValid) {
  RevocationList l;
  std::string why;
  CHECK(decode(revocation_list(ca, 1, {}), &l, &why));
  CHECK(l.revoked.empty());
}

TEST(RevocationList, UnsortedOrDuplicateFingerprintsAreRefused) {
  std::vector<Fingerprint> sorted = prints;
  std::sort(sorted.begin(), sorted.end());
  Parts p = split(revocation_list(ca, kNow, sorted));
  std::swap(p.fields[2], p.fields[3]);
  std::string why;
  RevocationList l;
  CHECK_FALSE(decode(p.join(), &l, &why));
  p = split(revocation_list(ca, kNow, sorted));
  p.fields.insert(p.fields.begin() + 2, p.fields[2]);
  CHECK_FALSE(decode(p.join(), &l, &why));
  l = RevocationList{};
  l.revoked = {sorted[1], sorted[0]};
  Bytes out;
  CHECK_FALSE(encode(l, &out, &why));
}

TEST(RevocationList, HoldsAtMostMaxRevoked) {
  RevocationList l;
  l.revoked.resize(kMaxRevoked);
  for (size_t i = 0; i < kMaxRevoked; ++i) put_be32(l.revoked[i].data(), static_cast<uint32_t>(i));
  std::string why;
  CHECK_TRUE_TEXT(sign(&l, ca.key.secret_key, &why), why.c_str());
  Bytes enc;
  CHECK(encode(l, &enc, &why));
  CHECK_EQUAL(kMaxRevocationListLen, enc.size());
  RevocationList back;
  CHECK_TRUE_TEXT(decode(enc, &back, &why), why.c_str());
  Fingerprint more{};
  put_be32(more.data(), 0xffffffff);
  l.revoked.push_back(more);
  CHECK_FALSE(sign(&l, ca.key.secret_key, &why));
}

TEST(RevocationList, TruncationsUnknownFieldsAndMissingFieldsAreRefused) {
  const Bytes enc = revocation_list(ca, kNow, prints);
  RevocationList l;
  std::string why;
  for (size_t n = 0; n < enc.size(); ++n)
    CHECK_FALSE(decode(Bytes(enc.begin(), enc.begin() + n), &l, &why));
  Parts p = split(enc);
  p.fields.insert(p.fields.begin() + 2, {1, Bytes(1, 'a')});
  CHECK_FALSE(decode(p.join(), &l, &why));
  for (uint8_t tag : {5, 10, 255}) {
    p = split(enc);
    p.fields.erase(p.fields.begin() + static_cast<long>(p.index(tag)));
    CHECK_FALSE(decode(p.join(), &l, &why));
  }
  p = split(enc);
  p.find(11)->second.pop_back();
  CHECK_FALSE(decode(p.join(), &l, &why));
}
