// The trust store: which certificates a node accepts from its peers, the
// order of the checks, and how revocation lists are installed.
#include "identity/trust.h"

#include <CppUTest/TestHarness.h>

#include <string>

#include "fixtures.h"

using namespace braid::identity;
using namespace braid::identity::testing;

TEST_GROUP(TrustStore) {
  TestCa ca;
  TrustStore store;
  std::vector<uint8_t> node;
  std::string why;
  void setup() override {
    ca = make_ca();
    CHECK_TRUE_TEXT(store.add_ca(ca.encoded, &why), why.c_str());
    node = signed_by(ca, node_cert());
  }
};

TEST(TrustStore, AcceptsACertificateOfATrustedCa) {
  Certificate c;
  CHECK(Verdict::kOk == store.verify(node, kNow, &c));
  STRCMP_EQUAL("alpha", c.name.c_str());
  CHECK(Verdict::kOk == store.verify(node, kNow, nullptr));
  STRCMP_EQUAL("ok", verdict_text(Verdict::kOk));
}

TEST(TrustStore, RefusesGarbageAndCaCertificates) {
  CHECK(Verdict::kMalformed == store.verify(std::vector<uint8_t>{1, 2, 3}, kNow, nullptr));
  CHECK(Verdict::kMalformed == store.verify({}, kNow, nullptr));
  CHECK(Verdict::kNotNode == store.verify(ca.encoded, kNow, nullptr));
}

TEST(TrustStore, RefusesAnUnknownCa) {
  const TestCa other = make_ca("other");
  CHECK(Verdict::kUnknownCa == store.verify(signed_by(other, node_cert()), kNow, nullptr));
  STRCMP_EQUAL("signed by an unknown CA", verdict_text(Verdict::kUnknownCa));
}

TEST(TrustStore, RefusesABadSignature) {
  auto bad = node;
  bad[bad.size() - 1] ^= 1;
  CHECK(Verdict::kBadSignature == store.verify(bad, kNow, nullptr));
  // Another CA's signature under our CA's key id.
  Certificate c = node_cert();
  const TestCa other = make_ca("other");
  std::vector<uint8_t> tbs;
  CHECK(sign(&c, other.key.secret_key, &why));
  c.issuer = ca.cert.issuer;
  std::vector<uint8_t> forged;
  CHECK(encode(c, &forged, &why));
  CHECK(Verdict::kBadSignature == store.verify(forged, kNow, nullptr));
}

TEST(TrustStore, ChecksTheValidityPeriodAtItsEdges) {
  const auto cert = signed_by(ca, node_cert("alpha", kNow, kNow + 100));
  CHECK(Verdict::kNotYetValid == store.verify(cert, kNow - 1, nullptr));
  CHECK(Verdict::kOk == store.verify(cert, kNow, nullptr));
  CHECK(Verdict::kOk == store.verify(cert, kNow + 99, nullptr));
  CHECK(Verdict::kExpired == store.verify(cert, kNow + 100, nullptr));
  STRCMP_EQUAL("certificate expired", verdict_text(Verdict::kExpired));
  STRCMP_EQUAL("certificate not yet valid", verdict_text(Verdict::kNotYetValid));
}

TEST(TrustStore, RefusesCertificatesOfACaOutsideItsValidity) {
  TrustStore s;
  const TestCa short_ca = make_ca("short", kNow - 10, kNow + 10);
  CHECK(s.add_ca(short_ca.encoded, &why));
  const auto cert = signed_by(short_ca, node_cert("alpha", kNow - 100, kNow + 100));
  CHECK(Verdict::kOk == s.verify(cert, kNow, nullptr));
  CHECK(Verdict::kCaExpired == s.verify(cert, kNow + 10, nullptr));
  CHECK(Verdict::kCaExpired == s.verify(cert, kNow - 11, nullptr));
}

TEST(TrustStore, ChecksRunInTheDocumentedOrder) {
  // Expired, of an expired CA, with a bad signature: the signature is
  // reported, since nothing else about an unsigned certificate is known.
  TrustStore s;
  const TestCa old_ca = make_ca("old", kNow - 100, kNow - 10);
  CHECK(s.add_ca(old_ca.encoded, &why));
  auto cert = signed_by(old_ca, node_cert("alpha", kNow - 90, kNow - 20));
  CHECK(Verdict::kCaExpired == s.verify(cert, kNow, nullptr));
  cert[cert.size() - 1] ^= 1;
  CHECK(Verdict::kBadSignature == s.verify(cert, kNow, nullptr));
  // CA validity before the certificate's own.
  cert = signed_by(old_ca, node_cert("alpha", kNow - 90, kNow - 20));
  CHECK(Verdict::kCaExpired == s.verify(cert, kNow, nullptr));
  // Expiry before revocation.
  auto list = revocation_list(old_ca, kNow, {fingerprint(cert)});
  CHECK(s.add_revocation_list(list, &why));
  CHECK(Verdict::kExpired == s.verify(cert, kNow - 15, nullptr));
  CHECK(Verdict::kRevoked == s.verify(cert, kNow - 50, nullptr));
}

TEST(TrustStore, RefusesARevokedCertificate) {
  const auto other_node = signed_by(ca, node_cert("beta"));
  CHECK_TRUE_TEXT(store.add_revocation_list(revocation_list(ca, kNow, {fingerprint(node)}), &why),
                  why.c_str());
  CHECK(Verdict::kRevoked == store.verify(node, kNow, nullptr));
  CHECK(Verdict::kOk == store.verify(other_node, kNow, nullptr));
  STRCMP_EQUAL("certificate revoked", verdict_text(Verdict::kRevoked));
}

TEST(TrustStore, ANewerListReplacesAnOlderOneIsRefused) {
  CHECK(store.add_revocation_list(revocation_list(ca, kNow, {fingerprint(node)}), &why));
  CHECK(store.add_revocation_list(revocation_list(ca, kNow + 5, {}), &why));
  CHECK(Verdict::kOk == store.verify(node, kNow, nullptr));
  CHECK_FALSE(store.add_revocation_list(revocation_list(ca, kNow, {fingerprint(node)}), &why));
  CHECK(why.find("older") != std::string::npos);
  CHECK(Verdict::kOk == store.verify(node, kNow, nullptr));
  CHECK_EQUAL(kNow + 5, store.cas()[0].list_issued_at);
  // The same issue time again is not older.
  CHECK(store.add_revocation_list(revocation_list(ca, kNow + 5, {fingerprint(node)}), &why));
}

TEST(TrustStore, RefusesAListFromAnUnknownCaOrWithABadSignature) {
  const TestCa other = make_ca("other");
  CHECK_FALSE(store.add_revocation_list(revocation_list(other, kNow, {}), &why));
  CHECK(why.find("unknown CA") != std::string::npos);
  auto list = revocation_list(ca, kNow, {fingerprint(node)});
  list[list.size() - 1] ^= 1;
  CHECK_FALSE(store.add_revocation_list(list, &why));
  CHECK_FALSE(store.add_revocation_list(std::vector<uint8_t>{1, 3}, &why));
  CHECK_FALSE(store.cas()[0].has_list);
}

TEST(TrustStore, OnlyTheIssuingCaRevokes) {
  const TestCa other = make_ca("other");
  CHECK(store.add_ca(other.encoded, &why));
  CHECK(store.add_revocation_list(revocation_list(other, kNow, {fingerprint(node)}), &why));
  CHECK(Verdict::kOk == store.verify(node, kNow, nullptr));
}

TEST(TrustStore, AddCaRefusesNodeCertificatesAndBadSignatures) {
  TrustStore s;
  CHECK(s.empty());
  CHECK_FALSE(s.add_ca(node, &why));
  CHECK(why.find("not a CA") != std::string::npos);
  auto bad = ca.encoded;
  bad[bad.size() - 1] ^= 1;
  CHECK_FALSE(s.add_ca(bad, &why));
  CHECK_FALSE(s.add_ca(std::vector<uint8_t>{}, &why));
  CHECK(s.empty());
}

TEST(TrustStore, SeveralCasAreTrustedAtOnce) {
  const TestCa other = make_ca("other");
  CHECK(store.add_ca(other.encoded, &why));
  CHECK_EQUAL(2u, store.cas().size());
  CHECK(Verdict::kOk == store.verify(signed_by(other, node_cert()), kNow, nullptr));
  CHECK(Verdict::kOk == store.verify(node, kNow, nullptr));
}

TEST(TrustStore, ARenewedCaCertificateForTheSameKeyKeepsTheLongerOne) {
  Certificate renewed = ca.cert;
  renewed.not_after += 1000 * kDay;
  const auto enc = signed_by(ca, renewed);
  CHECK(store.add_revocation_list(revocation_list(ca, kNow, {}), &why));
  CHECK(store.add_ca(enc, &why));
  CHECK(store.add_ca(ca.encoded, &why));
  CHECK_EQUAL(1u, store.cas().size());
  CHECK_EQUAL(renewed.not_after, store.cas()[0].cert.not_after);
  CHECK(store.cas()[0].has_list);
}

TEST(TrustStore, ANewCaSetKeepsTheListsOfTheCasThatStay) {
  const TestCa other = make_ca("other");
  const TestCa third = make_ca("third");
  CHECK(store.add_ca(other.encoded, &why));
  CHECK(store.add_revocation_list(revocation_list(ca, kNow + 7, {fingerprint(node)}), &why));
  CHECK(store.add_revocation_list(revocation_list(other, kNow, {}), &why));
  // `other` goes, `third` comes, `ca` stays.
  TrustStore next;
  CHECK(next.add_ca(third.encoded, &why));
  CHECK(next.add_ca(ca.encoded, &why));
  next.keep_lists_of(store);
  CHECK(Verdict::kRevoked == next.verify(node, kNow, nullptr));
  CHECK_FALSE(next.cas()[0].has_list);
  CHECK_EQUAL(kNow + 7, next.cas()[1].list_issued_at);
  CHECK_FALSE(next.add_revocation_list(revocation_list(ca, kNow, {}), &why));   // older
  CHECK(Verdict::kUnknownCa == next.verify(signed_by(other, node_cert()), kNow, nullptr));
}

TEST(TrustStore, ADecodedCertificateIsCheckedAsItsEncoding) {
  Certificate c;
  CHECK(Verdict::kOk == store.verify(node, kNow, &c));
  CHECK(Verdict::kOk == store.verify(c, fingerprint(node), kNow));
  CHECK(Verdict::kExpired == store.verify(c, fingerprint(node), c.not_after));
  CHECK(store.add_revocation_list(revocation_list(ca, kNow, {fingerprint(node)}), &why));
  CHECK(Verdict::kRevoked == store.verify(c, fingerprint(node), kNow));
  c.name = "mallory";   // no longer what the CA signed
  CHECK(Verdict::kBadSignature == store.verify(c, fingerprint(node), kNow));
  CHECK(Verdict::kRevoked == store.verify(c, fingerprint(node), kNow, false));
  TrustStore none;
  CHECK(Verdict::kUnknownCa == none.verify(c, fingerprint(node), kNow));
}

TEST(TrustStore, EveryVerdictHasShortLowerCaseText) {
  for (Verdict v : {Verdict::kOk, Verdict::kMalformed, Verdict::kNotNode, Verdict::kUnknownCa,
                    Verdict::kBadSignature, Verdict::kNotYetValid, Verdict::kExpired,
                    Verdict::kCaExpired, Verdict::kRevoked, Verdict::kKeyMismatch}) {
    const std::string t = verdict_text(v);
    CHECK(!t.empty() && t.size() < 48);
    CHECK(t.find('\n') == std::string::npos);
  }
}
