// Reading the configuration file: every key, lists, comments, and each
// error with the file and line it names.
#include <CppUTest/TestHarness.h>
#include <arpa/inet.h>
#include <sodium.h>

#include "config/settings.h"
#include "fixtures.h"

using namespace braid::config;
using braid::config::testing::parse;
using braid::config::testing::parse_error;

namespace {

}  // namespace

TEST_GROUP(ConfigFile){};

TEST(ConfigFile, DefaultsAreTheDocumentedOnes) {
  Config c;
  CHECK(c.device_type == DeviceType::kTun);
  STRCMP_EQUAL("braid%d", c.device_name.c_str());
  STRCMP_EQUAL("/dev/net/tun", c.device_path.c_str());
  UNSIGNED_LONGS_EQUAL(0, c.mtu);
  STRCMP_EQUAL("", c.listen_address.c_str());
  UNSIGNED_LONGS_EQUAL(3210, c.port);
  CHECK(c.mode == Mode::kNormal);
  STRCMP_EQUAL("hash:braid", c.magic_text.c_str());
  UNSIGNED_LONGS_EQUAL(300, c.peer_timeout);
  UNSIGNED_LONGS_EQUAL(300, c.dst_timeout);
  UNSIGNED_LONGS_EQUAL(25, c.keepalive);
  CHECK(c.port_forwarding);
  CHECK(c.crypto == Crypto::kChaCha20);
  STRCMP_EQUAL("", c.user.c_str());
  STRCMP_EQUAL("/run/braid/empty", c.chroot_dir.c_str());
  STRCMP_EQUAL("", c.state_dir.c_str());
  CHECK_FALSE(c.daemon);
  CHECK(c.verbosity == braid::LogLevel::kInfo);
}

TEST(ConfigFile, DefaultMagicIsTheHashOfBraid) {
  uint8_t digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>("braid"), 5);
  Config c;
  MEMCMP_EQUAL(digest, c.magic.data(), 4);
}

TEST(ConfigFile, ReadsEveryKey) {
  Config c;
  STRCMP_EQUAL("", parse("[device]\n"
                         "type = tap\n"
                         "name = vpn0\n"
                         "path = /dev/tun2\n"
                         "ifup = ip link set $IFNAME up\n"
                         "ifdown = echo down\n"
                         "mtu = 1400\n"
                         "[network]\n"
                         "port = 10.1.2.3:4000\n"
                         "peers = a.example.net:3210\n"
                         "mode = hub\n"
                         "subnets = 10.0.1.0/24\n"
                         "magic = 01020304\n"
                         "peer_timeout = 1800\n"
                         "dst_timeout = 60\n"
                         "keepalive = 10\n"
                         "port_forwarding = off\n"
                         "[security]\n"
                         "crypto = aes256\n"
                         "shared_key = s3cret\n"
                         "[daemon]\n"
                         "user = braid\n"
                         "group = nogroup\n"
                         "chroot = /var/empty\n"
                         "state_dir = /var/lib/braid/x\n"
                         "pid_file = /run/braid.pid\n"
                         "log_file = /var/log/braid.log\n"
                         "stats_file = /run/braid.stats\n"
                         "daemon = yes\n"
                         "verbosity = debug\n",
                         &c)
                       .c_str());
  STRCMP_EQUAL("t.conf", c.config_file.c_str());
  CHECK(c.device_type == DeviceType::kTap);
  STRCMP_EQUAL("vpn0", c.device_name.c_str());
  STRCMP_EQUAL("/dev/tun2", c.device_path.c_str());
  STRCMP_EQUAL("ip link set $IFNAME up", c.ifup.c_str());
  STRCMP_EQUAL("echo down", c.ifdown.c_str());
  UNSIGNED_LONGS_EQUAL(1400, c.mtu);
  STRCMP_EQUAL("10.1.2.3", c.listen_address.c_str());
  UNSIGNED_LONGS_EQUAL(4000, c.port);
  LONGS_EQUAL(1, c.peers.size());
  STRCMP_EQUAL("a.example.net", c.peers[0].host.c_str());
  UNSIGNED_LONGS_EQUAL(3210, c.peers[0].port);
  CHECK(c.mode == Mode::kHub);
  LONGS_EQUAL(1, c.subnets.size());
  STRCMP_EQUAL("10.0.1.0/24", format_subnet(c.subnets[0]).c_str());
  const uint8_t magic[4] = {1, 2, 3, 4};
  MEMCMP_EQUAL(magic, c.magic.data(), 4);
  UNSIGNED_LONGS_EQUAL(1800, c.peer_timeout);
  UNSIGNED_LONGS_EQUAL(60, c.dst_timeout);
  UNSIGNED_LONGS_EQUAL(10, c.keepalive);
  CHECK_FALSE(c.port_forwarding);
  CHECK(c.crypto == Crypto::kAes256);
  STRCMP_EQUAL("s3cret", c.shared_key.c_str());
  STRCMP_EQUAL("braid", c.user.c_str());
  STRCMP_EQUAL("nogroup", c.group.c_str());
  STRCMP_EQUAL("/var/empty", c.chroot_dir.c_str());
  STRCMP_EQUAL("/var/lib/braid/x", c.state_dir.c_str());
  STRCMP_EQUAL("/run/braid.pid", c.pid_file.c_str());
  STRCMP_EQUAL("/var/log/braid.log", c.log_file.c_str());
  STRCMP_EQUAL("/run/braid.stats", c.stats_file.c_str());
  CHECK(c.daemon);
  CHECK(c.verbosity == braid::LogLevel::kDebug);
}

TEST(ConfigFile, UnknownKeyNamesFileLineAndSection) {
  STRCMP_EQUAL("t.conf:3: unknown key 'prot' in section [network]",
               parse_error("[network]\n\nprot = 3210\n").c_str());
}

TEST(ConfigFile, KeyOfAnotherSectionIsUnknown) {
  STRCMP_EQUAL("t.conf:2: unknown key 'mtu' in section [network]",
               parse_error("[network]\nmtu = 1400\n").c_str());
}

TEST(ConfigFile, BadValueNamesKeyAndWhatWasExpected) {
  STRCMP_EQUAL("t.conf:3: bad value 'tunn' for type: expected tun or tap",
               parse_error("# comment\n[device]\ntype = tunn\n").c_str());
}

TEST(ConfigFile, UnknownSectionIsReportedAtItsHeader) {
  STRCMP_EQUAL(
      "t.conf:2: unknown section [devcie] (sections are [device], [network], [security], "
      "[daemon] or [link NAME])",
      parse_error("\n[devcie]\n").c_str());
}

TEST(ConfigFile, TextAfterSectionHeaderIsRefused) {
  STRCMP_EQUAL("t.conf:1: unexpected text 'junk' after [device]",
               parse_error("[device] junk\n").c_str());
}

TEST(ConfigFile, SectionHeaderMayCarryAComment) {
  STRCMP_EQUAL("", parse_error("[device] ; the tun device\ntype = tun\n").c_str());
}

TEST(ConfigFile, KeyOutsideASectionIsRefused) {
  STRCMP_EQUAL(
      "t.conf:1: key 'port' outside a section (put it under [device], [network], [security], "
      "[daemon] or [link NAME])",
      parse_error("port = 1\n").c_str());
}

TEST(ConfigFile, LineWithoutEqualsIsASyntaxError) {
  STRCMP_EQUAL("t.conf:2: syntax error (expected [section], key = value or a comment)",
               parse_error("[device]\ntype tun\n").c_str());
}

TEST(ConfigFile, UnclosedSectionIsASyntaxError) {
  STRCMP_EQUAL("t.conf:3: syntax error (expected [section], key = value or a comment)",
               parse_error("[device]\ntype = tun\n[network\n").c_str());
}

TEST(ConfigFile, TheFirstErrorIsTheOneReported) {
  STRCMP_EQUAL("t.conf:2: bad value 'x' for mtu: expected auto or a number between 576 and 65535",
               parse_error("[device]\nmtu = x\ntype tun\nname = \n").c_str());
}

TEST(ConfigFile, ScalarSetTwiceIsAnError) {
  STRCMP_EQUAL("t.conf:4: mtu set twice, first at line 2",
               parse_error("[device]\nmtu = 1400\ntype = tun\nmtu = 1300\n").c_str());
}

TEST(ConfigFile, SharedKeyAndKeyFileTogetherAreAnError) {
  STRCMP_EQUAL(
      "t.conf:3: shared_key_file and shared_key (line 2) are both set: use one of them",
      parse_error("[security]\nshared_key = a\nshared_key_file = /etc/braid/key\n").c_str());
}

TEST(ConfigFile, ListsAcceptRepeatedKeysAndCommas) {
  Config c;
  STRCMP_EQUAL("", parse("[network]\n"
                         "peers = a:1, b:2\n"
                         "peers = [2001:db8::1]:3210\n"
                         "subnets = 10.0.0.0/8,fd00::/64\n"
                         "subnets = 192.168.1.0/24\n",
                         &c)
                       .c_str());
  LONGS_EQUAL(3, c.peers.size());
  STRCMP_EQUAL("a:1", format_peer(c.peers[0]).c_str());
  STRCMP_EQUAL("b:2", format_peer(c.peers[1]).c_str());
  STRCMP_EQUAL("2001:db8::1", c.peers[2].host.c_str());
  STRCMP_EQUAL("[2001:db8::1]:3210", format_peer(c.peers[2]).c_str());
  LONGS_EQUAL(3, c.subnets.size());
  STRCMP_EQUAL("10.0.0.0/8", format_subnet(c.subnets[0]).c_str());
  STRCMP_EQUAL("fd00::/64", format_subnet(c.subnets[1]).c_str());
  LONGS_EQUAL(AF_INET6, c.subnets[1].family);
  STRCMP_EQUAL("192.168.1.0/24", format_subnet(c.subnets[2]).c_str());
}

TEST(ConfigFile, FileListReplacesAnEarlierList) {
  Config c;
  c.peers.push_back({"old", 1});
  STRCMP_EQUAL("", parse("[network]\npeers = new:2\n", &c).c_str());
  LONGS_EQUAL(1, c.peers.size());
  STRCMP_EQUAL("new", c.peers[0].host.c_str());
}

TEST(ConfigFile, EmptyListValueMeansNoItems) {
  Config c;
  STRCMP_EQUAL("", parse("[network]\npeers =\n", &c).c_str());
  CHECK(c.peers.empty());
}

TEST(ConfigFile, EmptyItemInAListIsAnError) {
  STRCMP_EQUAL("t.conf:2: empty item in the list of peers",
               parse_error("[network]\npeers = a:1,,b:2\n").c_str());
}

TEST(ConfigFile, CommentsStartWithSemicolonOrHash) {
  Config c;
  STRCMP_EQUAL("", parse("; comment\n"
                         "# comment\n"
                         "[device]\n"
                         "  ; indented comment\n"
                         "name = vpn0 ; inline\n"
                         "ifup = run-it # inline too\n"
                         "ifdown = a;b#c\n",
                         &c)
                       .c_str());
  STRCMP_EQUAL("vpn0", c.device_name.c_str());
  STRCMP_EQUAL("run-it", c.ifup.c_str());
  STRCMP_EQUAL("a;b#c", c.ifdown.c_str());
}

TEST(ConfigFile, QuotedValueKeepsCommentCharactersAndSpaces) {
  Config c;
  STRCMP_EQUAL("", parse("[device]\n"
                         "ifup = \" a ; b # c \\\"d\\\" \\\\ \" ; comment\n"
                         "ifdown = \"/usr/bin/x\" arg\n",
                         &c)
                       .c_str());
  STRCMP_EQUAL(" a ; b # c \"d\" \\ ", c.ifup.c_str());
  STRCMP_EQUAL("\"/usr/bin/x\" arg", c.ifdown.c_str());
}

TEST(ConfigFile, IndentedKeyIsAKeyNotAContinuation) {
  Config c;
  STRCMP_EQUAL("", parse("[device]\nname = vpn0\n    mtu = 1400\n", &c).c_str());
  STRCMP_EQUAL("vpn0", c.device_name.c_str());
  UNSIGNED_LONGS_EQUAL(1400, c.mtu);
}

TEST(ConfigFile, CrLfLineEndingsAndByteOrderMarkAreAccepted) {
  Config c;
  STRCMP_EQUAL("", parse("\xEF\xBB\xBF[device]\r\nname = vpn0\r\nmtu = 1400\r\n", &c).c_str());
  STRCMP_EQUAL("vpn0", c.device_name.c_str());
  UNSIGNED_LONGS_EQUAL(1400, c.mtu);
}

TEST(ConfigFile, ColonSeparatorIsAccepted) {
  Config c;
  STRCMP_EQUAL("", parse("[device]\nname: vpn0\n", &c).c_str());
  STRCMP_EQUAL("vpn0", c.device_name.c_str());
}

TEST(ConfigFile, NulByteIsRefused) {
  std::string text("[device]\nname = a\0b\n", 19);
  STRCMP_EQUAL("t.conf:2: NUL character in line", parse_error(text).c_str());
}

TEST(ConfigFile, OverlongLineIsRefusedNotSplit) {
  std::string text = "[device]\nifup = " + std::string(20000, 'x') + "\n";
  STRCMP_EQUAL("t.conf:2: line too long (more than 16384 characters)", parse_error(text).c_str());
}

TEST(ConfigFile, LongLineWithinTheLimitIsRead) {
  Config c;
  std::string cmd(10000, 'x');
  STRCMP_EQUAL("", parse("[device]\nifup = " + cmd + "\nname = a\n", &c).c_str());
  STRCMP_EQUAL(cmd.c_str(), c.ifup.c_str());
  STRCMP_EQUAL("a", c.device_name.c_str());
}

TEST(ConfigFile, ModesAreReadByName) {
  Config c;
  STRCMP_EQUAL("", parse("[network]\nmode = Router\n", &c).c_str());
  CHECK(c.mode == Mode::kRouter);
  STRCMP_EQUAL("", parse("[network]\nmode = switch\n", &c).c_str());
  CHECK(c.mode == Mode::kSwitch);
  STRCMP_EQUAL("t.conf:2: bad value 'star' for mode: expected normal, hub, switch or router",
               parse_error("[network]\nmode = star\n").c_str());
}

TEST(ConfigFile, MagicHashIsTheFirstBytesOfSha256) {
  Config c;
  STRCMP_EQUAL("", parse("[network]\nmagic = hash:corp\n", &c).c_str());
  uint8_t digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>("corp"), 4);
  MEMCMP_EQUAL(digest, c.magic.data(), 4);
  STRCMP_EQUAL("hash:corp", c.magic_text.c_str());
}

TEST(ConfigFile, MagicHexIsFourBytes) {
  Config c;
  STRCMP_EQUAL("", parse("[network]\nmagic = DeadBeef\n", &c).c_str());
  const uint8_t magic[4] = {0xde, 0xad, 0xbe, 0xef};
  MEMCMP_EQUAL(magic, c.magic.data(), 4);
  STRCMP_EQUAL("t.conf:2: bad value '0102030' for magic: expected 8 hex digits or hash:STRING",
               parse_error("[network]\nmagic = 0102030\n").c_str());
  STRCMP_EQUAL("t.conf:2: bad value '0102030g' for magic: expected 8 hex digits or hash:STRING",
               parse_error("[network]\nmagic = 0102030g\n").c_str());
}

TEST(ConfigFile, MtuMustBeAutoOrInRange) {
  const char* expected = ": expected auto or a number between 576 and 65535";
  STRCMP_EQUAL((std::string("t.conf:2: bad value '575' for mtu") + expected).c_str(),
               parse_error("[device]\nmtu = 575\n").c_str());
  STRCMP_EQUAL((std::string("t.conf:2: bad value '65536' for mtu") + expected).c_str(),
               parse_error("[device]\nmtu = 65536\n").c_str());
  STRCMP_EQUAL((std::string("t.conf:2: bad value '-1' for mtu") + expected).c_str(),
               parse_error("[device]\nmtu = -1\n").c_str());
  Config c;
  c.mtu = 1400;
  STRCMP_EQUAL("", parse("[device]\nmtu = auto\n", &c).c_str());
  UNSIGNED_LONGS_EQUAL(0, c.mtu);
}

TEST(ConfigFile, TimeoutsHaveRanges) {
  STRCMP_EQUAL("t.conf:2: bad value '9' for peer_timeout: expected a number between 10 and 86400",
               parse_error("[network]\npeer_timeout = 9\n").c_str());
  STRCMP_EQUAL(
      "t.conf:2: bad value '86401' for dst_timeout: expected a number between 10 and 86400",
      parse_error("[network]\ndst_timeout = 86401\n").c_str());
  STRCMP_EQUAL("t.conf:2: bad value '0' for keepalive: expected a number between 1 and 3600",
               parse_error("[network]\nkeepalive = 0\n").c_str());
  STRCMP_EQUAL(
      "t.conf:2: bad value '99999999999' for keepalive: expected a number between 1 and 3600",
      parse_error("[network]\nkeepalive = 99999999999\n").c_str());
}

TEST(ConfigFile, BooleansAcceptTheUsualWords) {
  for (const char* yes : {"yes", "true", "on", "1", "YES"}) {
    Config c;
    c.daemon = false;
    STRCMP_EQUAL("", parse(std::string("[daemon]\ndaemon = ") + yes + "\n", &c).c_str());
    CHECK(c.daemon);
  }
  for (const char* no : {"no", "false", "off", "0"}) {
    Config c;
    STRCMP_EQUAL("", parse(std::string("[network]\nport_forwarding = ") + no + "\n", &c).c_str());
    CHECK_FALSE(c.port_forwarding);
  }
  STRCMP_EQUAL(
      "t.conf:2: bad value 'maybe' for daemon: expected yes, no, true, false, on, off, 1 or 0",
      parse_error("[daemon]\ndaemon = maybe\n").c_str());
}

TEST(ConfigFile, VerbosityNamesTheLevels) {
  Config c;
  STRCMP_EQUAL("", parse("[daemon]\nverbosity = warning\n", &c).c_str());
  CHECK(c.verbosity == braid::LogLevel::kWarn);
  STRCMP_EQUAL("t.conf:2: bad value 'loud' for verbosity: expected error, warning, info or debug",
               parse_error("[daemon]\nverbosity = loud\n").c_str());
}

TEST(ConfigFile, SharedKeyIsNeverEchoedInMessages) {
  // The only way a shared key can be refused here is by being set twice.
  std::string error = parse_error("[security]\nshared_key = topsecret\nshared_key = other\n");
  STRCMP_EQUAL("t.conf:3: shared_key set twice, first at line 2", error.c_str());
}
