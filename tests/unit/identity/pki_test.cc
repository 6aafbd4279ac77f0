// The PKI commands, run in-process in a temporary directory: the files
// they write, what they print, and their exit codes.
#include "frontend/pki.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CppUTest/TestHarness.h>

#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "common/hex.h"
#include "fixtures.h"
#include "identity/armor.h"
#include "identity/keyfile.h"
#include "identity/trust.h"

using namespace braid;
using namespace braid::identity;
using namespace braid::identity::testing;

namespace {

struct Result {
  int rc = -1;
  std::string out;
  std::string err;
};

std::string slurp(const std::string& path) {
  std::string text, why;
  if (!read_text_file(path, &text, &why)) FAIL(why.c_str());
  return text;
}

// Runs "braid ARGS..." with stdout and stderr captured in files of dir.
Result run_braid(const TempDir& dir, std::vector<std::string> args) {
  args.insert(args.begin(), "braid");
  std::vector<char*> argv;
  for (auto& w : args) argv.push_back(w.data());
  argv.push_back(nullptr);
  const std::string out_path = dir.file(".out"), err_path = dir.file(".err");
  fflush(stdout);
  fflush(stderr);
  const int saved_out = dup(1), saved_err = dup(2);
  const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  dup2(out, 1);
  dup2(err, 2);
  Result r;
  r.rc = frontend::run_pki(static_cast<int>(args.size()), argv.data());
  fflush(stdout);
  fflush(stderr);
  dup2(saved_out, 1);
  dup2(saved_err, 2);
  close(saved_out);
  close(saved_err);
  close(out);
  close(err);
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  unlink(out_path.c_str());
  unlink(err_path.c_str());
  return r;
}

unsigned mode_of(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return 0xffff;
  return st.st_mode & 07777;
}

bool has(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

uint64_t now_s() { return static_cast<uint64_t>(time(nullptr)); }

}  // namespace

TEST_GROUP(PkiCommands) {
  TempDir dir;
  std::string ca_dir;
  void setup() override {
    ca_dir = dir.file("ca");
    const Result r = cmd({"ca", "init", "--name", "corp", "--dir", ca_dir});
    CHECK_EQUAL_TEXT(0, r.rc, r.err.c_str());
  }
  Result cmd(std::vector<std::string> args) { return run_braid(dir, std::move(args)); }
  // keygen and ca sign for one node; returns the certificate's path.
  std::string make_node(const std::string& name, std::vector<std::string> extra = {}) {
    Result r = cmd({"keygen", "--out", dir.file(name + ".key")});
    CHECK_EQUAL_TEXT(0, r.rc, r.err.c_str());
    std::vector<std::string> args = {"ca", "sign", "--name", name, "--pubkey",
                                     dir.file(name + ".pub"), "--ca-dir", ca_dir,
                                     "--out", dir.file(name + ".crt")};
    args.insert(args.end(), extra.begin(), extra.end());
    r = cmd(args);
    CHECK_EQUAL_TEXT(0, r.rc, r.err.c_str());
    return dir.file(name + ".crt");
  }
  Certificate load(const std::string& path) {
    std::vector<uint8_t> enc;
    Certificate c;
    std::string why;
    CHECK_TRUE_TEXT(load_certificate(path, &enc, &c, &why), why.c_str());
    return c;
  }
};

TEST(PkiCommands, CaInitWritesAPrivateKeyAndASelfSignedCertificate) {
  CHECK_EQUAL(0600u, mode_of(ca_dir + "/ca.key"));
  CHECK_EQUAL(0644u, mode_of(ca_dir + "/ca.crt"));
  CaKey key;
  std::string why;
  CHECK_TRUE_TEXT(load_ca_key(ca_dir + "/ca.key", &key, &why), why.c_str());
  const Certificate c = load(ca_dir + "/ca.crt");
  CHECK(c.kind == CertKind::kCa);
  STRCMP_EQUAL("corp", c.name.c_str());
  CHECK(c.public_key == key.public_key);
  CHECK(verify_signature(c, key.public_key));
  // Default validity: ten years.
  CHECK(c.not_after >= now_s() + 3650 * kDay - 5 && c.not_after <= now_s() + 3650 * kDay);
  CHECK(c.not_before <= now_s());
}

TEST(PkiCommands, CaInitRefusesToReplaceAnExistingCaUnlessForced) {
  Result r = cmd({"ca", "init", "--name", "corp2", "--dir", ca_dir});
  CHECK_EQUAL(1, r.rc);
  CHECK(r.err.starts_with("braid ca init: "));
  CHECK(has(r.err, "--force"));
  STRCMP_EQUAL("corp", load(ca_dir + "/ca.crt").name.c_str());
  r = cmd({"ca", "init", "--name", "corp2", "--dir", ca_dir, "--force", "--valid", "2y"});
  CHECK_EQUAL_TEXT(0, r.rc, r.err.c_str());
  const Certificate c = load(ca_dir + "/ca.crt");
  STRCMP_EQUAL("corp2", c.name.c_str());
  CHECK(c.not_after <= now_s() + 730 * kDay);
}

TEST(PkiCommands, KeygenWritesTheKeyPairAndPrintsTheNodeId) {
  const Result r = cmd({"keygen", "--out", dir.file("alpha.key")});
  CHECK_EQUAL_TEXT(0, r.rc, r.err.c_str());
  CHECK_EQUAL(0600u, mode_of(dir.file("alpha.key")));
  CHECK_EQUAL(0644u, mode_of(dir.file("alpha.pub")));
  NodeKey key;
  PublicKey pub;
  std::string why;
  CHECK(load_node_key(dir.file("alpha.key"), &key, &why));
  CHECK(load_public_key(dir.file("alpha.pub"), &pub, &why));
  CHECK(key.public_key == pub);
  STRCMP_EQUAL(("node id: " + to_hex(pub) + "\n").c_str(), r.out.c_str());
}

TEST(PkiCommands, KeygenNamesThePublicKeyAfterAFileWithoutKeySuffix) {
  CHECK_EQUAL(0, cmd({"keygen", "--out", dir.file("node")}).rc);
  CHECK_EQUAL(0644u, mode_of(dir.file("node.pub")));
}

TEST(PkiCommands, KeygenRefusesToReplaceAKeyUnlessForced) {
  CHECK_EQUAL(0, cmd({"keygen", "--out", dir.file("alpha.key")}).rc);
  const std::string before = slurp(dir.file("alpha.key"));
  Result r = cmd({"keygen", "--out", dir.file("alpha.key")});
  CHECK_EQUAL(1, r.rc);
  CHECK(has(r.err, "already exists"));
  STRCMP_EQUAL(before.c_str(), slurp(dir.file("alpha.key")).c_str());
  // The public key alone existing is enough to refuse.
  unlink(dir.file("alpha.key").c_str());
  CHECK_EQUAL(1, cmd({"keygen", "--out", dir.file("alpha.key")}).rc);
  CHECK_EQUAL(0, cmd({"keygen", "--out", dir.file("alpha.key"), "--force"}).rc);
  CHECK(before != slurp(dir.file("alpha.key")));
}

TEST(PkiCommands, SignMakesACertificateThatVerifies) {
  const std::string crt =
      make_node("alpha", {"--ip", "10.7.0.1/16", "--ip", "fd00:7::1/64", "--claim", "10.7.1.0/24",
                          "--mac", "02:42:00:00:00:00/16", "--group", "ops", "--group", "db"});
  CHECK_EQUAL(0644u, mode_of(crt));
  const Certificate c = load(crt);
  CHECK(c.kind == CertKind::kNode);
  STRCMP_EQUAL("alpha", c.name.c_str());
  CHECK_EQUAL(2u, c.addresses.size());
  STRCMP_EQUAL("fd00:7::1/64", format_prefix(c.addresses[1]).c_str());
  STRCMP_EQUAL("10.7.1.0/24", format_prefix(c.claims[0]).c_str());
  STRCMP_EQUAL("02:42:00:00:00:00/16", format_mac_range(c.macs[0]).c_str());
  CHECK_EQUAL(2u, c.groups.size());
  CHECK(c.not_after <= now_s() + 365 * kDay && c.not_after + 5 >= now_s() + 365 * kDay);
  PublicKey pub;
  std::string why;
  CHECK(load_public_key(dir.file("alpha.pub"), &pub, &why));
  CHECK(c.public_key == pub);

  const Result r = cmd({"cert", "verify", crt, "--ca", ca_dir + "/ca.crt"});
  CHECK_EQUAL_TEXT(0, r.rc, r.err.c_str());
  STRCMP_EQUAL("ok\n", r.out.c_str());
}

TEST(PkiCommands, SignAcceptsThePublicKeyInHex) {
  const NodeKey k = generate_node_key();
  const Result r = cmd({"ca", "sign", "--name", "beta", "--pubkey", to_hex(k.public_key),
                        "--ca-dir", ca_dir, "--out", dir.file("beta.crt")});
  CHECK_EQUAL_TEXT(0, r.rc, r.err.c_str());
  CHECK(load(dir.file("beta.crt")).public_key == k.public_key);
}

TEST(PkiCommands, SignUsesTheCurrentDirectoryByDefault) {
  char cwd[4096];
  CHECK(getcwd(cwd, sizeof cwd) != nullptr);
  CHECK_EQUAL(0, chdir(ca_dir.c_str()));
  const NodeKey k = generate_node_key();
  const Result r = cmd({"ca", "sign", "--name", "gamma", "--pubkey", to_hex(k.public_key)});
  const unsigned mode = mode_of(ca_dir + "/gamma.crt");
  CHECK_EQUAL(0, chdir(cwd));
  CHECK_EQUAL_TEXT(0, r.rc, r.err.c_str());
  CHECK_EQUAL(0644u, mode);
}

TEST(PkiCommands, SignRefusesAValidityEndingAfterTheCas) {
  const NodeKey k = generate_node_key();
  const Result r = cmd({"ca", "sign", "--name", "beta", "--pubkey", to_hex(k.public_key),
                        "--ca-dir", ca_dir, "--out", dir.file("beta.crt"), "--valid", "20y"});
  CHECK_EQUAL(1, r.rc);
  CHECK(r.err.starts_with("braid ca sign: "));
  CHECK(has(r.err, "CA"));
  CHECK(access(dir.file("beta.crt").c_str(), F_OK) != 0);
}

TEST(PkiCommands, SignWarnsAboutAnExpiredCertificateWhichVerifyRefuses) {
  make_node("old", {"--not-before", "2020-01-01", "--not-after", "2021-01-01T12:00:00Z"});
  const Certificate c = load(dir.file("old.crt"));
  CHECK_EQUAL(1577836800u, c.not_before);
  CHECK_EQUAL(1609502400u, c.not_after);
  const Result r = cmd({"cert", "verify", dir.file("old.crt"), "--ca", ca_dir + "/ca.crt"});
  CHECK_EQUAL(1, r.rc);
  STRCMP_EQUAL("certificate expired\n", r.out.c_str());
}

TEST(PkiCommands, SignWarnsOnStderrWhenTheResultIsNotValidNow) {
  const NodeKey k = generate_node_key();
  const std::string from = "@" + std::to_string(now_s() + 86400);
  const Result r = cmd({"ca", "sign", "--name", "later", "--pubkey", to_hex(k.public_key),
                        "--ca-dir", ca_dir, "--out", dir.file("later.crt"), "--not-before", from,
                        "--valid", "1d"});
  CHECK_EQUAL_TEXT(0, r.rc, r.err.c_str());
  CHECK(has(r.err, "warning"));
  CHECK(has(r.err, "not valid yet"));
  const Result v = cmd({"cert", "verify", dir.file("later.crt"), "--ca", ca_dir + "/ca.crt"});
  STRCMP_EQUAL("certificate not yet valid\n", v.out.c_str());
}

TEST(PkiCommands, SignRefusesBadFieldsWithTheOptionNamed) {
  const NodeKey k = generate_node_key();
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--claim", "10.7.1.1/24"}, "--claim"},
      {{"--ip", "10.7.1.300/24"}, "--ip"},
      {{"--mac", "02:42"}, "--mac"},
      {{"--group", "a b"}, "group"},
      {{"--name", "bad name"}, "--name"},
  };
  for (const auto& [extra, expected] : cases) {
    std::vector<std::string> args = {"ca", "sign", "--pubkey", to_hex(k.public_key), "--ca-dir",
                                     ca_dir, "--out", dir.file("x.crt")};
    if (extra[0] != "--name") args.insert(args.end(), {"--name", "x"});
    args.insert(args.end(), extra.begin(), extra.end());
    const Result r = cmd(args);
    CHECK_EQUAL_TEXT(1, r.rc, extra[1].c_str());
    CHECK_TEXT(has(r.err, expected), r.err.c_str());
  }
  // A public key that is neither a file nor hex.
  const Result r = cmd({"ca", "sign", "--name", "x", "--pubkey", dir.file("none.pub"), "--ca-dir",
                        ca_dir});
  CHECK_EQUAL(1, r.rc);
  CHECK(has(r.err, "none.pub"));
}

TEST(PkiCommands, RevokeListsTheCertificateAndVerifyRefusesIt) {
  const std::string alpha = make_node("alpha");
  const std::string beta = make_node("beta");
  Result r = cmd({"ca", "revoke", "--cert", alpha, "--ca-dir", ca_dir});
  CHECK_EQUAL_TEXT(0, r.rc, r.err.c_str());
  CHECK_EQUAL(0644u, mode_of(ca_dir + "/ca.crl"));
  r = cmd({"cert", "verify", alpha, "--ca", ca_dir + "/ca.crt", "--crl", ca_dir + "/ca.crl"});
  CHECK_EQUAL(1, r.rc);
  STRCMP_EQUAL("certificate revoked\n", r.out.c_str());
  r = cmd({"cert", "verify", beta, "--ca", ca_dir + "/ca.crt", "--crl", ca_dir + "/ca.crl"});
  CHECK_EQUAL(0, r.rc);
}

TEST(PkiCommands, RevokingTwiceIsNotAnErrorAndEachChangeIsNewer) {
  const std::string alpha = make_node("alpha");
  std::vector<uint8_t> raw;
  Certificate c;
  std::string why;
  CHECK(load_certificate(alpha, &raw, &c, &why));
  const std::string fp = to_hex(fingerprint(raw));
  CHECK_EQUAL(0, cmd({"ca", "revoke", "--fingerprint", fp, "--ca-dir", ca_dir}).rc);
  RevocationList first, second;
  CHECK(load_revocation_list(ca_dir + "/ca.crl", &raw, &first, &why));
  Result r = cmd({"ca", "revoke", "--cert", alpha, "--ca-dir", ca_dir});
  CHECK_EQUAL(0, r.rc);
  CHECK(has(r.out, "already revoked"));
  const Fingerprint other{1, 2, 3};
  CHECK_EQUAL(0, cmd({"ca", "revoke", "--fingerprint", to_hex(other), "--ca-dir", ca_dir}).rc);
  CHECK(load_revocation_list(ca_dir + "/ca.crl", &raw, &second, &why));
  CHECK_EQUAL(2u, second.revoked.size());
  CHECK(second.issued_at > first.issued_at);
}

TEST(PkiCommands, RevokeRefusesAListOrCertificateOfAnotherCa) {
  const std::string other_dir = dir.file("other");
  CHECK_EQUAL(0, cmd({"ca", "init", "--name", "other", "--dir", other_dir}).rc);
  const std::string alpha = make_node("alpha");
  Result r = cmd({"ca", "revoke", "--cert", alpha, "--ca-dir", other_dir});
  CHECK_EQUAL(1, r.rc);
  CHECK(has(r.err, "not issued by"));
  CHECK_EQUAL(0, cmd({"ca", "revoke", "--cert", alpha, "--ca-dir", ca_dir}).rc);
  r = cmd({"ca", "revoke", "--fingerprint", std::string(64, 'a'), "--ca-dir", other_dir, "--crl",
           ca_dir + "/ca.crl"});
  CHECK_EQUAL(1, r.rc);
  CHECK(has(r.err, "not signed by"));
}

TEST(PkiCommands, ShowJsonPrintsOneObjectWithEveryField) {
  const std::string alpha = make_node("alpha", {"--ip", "10.7.0.1/16", "--group", "ops"});
  const Result r = cmd({"cert", "show", alpha, "--json"});
  CHECK_EQUAL_TEXT(0, r.rc, r.err.c_str());
  CHECK(r.out.starts_with("{\"type\":\"node\",\"name\":\"alpha\","));
  CHECK(r.out.ends_with("}\n"));
  CHECK(has(r.out, "\"addresses\":[\"10.7.0.1/16\"]"));
  CHECK(has(r.out, "\"claims\":[]"));
  CHECK(has(r.out, "\"groups\":[\"ops\"]"));
  CHECK(has(r.out, "\"status\":\"valid\""));
  std::vector<uint8_t> raw;
  Certificate c;
  std::string why;
  CHECK(load_certificate(alpha, &raw, &c, &why));
  CHECK(has(r.out, "\"fingerprint\":\"" + to_hex(fingerprint(raw)) + "\""));
  CHECK(has(r.out, "\"node_id\":\"" + to_hex(c.public_key) + "\""));
  CHECK(has(r.out, "\"not_after\":" + std::to_string(c.not_after) + ","));
}

TEST(PkiCommands, ShowPrintsCaCertificatesListsAndPublicKeys) {
  const std::string alpha = make_node("alpha", {"--not-before", "2020-01-01", "--valid", "1d"});
  CHECK_EQUAL(0, cmd({"ca", "revoke", "--cert", alpha, "--ca-dir", ca_dir}).rc);
  Result r = cmd({"cert", "show", alpha});
  CHECK_EQUAL(0, r.rc);
  CHECK(has(r.out, "status:       expired\n"));
  CHECK(has(r.out, "not before:   2020-01-01T00:00:00Z\n"));
  r = cmd({"cert", "show", ca_dir + "/ca.crt"});
  CHECK_EQUAL(0, r.rc);
  CHECK(has(r.out, "CA certificate"));
  CHECK(has(r.out, "self-signed:  yes"));
  r = cmd({"cert", "show", ca_dir + "/ca.crl", "--json"});
  CHECK_EQUAL(0, r.rc);
  CHECK(r.out.starts_with("{\"type\":\"revocation_list\""));
  CHECK(has(r.out, "\"count\":1"));
  r = cmd({"cert", "show", dir.file("alpha.pub")});
  CHECK_EQUAL(0, r.rc);
  CHECK(has(r.out, "node id:"));
  r = cmd({"cert", "show", dir.file("alpha.key")});
  CHECK_EQUAL(1, r.rc);
  CHECK(has(r.err, "private key"));
}

TEST(PkiCommands, VerifyFailsClearlyOnBadInputFiles) {
  const std::string alpha = make_node("alpha");
  Result r = cmd({"cert", "verify", alpha, "--ca", dir.file("missing.crt")});
  CHECK_EQUAL(1, r.rc);
  CHECK(r.err.starts_with("braid cert verify: "));
  CHECK(has(r.err, "missing.crt"));
  const std::string other_dir = dir.file("other");
  CHECK_EQUAL(0, cmd({"ca", "init", "--name", "other", "--dir", other_dir}).rc);
  r = cmd({"cert", "verify", alpha, "--ca", other_dir + "/ca.crt"});
  CHECK_EQUAL(1, r.rc);
  STRCMP_EQUAL("signed by an unknown CA\n", r.out.c_str());
}

TEST(PkiCommands, UsageErrorsExitWithTwo) {
  const std::vector<std::vector<std::string>> cases = {
      {"ca"},
      {"ca", "frobnicate"},
      {"keygen"},
      {"keygen", "--out"},
      {"keygen", "--out", "x", "--bogus"},
      {"keygen", "--out", "x", "--out", "y"},
      {"keygen", "--out", "x", "--force=yes"},
      {"ca", "init"},
      {"ca", "init", "--name", "n", "--valid", "0d"},
      {"ca", "init", "--name", "n", "--valid", "10w"},
      {"ca", "sign", "--name", "n"},
      {"ca", "sign", "--name", "n", "--pubkey", "k", "--not-before", "2025-02-30"},
      {"ca", "sign", "--name", "n", "--pubkey", "k", "--valid", "1d", "--not-after", "@5"},
      {"ca", "revoke"},
      {"cert", "show"},
      {"cert", "show", "a", "b"},
      {"cert", "verify", "a"},
  };
  for (const auto& args : cases) {
    const Result r = cmd(args);
    std::string shown;
    for (const auto& a : args) shown += a + " ";
    CHECK_EQUAL_TEXT(2, r.rc, shown.c_str());
    CHECK_TEXT(has(r.err, "usage:"), shown.c_str());
  }
}

TEST(PkiCommands, HelpIsPrintedOnStdout) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"keygen", "--help"},
                                             {"ca", "--help"},
                                             {"ca", "sign", "--help"},
                                             {"cert", "verify", "-h"}}) {
    const Result r = cmd(args);
    CHECK_EQUAL(0, r.rc);
    CHECK(r.out.starts_with("usage:"));
    CHECK(r.err.empty());
  }
}

TEST(PkiCommands, OptionsTakeTheirValueAfterAnEqualsSign) {
  const Result r = cmd({"keygen", "--out=" + dir.file("eq.key")});
  CHECK_EQUAL_TEXT(0, r.rc, r.err.c_str());
  CHECK_EQUAL(0600u, mode_of(dir.file("eq.key")));
}
