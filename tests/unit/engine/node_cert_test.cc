// Nodes of a certificate network on the fake network: who gets a session
// (signed by a trusted CA, valid now, not revoked, for the key it holds),
// what a certified peer may send (its addresses, claims and MAC ranges),
// and how revocation and expiry end sessions.
#include <arpa/inet.h>
#include <sodium.h>

#include <cstring>

#include "../identity/fixtures.h"
#include "common/bytes.h"
#include "engine/report.h"
#include "fakenet.h"
#include "identity/prefix.h"

#include <CppUTest/TestHarness.h>

using namespace braid;
using namespace braid::engine;
using namespace braid::engine::test;
namespace id = braid::identity;
using id::testing::kDay;
using id::testing::TestCa;

namespace {

constexpr uint64_t kNow = FakeClock::kUnixStart;

id::IpPrefix prefix(const char* text, bool claim) {
  id::IpPrefix p;
  std::string why;
  CHECK_TEXT(id::parse_prefix(text, claim, &p, &why), why.c_str());
  return p;
}

// Node n's certificate: overlay address 10.7.0.n, claim 10.7.<n>0.0/24,
// MAC range 02:00:00:00:0n:00/40.
id::Certificate cert_for(const NodeConfig& cfg, int n, uint64_t not_before = kNow - kDay,
                         uint64_t not_after = kNow + 365 * kDay) {
  id::Certificate c;
  c.kind = id::CertKind::kNode;
  c.name = "node" + std::to_string(n);
  crypto_scalarmult_base(c.public_key.data(), cfg.static_private.data());
  c.not_before = not_before;
  c.not_after = not_after;
  c.addresses.push_back(prefix(("10.7.0." + std::to_string(n) + "/16").c_str(), false));
  c.claims.push_back(prefix(("10.7." + std::to_string(n * 10) + ".0/24").c_str(), true));
  id::MacRange m;
  m.mac = {0x02, 0, 0, 0, static_cast<uint8_t>(n), 0};
  m.len = 40;
  c.macs.push_back(m);
  return c;
}

NodeConfig certified(const TestCa& ca, int n, uint64_t not_after = kNow + 365 * kDay) {
  NodeConfig cfg = FakeNet::config(n);
  cfg.psk.reset();
  cfg.certificate = id::testing::signed_by(ca, cert_for(cfg, n, kNow - kDay, not_after));
  std::string why;
  CHECK_TEXT(cfg.trust.add_ca(ca.encoded, &why), why.c_str());
  return cfg;
}

// An IPv4 packet from src to dst with a 4-byte sequence number as payload.
std::vector<uint8_t> ipv4(const char* src, const char* dst, uint32_t seq) {
  std::vector<uint8_t> p(24, 0);
  p[0] = 0x45;
  put_be16(p.data() + 2, static_cast<uint16_t>(p.size()));
  p[8] = 64;
  p[9] = 17;
  inet_pton(AF_INET, src, p.data() + 12);
  inet_pton(AF_INET, dst, p.data() + 16);
  put_be32(p.data() + 20, seq);
  return p;
}

std::vector<uint8_t> frame(std::array<uint8_t, 6> src) {
  std::vector<uint8_t> f(60, 0);
  f[0] = 0x02;
  memcpy(f.data() + 6, src.data(), 6);
  f[12] = 0x08;
  return f;
}

}  // namespace

TEST_GROUP_BASE(NodeCertificates, NetTest) {
  TestCa ca = id::testing::make_ca("corp");

  std::pair<Host*, Host*> certified_pair(NodeConfig ca_cfg, NodeConfig cb_cfg) {
    Host& a = net->add(ca_cfg);
    Host& b = net->add(cb_cfg);
    a.target(b);
    net->tick();
    return {&a, &b};
  }
};

TEST(NodeCertificates, NodesOfOneCaConnectAndLearnEachOthersCertificate) {
  auto [a, b] = certified_pair(certified(ca, 1), certified(ca, 2));
  CHECK(connected(*a, *b));
  const Peer* pb = a->peer_of(*b);
  CHECK(pb->cert.has_value());
  STRCMP_EQUAL("node2", pb->cert->name.c_str());
  STRCMP_CONTAINS("node2 (", pb->name().c_str());
  STRCMP_EQUAL("node1", b->peer_of(*a)->cert->name.c_str());
  LONGS_EQUAL(0, a->node().counters().handshake_refused);
}

TEST(NodeCertificates, APeerMaySendFromItsAddressAndClaimsOnly) {
  auto [a, b] = certified_pair(certified(ca, 1), certified(ca, 2));
  a->device_packet(ipv4("10.7.0.1", "10.7.0.2", 1));    // its address
  a->device_packet(ipv4("10.7.10.9", "10.7.0.2", 2));   // inside its claim
  a->device_packet(ipv4("10.7.0.3", "10.7.0.2", 3));    // another node's address
  a->device_packet(ipv4("10.7.20.1", "10.7.0.2", 4));   // another node's claim
  a->device_packet(ipv4("192.0.2.1", "10.7.0.2", 5));   // nowhere
  net->pump();
  LONGS_EQUAL(2, b->written.size());
  LONGS_EQUAL(1, get_be32(b->written[0].data() + 20));
  LONGS_EQUAL(2, get_be32(b->written[1].data() + 20));
  LONGS_EQUAL(3, b->node().counters().drop_unauthorized);
  // Not an IP packet at all.
  a->device_packet(make_packet(9));
  net->pump();
  LONGS_EQUAL(2, b->written.size());
  LONGS_EQUAL(4, b->node().counters().drop_unauthorized);
}

TEST(NodeCertificates, TapFramesMustComeFromTheCertificatesMacRanges) {
  NodeConfig c1 = certified(ca, 1), c2 = certified(ca, 2);
  c1.tap = c2.tap = true;
  auto [a, b] = certified_pair(c1, c2);
  a->device_packet(frame({0x02, 0, 0, 0, 1, 0x33}));
  a->device_packet(frame({0x02, 0, 0, 0, 2, 0x33}));
  net->pump();
  LONGS_EQUAL(1, b->written.size());
  LONGS_EQUAL(1, b->node().counters().drop_unauthorized);
}

TEST(NodeCertificates, ACertificateFromAnUntrustedCaIsRefused) {
  TestCa other = id::testing::make_ca("other");
  // b holds a certificate of another CA; it trusts a's CA too, so a's
  // initiations pass its mac1 check and the handshake reaches the
  // certificates. a trusts only its own CA and refuses b's.
  NodeConfig c2 = FakeNet::config(2);
  c2.psk.reset();
  c2.certificate = id::testing::signed_by(other, cert_for(c2, 2));
  std::string why;
  CHECK(c2.trust.add_ca(other.encoded, &why));
  CHECK(c2.trust.add_ca(ca.encoded, &why));
  auto [a, b] = certified_pair(certified(ca, 1), c2);
  net->run_ms(3000);
  CHECK_FALSE(connected(*a, *b));
  CHECK(a->node().counters().handshake_refused >= 1);
  CHECK(a->peer_of(*b) == nullptr);
  LONGS_EQUAL(0, a->written.size());
}

void expect_refused(FakeNet& net, const TestCa& ca, uint64_t not_before, uint64_t not_after) {
  NodeConfig c2 = FakeNet::config(2);
  c2.psk.reset();
  c2.certificate = id::testing::signed_by(ca, cert_for(c2, 2, not_before, not_after));
  std::string why;
  CHECK(c2.trust.add_ca(ca.encoded, &why));
  Host& a = net.add(certified(ca, 1));
  Host& b = net.add(c2);
  a.target(b);
  net.run_ms(2000);
  CHECK_FALSE(connected(a, b));
  CHECK(a.node().counters().handshake_refused >= 1);
  CHECK(a.peer_of(b) == nullptr);
}

TEST(NodeCertificates, AnExpiredCertificateIsRefused) {
  expect_refused(*net, ca, kNow - 10 * kDay, kNow - kDay);
}

TEST(NodeCertificates, ACertificateNotYetValidIsRefused) {
  expect_refused(*net, ca, kNow + kDay, kNow + 10 * kDay);
}

TEST(NodeCertificates, ACertificateForAnotherKeyIsRefused) {
  NodeConfig c2 = certified(ca, 2);
  // A valid certificate, but for node 3's key: stolen or mixed up.
  c2.certificate = id::testing::signed_by(ca, cert_for(FakeNet::config(3), 2));
  auto [a, b] = certified_pair(certified(ca, 1), c2);
  net->run_ms(2000);
  CHECK_FALSE(connected(*a, *b));
  CHECK(a->node().counters().handshake_refused >= 1);
}

TEST(NodeCertificates, AResponseWithARefusedCertificateDoesNotCancelTheGenuineOne) {
  // c saw a's initiation to b (it trusts a's CA, so the mac1 passes) and
  // answers first, with a certificate a refuses. b's response still counts.
  NodeConfig c3 = FakeNet::config(3);
  c3.psk.reset();
  c3.certificate = id::testing::signed_by(ca, cert_for(c3, 3, kNow - 10 * kDay, kNow - kDay));
  std::string why;
  CHECK(c3.trust.add_ca(ca.encoded, &why));
  Host& a = net->add(certified(ca, 1));
  Host& b = net->add(certified(ca, 2));
  Host& c = net->add(c3);
  bool copied = false;
  net->filter = [&](Datagram& d, std::vector<Datagram>& out) {
    if (!copied && d.is(PacketType::kHandshakeInit) && d.from == a.addr()) {
      copied = true;
      Datagram seen = d;
      seen.to = c.addr();
      out.push_back(seen);
    }
    out.push_back(d);
  };
  a.target(b);
  net->tick();
  LONGS_EQUAL(1, a.node().counters().handshake_refused);
  CHECK(a.peer_of(c) == nullptr);
  CHECK(connected(a, b));
}

TEST(NodeCertificates, ANodeWithoutACertificateCostsNoMoreThanAHash) {
  NodeConfig plain = FakeNet::config(2);
  plain.psk.reset();
  auto [a, b] = certified_pair(certified(ca, 1), plain);
  b->target(*a);
  net->run_ms(3000);
  CHECK_FALSE(connected(*a, *b));
  // b's initiations carry no mac1 a accepts; a's carry none b accepts.
  CHECK(a->node().counters().drop_mac >= 1);
  CHECK(b->node().counters().drop_mac >= 1);
  LONGS_EQUAL(0, a->node().counters().drop_auth);
}

TEST(NodeCertificates, RevokingAConnectedPeerEndsItsSessionAtOnce) {
  NodeConfig c2 = certified(ca, 2);
  auto fingerprint = id::fingerprint(c2.certificate);
  auto [a, b] = certified_pair(certified(ca, 1), c2);
  CHECK(connected(*a, *b));
  std::string why;
  auto list = id::testing::revocation_list(ca, kNow, {fingerprint});
  CHECK_TEXT(a->node().add_revocation_list(list, &why), why.c_str());
  CHECK(a->peer_of(*b) == nullptr);
  // b keeps trying; a refuses every attempt.
  net->run_ms(5000);
  CHECK(a->peer_of(*b) == nullptr);
  CHECK(a->node().counters().handshake_refused >= 1);
  // An older list does not undo it.
  auto older = id::testing::revocation_list(ca, kNow - 100, {});
  CHECK_FALSE(a->node().add_revocation_list(older, &why));
  net->run_ms(3000);
  CHECK(a->peer_of(*b) == nullptr);
  // A list from a CA a does not trust is refused.
  TestCa other = id::testing::make_ca("other");
  CHECK_FALSE(a->node().add_revocation_list(id::testing::revocation_list(other, kNow + 1, {}), &why));
}

TEST(NodeCertificates, APeerWhoseCertificateExpiresIsRemoved) {
  uint64_t end = net->clock.unix_s() + 30;
  NodeConfig c2 = certified(ca, 2, end);
  auto [a, b] = certified_pair(certified(ca, 1), c2);
  CHECK(connected(*a, *b));
  net->run_ms(28000);
  CHECK(a->peer_of(*b) != nullptr);
  net->run_ms(3000);
  CHECK(a->peer_of(*b) == nullptr);
}

TEST(NodeCertificates, ACertificateRenewedBeforeItExpiresKeepsThePeer) {
  // b's certificate ends in 30 s; 10 s in, b is given one for the same key
  // that lasts a year (what a SIGHUP sends the engine). b renews its
  // session at once, so a sees the new one and keeps b past the old end.
  uint64_t end = net->clock.unix_s() + 30;
  NodeConfig c2 = certified(ca, 2, end);
  std::string why;
  auto [a, b] = certified_pair(certified(ca, 1), c2);
  CHECK(connected(*a, *b));
  net->run_ms(10000);
  std::vector<uint8_t> renewed = id::testing::signed_by(ca, cert_for(c2, 2));
  CHECK_TEXT(b->node().renew_certificate(renewed, &why), why.c_str());
  net->run_ms(2000);
  CHECK(a->peer_of(*b)->cert->not_after > end);
  net->run_ms(25000);
  CHECK(a->peer_of(*b) != nullptr);
  CHECK(connected(*a, *b));
  // Not b's key, not yet valid, or from a CA b does not trust: refused,
  // and the running certificate stays.
  NodeConfig c3 = FakeNet::config(3);
  CHECK_FALSE(b->node().renew_certificate(id::testing::signed_by(ca, cert_for(c3, 3)), &why));
  STRCMP_EQUAL("not a certificate for this node's key", why.c_str());
  CHECK_FALSE(b->node().renew_certificate(
      id::testing::signed_by(ca, cert_for(c2, 2, net->clock.unix_s() + kDay)), &why));
  TestCa other = id::testing::make_ca("other");
  CHECK_FALSE(b->node().renew_certificate(id::testing::signed_by(other, cert_for(c2, 2)), &why));
  CHECK_FALSE(b->node().renew_certificate(std::vector<uint8_t>{1, 2, 3}, &why));
  net->run_ms(2000);
  CHECK(connected(*a, *b));
}

// A CA rotation as three SIGHUPs give it to the engines: every node
// trusts the next CA beside the old one; a and b are re-signed by it; a
// then trusts the next CA only. c, still of the old CA, is dropped at
// once and kept out; b and d (a node of the next CA only, which a reaches
// once its certificate is the next CA's) keep their sessions.
TEST(NodeCertificates, ACaRotationKeepsThePeersOfTheNextCaAndDropsTheRest) {
  TestCa next = id::testing::make_ca("corp-next");
  NodeConfig c1 = certified(ca, 1), c2 = certified(ca, 2), c3 = certified(ca, 3);
  Host& a = net->add(c1);
  Host& b = net->add(c2);
  Host& c = net->add(c3);
  a.target(b);
  a.target(c);
  net->run_ms(1000);
  CHECK(connected(a, b));
  CHECK(connected(a, c));
  std::string why;
  const std::vector<std::vector<uint8_t>> both = {ca.encoded, next.encoded};
  for (Host* h : {&a, &b, &c}) CHECK_TEXT(h->node().set_trusted_cas(both, &why), why.c_str());
  CHECK(a.node().add_revocation_list(id::testing::revocation_list(next, kNow, {}), &why));
  CHECK_TEXT(a.node().renew_certificate(id::testing::signed_by(next, cert_for(c1, 1)), &why),
             why.c_str());
  CHECK_TEXT(b.node().renew_certificate(id::testing::signed_by(next, cert_for(c2, 2)), &why),
             why.c_str());
  // d trusts the next CA only: a's first contact must be keyed by it.
  NodeConfig c4 = certified(next, 4);
  Host& d = net->add(c4);
  a.target(d);
  net->run_ms(3000);
  CHECK(connected(a, b));
  CHECK(connected(a, c));
  CHECK(connected(a, d));
  CHECK(a.peer_of(b)->cert->issuer == next.cert.issuer);
  // braidctl peers --json shows how far the rotation has come.
  std::string json, error;
  CHECK_TEXT(render(ControlCommand::kPeers, ControlFormat::kJson, a.node(), EngineStatus{},
                    net->clock.now_ns(), &json, &error), error.c_str());
  STRCMP_CONTAINS("\"name\":\"node2\"", json.c_str());
  CHECK(json.find("\"certificate\":{\"ca\":\"corp-next\",\"not_after\":" +
                  std::to_string(kNow + 365 * kDay) + "}") != std::string::npos);
  STRCMP_CONTAINS("\"certificate\":{\"ca\":\"corp\",", json.c_str());   // c's

  const std::vector<std::vector<uint8_t>> only_next = {next.encoded};
  CHECK_TEXT(a.node().set_trusted_cas(only_next, &why), why.c_str());
  CHECK(a.peer_of(c) == nullptr);
  CHECK(a.peer_of(b) != nullptr);
  // The next CA's list stayed: an older one is refused.
  CHECK_FALSE(a.node().add_revocation_list(id::testing::revocation_list(next, kNow - 1, {}), &why));
  net->run_ms(5000);
  CHECK(a.peer_of(c) == nullptr);
  CHECK(connected(a, b));
  CHECK(connected(a, d));

  // A set that does not load changes nothing.
  CHECK_FALSE(a.node().set_trusted_cas(std::vector<std::vector<uint8_t>>{{1, 2, 3}}, &why));
  CHECK_FALSE(a.node().set_trusted_cas(std::vector<std::vector<uint8_t>>{c4.certificate}, &why));
  net->run_ms(1000);
  CHECK(connected(a, b));
  CHECK(connected(a, d));
}

TEST(NodeCertificates, ASharedKeyCanBeUsedWithCertificates) {
  NodeConfig c1 = certified(ca, 1), c2 = certified(ca, 2);
  c1.psk = FakeNet::config(1).psk;
  c2.psk = FakeNet::config(1).psk;
  auto [a, b] = certified_pair(c1, c2);
  CHECK(connected(*a, *b));
}

TEST(NodeCertificates, EveryHandshakeMessageDuplicatedStillGivesOneSession) {
  for (PacketType t : {PacketType::kHandshakeInit, PacketType::kHandshakeResp,
                       PacketType::kHandshakeFinal}) {
    net = std::make_unique<FakeNet>();
    net->filter = [&](Datagram& d, std::vector<Datagram>& out) {
      out.push_back(d);
      if (d.is(t)) out.push_back(d);
    };
    auto [a, b] = certified_pair(certified(ca, 1), certified(ca, 2));
    net->run_ms(500);
    CHECK(connected(*a, *b));
    LONGS_EQUAL(1, a->node().counters().handshake_ok);
    // A duplicated initiation makes the responder start a second
    // handshake that is never finished; nothing else changes.
    LONGS_EQUAL(1, b->node().counters().handshake_ok);
    a->device_packet(ipv4("10.7.0.1", "10.7.0.2", 1));
    b->device_packet(ipv4("10.7.0.2", "10.7.0.1", 2));
    net->pump();
    LONGS_EQUAL(1, b->written.size());
    LONGS_EQUAL(1, a->written.size());
    LONGS_EQUAL(0, a->node().counters().handshake_refused + b->node().counters().handshake_refused);
  }
}

TEST(NodeCertificates, ALostResponseIsRecoveredByTheNextAttemptAndALateOneIsIgnored) {
  std::vector<Datagram> held;
  bool hold = true;
  net->filter = [&](Datagram& d, std::vector<Datagram>& out) {
    if (hold && d.is(PacketType::kHandshakeResp)) {
      held.push_back(d);
      hold = false;
      return;
    }
    out.push_back(d);
  };
  auto [a, b] = certified_pair(certified(ca, 1), certified(ca, 2));
  CHECK_FALSE(connected(*a, *b));
  net->run_ms(2000);
  CHECK(connected(*a, *b));
  uint32_t index = a->keypair_to(*b)->local_index;
  // The first response, delivered late: its handshake is gone.
  uint64_t unknown = a->node().counters().drop_unknown_index;
  for (Datagram& d : held) net->inject(d);
  net->pump();
  LONGS_EQUAL(unknown + 1, a->node().counters().drop_unknown_index);
  LONGS_EQUAL(index, a->keypair_to(*b)->local_index);
  CHECK(connected(*a, *b));
}
