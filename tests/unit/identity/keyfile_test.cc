// Key and certificate files: exact modes, refusal of private keys others
// can read, atomic writes that never replace a file unasked.
#include "identity/keyfile.h"

#include <sys/stat.h>
#include <unistd.h>

#include <CppUTest/TestHarness.h>

#include <string>

#include "identity/armor.h"
#include "fixtures.h"

using namespace braid::identity;
using namespace braid::identity::testing;

namespace {

unsigned mode_of(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return 0xffff;
  return st.st_mode & 07777;
}

}  // namespace

TEST_GROUP(KeyFile) {
  TempDir dir;
  std::string why;
};

TEST(KeyFile, WritesWithTheExactModeWhateverTheUmask) {
  const mode_t old = umask(077);
  CHECK_TRUE_TEXT(write_text_file(dir.file("a.crt"), "x\n", 0644, false, &why), why.c_str());
  umask(0);
  CHECK(write_text_file(dir.file("a.key"), "y\n", 0600, false, &why));
  umask(old);
  CHECK_EQUAL(0644u, mode_of(dir.file("a.crt")));
  CHECK_EQUAL(0600u, mode_of(dir.file("a.key")));
  std::string text;
  CHECK(read_text_file(dir.file("a.crt"), &text, &why));
  STRCMP_EQUAL("x\n", text.c_str());
}

TEST(KeyFile, RefusesToReplaceAFileUnlessAsked) {
  CHECK(write_text_file(dir.file("f"), "old", 0644, false, &why));
  CHECK_FALSE(write_text_file(dir.file("f"), "new", 0644, false, &why));
  STRCMP_EQUAL((dir.file("f") + ": already exists").c_str(), why.c_str());
  std::string text;
  CHECK(read_text_file(dir.file("f"), &text, &why));
  STRCMP_EQUAL("old", text.c_str());
  CHECK(write_text_file(dir.file("f"), "new", 0600, true, &why));
  CHECK(read_text_file(dir.file("f"), &text, &why));
  STRCMP_EQUAL("new", text.c_str());
  CHECK_EQUAL(0600u, mode_of(dir.file("f")));
}

TEST(KeyFile, LeavesNoTemporaryFileBehind) {
  CHECK(write_text_file(dir.file("f"), "a", 0644, false, &why));
  CHECK_FALSE(write_text_file(dir.file("f"), "b", 0644, false, &why));
  CHECK(write_text_file(dir.file("f"), "c", 0644, true, &why));
  const std::string cmd = "test $(ls -A '" + dir.path() + "' | wc -l) -eq 1";
  CHECK_EQUAL(0, system(cmd.c_str()));
}

TEST(KeyFile, ErrorsNameTheFile) {
  std::string text;
  CHECK_FALSE(read_text_file(dir.file("missing"), &text, &why));
  CHECK(why.starts_with(dir.file("missing") + ": "));
  CHECK_FALSE(write_text_file(dir.file("no/such/dir"), "x", 0644, false, &why));
  CHECK(why.find("no/such/dir") != std::string::npos);
  CHECK_FALSE(read_text_file(dir.path(), &text, &why));
}

TEST(KeyFile, NodeKeyRoundTripsAndIsCreatedPrivate) {
  const NodeKey k = generate_node_key();
  CHECK(write_text_file(dir.file("n.key"), armor(kLabelNodeKey, k.private_key), 0600, false, &why));
  CHECK(write_text_file(dir.file("n.pub"), armor(kLabelNodePublicKey, k.public_key), 0644, false,
                        &why));
  NodeKey back;
  CHECK_TRUE_TEXT(load_node_key(dir.file("n.key"), &back, &why), why.c_str());
  CHECK(back.private_key == k.private_key);
  CHECK(back.public_key == k.public_key);
  PublicKey pub;
  CHECK_TRUE_TEXT(load_public_key(dir.file("n.pub"), &pub, &why), why.c_str());
  CHECK(pub == k.public_key);
  // The files are not interchangeable.
  CHECK_FALSE(load_public_key(dir.file("n.key"), &pub, &why));
  CHECK_FALSE(load_node_key(dir.file("n.pub"), &back, &why));
}

TEST(KeyFile, PrivateKeysReadableByGroupOrOthersAreRefused) {
  const NodeKey k = generate_node_key();
  const CaKey ca = generate_ca_key();
  CHECK(write_text_file(dir.file("n.key"), armor(kLabelNodeKey, k.private_key), 0600, false, &why));
  CHECK(write_text_file(dir.file("ca.key"), armor(kLabelCaKey, ca.seed), 0600, false, &why));
  for (unsigned mode : {0640u, 0604u, 0620u, 0602u, 0610u, 0601u}) {
    chmod(dir.file("n.key").c_str(), mode);
    chmod(dir.file("ca.key").c_str(), mode);
    NodeKey nk;
    CHECK_FALSE(load_node_key(dir.file("n.key"), &nk, &why));
    const std::string expected = dir.file("n.key") +
                                 ": private key is readable by group or others; run chmod 600 " +
                                 dir.file("n.key");
    STRCMP_EQUAL(expected.c_str(), why.c_str());
    CaKey ck;
    CHECK_FALSE(load_ca_key(dir.file("ca.key"), &ck, &why));
  }
  chmod(dir.file("ca.key").c_str(), 0400);
  CaKey back;
  CHECK_TRUE_TEXT(load_ca_key(dir.file("ca.key"), &back, &why), why.c_str());
  CHECK(back.secret_key == ca.secret_key);
  CHECK(back.public_key == ca.public_key);
}

TEST(KeyFile, KeyOfTheWrongSizeIsRefused) {
  const auto short_key = std::vector<uint8_t>(31, 1);
  CHECK(write_text_file(dir.file("n.key"), armor(kLabelNodeKey, short_key), 0600, false, &why));
  NodeKey k;
  CHECK_FALSE(load_node_key(dir.file("n.key"), &k, &why));
  CHECK(why.find("31") != std::string::npos);
}

TEST(KeyFile, CaKeyFromSeedIsDeterministic) {
  std::array<uint8_t, 32> seed{};
  seed[0] = 7;
  CaKey a, b;
  CHECK(ca_key_from_seed(seed, &a));
  CHECK(ca_key_from_seed(seed, &b));
  CHECK(a.public_key == b.public_key);
  CHECK(std::equal(a.public_key.begin(), a.public_key.end(), a.secret_key.begin() + 32));
}

TEST(KeyFile, CertificatesAndRevocationListsLoad) {
  const TestCa ca = make_ca();
  const TestCa other = make_ca("other");
  const auto node = signed_by(ca, node_cert());
  CHECK(write_text_file(dir.file("n.crt"), "alpha\n" + armor(kLabelCertificate, node), 0644, false,
                        &why));
  std::vector<uint8_t> enc;
  Certificate c;
  CHECK_TRUE_TEXT(load_certificate(dir.file("n.crt"), &enc, &c, &why), why.c_str());
  CHECK(enc == node);
  STRCMP_EQUAL("alpha", c.name.c_str());

  const std::string both =
      armor(kLabelCertificate, ca.encoded) + armor(kLabelCertificate, other.encoded);
  CHECK(write_text_file(dir.file("cas.crt"), both, 0644, false, &why));
  std::vector<std::vector<uint8_t>> all;
  CHECK_TRUE_TEXT(load_certificates(dir.file("cas.crt"), &all, &why), why.c_str());
  CHECK_EQUAL(2u, all.size());
  CHECK_FALSE(load_certificates(dir.file("n.crt") + "x", &all, &why));

  const auto list = revocation_list(ca, kNow, {fingerprint(node)});
  CHECK(write_text_file(dir.file("ca.crl"), armor(kLabelRevocationList, list), 0644, false, &why));
  RevocationList l;
  CHECK_TRUE_TEXT(load_revocation_list(dir.file("ca.crl"), &enc, &l, &why), why.c_str());
  CHECK(enc == list);
  CHECK_EQUAL(1u, l.revoked.size());
}

TEST(KeyFile, BadCertificateFileSaysWhy) {
  auto node = signed_by(make_ca(), node_cert());
  node[0] = 9;
  CHECK(write_text_file(dir.file("n.crt"), armor(kLabelCertificate, node), 0644, false, &why));
  std::vector<uint8_t> enc;
  Certificate c;
  CHECK_FALSE(load_certificate(dir.file("n.crt"), &enc, &c, &why));
  CHECK(why.find(dir.file("n.crt")) == 0);
  CHECK(why.find("version") != std::string::npos);
  CHECK(write_text_file(dir.file("empty.crt"), "just a note\n", 0644, false, &why));
  std::vector<std::vector<uint8_t>> all;
  CHECK_FALSE(load_certificates(dir.file("empty.crt"), &all, &why));
}
