// What the parent reads before starting a certificate node: its key, its
// certificate, the CAs and revocation lists, and every reason it refuses
// to start with them.
#include "priv/identity_files.h"

#include <sys/stat.h>
#include <unistd.h>

#include "../identity/fixtures.h"
#include "identity/armor.h"
#include "identity/keyfile.h"

#include <CppUTest/TestHarness.h>

using namespace braid;
namespace id = braid::identity;
using id::testing::kDay;
using id::testing::kNow;

TEST_GROUP(IdentityFiles) {
  id::testing::TempDir dir;
  id::testing::TestCa ca = id::testing::make_ca("corp");
  id::NodeKey key = id::generate_node_key();
  config::Config cfg;

  void write(const std::string& name, const std::string& text, unsigned mode = 0644) {
    std::string why;
    CHECK_TEXT(id::write_text_file(dir.file(name), text, mode, true, &why), why.c_str());
  }
  // A node key, a certificate for it, the CA: a node that may start.
  void setup() override {
    write("node.key", id::armor(id::kLabelNodeKey, key.private_key), 0600);
    write("ca.crt", id::armor(id::kLabelCertificate, ca.encoded));
    sign_node(kNow - kDay, kNow + 365 * kDay);
    cfg.key_file = dir.file("node.key");
    cfg.certificate_file = dir.file("node.crt");
    cfg.ca_files = {dir.file("ca.crt")};
  }
  id::Certificate sign_node(uint64_t not_before, uint64_t not_after,
                            const id::testing::TestCa* by = nullptr) {
    id::Certificate c = id::testing::node_cert("alpha", not_before, not_after);
    c.public_key = key.public_key;
    auto bytes = id::testing::signed_by(by ? *by : ca, c);
    write("node.crt", id::armor(id::kLabelCertificate, bytes));
    return c;
  }
  std::string load_error(uint64_t now = kNow) {
    ipc::Identity out;
    id::TrustStore trust;
    std::string error;
    if (!priv::load_identity(cfg, now, &out, &trust, &error)) return error;
    std::vector<std::vector<uint8_t>> lists;
    if (!priv::load_revocation_lists(cfg, &trust, &lists, &error)) return error;
    return priv::check_own_certificate(cfg, out, trust, now);
  }
};

TEST(IdentityFiles, AValidNodeLoadsWithItsKeyCertificateAndCa) {
  ipc::Identity out;
  id::TrustStore trust;
  std::string error;
  CHECK_TEXT(priv::load_identity(cfg, kNow, &out, &trust, &error), error.c_str());
  CHECK(out.static_private == key.private_key);
  LONGS_EQUAL(1, out.cas.size());
  CHECK(out.cas[0] == ca.encoded);
  CHECK(!out.certificate.empty());
  CHECK(!trust.empty());
  STRCMP_EQUAL("", load_error().c_str());
}

TEST(IdentityFiles, ASharedKeyNodeWithoutAKeyFileGetsAFreshKey) {
  config::Config plain;
  ipc::Identity a, b;
  id::TrustStore trust;
  std::string error;
  CHECK(priv::load_identity(plain, kNow, &a, &trust, &error));
  CHECK(priv::load_identity(plain, kNow, &b, &trust, &error));
  CHECK(a.static_private != b.static_private);
  CHECK(a.certificate.empty() && a.cas.empty());
  // With a key file, the same key every time.
  plain.key_file = cfg.key_file;
  CHECK(priv::load_identity(plain, kNow, &a, &trust, &error));
  CHECK(a.static_private == key.private_key);
}

TEST(IdentityFiles, APrivateKeyOthersCanReadIsRefused) {
  chmod(cfg.key_file.c_str(), 0640);
  STRCMP_CONTAINS("readable by group or others", load_error().c_str());
  STRCMP_CONTAINS(cfg.key_file.c_str(), load_error().c_str());
}

TEST(IdentityFiles, ACertificateForAnotherKeyIsRefused) {
  id::NodeKey other = id::generate_node_key();
  write("node.key", id::armor(id::kLabelNodeKey, other.private_key), 0600);
  STRCMP_CONTAINS("was not issued for the key in", load_error().c_str());
}

TEST(IdentityFiles, ACertificateOfAnotherCaIsRefused) {
  id::testing::TestCa other = id::testing::make_ca("other");
  sign_node(kNow - kDay, kNow + kDay, &other);
  std::string e = load_error();
  STRCMP_CONTAINS("certificate ", e.c_str());
  STRCMP_CONTAINS("unknown CA", e.c_str());
}

TEST(IdentityFiles, AnExpiredOrNotYetValidCertificateIsRefusedWithItsDate) {
  sign_node(kNow - 10 * kDay, kNow - kDay);
  STRCMP_CONTAINS("expired on 2027-01-14", load_error().c_str());
  sign_node(kNow + kDay, kNow + 10 * kDay);
  STRCMP_CONTAINS("valid from 2027-01-16", load_error().c_str());
}

TEST(IdentityFiles, ARevokedOwnCertificateIsRefused) {
  std::vector<uint8_t> bytes;
  id::Certificate c;
  std::string why;
  CHECK(id::load_certificate(cfg.certificate_file, &bytes, &c, &why));
  auto list = id::testing::revocation_list(ca, kNow, {id::fingerprint(bytes)});
  write("ca.crl", id::armor(id::kLabelRevocationList, list));
  cfg.revocation_files = {dir.file("ca.crl")};
  STRCMP_CONTAINS("revoked", load_error().c_str());
}

TEST(IdentityFiles, AReloadFindsTheCertificateRenewedForTheSameKeyOnly) {
  ipc::Identity out;
  id::TrustStore trust;
  std::string error;
  CHECK_TEXT(priv::load_identity(cfg, kNow, &out, &trust, &error), error.c_str());
  std::vector<uint8_t> renewed;
  // Unchanged: nothing to send.
  CHECK(priv::reload_certificate(cfg, out.certificate, trust, kNow, &renewed, &error));
  CHECK(renewed.empty());
  // Renewed with a later end: sent.
  sign_node(kNow - kDay, kNow + 730 * kDay);
  CHECK_TEXT(priv::reload_certificate(cfg, out.certificate, trust, kNow, &renewed, &error),
             error.c_str());
  CHECK(!renewed.empty() && renewed != out.certificate);
  // For another key (a new node id takes a restart), expired, or gone:
  // refused, and the running one stays.
  id::Certificate c = id::testing::node_cert("alpha", kNow - kDay, kNow + kDay);
  c.public_key = id::generate_node_key().public_key;
  write("node.crt", id::armor(id::kLabelCertificate, id::testing::signed_by(ca, c)));
  CHECK_FALSE(priv::reload_certificate(cfg, out.certificate, trust, kNow, &renewed, &error));
  STRCMP_CONTAINS("was not issued for the key in", error.c_str());
  sign_node(kNow - 10 * kDay, kNow - kDay);
  CHECK_FALSE(priv::reload_certificate(cfg, out.certificate, trust, kNow, &renewed, &error));
  STRCMP_CONTAINS("expired", error.c_str());
  unlink(cfg.certificate_file.c_str());
  CHECK_FALSE(priv::reload_certificate(cfg, out.certificate, trust, kNow, &renewed, &error));
  CHECK(renewed.empty());
}

// A CA rotation in three reloads: the next CA trusted beside the old
// one; the node's certificate re-signed by it; the old CA removed. And
// the reloads that must not take: the old CA removed before the node's
// certificate moved, a list of a CA no longer trusted, a bad CA file.
TEST(IdentityFiles, AReloadTakesOtherCasOnlyWhenTheNodeStaysValidUnderThem) {
  ipc::Identity out;
  id::TrustStore trust;
  std::string error;
  CHECK_TEXT(priv::load_identity(cfg, kNow, &out, &trust, &error), error.c_str());
  priv::CaReload next;
  CHECK(priv::reload_cas(cfg, out.cas, trust, out.certificate, kNow, &next, &error));
  CHECK_FALSE(next.changed);

  id::testing::TestCa ca2 = id::testing::make_ca("corp-2027");
  write("ca2.crt", id::armor(id::kLabelCertificate, ca2.encoded));
  write("ca.crl", id::armor(id::kLabelRevocationList, id::testing::revocation_list(ca, kNow, {})));
  cfg.revocation_files = {dir.file("ca.crl")};
  cfg.ca_files = {dir.file("ca.crt"), dir.file("ca2.crt")};
  CHECK_TEXT(priv::reload_cas(cfg, out.cas, trust, out.certificate, kNow, &next, &error), error.c_str());
  CHECK(next.changed);
  LONGS_EQUAL(2, next.cas.size());
  CHECK(next.cas[1] == ca2.encoded);
  LONGS_EQUAL(1, next.lists.size());
  CHECK(next.trust.cas()[0].has_list);
  CHECK(next.certificate == out.certificate);
  std::vector<std::vector<uint8_t>> both = next.cas;
  // The running lists of the CAs that stay are kept, as the engine keeps
  // them: a list file older than the running list refuses the set.
  id::TrustStore newer = trust;
  CHECK(newer.add_revocation_list(id::testing::revocation_list(ca, kNow + 5, {}), &error));
  CHECK_FALSE(priv::reload_cas(cfg, out.cas, newer, out.certificate, kNow, &next, &error));
  STRCMP_CONTAINS("older", error.c_str());

  // The old CA cannot go while the node's certificate is its.
  cfg.ca_files = {dir.file("ca2.crt")};
  cfg.revocation_files = {};
  CHECK_FALSE(priv::reload_cas(cfg, both, trust, out.certificate, kNow, &next, &error));
  STRCMP_CONTAINS("under the new CA certificates", error.c_str());
  STRCMP_CONTAINS("unknown CA", error.c_str());
  // A list of a CA no longer trusted refuses the set too.
  sign_node(kNow - kDay, kNow + 365 * kDay, &ca2);
  cfg.revocation_files = {dir.file("ca.crl")};
  CHECK_FALSE(priv::reload_cas(cfg, both, trust, out.certificate, kNow, &next, &error));
  STRCMP_CONTAINS("revocation_list", error.c_str());
  // Certificate and CA replaced in the same reload: taken.
  cfg.revocation_files = {};
  CHECK_TEXT(priv::reload_cas(cfg, both, trust, out.certificate, kNow, &next, &error), error.c_str());
  CHECK(next.changed);
  LONGS_EQUAL(1, next.cas.size());
  CHECK(next.cas[0] == ca2.encoded);

  write("ca2.crt", "not a certificate\n");
  CHECK_FALSE(priv::reload_cas(cfg, both, trust, out.certificate, kNow, &next, &error));
  STRCMP_CONTAINS("ca2.crt", error.c_str());
  unlink(dir.file("ca2.crt").c_str());
  CHECK_FALSE(priv::reload_cas(cfg, both, trust, out.certificate, kNow, &next, &error));
  STRCMP_CONTAINS("ca2.crt", error.c_str());
}

TEST(IdentityFiles, AReloadSaysSoWhenTheKeyFileHoldsAnotherKey) {
  STRCMP_EQUAL("", priv::check_key_file(cfg, key.public_key).c_str());
  id::NodeKey other = id::generate_node_key();
  write("node.key", id::armor(id::kLabelNodeKey, other.private_key), 0600);
  STRCMP_CONTAINS("holds another key", priv::check_key_file(cfg, key.public_key).c_str());
  unlink(cfg.key_file.c_str());
  STRCMP_CONTAINS("node.key", priv::check_key_file(cfg, key.public_key).c_str());
  config::Config keyless;
  STRCMP_EQUAL("", priv::check_key_file(keyless, key.public_key).c_str());
}

TEST(IdentityFiles, ARevocationListOfAnUnknownCaOrMissingFileIsRefused) {
  id::testing::TestCa other = id::testing::make_ca("other");
  write("other.crl", id::armor(id::kLabelRevocationList, id::testing::revocation_list(other, kNow, {})));
  cfg.revocation_files = {dir.file("other.crl")};
  STRCMP_CONTAINS("revocation_list", load_error().c_str());
  cfg.revocation_files = {dir.file("missing.crl")};
  STRCMP_CONTAINS("missing.crl", load_error().c_str());
}

TEST(IdentityFiles, ACaFileWithoutCertificatesIsRefused) {
  write("empty.crt", "nothing here\n");
  cfg.ca_files = {dir.file("empty.crt")};
  STRCMP_CONTAINS("empty.crt: no", load_error().c_str());
}
