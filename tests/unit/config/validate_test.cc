// Checks across keys after merging, and the shared key file.
#include <CppUTest/TestHarness.h>
#include <arpa/inet.h>

#include "config/settings.h"
#include "fixtures.h"

using namespace braid::config;
using braid::config::testing::keyed;
using braid::config::testing::validate_error;
using braid::config::testing::TempFile;

namespace {

}  // namespace

TEST_GROUP(ConfigValidation){};

TEST(ConfigValidation, KeyedDefaultsPass) { STRCMP_EQUAL("", validate_error(keyed()).c_str()); }

TEST(ConfigValidation, MissingSharedKeyExplainsTheChoices) {
  STRCMP_EQUAL(
      "no shared_key and no certificate: set shared_key (or --shared-key), or key, "
      "certificate and ca, or crypto = plain to run without encryption",
      validate_error(Config{}).c_str());
}

TEST(ConfigValidation, PlainWithoutKeyPasses) {
  Config c;
  c.crypto = Crypto::kPlain;
  STRCMP_EQUAL("", validate_error(c).c_str());
}

TEST(ConfigValidation, PlainWithAKeyIsAContradiction) {
  Config c = keyed();
  c.crypto = Crypto::kPlain;
  STRCMP_EQUAL(
      "crypto = plain contradicts the shared key that is set (shared_key): remove the key, or "
      "choose crypto = chacha20 or aes256",
      validate_error(c).c_str());
}

TEST(ConfigValidation, TapNeedsRoomForTheEthernetHeader) {
  Config c = keyed();
  c.mtu = 580;
  STRCMP_EQUAL("", validate_error(c).c_str());
  c.device_type = DeviceType::kTap;
  STRCMP_EQUAL("mtu 580 does not fit type = tap: expected auto or a number between 590 and 65535",
               validate_error(c).c_str());
  c.mtu = 590;
  STRCMP_EQUAL("", validate_error(c).c_str());
}

TEST(ConfigValidation, KeepaliveMustBeShorterThanPeerTimeout) {
  Config c = keyed();
  c.keepalive = 300;
  STRCMP_EQUAL("keepalive (300) must be shorter than peer_timeout (300)",
               validate_error(c).c_str());
}

TEST(ConfigValidation, NewlineInAStringIsRefused) {
  Config c = keyed();
  c.ifup = "ip link set up\nreboot";
  STRCMP_EQUAL("ifup contains a newline, which is not allowed", validate_error(c).c_str());
  c = keyed();
  c.user = std::string("br\0id", 5);
  STRCMP_EQUAL("user contains a NUL character, which is not allowed", validate_error(c).c_str());
  c = keyed();
  c.shared_key = "secret\r";
  STRCMP_EQUAL("shared_key contains a carriage return, which is not allowed",
               validate_error(c).c_str());
}

TEST(ConfigValidation, DeviceNameMustBeAnInterfaceName) {
  const char* expected =
      "' for name: expected an interface name of at most 15 characters without '/', ':' or "
      "spaces, where %d picks a free number";
  for (const char* bad : {"", "a/b", "a b", "sixteen-chars-xx", "a%s", "a%d%d", ".."}) {
    Config c = keyed();
    c.device_name = bad;
    STRCMP_EQUAL((std::string("bad value '") + bad + expected).c_str(), validate_error(c).c_str());
  }
  Config c = keyed();
  c.device_name = "fifteen-chars-x";
  STRCMP_EQUAL("", validate_error(c).c_str());
}

TEST(ConfigValidation, PathsMustBeAbsolute) {
  Config c = keyed();
  c.chroot_dir = "run/empty";
  STRCMP_EQUAL("bad value 'run/empty' for chroot: expected an absolute path",
               validate_error(c).c_str());
  c = keyed();
  c.device_path = "tun";
  STRCMP_EQUAL("bad value 'tun' for path: expected an absolute path", validate_error(c).c_str());
  c = keyed();
  c.state_dir = "var/lib/braid";
  STRCMP_EQUAL("bad value 'var/lib/braid' for state_dir: expected an absolute path",
               validate_error(c).c_str());
  c.state_dir = "/var/lib/braid";
  STRCMP_EQUAL("", validate_error(c).c_str());
}

TEST(ConfigValidation, SubnetBuiltInCodeWithHostBitsIsRefused) {
  Config c = keyed();
  Subnet s;
  s.family = AF_INET;
  s.addr[0] = 10;
  s.addr[3] = 1;
  s.prefix = 24;
  c.subnets.push_back(s);
  STRCMP_EQUAL(
      "bad value '10.0.0.1/24' for subnets: expected ADDRESS/PREFIX with the host bits zero",
      validate_error(c).c_str());
}

TEST(ConfigValidation, PeerBuiltInCodeIsChecked) {
  Config c = keyed();
  c.peers.push_back({"bad host", 1});
  STRCMP_EQUAL(
      "bad value 'bad host:1' for peers: expected HOST:PORT with a port number between 1 and "
      "65535",
      validate_error(c).c_str());
}

TEST(ConfigValidation, MagicIsDerivedFromItsText) {
  Config c = keyed();
  c.magic_text = "a1b2c3d4";
  std::string error;
  CHECK(validate(&c, &error));
  const uint8_t magic[4] = {0xa1, 0xb2, 0xc3, 0xd4};
  MEMCMP_EQUAL(magic, c.magic.data(), 4);
  c.magic_text = "nope";
  STRCMP_EQUAL("bad value 'nope' for magic: expected 8 hex digits or hash:STRING",
               validate_error(c).c_str());
}

TEST(ConfigValidation, PrivateKeyFileIsRead) {
  TempFile key("the key\nsecond line\n", 0600);
  Config c;
  c.shared_key_file = key.path();
  std::string error;
  CHECK_TRUE_TEXT(validate(&c, &error), error.c_str());
  STRCMP_EQUAL("the key", c.shared_key.c_str());
  // Validating again reads the same key: validate is idempotent.
  CHECK_TRUE_TEXT(validate(&c, &error), error.c_str());
  STRCMP_EQUAL("the key", c.shared_key.c_str());
}

TEST(ConfigValidation, KeyFileReadableByOthersIsRefused) {
  TempFile key("the key\n", 0644);
  Config c;
  c.shared_key_file = key.path();
  STRCMP_EQUAL(
      ("shared_key_file " + key.path() +
       " is readable by group or others (mode 0644): make it private with chmod 600 " + key.path())
          .c_str(),
      validate_error(c).c_str());
}

TEST(ConfigValidation, KeyFileReadableByGroupIsRefused) {
  TempFile key("the key\n", 0640);
  Config c;
  c.shared_key_file = key.path();
  CHECK(validate_error(c).find("is readable by group or others (mode 0640)") != std::string::npos);
}

TEST(ConfigValidation, MissingOrEmptyKeyFileIsRefused) {
  Config c;
  c.shared_key_file = "/nonexistent/braid.key";
  STRCMP_EQUAL("shared_key_file /nonexistent/braid.key: No such file or directory",
               validate_error(c).c_str());
  TempFile empty("\nkey on line two\n", 0600);
  c.shared_key_file = empty.path();
  STRCMP_EQUAL(
      ("shared_key_file " + empty.path() + ": the first line is empty, expected the key").c_str(),
      validate_error(c).c_str());
}

TEST(ConfigValidation, KeyFileMustBeARegularFile) {
  Config c;
  c.shared_key_file = "/dev/zero";
  STRCMP_EQUAL("shared_key_file /dev/zero: not a regular file", validate_error(c).c_str());
}

TEST(ConfigValidation, PlainWithAKeyFileIsAContradiction) {
  TempFile key("k\n", 0600);
  Config c;
  c.crypto = Crypto::kPlain;
  c.shared_key_file = key.path();
  STRCMP_EQUAL(
      "crypto = plain contradicts the shared key that is set (shared_key_file): remove the key, "
      "or choose crypto = chacha20 or aes256",
      validate_error(c).c_str());
}

namespace {

Config certified() {
  Config c;
  c.key_file = "/etc/braid/node.key";
  c.certificate_file = "/etc/braid/node.crt";
  c.ca_files = {"/etc/braid/ca.crt"};
  return c;
}

}  // namespace

TEST(ConfigValidation, CertificateNetworkNeedsNoSharedKey) {
  STRCMP_EQUAL("", validate_error(certified()).c_str());
  Config c = certified();
  c.revocation_files = {"/etc/braid/ca.crl"};
  STRCMP_EQUAL("", validate_error(c).c_str());
}

TEST(ConfigValidation, CertificateWithoutKeyOrCaIsRefused) {
  Config c = certified();
  c.key_file.clear();
  STRCMP_EQUAL(
      "certificate is set but key (the node's private key) is not: a certificate network needs "
      "key, certificate and ca",
      validate_error(c).c_str());
  c = certified();
  c.ca_files.clear();
  STRCMP_EQUAL(
      "certificate is set but ca (the CA certificate) is not: a certificate network needs key, "
      "certificate and ca",
      validate_error(c).c_str());
}

TEST(ConfigValidation, CaOrRevocationListWithoutCertificateIsRefused) {
  Config c = keyed();
  c.ca_files = {"/etc/braid/ca.crt"};
  STRCMP_EQUAL(
      "ca is set but certificate is not: a certificate network needs key, certificate and ca",
      validate_error(c).c_str());
  c = keyed();
  c.revocation_files = {"/etc/braid/ca.crl"};
  STRCMP_EQUAL("revocation_list is set but ca is not: a revocation list belongs to a CA",
               validate_error(c).c_str());
}

TEST(ConfigValidation, PlainCryptoWithCertificateIsRefused) {
  Config c = certified();
  c.crypto = Crypto::kPlain;
  STRCMP_EQUAL(
      "crypto = plain contradicts the certificate that is set: certificate networks encrypt; "
      "choose crypto = chacha20 or aes256",
      validate_error(c).c_str());
}

TEST(ConfigValidation, KeyAloneGivesASharedKeyNodeAStableIdentity) {
  Config c = keyed();
  c.key_file = "/etc/braid/node.key";
  STRCMP_EQUAL("", validate_error(c).c_str());
}

TEST(ConfigValidation, SwitchModeNeedsATapDevice) {
  Config c = keyed();
  c.mode = Mode::kSwitch;
  STRCMP_EQUAL("mode = switch forwards Ethernet frames by their addresses: it needs type = tap",
               validate_error(c).c_str());
  c.device_type = DeviceType::kTap;
  STRCMP_EQUAL("", validate_error(c).c_str());
}

TEST(ConfigValidation, AtMost64SubnetsCanBeClaimed) {
  Config c = keyed();
  Subnet s;
  s.family = AF_INET;
  s.prefix = 32;
  for (int i = 0; i < 64; ++i) {
    s.addr[3] = static_cast<uint8_t>(i);
    c.subnets.push_back(s);
  }
  STRCMP_EQUAL("", validate_error(c).c_str());
  c.subnets.push_back(s);
  STRCMP_EQUAL("too many subnets (65): at most 64 can be claimed", validate_error(c).c_str());
}

TEST(ConfigValidation, RouterModeNeedsATunDevice) {
  Config c = keyed();
  c.mode = Mode::kRouter;
  STRCMP_EQUAL("", validate_error(c).c_str());
  c.device_type = DeviceType::kTap;
  STRCMP_EQUAL("mode = router forwards IP packets by the subnets nodes claim: it needs type = tun",
               validate_error(c).c_str());
}
