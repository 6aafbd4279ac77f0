// Payload codecs: exact round trips, and refusal of everything else.
#include "ipc/messages.h"

#include <CppUTest/TestHarness.h>

#include <arpa/inet.h>

#include <string>
#include <vector>

#include "common/bytes.h"

using namespace braid;
using namespace braid::ipc;

namespace {

EngineConfig sample_config() {
  EngineConfig c;
  c.magic = {0x76, 0x70, 0x6e, 0x01};
  c.crypto = CryptoKind::kAes256;
  c.has_psk = true;
  for (size_t i = 0; i < c.psk.size(); ++i) c.psk[i] = static_cast<uint8_t>(i + 1);
  c.mode = EngineMode::kHub;
  c.log_level = LogLevel::kDebug;
  c.peer_timeout_s = 1800;
  c.keepalive_s = 120;
  c.dst_timeout_s = 600;
  c.port_forwarding = true;
  c.lan_discovery = true;
  c.peers = {"a.example.net:3210", "[2001:db8::1]:3210"};
  return c;
}

PeerAddresses sample_addresses() {
  PeerAddresses p;
  p.peer_index = 7;
  PeerAddress v4;
  v4.family = 4;
  v4.addr = {192, 0, 2, 1};
  v4.port = 3210;
  PeerAddress v6;
  v6.family = 6;
  inet_pton(AF_INET6, "2001:db8::1", v6.addr.data());
  v6.port = 65535;
  p.addresses = {v4, v6};
  return p;
}

// Every proper prefix of a valid payload must be refused.
template <typename T>
void check_prefixes_refused(const std::vector<uint8_t>& payload) {
  for (size_t n = 0; n < payload.size(); ++n) {
    T out;
    std::string why;
    CHECK_FALSE(decode(std::span(payload).first(n), &out, &why));
    CHECK_FALSE(why.empty());
  }
}

template <typename T>
void check_trailing_refused(std::vector<uint8_t> payload) {
  payload.push_back(0);
  T out;
  std::string why;
  CHECK_FALSE(decode(std::span<const uint8_t>(payload), &out, &why));
  STRCMP_CONTAINS("trailing", why.c_str());
}

}  // namespace

TEST_GROUP(IpcMessages) {};

TEST(IpcMessages, HelloRoundTrips) {
  std::vector<uint8_t> buf;
  CHECK(encode(Hello{4242}, &buf));
  LONGS_EQUAL(kHelloLen, buf.size());
  LONGS_EQUAL(4242, get_be32(buf.data()));
  Hello out;
  CHECK(decode(buf, &out, nullptr));
  LONGS_EQUAL(4242, out.pid);
  check_prefixes_refused<Hello>(buf);
  check_trailing_refused<Hello>(buf);
}

TEST(IpcMessages, HelloRefusesPidZero) {
  std::vector<uint8_t> buf;
  CHECK_FALSE(encode(Hello{0}, &buf));
  std::vector<uint8_t> zero(4, 0);
  Hello out;
  CHECK_FALSE(decode(zero, &out, nullptr));
}

TEST(IpcMessages, ConfigRoundTrips) {
  EngineConfig in = sample_config();
  std::vector<uint8_t> buf;
  CHECK(encode(in, &buf));
  LONGS_EQUAL(kConfigMinLen + 2 + in.peers[0].size() + 2 + in.peers[1].size(), buf.size());
  EngineConfig out;
  std::string why;
  CHECK_TEXT(decode(buf, &out, &why), why.c_str());
  CHECK(in.magic == out.magic);
  CHECK(out.crypto == CryptoKind::kAes256);
  CHECK(out.has_psk);
  CHECK(in.psk == out.psk);
  CHECK(out.mode == EngineMode::kHub);
  CHECK(out.log_level == LogLevel::kDebug);
  LONGS_EQUAL(1800, out.peer_timeout_s);
  LONGS_EQUAL(120, out.keepalive_s);
  LONGS_EQUAL(600, out.dst_timeout_s);
  CHECK(out.port_forwarding);
  CHECK_FALSE(out.state_file);
  CHECK(out.lan_discovery);
  CHECK(in.peers == out.peers);
  check_prefixes_refused<EngineConfig>(buf);
  check_trailing_refused<EngineConfig>(buf);
}

TEST(IpcMessages, ConfigLaysOutFieldsInTheDocumentedOrder) {
  EngineConfig in = sample_config();
  in.peers = {"h:1"};
  std::vector<uint8_t> buf;
  CHECK(encode(in, &buf));
  LONGS_EQUAL(0x76, buf[0]);
  LONGS_EQUAL(1, buf[4]);    // crypto aes256
  LONGS_EQUAL(1, buf[5]);    // has_psk
  LONGS_EQUAL(1, buf[6]);    // psk[0]
  LONGS_EQUAL(32, buf[37]);  // psk[31]
  LONGS_EQUAL(1, buf[38]);   // mode hub
  LONGS_EQUAL(3, buf[39]);   // log level debug
  LONGS_EQUAL(1800, get_be32(&buf[40]));
  LONGS_EQUAL(120, get_be32(&buf[44]));
  LONGS_EQUAL(600, get_be32(&buf[48]));
  LONGS_EQUAL(5, buf[52]);   // flags: port forwarding (1) | LAN discovery (4)
  LONGS_EQUAL(1, get_be16(&buf[53]));
  LONGS_EQUAL(3, get_be16(&buf[55]));
  LONGS_EQUAL('h', buf[57]);
}

TEST(IpcMessages, ConfigRefusesBadEnumValues) {
  std::vector<uint8_t> good;
  CHECK(encode(sample_config(), &good));
  struct Case {
    size_t offset;
    uint8_t value;
  };
  for (Case c : {Case{4, 3}, Case{5, 2}, Case{38, 4}, Case{39, 4}, Case{52, 8}}) {
    auto bad = good;
    bad[c.offset] = c.value;
    EngineConfig out;
    std::string why;
    CHECK_FALSE(decode(bad, &out, &why));
    STRCMP_CONTAINS("Config:", why.c_str());
  }
}

TEST(IpcMessages, ConfigRefusesPskWithoutHasPsk) {
  EngineConfig in = sample_config();
  in.has_psk = false;
  std::vector<uint8_t> buf;
  CHECK_FALSE(encode(in, &buf));
  CHECK(buf.empty());
  in.psk.fill(0);
  CHECK(encode(in, &buf));
  buf[10] = 1;
  EngineConfig out;
  CHECK_FALSE(decode(buf, &out, nullptr));
}

TEST(IpcMessages, ConfigRefusesBadPeerNames) {
  std::vector<uint8_t> buf;
  for (std::string name : {std::string(), std::string(kMaxPeerNameLen + 1, 'a'), std::string("a\nb:1")}) {
    EngineConfig in = sample_config();
    in.peers = {name};
    CHECK_FALSE(encode(in, &buf));
  }
  EngineConfig in = sample_config();
  in.peers = {std::string(kMaxPeerNameLen, 'a')};
  CHECK(encode(in, &buf));
  // A name one byte too long, written by hand.
  std::string long_name(kMaxPeerNameLen + 1, 'a');
  std::vector<uint8_t> raw(kConfigMinLen + 2 + long_name.size());
  ByteWriter w(raw);
  w.bytes(std::vector<uint8_t>(kConfigMinLen - 2, 0));
  w.u16(1);
  w.str16(long_name);
  CHECK(w.ok());
  EngineConfig out;
  CHECK_FALSE(decode(raw, &out, nullptr));
}

TEST(IpcMessages, ConfigRefusesPeerCountOverTheLimit) {
  EngineConfig in = sample_config();
  in.peers.assign(kMaxPeers, "p:1");
  std::vector<uint8_t> buf;
  CHECK(encode(in, &buf));
  EngineConfig out;
  CHECK(decode(buf, &out, nullptr));
  LONGS_EQUAL(kMaxPeers, out.peers.size());
  in.peers.push_back("p:1");
  CHECK_FALSE(encode(in, &buf));
  // Hand-made: count 1025 followed by 1025 names.
  std::vector<uint8_t> raw(kConfigMinLen + (kMaxPeers + 1) * 5);
  ByteWriter w(raw);
  w.bytes(std::vector<uint8_t>(kConfigMinLen - 2, 0));
  w.u16(kMaxPeers + 1);
  for (size_t i = 0; i <= kMaxPeers; ++i) w.str16("p:1");
  CHECK(w.ok());
  std::string why;
  CHECK_FALSE(decode(raw, &out, &why));
  STRCMP_CONTAINS("too many peers", why.c_str());
}

TEST(IpcMessages, ConfigThatWouldNotFitInOneFrameIsNotEncoded) {
  EngineConfig in = sample_config();
  in.peers.assign(kMaxPeers, std::string(kMaxPeerNameLen, 'x'));
  std::vector<uint8_t> buf;
  CHECK_FALSE(encode(in, &buf));
}

TEST(IpcMessages, DeviceRoundTrips) {
  DeviceInfo in{DeviceType::kTap, 1400, "braid0"};
  std::vector<uint8_t> buf;
  CHECK(encode(in, &buf));
  LONGS_EQUAL(1 + 2 + 2 + 6, buf.size());
  DeviceInfo out;
  CHECK(decode(buf, &out, nullptr));
  CHECK(out.type == DeviceType::kTap);
  LONGS_EQUAL(1400, out.mtu);
  STRCMP_EQUAL("braid0", out.ifname.c_str());
  check_prefixes_refused<DeviceInfo>(buf);
  check_trailing_refused<DeviceInfo>(buf);
}

TEST(IpcMessages, DeviceRefusesBadTypeNameAndMtu) {
  std::vector<uint8_t> buf;
  CHECK(encode(DeviceInfo{DeviceType::kTun, 1400, "tun0"}, &buf));
  auto bad = buf;
  bad[0] = 2;
  DeviceInfo out;
  CHECK_FALSE(decode(bad, &out, nullptr));
  for (const char* name : {"", "0123456789abcdef", "a/b", "a:b", "a b", ".", ".."}) {
    CHECK_FALSE(encode(DeviceInfo{DeviceType::kTun, 1400, name}, &buf));
  }
  CHECK(encode(DeviceInfo{DeviceType::kTun, 1400, "0123456789abcde"}, &buf));
  CHECK_FALSE(encode(DeviceInfo{DeviceType::kTun, 0, "tun0"}, &buf));
  std::vector<uint8_t> raw{0, 0x05, 0x78, 0, 16};  // mtu 1400, a 16-byte name
  raw.resize(5 + 16, 'a');
  CHECK_FALSE(decode(raw, &out, nullptr));
}

TEST(IpcMessages, UdpSocketRoundTripsAndRefusesOtherFamilies) {
  std::vector<uint8_t> buf;
  CHECK(encode(UdpSocketInfo{6, 3210}, &buf));
  UdpSocketInfo out;
  CHECK(decode(buf, &out, nullptr));
  LONGS_EQUAL(6, out.family);
  LONGS_EQUAL(3210, out.port);
  check_prefixes_refused<UdpSocketInfo>(buf);
  check_trailing_refused<UdpSocketInfo>(buf);
  CHECK_FALSE(encode(UdpSocketInfo{5, 3210}, &buf));
  std::vector<uint8_t> bad{0, 1, 2};
  CHECK_FALSE(decode(bad, &out, nullptr));
}

TEST(IpcMessages, PeerAddressesRoundTrip) {
  PeerAddresses in = sample_addresses();
  std::vector<uint8_t> buf;
  CHECK(encode(in, &buf));
  LONGS_EQUAL(kPeerAddressesMinLen + 2 * kPeerAddressLen, buf.size());
  PeerAddresses out;
  CHECK(decode(buf, &out, nullptr));
  LONGS_EQUAL(7, out.peer_index);
  LONGS_EQUAL(2, out.addresses.size());
  CHECK(in.addresses[0].addr == out.addresses[0].addr);
  CHECK(in.addresses[1].addr == out.addresses[1].addr);
  LONGS_EQUAL(65535, out.addresses[1].port);
  check_prefixes_refused<PeerAddresses>(buf);
  check_trailing_refused<PeerAddresses>(buf);
  PeerAddresses empty;
  CHECK(encode(empty, &buf));
  LONGS_EQUAL(kPeerAddressesMinLen, buf.size());
  CHECK(decode(buf, &out, nullptr));
  CHECK(out.addresses.empty());
}

TEST(IpcMessages, PeerAddressesRefuseBadFamilyPaddingAndCount) {
  std::vector<uint8_t> buf;
  PeerAddresses in = sample_addresses();
  CHECK(encode(in, &buf));
  auto bad = buf;
  bad[4] = 5;  // family of the first address
  PeerAddresses out;
  CHECK_FALSE(decode(bad, &out, nullptr));
  bad = buf;
  bad[4 + 1 + 4] = 1;  // padding after the IPv4 address
  CHECK_FALSE(decode(bad, &out, nullptr));
  in.addresses.assign(kMaxPeerAddresses, in.addresses[0]);
  CHECK(encode(in, &buf));
  in.addresses.push_back(in.addresses[0]);
  CHECK_FALSE(encode(in, &buf));
  std::vector<uint8_t> raw(kPeerAddressesMaxLen + kPeerAddressLen, 0);
  put_be16(&raw[2], kMaxPeerAddresses + 1);
  for (size_t i = 0; i <= kMaxPeerAddresses; ++i) raw[4 + i * kPeerAddressLen] = 4;
  std::string why;
  CHECK_FALSE(decode(raw, &out, &why));
  STRCMP_CONTAINS("too many", why.c_str());
}

TEST(IpcMessages, EmptyPayloadsMustBeEmpty) {
  std::vector<uint8_t> one{0};
  CHECK(decode_empty({}, nullptr));
  CHECK_FALSE(decode_empty(one, nullptr));
  CHECK(check_payload(MsgType::kStart, {}).empty());
  CHECK_FALSE(check_payload(MsgType::kShutdown, one).empty());
}

TEST(IpcMessages, CheckPayloadRunsTheDecoderOfTheType) {
  std::vector<uint8_t> buf;
  CHECK(encode(Hello{1}, &buf));
  CHECK(check_payload(MsgType::kHello, buf).empty());
  CHECK_FALSE(check_payload(MsgType::kConfig, buf).empty());
  CHECK_FALSE(check_payload(static_cast<MsgType>(99), buf).empty());
}

TEST(IpcMessages, PeerAddressConvertsToAndFromSockaddr) {
  PeerAddresses p = sample_addresses();
  for (const PeerAddress& a : p.addresses) {
    sockaddr_storage ss;
    socklen_t len;
    CHECK(to_sockaddr(a, &ss, &len));
    PeerAddress back;
    CHECK(from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len, &back));
    LONGS_EQUAL(a.family, back.family);
    CHECK(a.addr == back.addr);
    LONGS_EQUAL(a.port, back.port);
  }
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(80);
  sin.sin_addr.s_addr = htonl(0x7f000001);
  PeerAddress a;
  CHECK(from_sockaddr(reinterpret_cast<sockaddr*>(&sin), sizeof sin, &a));
  LONGS_EQUAL(127, a.addr[0]);
  LONGS_EQUAL(1, a.addr[3]);
  LONGS_EQUAL(80, a.port);
  PeerAddress bad;
  bad.family = 5;
  sockaddr_storage ss;
  socklen_t len;
  CHECK_FALSE(to_sockaddr(bad, &ss, &len));
}

namespace {

Identity sample_identity() {
  Identity id;
  id.static_private.fill(7);
  id.certificate.assign(300, 0xc1);
  id.cas = {std::vector<uint8_t>(200, 0xca), std::vector<uint8_t>(210, 0xcb)};
  return id;
}

}  // namespace

TEST(IpcMessages, IdentityRoundTrips) {
  Identity in = sample_identity();
  std::vector<uint8_t> bytes;
  CHECK(encode(in, &bytes));
  LONGS_EQUAL(32 + 2 + 300 + 1 + 2 + 200 + 2 + 210, bytes.size());
  Identity out;
  std::string why;
  CHECK_TEXT(decode(bytes, &out, &why), why.c_str());
  CHECK(out.static_private == in.static_private);
  CHECK(out.certificate == in.certificate);
  CHECK(out.cas == in.cas);
  STRCMP_EQUAL("", check_payload(MsgType::kIdentity, bytes).c_str());

  Identity shared;  // a shared-key node: only the key
  shared.static_private.fill(1);
  CHECK(encode(shared, &bytes));
  LONGS_EQUAL(kIdentityMinLen, bytes.size());
  CHECK(decode(bytes, &out, &why));
  CHECK(out.certificate.empty() && out.cas.empty());
}

TEST(IpcMessages, IdentityRefusesZeroKeyHalfIdentitiesAndBadLengths) {
  std::vector<uint8_t> bytes;
  std::string why;
  Identity zero = sample_identity();
  zero.static_private.fill(0);
  CHECK_FALSE(encode(zero, &bytes));

  Identity no_ca = sample_identity();
  no_ca.cas.clear();
  CHECK_FALSE(encode(no_ca, &bytes));

  Identity big = sample_identity();
  big.certificate.assign(kMaxCertificateLen + 1, 1);
  CHECK_FALSE(encode(big, &bytes));

  Identity many = sample_identity();
  many.cas.assign(kMaxTrustedCas + 1, std::vector<uint8_t>(10, 1));
  CHECK_FALSE(encode(many, &bytes));

  CHECK(encode(sample_identity(), &bytes));
  Identity out;
  for (size_t n = 0; n < bytes.size(); ++n) {
    CHECK_FALSE(decode(std::span(bytes).first(n), &out, &why));
  }
  bytes.push_back(0);
  CHECK_FALSE(decode(bytes, &out, &why));
  STRCMP_EQUAL("Identity: trailing bytes", why.c_str());
}

TEST(IpcMessages, ClaimsRoundTripAndRefuseWhatIsNotAPrefix) {
  ClaimsMsg in;
  Claim v4;
  v4.family = 4;
  v4.addr[0] = 10;
  v4.addr[1] = 1;
  v4.len = 16;
  Claim v6;
  v6.family = 6;
  v6.addr[0] = 0xfd;
  v6.addr[15] = 1;
  v6.len = 128;
  in.claims = {v4, v6};
  std::vector<uint8_t> bytes;
  CHECK(encode(in, &bytes));
  LONGS_EQUAL(1 + 2 * kClaimLen, bytes.size());
  ClaimsMsg out;
  std::string why;
  CHECK_TEXT(decode(bytes, &out, &why), why.c_str());
  LONGS_EQUAL(2, out.claims.size());
  CHECK(out.claims[0].addr == v4.addr);
  LONGS_EQUAL(128, out.claims[1].len);
  CHECK(encode(ClaimsMsg{}, &bytes));
  CHECK(decode(bytes, &out, &why));
  CHECK(out.claims.empty());
  // Host bits, an IPv4 address's padding, lengths and families.
  struct Bad {
    uint8_t family, len;
    size_t byte;
    uint8_t value;
    const char* why;
  };
  for (Bad b : {Bad{4, 16, 2, 1, "bits set"}, Bad{4, 32, 4, 1, "bits set"},
                Bad{4, 33, 0, 0, "length"}, Bad{6, 129, 0, 0, "length"},
                Bad{6, 60, 7, 0x08, "bits set"}, Bad{5, 8, 0, 0, "family"}}) {
    Claim c;
    c.family = b.family;
    c.len = b.len;
    c.addr[b.byte] = b.value;
    ClaimsMsg one;
    one.claims.push_back(c);
    CHECK_TEXT(!encode(one, &bytes), b.why);
    std::vector<uint8_t> raw = {1, b.family, b.len};
    raw.insert(raw.end(), c.addr.begin(), c.addr.end());
    CHECK_FALSE(decode(raw, &out, &why));
    STRCMP_CONTAINS(b.why, why.c_str());
  }
  std::vector<uint8_t> truncated = {2, 4, 8, 10};
  truncated.resize(1 + kClaimLen + 3);
  CHECK_FALSE(decode(truncated, &out, &why));
  STRCMP_EQUAL("Claims: truncated", why.c_str());
}

TEST(IpcMessages, RevocationListCarriesItsBytesAndIsNeverEmpty) {
  RevocationListMsg in{{1, 2, 3}};
  std::vector<uint8_t> bytes;
  CHECK(encode(in, &bytes));
  RevocationListMsg out;
  std::string why;
  CHECK(decode(bytes, &out, &why));
  CHECK(out.encoded == in.encoded);
  CHECK_FALSE(encode(RevocationListMsg{}, &bytes));
  CHECK_FALSE(decode(std::span<const uint8_t>(), &out, &why));
}
