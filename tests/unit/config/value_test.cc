// Single values: peers, subnets, listen addresses, numbers, quoting.
#include "config/value.h"

#include <CppUTest/TestHarness.h>
#include <arpa/inet.h>

using namespace braid::config;

namespace {

std::string peer_error(std::string_view text) {
  PeerSpec peer;
  ValueError err;
  if (parse_peer(text, &peer, &err)) return "";
  return err.expected;
}

std::string subnet_error(std::string_view text) {
  Subnet subnet;
  ValueError err;
  if (parse_subnet(text, &subnet, &err)) return "";
  return err.expected;
}

const char* kPeerExpected =
    "expected HOST:PORT with a port number between 1 and 65535 (an IPv6 address in brackets: "
    "[2001:db8::1]:3210)";

}  // namespace

TEST_GROUP(ConfigValue){};

TEST(ConfigValue, PeerIsHostColonPort) {
  PeerSpec peer;
  ValueError err;
  CHECK(parse_peer("node-1.example.net:3210", &peer, &err));
  STRCMP_EQUAL("node-1.example.net", peer.host.c_str());
  UNSIGNED_LONGS_EQUAL(3210, peer.port);
  CHECK(parse_peer("192.0.2.1:1", &peer, &err));
  STRCMP_EQUAL("192.0.2.1", peer.host.c_str());
  CHECK(parse_peer("[2001:db8::1]:65535", &peer, &err));
  STRCMP_EQUAL("2001:db8::1", peer.host.c_str());
  UNSIGNED_LONGS_EQUAL(65535, peer.port);
}

TEST(ConfigValue, PeerWithoutValidPortIsRefused) {
  STRCMP_EQUAL(kPeerExpected, peer_error("host").c_str());
  STRCMP_EQUAL(kPeerExpected, peer_error("host:").c_str());
  STRCMP_EQUAL(kPeerExpected, peer_error("host:0").c_str());
  STRCMP_EQUAL(kPeerExpected, peer_error("host:65536").c_str());
  STRCMP_EQUAL(kPeerExpected, peer_error("host:+1").c_str());
  STRCMP_EQUAL(kPeerExpected, peer_error(":3210").c_str());
}

TEST(ConfigValue, PeerWithBadHostIsRefused) {
  STRCMP_EQUAL(kPeerExpected, peer_error("2001:db8::1:3210").c_str());
  STRCMP_EQUAL(kPeerExpected, peer_error("[2001:db8::1]3210").c_str());
  STRCMP_EQUAL(kPeerExpected, peer_error("[not-v6]:3210").c_str());
  STRCMP_EQUAL(kPeerExpected, peer_error("bad host:3210").c_str());
  STRCMP_EQUAL(kPeerExpected, peer_error("a..b:3210").c_str());
  STRCMP_EQUAL(kPeerExpected, peer_error("-a:3210").c_str());
  STRCMP_EQUAL(kPeerExpected, peer_error("1.2.3.999:3210").c_str());
}

TEST(ConfigValue, SubnetIsAddressSlashPrefix) {
  Subnet s;
  ValueError err;
  CHECK(parse_subnet("10.0.1.0/24", &s, &err));
  LONGS_EQUAL(AF_INET, s.family);
  UNSIGNED_LONGS_EQUAL(24, s.prefix);
  UNSIGNED_LONGS_EQUAL(10, s.addr[0]);
  UNSIGNED_LONGS_EQUAL(1, s.addr[2]);
  CHECK(parse_subnet("0.0.0.0/0", &s, &err));
  CHECK(parse_subnet("10.0.0.1/32", &s, &err));
  CHECK(parse_subnet("fd00:1::/32", &s, &err));
  LONGS_EQUAL(AF_INET6, s.family);
  STRCMP_EQUAL("fd00:1::/32", format_subnet(s).c_str());
}

TEST(ConfigValue, SubnetWithHostBitsSetIsRefusedWithTheFix) {
  STRCMP_EQUAL("the address has host bits set beyond the prefix (did you mean 10.0.1.0/24?)",
               subnet_error("10.0.1.1/24").c_str());
  STRCMP_EQUAL("the address has host bits set beyond the prefix (did you mean fd00::/8?)",
               subnet_error("fd00::1/8").c_str());
}

TEST(ConfigValue, MalformedSubnetIsRefused) {
  const char* expected = "expected ADDRESS/PREFIX, e.g. 10.0.1.0/24 or fd00::/64";
  STRCMP_EQUAL(expected, subnet_error("10.0.1.0").c_str());
  STRCMP_EQUAL(expected, subnet_error("10.0.1.0/33").c_str());
  STRCMP_EQUAL(expected, subnet_error("fd00::/129").c_str());
  STRCMP_EQUAL(expected, subnet_error("10.0.1/24").c_str());
  STRCMP_EQUAL(expected, subnet_error("host/24").c_str());
  STRCMP_EQUAL(expected, subnet_error("10.0.1.0/").c_str());
}

TEST(ConfigValue, ListenTakesPortOrAddressAndPort) {
  std::string addr = "x";
  uint16_t port = 0;
  ValueError err;
  CHECK(parse_listen("4000", &addr, &port, &err));
  STRCMP_EQUAL("", addr.c_str());
  UNSIGNED_LONGS_EQUAL(4000, port);
  CHECK(parse_listen("192.0.2.7:4001", &addr, &port, &err));
  STRCMP_EQUAL("192.0.2.7", addr.c_str());
  UNSIGNED_LONGS_EQUAL(4001, port);
  CHECK(parse_listen("[::1]:4002", &addr, &port, &err));
  STRCMP_EQUAL("::1", addr.c_str());
  CHECK_FALSE(parse_listen("0", &addr, &port, &err));
  CHECK_FALSE(parse_listen("host.example:4000", &addr, &port, &err));
  CHECK_FALSE(parse_listen("::1:4000", &addr, &port, &err));
  CHECK_FALSE(parse_listen("[::1]", &addr, &port, &err));
}

TEST(ConfigValue, FormatPeerBracketsIpv6) {
  STRCMP_EQUAL("a.b:1", format_peer({"a.b", 1}).c_str());
  STRCMP_EQUAL("[fe80::1]:3210", format_peer({"fe80::1", 3210}).c_str());
}

TEST(ConfigValue, ListsSplitOnCommasAndTrim) {
  auto items = split_list(" a , b,c ");
  LONGS_EQUAL(3, items.size());
  CHECK(items[0] == "a");
  CHECK(items[1] == "b");
  CHECK(items[2] == "c");
  CHECK(split_list("  ").empty());
  LONGS_EQUAL(2, split_list("a,").size());
}

TEST(ConfigValue, EncodedValuesDecodeToThemselves) {
  const char* values[] = {"",        "plain", " lead",      "trail ",  "a ; b",       "a #b",
                          ";x",      "#x",    "\"quoted\"", "\"a\" b", "back\\slash", "a;b",
                          "tab\tin", "\"",    "\\"};
  for (const char* v : values) STRCMP_EQUAL(v, decode_value(encode_value(v)).c_str());
  STRCMP_EQUAL("plain", encode_value("plain").c_str());
  STRCMP_EQUAL("a;b", encode_value("a;b").c_str());
}

TEST(ConfigValue, DecodeStripsInlineComments) {
  STRCMP_EQUAL("value", decode_value("value ; comment").c_str());
  STRCMP_EQUAL("value", decode_value("value\t# comment").c_str());
  STRCMP_EQUAL("", decode_value("; only a comment").c_str());
  STRCMP_EQUAL("x", decode_value("\"x\" ; c").c_str());
  STRCMP_EQUAL("\"x\";c", decode_value("\"x\";c").c_str());
  STRCMP_EQUAL("\"unterminated", decode_value("\"unterminated").c_str());
}
