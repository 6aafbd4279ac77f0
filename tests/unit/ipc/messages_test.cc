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
  c.peer_links = {kAnyLink, 7};
  c.probe_interval_ms = 250;
  c.priority_copies = 2;
  c.relay = false;
  c.max_peers = 8;
  c.tunnel_refresh_s = 600;
  return c;
}

LinkInfo sample_link() {
  LinkInfo l;
  l.index = 7;
  l.name = "lte-2.b_C";
  l.family = 4;
  l.port = 3211;
  l.bandwidth = 12'500'000;
  l.weight = 1000;
  l.fallback_only = true;
  l.loss_tolerance_permille = 1000;
  l.latency_tolerance_ms = 60000;
  l.ifname = "wwan0";
  return l;
}

// A Config payload written by hand up to the peer count: the fixed fields
// of a valid message (all zero but probe interval 100, 1 copy and tunnel
// refresh 300).
void write_config_head(ByteWriter& w, uint16_t peer_count) {
  w.bytes(std::vector<uint8_t>(kConfigMinLen - 2 - 6 - 5, 0));
  w.u32(100);
  w.u8(1);
  w.u16(0);
  w.u32(300);
  w.u16(peer_count);
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
  LONGS_EQUAL(kConfigMinLen + 3 + in.peers[0].size() + 3 + in.peers[1].size(), buf.size());
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
  CHECK(in.peer_links == out.peer_links);
  LONGS_EQUAL(250, out.probe_interval_ms);
  LONGS_EQUAL(2, out.priority_copies);
  CHECK_FALSE(out.relay);
  LONGS_EQUAL(8, out.max_peers);
  LONGS_EQUAL(600, out.tunnel_refresh_s);
  check_prefixes_refused<EngineConfig>(buf);
  check_trailing_refused<EngineConfig>(buf);
}

TEST(IpcMessages, ConfigLaysOutFieldsInTheDocumentedOrder) {
  EngineConfig in = sample_config();
  in.peers = {"h:1"};
  in.peer_links = {3};
  in.relay = true;
  std::vector<uint8_t> buf;
  CHECK(encode(in, &buf));
  LONGS_EQUAL(kConfigMinLen + 2 + 3 + 1, buf.size());
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
  LONGS_EQUAL(13, buf[52]);  // flags: port forwarding (1) | LAN discovery (4) | relay (8)
  LONGS_EQUAL(250, get_be32(&buf[53]));  // probe interval
  LONGS_EQUAL(2, buf[57]);   // priority copies
  LONGS_EQUAL(8, get_be16(&buf[58]));    // max peers
  LONGS_EQUAL(600, get_be32(&buf[60]));  // tunnel refresh
  LONGS_EQUAL(0, get_be32(&buf[64]));    // stats interval: no stats file
  LONGS_EQUAL(0, buf[68]);               // stats format text
  LONGS_EQUAL(1, get_be16(&buf[69]));
  LONGS_EQUAL(3, get_be16(&buf[71]));
  LONGS_EQUAL('h', buf[73]);
  LONGS_EQUAL(3, buf[76]);   // the peer's link
}

TEST(IpcMessages, ConfigRefusesBadEnumValues) {
  std::vector<uint8_t> good;
  CHECK(encode(sample_config(), &good));
  struct Case {
    size_t offset;
    uint8_t value;
  };
  for (Case c : {Case{4, 3}, Case{5, 2}, Case{38, 4}, Case{39, 4}, Case{52, 16}, Case{57, 0},
                 Case{57, 3}}) {
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
  in.peer_links = {kAnyLink};
  CHECK(encode(in, &buf));
  // A name one byte too long, written by hand.
  std::string long_name(kMaxPeerNameLen + 1, 'a');
  std::vector<uint8_t> raw(kConfigMinLen + 2 + long_name.size() + 1);
  ByteWriter w(raw);
  write_config_head(w, 1);
  w.str16(long_name);
  w.u8(kAnyLink);
  CHECK(w.ok());
  EngineConfig out;
  CHECK_FALSE(decode(raw, &out, nullptr));
}

TEST(IpcMessages, ConfigRefusesPeerCountOverTheLimit) {
  EngineConfig in = sample_config();
  in.peers.assign(kMaxPeers, "p:1");
  in.peer_links.assign(kMaxPeers, 0);
  std::vector<uint8_t> buf;
  CHECK(encode(in, &buf));
  EngineConfig out;
  CHECK(decode(buf, &out, nullptr));
  LONGS_EQUAL(kMaxPeers, out.peers.size());
  in.peers.push_back("p:1");
  in.peer_links.push_back(0);
  CHECK_FALSE(encode(in, &buf));
  // Hand-made: count 1025 followed by 1025 peers.
  std::vector<uint8_t> raw(kConfigMinLen + (kMaxPeers + 1) * 6);
  ByteWriter w(raw);
  write_config_head(w, kMaxPeers + 1);
  for (size_t i = 0; i <= kMaxPeers; ++i) {
    w.str16("p:1");
    w.u8(0);
  }
  CHECK(w.ok());
  std::string why;
  CHECK_FALSE(decode(raw, &out, &why));
  STRCMP_CONTAINS("too many peers", why.c_str());
}

TEST(IpcMessages, ConfigThatWouldNotFitInOneFrameIsNotEncoded) {
  EngineConfig in = sample_config();
  in.peers.assign(kMaxPeers, std::string(kMaxPeerNameLen, 'x'));
  in.peer_links.assign(kMaxPeers, kAnyLink);
  std::vector<uint8_t> buf;
  CHECK_FALSE(encode(in, &buf));
}

TEST(IpcMessages, ConfigRefusesBadPeerLinksProbeIntervalAndCopies) {
  std::vector<uint8_t> buf;
  EngineConfig in = sample_config();
  in.peer_links = {kAnyLink};  // one short
  CHECK_FALSE(encode(in, &buf));
  in.peer_links = {kAnyLink, 7, 0};
  CHECK_FALSE(encode(in, &buf));
  for (uint8_t link : {uint8_t{8}, uint8_t{254}}) {
    in.peer_links = {kAnyLink, link};
    CHECK_FALSE(encode(in, &buf));
  }
  in = sample_config();
  for (uint32_t ms : {kMinProbeIntervalMs, kMaxProbeIntervalMs}) {
    in.probe_interval_ms = ms;
    CHECK(encode(in, &buf));
  }
  for (uint32_t ms : {0u, kMinProbeIntervalMs - 1, kMaxProbeIntervalMs + 1}) {
    in.probe_interval_ms = ms;
    CHECK_FALSE(encode(in, &buf));
  }
  in = sample_config();
  for (uint8_t copies : {uint8_t{0}, uint8_t{3}}) {
    in.priority_copies = copies;
    CHECK_FALSE(encode(in, &buf));
  }
  // The same on receipt: a payload with each field spoilt.
  in = sample_config();
  in.peers = {"h:1"};
  in.peer_links = {0};
  CHECK(encode(in, &buf));
  struct Case {
    size_t offset;
    uint8_t value;
  };
  for (Case c : {Case{76, 8}, Case{76, 254}, Case{53, 0xff}, Case{56, 19}, Case{57, 0},
                 Case{68, 3}}) {
    auto bad = buf;
    if (c.offset == 56) put_be32(&bad[53], c.value);  // probe interval 19 ms
    else bad[c.offset] = c.value;
    EngineConfig out;
    std::string why;
    CHECK_FALSE(decode(bad, &out, &why));
    STRCMP_CONTAINS("Config:", why.c_str());
  }
  auto ok = buf;
  ok[76] = kAnyLink;
  EngineConfig out;
  CHECK(decode(ok, &out, nullptr));
}

TEST(IpcMessages, ConfigCarriesRelayMaxPeersAndTunnelRefresh) {
  std::vector<uint8_t> buf;
  EngineConfig out;
  EngineConfig defaults;
  CHECK(defaults.relay);
  LONGS_EQUAL(0, defaults.max_peers);
  LONGS_EQUAL(300, defaults.tunnel_refresh_s);
  EngineConfig in = sample_config();
  for (bool relay : {false, true}) {
    for (uint16_t peers : {uint16_t{0}, uint16_t{1}, kMaxDirectPeers}) {
      for (uint32_t s : {kMinTunnelRefreshS, uint32_t{300}, kMaxTunnelRefreshS}) {
        in.relay = relay;
        in.max_peers = peers;
        in.tunnel_refresh_s = s;
        CHECK(encode(in, &buf));
        CHECK(decode(buf, &out, nullptr));
        CHECK_EQUAL(relay, out.relay);
        LONGS_EQUAL(peers, out.max_peers);
        LONGS_EQUAL(s, out.tunnel_refresh_s);
      }
    }
  }
}

TEST(IpcMessages, ConfigRefusesMaxPeersAndTunnelRefreshOutOfRange) {
  std::vector<uint8_t> buf;
  EngineConfig in = sample_config();
  for (uint16_t peers : {uint16_t(kMaxDirectPeers + 1), uint16_t{0xffff}}) {
    in.max_peers = peers;
    CHECK_FALSE(encode(in, &buf));
    CHECK(buf.empty());
  }
  in = sample_config();
  for (uint32_t s : {0u, kMinTunnelRefreshS - 1, kMaxTunnelRefreshS + 1, 0xffffffffu}) {
    in.tunnel_refresh_s = s;
    CHECK_FALSE(encode(in, &buf));
  }
  // The same on receipt: max peers at 58, tunnel refresh at 60.
  in = sample_config();
  CHECK(encode(in, &buf));
  struct Case {
    size_t offset;
    uint32_t value;
  };
  for (Case c : {Case{58, kMaxDirectPeers + 1u}, Case{58, 0xffff}, Case{60, 0},
                 Case{60, kMinTunnelRefreshS - 1}, Case{60, kMaxTunnelRefreshS + 1}}) {
    auto bad = buf;
    if (c.offset == 58)
      put_be16(&bad[58], static_cast<uint16_t>(c.value));
    else
      put_be32(&bad[60], c.value);
    EngineConfig out;
    std::string why;
    CHECK_FALSE(decode(bad, &out, &why));
    STRCMP_CONTAINS("Config:", why.c_str());
  }
  auto ok = buf;
  put_be16(&ok[58], kMaxDirectPeers);
  put_be32(&ok[60], kMaxTunnelRefreshS);
  EngineConfig out;
  CHECK(decode(ok, &out, nullptr));
  LONGS_EQUAL(kMaxDirectPeers, out.max_peers);
  LONGS_EQUAL(kMaxTunnelRefreshS, out.tunnel_refresh_s);
}

TEST(IpcMessages, LinkRoundTrips) {
  LinkInfo in = sample_link();
  std::vector<uint8_t> buf;
  CHECK(encode(in, &buf));
  LONGS_EQUAL(kLinkMinLen - 1 + in.name.size() + in.ifname.size(), buf.size());
  // The layout, field by field.
  LONGS_EQUAL(7, buf[0]);
  LONGS_EQUAL(9, get_be16(&buf[1]));
  LONGS_EQUAL('l', buf[3]);
  LONGS_EQUAL(4, buf[12]);                             // family
  LONGS_EQUAL(3211, get_be16(&buf[13]));               // port
  CHECK(get_be64(&buf[15]) == 12'500'000);             // bandwidth
  LONGS_EQUAL(1000, get_be16(&buf[23]));               // weight
  LONGS_EQUAL(1, buf[25]);                             // fallback_only
  LONGS_EQUAL(1000, get_be16(&buf[26]));               // loss tolerance
  LONGS_EQUAL(60000, get_be32(&buf[28]));              // latency tolerance
  LONGS_EQUAL(5, get_be16(&buf[32]));                  // ifname
  LONGS_EQUAL('w', buf[34]);
  LinkInfo out;
  std::string why;
  CHECK_TEXT(decode(buf, &out, &why), why.c_str());
  LONGS_EQUAL(7, out.index);
  STRCMP_EQUAL("lte-2.b_C", out.name.c_str());
  LONGS_EQUAL(4, out.family);
  LONGS_EQUAL(3211, out.port);
  CHECK(out.bandwidth == 12'500'000);
  LONGS_EQUAL(1000, out.weight);
  CHECK(out.fallback_only);
  LONGS_EQUAL(1000, out.loss_tolerance_permille);
  LONGS_EQUAL(60000, out.latency_tolerance_ms);
  STRCMP_EQUAL("wwan0", out.ifname.c_str());
  check_prefixes_refused<LinkInfo>(buf);
  check_trailing_refused<LinkInfo>(buf);
  // The smallest: no device, unpaced, default tolerances.
  LinkInfo small;
  small.name = "a";
  small.port = 1;
  CHECK(encode(small, &buf));
  LONGS_EQUAL(kLinkMinLen, buf.size());
  CHECK(decode(buf, &out, nullptr));
  STRCMP_EQUAL("", out.ifname.c_str());
  CHECK(out.bandwidth == 0);
  CHECK_FALSE(out.fallback_only);
  // The longest.
  small.name.assign(kMaxLinkNameLen, 'n');
  small.ifname.assign(kMaxIfnameLen, 'i');
  CHECK(encode(small, &buf));
  LONGS_EQUAL(kLinkMaxLen, buf.size());
  CHECK(decode(buf, &out, nullptr));
}

TEST(IpcMessages, LinkRefusesEveryFieldOutOfRange) {
  std::vector<uint8_t> buf;
  auto refused = [&](void (*spoil)(LinkInfo*)) {
    LinkInfo in = sample_link();
    spoil(&in);
    return !encode(in, &buf) && buf.empty();
  };
  CHECK(refused([](LinkInfo* l) { l->index = 8; }));
  CHECK(refused([](LinkInfo* l) { l->index = 255; }));
  CHECK(refused([](LinkInfo* l) { l->name = ""; }));
  CHECK(refused([](LinkInfo* l) { l->name.assign(kMaxLinkNameLen + 1, 'a'); }));
  CHECK(refused([](LinkInfo* l) { l->name = "a b"; }));
  CHECK(refused([](LinkInfo* l) { l->name = "a/b"; }));
  CHECK(refused([](LinkInfo* l) { l->name = "a\nb"; }));
  CHECK(refused([](LinkInfo* l) { l->family = 5; }));
  CHECK(refused([](LinkInfo* l) { l->port = 0; }));
  CHECK(refused([](LinkInfo* l) { l->bandwidth = kMinBandwidth - 1; }));
  CHECK(refused([](LinkInfo* l) { l->bandwidth = kMaxBandwidth + 1; }));
  CHECK(refused([](LinkInfo* l) { l->weight = 0; }));
  CHECK(refused([](LinkInfo* l) { l->weight = kMaxLinkWeight + 1; }));
  CHECK(refused([](LinkInfo* l) { l->loss_tolerance_permille = kMaxLossPermille + 1; }));
  CHECK(refused([](LinkInfo* l) { l->latency_tolerance_ms = kMaxLatencyToleranceMs + 1; }));
  CHECK(refused([](LinkInfo* l) { l->ifname.assign(kMaxIfnameLen + 1, 'i'); }));
  CHECK(refused([](LinkInfo* l) { l->ifname = "a:b"; }));
  CHECK(refused([](LinkInfo* l) { l->ifname = ".."; }));
  // On receipt: each byte-sized field spoilt in a good payload.
  CHECK(encode(sample_link(), &buf));
  struct Case {
    size_t offset;
    uint8_t value;
  };
  for (Case c : {Case{0, 8}, Case{3, ' '}, Case{12, 0}, Case{25, 2}, Case{23, 0xff},
                 Case{26, 0xff}, Case{28, 0xff}, Case{34, '/'}, Case{15, 0xff}}) {
    auto bad = buf;
    bad[c.offset] = c.value;
    LinkInfo out;
    std::string why;
    CHECK_FALSE_TEXT(decode(bad, &out, &why), std::to_string(c.offset).c_str());
    STRCMP_CONTAINS("Link:", why.c_str());
  }
  // Port 0 and a weight of 0, by hand.
  auto bad = buf;
  put_be16(&bad[13], 0);
  LinkInfo out;
  CHECK_FALSE(decode(bad, &out, nullptr));
  bad = buf;
  put_be16(&bad[23], 0);
  CHECK_FALSE(decode(bad, &out, nullptr));
  // A name length past the limit, with the bytes present.
  std::vector<uint8_t> raw(kLinkMinLen + kMaxLinkNameLen + 1, 0);
  put_be16(&raw[1], kMaxLinkNameLen + 1);
  std::string why;
  CHECK_FALSE(decode(raw, &out, &why));
  STRCMP_CONTAINS("Link:", why.c_str());
}

TEST(IpcMessages, LinkStatusRoundTripsAndRefusesWhatIsOutOfRange) {
  std::vector<uint8_t> buf;
  for (uint8_t index = 0; index < kMaxLinks; ++index) {
    for (uint8_t up : {uint8_t{0}, uint8_t{1}}) {
      CHECK(encode(LinkStatus{index, up}, &buf));
      LONGS_EQUAL(kLinkStatusLen, buf.size());
      LONGS_EQUAL(index, buf[0]);
      LONGS_EQUAL(up, buf[1]);
      LinkStatus out;
      CHECK(decode(buf, &out, nullptr));
      LONGS_EQUAL(index, out.index);
      LONGS_EQUAL(up, out.up);
    }
  }
  check_prefixes_refused<LinkStatus>(buf);
  check_trailing_refused<LinkStatus>(buf);
  CHECK_FALSE(encode(LinkStatus{8, 1}, &buf));
  CHECK_FALSE(encode(LinkStatus{0, 2}, &buf));
  LinkStatus out;
  std::string why;
  for (std::vector<uint8_t> bad : {std::vector<uint8_t>{8, 0}, std::vector<uint8_t>{255, 1},
                                   std::vector<uint8_t>{0, 2}, std::vector<uint8_t>{0, 255}}) {
    CHECK_FALSE(decode(bad, &out, &why));
    STRCMP_CONTAINS("LinkStatus:", why.c_str());
  }
  CHECK(check_payload(MsgType::kLinkStatus, std::vector<uint8_t>{1, 1}).empty());
  CHECK_FALSE(check_payload(MsgType::kLinkStatus, std::vector<uint8_t>{1, 7}).empty());
  CHECK(encode(sample_link(), &buf));
  CHECK(check_payload(MsgType::kLink, buf).empty());
  buf[0] = 9;
  CHECK_FALSE(check_payload(MsgType::kLink, buf).empty());
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

TEST(IpcMessages, CertificateCarriesItsBytesWithinTheCertificateLimit) {
  CertificateMsg in{{9, 8, 7}};
  std::vector<uint8_t> bytes;
  CHECK(encode(in, &bytes));
  CertificateMsg out;
  std::string why;
  CHECK(decode(bytes, &out, &why));
  CHECK(out.encoded == in.encoded);
  CHECK_FALSE(encode(CertificateMsg{}, &bytes));
  CHECK_FALSE(decode(std::span<const uint8_t>(), &out, &why));
  std::vector<uint8_t> long_one(kMaxCertificateLen + 1, 1);
  CHECK_FALSE(encode(CertificateMsg{long_one}, &bytes));
  CHECK_FALSE(decode(long_one, &out, &why));
  STRCMP_EQUAL("Certificate: too long", why.c_str());
  STRCMP_EQUAL("", check_payload(MsgType::kCertificate, in.encoded).c_str());
}

TEST(IpcMessages, TrustedCasCarryOneToEightCertificatesAndRejectTheRest) {
  TrustedCasMsg in{{{1, 2, 3}, {4}}};
  std::vector<uint8_t> bytes;
  CHECK(encode(in, &bytes));
  const std::vector<uint8_t> expected = {2, 0, 3, 1, 2, 3, 0, 1, 4};
  CHECK(bytes == expected);
  TrustedCasMsg out;
  std::string why;
  CHECK(decode(bytes, &out, &why));
  CHECK(out.cas == in.cas);
  STRCMP_EQUAL("", check_payload(MsgType::kTrustedCas, bytes).c_str());

  CHECK_FALSE(encode(TrustedCasMsg{}, &bytes));   // trusting nothing is no network
  CHECK_FALSE(decode(std::vector<uint8_t>{0}, &out, &why));
  CHECK_FALSE(encode(TrustedCasMsg{{{}}}, &bytes));
  CHECK_FALSE(decode(std::vector<uint8_t>{1, 0, 0}, &out, &why));
  STRCMP_CONTAINS("empty", why.c_str());
  CHECK_FALSE(encode(TrustedCasMsg{std::vector<std::vector<uint8_t>>(kMaxTrustedCas + 1, {1})}, &bytes));
  CHECK_FALSE(decode(std::vector<uint8_t>{kMaxTrustedCas + 1, 0, 1, 1}, &out, &why));
  CHECK_FALSE(encode(TrustedCasMsg{{std::vector<uint8_t>(kMaxCertificateLen + 1, 1)}}, &bytes));
  CHECK_FALSE(decode(std::vector<uint8_t>{1, 4, 1, 1}, &out, &why));   // 1025 bytes claimed
  STRCMP_EQUAL("TrustedCas: CA certificate too long", why.c_str());
  CHECK_FALSE(decode(std::vector<uint8_t>{1, 0, 2, 1}, &out, &why));   // truncated
  CHECK_FALSE(decode(std::vector<uint8_t>{1, 0, 1, 1, 9}, &out, &why));   // trailing byte
}

TEST(IpcMessages, SharedKeyIsThirtyTwoBytesNotAllZero) {
  SharedKeyMsg in;
  in.psk.fill(7);
  in.psk[31] = 9;
  std::vector<uint8_t> bytes;
  CHECK(encode(in, &bytes));
  LONGS_EQUAL(kSharedKeyLen, bytes.size());
  SharedKeyMsg out;
  std::string why;
  CHECK(decode(bytes, &out, &why));
  CHECK(out.psk == in.psk);
  STRCMP_EQUAL("", check_payload(MsgType::kSharedKey, bytes).c_str());
  CHECK_FALSE(encode(SharedKeyMsg{}, &bytes));
  CHECK_FALSE(decode(std::vector<uint8_t>(32, 0), &out, &why));
  STRCMP_EQUAL("SharedKey: all zero", why.c_str());
  CHECK_FALSE(decode(std::vector<uint8_t>(31, 1), &out, &why));
  CHECK_FALSE(decode(std::vector<uint8_t>(33, 1), &out, &why));
}

TEST(IpcMessages, StatsIsMarkedTextWithoutControlBytes) {
  auto bytes = [](std::string_view s) { return std::vector<uint8_t>(s.begin(), s.end()); };
  STRCMP_EQUAL("", check_payload(MsgType::kStats, bytes("\x01peers  2\tok\n")).c_str());
  STRCMP_EQUAL("", check_payload(MsgType::kStats, bytes(std::string_view("\x00part", 5))).c_str());
  STRCMP_EQUAL("", check_payload(MsgType::kStats, bytes("\x01n\xc3\xa6ud")).c_str());
  STRCMP_CONTAINS("piece marker", check_payload(MsgType::kStats, bytes("\x02text")).c_str());
  STRCMP_CONTAINS("piece marker", check_payload(MsgType::kStats, {}).c_str());
  STRCMP_CONTAINS("control byte", check_payload(MsgType::kStats, bytes("\x01\x1b[2J")).c_str());
  STRCMP_CONTAINS("control byte",
                  check_payload(MsgType::kStats, bytes(std::string_view("\x01\x00", 2))).c_str());
  STRCMP_EQUAL("", check_payload(MsgType::kReload, {}).c_str());
  STRCMP_EQUAL("", check_payload(MsgType::kControlSocket, {}).c_str());
  CHECK(!check_payload(MsgType::kReload, bytes("x")).empty());
}

TEST(IpcMessages, ConfigCarriesTheStatsIntervalAndFormat) {
  EngineConfig in;
  in.stats_interval_s = 30;
  in.stats_format = StatsFormat::kPrometheus;
  std::vector<uint8_t> buf;
  CHECK(encode(in, &buf));
  EngineConfig out;
  std::string why;
  CHECK_TRUE_TEXT(decode(buf, &out, &why), why.c_str());
  LONGS_EQUAL(30, out.stats_interval_s);
  CHECK(out.stats_format == StatsFormat::kPrometheus);
  in.stats_interval_s = kMaxStatsIntervalS + 1;
  CHECK_FALSE(encode(in, &buf));
}

TEST(IpcMessages, SettingsRoundTripAndRefuseOutOfRangeValues) {
  Settings in;
  in.log_level = LogLevel::kDebug;
  in.stats_interval_s = 10;
  in.stats_format = StatsFormat::kJson;
  std::vector<uint8_t> buf;
  CHECK(encode(in, &buf));
  LONGS_EQUAL(kSettingsLen, buf.size());
  Settings out;
  std::string why;
  CHECK_TRUE_TEXT(decode(buf, &out, &why), why.c_str());
  CHECK(out.log_level == LogLevel::kDebug);
  LONGS_EQUAL(10, out.stats_interval_s);
  CHECK(out.stats_format == StatsFormat::kJson);
  for (auto [offset, value] : {std::pair<size_t, uint8_t>{0, 4}, {5, 3}}) {
    auto bad = buf;
    bad[offset] = value;
    CHECK_FALSE(decode(bad, &out, &why));
    STRCMP_CONTAINS("Settings:", why.c_str());
  }
  buf.pop_back();
  CHECK_FALSE(decode(buf, &out, &why));
}

TEST(IpcMessages, PeerSetRoundTripsAnAdditionAndARemoval) {
  PeerSet in;
  in.index = 7;
  in.op = PeerOp::kAdd;
  in.link = 2;
  in.name = "peer.example:3210";
  std::vector<uint8_t> buf;
  CHECK(encode(in, &buf));
  LONGS_EQUAL(kPeerSetMinLen + in.name.size(), buf.size());
  CHECK(check_payload(MsgType::kPeerSet, buf).empty());
  PeerSet out;
  std::string why;
  CHECK_TRUE_TEXT(decode(buf, &out, &why), why.c_str());
  LONGS_EQUAL(7, out.index);
  CHECK(out.op == PeerOp::kAdd);
  LONGS_EQUAL(2, out.link);
  STRCMP_EQUAL("peer.example:3210", out.name.c_str());
  PeerSet rm;
  rm.index = 3;
  rm.op = PeerOp::kRemove;
  CHECK(encode(rm, &buf));
  CHECK_TRUE_TEXT(decode(buf, &out, &why), why.c_str());
  CHECK(out.op == PeerOp::kRemove);
  LONGS_EQUAL(3, out.index);
  CHECK(out.name.empty());
}

TEST(IpcMessages, PeerSetRefusesWhatWouldMeanTwoThings) {
  std::string why;
  PeerSet out;
  std::vector<uint8_t> buf;
  PeerSet bad;
  bad.op = PeerOp::kRemove;
  bad.name = "x:1";   // a removal that names a peer
  CHECK_FALSE(encode(bad, &buf));
  bad = PeerSet{};
  bad.name = "";       // an addition without a name
  CHECK_FALSE(encode(bad, &buf));
  bad.name = std::string("a\nb");
  CHECK_FALSE(encode(bad, &buf));
  bad.name = "x:1";
  bad.link = kMaxLinks;
  CHECK_FALSE(encode(bad, &buf));
  bad.link = kAnyLink;
  bad.index = kMaxPeers;
  CHECK_FALSE(encode(bad, &buf));
  bad.index = 0;
  CHECK(encode(bad, &buf));
  // An unknown operation, a name longer than its bytes, trailing bytes.
  for (auto mutate : std::initializer_list<void (*)(std::vector<uint8_t>&)>{
           [](std::vector<uint8_t>& b) { b[2] = 2; },
           [](std::vector<uint8_t>& b) { b[5] = 9; },
           [](std::vector<uint8_t>& b) { b.push_back(0); }}) {
    auto m = buf;
    mutate(m);
    CHECK_FALSE(decode(m, &out, &why));
    STRCMP_CONTAINS("PeerSet:", why.c_str());
  }
}
