// Nodes over long runs: sides that both initiate, full meshes, many key
// renewals in a row with traffic, and the limits that bound what strangers
// can make a node hold.
#include <cstring>
#include <memory>

#include "common/bytes.h"
#include "common/log.h"
#include "crypto/sodium.h"
#include "engine/node.h"
#include "engine/timers.h"
#include "fakenet.h"

// Last: its new/delete macros must not reach the standard headers.
#include <CppUTest/TestHarness.h>

using namespace braid;
using namespace braid::engine;
using namespace braid::engine::test;

TEST_GROUP_BASE(NodeMesh, NetTest) {


  // Every host sends one packet to the others per step; checks that each
  // host got every packet of every other, in order, with no gap.
  void run_with_traffic(std::vector<Host*> hosts, uint64_t total_ms, uint64_t step_ms) {
    std::vector<uint32_t> seq(hosts.size(), 0);
    for (uint64_t t = 0; t < total_ms; t += step_ms) {
      for (size_t i = 0; i < hosts.size(); ++i)
        hosts[i]->device_packet(make_packet(static_cast<uint32_t>(i << 24 | seq[i]++)));
      net->run_ms(step_ms);
    }
    for (size_t i = 0; i < hosts.size(); ++i) {
      std::vector<uint32_t> next(hosts.size(), 0);
      for (const auto& p : hosts[i]->written) {
        uint32_t s = packet_seq(p);
        size_t from = s >> 24;
        CHECK(from < hosts.size() && from != i);
        LONGS_EQUAL(next[from], s & 0xffffff);
        next[from] = (s & 0xffffff) + 1;
      }
      for (size_t j = 0; j < hosts.size(); ++j)
        if (j != i) LONGS_EQUAL(seq[j], next[j]);
    }
  }
};

TEST(NodeMesh, TwoNodesThatBothInitiateConnectAndKeepEveryPacketAcrossManyRenewals) {
  Host& a = net->add();
  Host& b = net->add();
  a.target(b);
  b.target(a);
  net->tick();
  CHECK(connected(a, b));
  run_with_traffic({&a, &b}, 10 * 60 * 1000, 300);
  CHECK(connected(a, b));
  CHECK(a.peer_of(b)->stats.handshakes >= 5);
  // Keys never outlived kRejectAfterTimeNs, so no packet was refused.
  LONGS_EQUAL(0, a.node().counters().drop_expired + b.node().counters().drop_expired);
  LONGS_EQUAL(1, a.node().peer_count());
  LONGS_EQUAL(1, b.node().peer_count());
}

TEST(NodeMesh, AnIdlePairKeepsItsKeysAndAPairCarryingDataRenewsThem) {
  Host& a = net->add();
  Host& b = net->add();
  a.target(b);
  net->tick();
  auto handshakes = [&] {
    size_t n = 0;
    for (const Datagram& d : net->sent) n += d.is(PacketType::kHandshakeInit);
    return n;
  };
  size_t formed = handshakes();
  // Fifteen idle minutes: no renewal, the session stands.
  for (int m = 0; m < 15; ++m) {
    net->run_ms(60 * 1000);
    CHECK(connected(a, b));
  }
  LONGS_EQUAL(formed, handshakes());
  // Data: the first packet waits for new keys, then keys stay young.
  a.device_packet(make_packet(1));
  net->run_ms(1000);
  LONGS_EQUAL(1, b.written.size());
  uint64_t oldest = 0;
  for (int s = 0; s < 6 * 60; ++s) {
    a.device_packet(make_packet(2 + s));
    net->run_ms(1000);
    for (const Keypair* kp : {a.keypair_to(b), b.keypair_to(a)}) {
      CHECK(kp != nullptr);
      if (kp) oldest = std::max(oldest, net->clock.now_ns() - kp->created_ns);
    }
  }
  CHECK(oldest < kRekeyByOtherNs + 5 * kNsPerSec);
  LONGS_EQUAL(1 + 6 * 60, b.written.size());
  LONGS_EQUAL(0, a.node().counters().drop_stash);
  CHECK(connected(a, b));
}

TEST(NodeMesh, AFullMeshOfFourWhereEveryNodeTargetsEveryOtherCarriesAllTraffic) {
  std::vector<Host*> hosts;
  for (int i = 0; i < 4; ++i) hosts.push_back(&net->add());
  for (Host* h : hosts)
    for (Host* o : hosts)
      if (h != o) h->target(*o);
  net->tick();
  for (Host* h : hosts) LONGS_EQUAL(3, h->node().peers().size());
  run_with_traffic(hosts, 4 * 60 * 1000, 500);
  for (Host* h : hosts) LONGS_EQUAL(3, h->node().peers().size());
}

TEST(NodeMesh, LostRenewalMessagesAreRetriedUntilOneGetsThrough) {
  Host& a = net->add();
  Host& b = net->add();
  a.target(b);
  net->tick();
  uint32_t index = a.keypair_to(b)->local_index;
  // Half of all handshake messages are lost, at random (a fixed seed).
  uint32_t rng = 6;
  int lost = 0;
  // (The draw is made for handshake messages only, so that other
  // traffic does not change which are lost.)
  net->filter = [&](Datagram& d, std::vector<Datagram>& out) {
    bool handshake = d.is(PacketType::kHandshakeInit) || d.is(PacketType::kHandshakeResp) ||
                     d.is(PacketType::kHandshakeFinal);
    if (handshake) {
      rng = rng * 1103515245 + 12345;
      if ((rng >> 16) % 2 == 0) {
        ++lost;
        return;
      }
    }
    out.push_back(d);
  };
  run_with_traffic({&a, &b}, 170 * 1000, 200);
  CHECK(lost > 2);
  CHECK(connected(a, b));
  CHECK(a.keypair_to(b)->local_index != index);
}

// A stranger's address: each index its own IPv4 source.
static Endpoint stranger(uint32_t i) {
  const uint8_t addr[4] = {10, 200, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};
  return Endpoint::from_bytes(4, addr, 4000);
}

// An initiation of noise_len bytes of Noise message, with a valid mac1
// under key.
static std::vector<uint8_t> initiation(const Magic& magic, const MacKey& key, size_t noise_len) {
  std::vector<uint8_t> g(kInitHeaderLen + noise_len + kInitMacsLen, 9);
  memcpy(g.data(), magic.data(), kMagicLen);
  g[kMagicLen] = static_cast<uint8_t>(PacketType::kHandshakeInit);
  put_be32(g.data() + kPrefixLen, 1);
  memset(g.data() + g.size() - kInitMacsLen, 0, kInitMacsLen);
  write_mac1(g, key);
  return g;
}

TEST(NodeMesh, InitiationsBeyondTheRateLimitAreDroppedAndCounted) {
  NodeConfig cfg = FakeNet::config(1);
  cfg.psk.reset();
  // The limit alone, without the cookies that would answer first.
  cfg.under_load_inits_per_sec = UINT64_MAX;
  Host& b = net->add(cfg);
  // Valid initiations (no shared key: any 32 bytes are an ephemeral key)
  // from as many strangers, all at one instant: the global limit.
  const size_t n = kInitRatePerSec + 500;
  for (size_t i = 0; i < n; ++i) {
    auto g = plain_initiation(cfg.magic, static_cast<uint32_t>(i + 1), static_cast<uint8_t>(i));
    net->inject(Datagram{stranger(static_cast<uint32_t>(i)), b.addr(), g});
  }
  net->pump();
  LONGS_EQUAL(n, b.node().counters().handshake_init_rx);
  LONGS_EQUAL(500, b.node().counters().drop_rate_limited);
  // The bucket refills with time.
  net->clock.advance_ms(100);
  net->inject(Datagram{stranger(60000), b.addr(), plain_initiation(cfg.magic, 7, 7)});
  net->pump();
  LONGS_EQUAL(500, b.node().counters().drop_rate_limited);
}

TEST(NodeMesh, OneSourceCannotUseUpTheInitiationBudget) {
  NodeConfig ca = FakeNet::config(1), cb = FakeNet::config(2);
  ca.psk.reset();
  cb.psk.reset();
  cb.under_load_inits_per_sec = UINT64_MAX;
  Host& a = net->add(ca);
  Host& b = net->add(cb);
  for (uint32_t i = 0; i < 5000; ++i) {
    net->inject(Datagram{stranger(1), b.addr(), plain_initiation(cb.magic, i + 1, static_cast<uint8_t>(i))});
  }
  net->pump();
  LONGS_EQUAL(5000 - InitiationLimiter::kPerSourceBurst, b.node().counters().drop_rate_limited);
  // Another source is not affected.
  a.target(b);
  net->tick();
  CHECK(connected(a, b));
}

TEST(NodeMesh, AFloodOfHalfDoneHandshakesIsBoundedAndTheRealPeerStillConnects) {
  NodeConfig ca = FakeNet::config(1), cb = FakeNet::config(2);
  ca.psk.reset();
  cb.psk.reset();
  // Strangers with their own addresses: cookies would not stop them.
  cb.under_load_inits_per_sec = UINT64_MAX;
  Host& a = net->add(ca);
  Host& b = net->add(cb);
  uint32_t i = 0;
  // More initiations than kMaxHandshakes, at the rate limit, never finished.
  for (int ms = 0; ms < 2200; ++ms) {
    for (int k = 0; k < 2; ++k, ++i) {
      auto g = plain_initiation(cb.magic, i + 1, static_cast<uint8_t>(i | 1));
      net->inject(Datagram{stranger(i % 60000), b.addr(), g});
    }
    net->pump();
    net->clock.advance_ms(1);
  }
  // Each got a response, so each held a slot of the handshake table.
  CHECK(b.datagrams_sent > kMaxHandshakes);
  LONGS_EQUAL(i, b.datagrams_sent);
  LONGS_EQUAL(0, b.node().counters().drop_rate_limited);
  // The table evicted the oldest; a real initiation still completes.
  a.target(b);
  net->tick();
  CHECK(connected(a, b));
}

TEST(NodeMesh, UnderLoadStrangersGetCookiesAndAMemberStillConnects) {
  NodeConfig ca = FakeNet::config(1), cb = FakeNet::config(2);
  ca.psk.reset();
  cb.psk.reset();
  cb.under_load_inits_per_sec = 10;
  Host& a = net->add(ca);
  Host& b = net->add(cb);
  // 200 valid-looking initiations from spoofed sources in one instant: the
  // first 10 are processed, the rest get a cookie reply and no
  // Diffie-Hellman.
  for (uint32_t i = 0; i < 200; ++i)
    net->inject(Datagram{stranger(i), b.addr(), plain_initiation(cb.magic, i + 1, 1)});
  net->pump();
  LONGS_EQUAL(190, b.node().counters().cookie_sent);
  size_t responses = 0;
  for (const Datagram& d : net->sent) {
    if (d.from != b.addr()) continue;
    if (d.is(PacketType::kHandshakeResp)) ++responses;
    if (d.is(PacketType::kCookieReply)) LONGS_EQUAL(kCookieReplyLen, d.bytes.size());
  }
  LONGS_EQUAL(10, responses);
  // A member's first initiation gets a cookie too; its next attempt, at
  // the next tick, carries mac2 and is processed although b is still
  // under load.
  a.target(b);
  net->tick();
  LONGS_EQUAL(1, a.node().counters().cookie_received);
  CHECK_FALSE(connected(a, b));
  net->tick();
  CHECK(connected(a, b));
}

TEST(NodeMesh, InitiationsWithABadMac1GetNoAnswerAtAll) {
  Host& b = net->add();
  for (uint32_t i = 0; i < 100; ++i) {
    // b has a PSK: the length of its initiations, but mac1 under no key.
    const Magic magic = FakeNet::config(2).magic;
    auto g = initiation(magic, derive_mac_key(magic, {}), 48);
    net->inject(Datagram{stranger(i), b.addr(), g});
  }
  net->pump();
  LONGS_EQUAL(100, b.node().counters().drop_mac);
  LONGS_EQUAL(0, b.datagrams_sent);
  LONGS_EQUAL(0, b.node().counters().drop_auth);
}

TEST(NodeMesh, AnInitiationOfAnotherLengthThanItsNetworksIsMalformed) {
  NodeConfig plain = FakeNet::config(1);
  plain.psk.reset();
  plain.under_load_inits_per_sec = UINT64_MAX;
  Host& b = net->add(plain);
  MacKey key = derive_mac_key(plain.magic, {});
  // Without a shared key message 1 is e alone: a payload behind it (here
  // 1 and 16 bytes) is refused before any Diffie-Hellman.
  for (size_t n : {33u, 48u})
    net->inject(Datagram{stranger(n), b.addr(), initiation(plain.magic, key, n)});
  net->pump();
  LONGS_EQUAL(2, b.node().counters().drop_malformed);
  LONGS_EQUAL(0, b.datagrams_sent);
  net->inject(Datagram{stranger(32), b.addr(), initiation(plain.magic, key, 32)});
  net->pump();
  LONGS_EQUAL(1, b.datagrams_sent);

  // With a shared key message 1 always carries the payload's tag.
  NodeConfig shared = FakeNet::config(2);
  shared.under_load_inits_per_sec = UINT64_MAX;
  Host& c = net->add(shared);
  MacKey psk_key = derive_mac_key(shared.magic, *shared.psk);
  net->inject(Datagram{stranger(1), c.addr(), initiation(shared.magic, psk_key, 32)});
  net->pump();
  LONGS_EQUAL(1, c.node().counters().drop_malformed);
  LONGS_EQUAL(0, c.node().counters().drop_auth);
}

TEST(NodeMesh, AForgedCookieReplyIsDropped) {
  Host& a = net->add();
  Host& b = net->add();
  // b swallows a's initiation; a stranger answers with a cookie reply for
  // a's index that is not sealed with the right key.
  net->filter = [&](Datagram& d, std::vector<Datagram>& out) {
    if (d.is(PacketType::kHandshakeInit) && d.from == a.addr()) {
      std::vector<uint8_t> r(kCookieReplyLen, 0x55);
      memcpy(r.data(), d.bytes.data(), kPrefixLen);
      r[kMagicLen] = static_cast<uint8_t>(PacketType::kCookieReply);
      memcpy(r.data() + kPrefixLen, d.bytes.data() + kPrefixLen, kIndexLen);
      out.push_back(Datagram{b.addr(), a.addr(), r});
      return;
    }
    out.push_back(d);
  };
  a.target(b);
  net->tick();
  LONGS_EQUAL(1, a.node().counters().drop_auth);
  LONGS_EQUAL(0, a.node().counters().cookie_received);
}

TEST(NodeMesh, AFullHandshakeTableEvictsStrangersBeforeTheNodesOwnInitiations) {
  NodeConfig cb = FakeNet::config(2);
  cb.psk.reset();
  cb.under_load_inits_per_sec = UINT64_MAX;
  Host& b = net->add(cb);
  b.node().add_target("nowhere");
  b.node().set_target_addresses(0, {FakeNet::address(77)});
  net->tick();
  uint32_t ours = b.node().targets()[0].pending_index;
  CHECK(ours != 0);
  // Strangers fill the table past its size while b's initiation, the
  // oldest entry, is still pending (no tick runs, so nothing times out).
  for (uint32_t i = 0; i < kMaxHandshakes + 200; ++i) {
    auto g = plain_initiation(cb.magic, i + 1, static_cast<uint8_t>(i | 1));
    net->inject(Datagram{stranger(i), b.addr(), g});
    if (i % 2) {
      net->pump();
      net->clock.advance_ms(1);
    }
  }
  net->pump();
  LONGS_EQUAL(0, b.node().counters().drop_rate_limited);
  LONGS_EQUAL(ours, b.node().targets()[0].pending_index);
}

namespace {

std::vector<uint8_t> frame(uint8_t dst_last, uint8_t src_last, uint32_t seq) {
  std::vector<uint8_t> f(64, 0);
  const uint8_t dst[6] = {0x02, 0, 0, 0, 0, dst_last};
  const uint8_t src[6] = {0x02, 0, 0, 0, 0, src_last};
  memcpy(f.data(), dst, 6);
  memcpy(f.data() + 6, src, 6);
  f[12] = 0x08;
  put_be32(f.data() + 60, seq);
  if (dst_last == 0xff) memset(f.data(), 0xff, 6);
  return f;
}

}  // namespace

TEST(NodeMesh, InSwitchModeAFrameGoesOnlyToThePeerThatSentFromItsDestination) {
  std::vector<Host*> h;
  for (int i = 1; i <= 3; ++i) {
    NodeConfig c = FakeNet::config(i);
    c.tap = true;
    c.forward = ForwardMode::kSwitch;
    c.dst_timeout_s = 60;
    h.push_back(&net->add(c));
  }
  h[0]->target(*h[1]);
  h[0]->target(*h[2]);
  h[1]->target(*h[2]);
  net->tick();
  // Unknown destination: flooded to b and c.
  h[0]->device_packet(frame(0xcc, 0xaa, 1));
  net->pump();
  LONGS_EQUAL(1, h[1]->written.size());
  LONGS_EQUAL(1, h[2]->written.size());
  // c answers from its MAC: a learns where 02:..:cc lives.
  h[2]->device_packet(frame(0xaa, 0xcc, 2));
  net->pump();
  LONGS_EQUAL(1, h[0]->written.size());
  h[0]->device_packet(frame(0xcc, 0xaa, 3));
  net->pump();
  LONGS_EQUAL(1, h[1]->written.size());
  LONGS_EQUAL(2, h[2]->written.size());
  // Broadcast still floods.
  h[0]->device_packet(frame(0xff, 0xaa, 4));
  net->pump();
  LONGS_EQUAL(2, h[1]->written.size());
  LONGS_EQUAL(3, h[2]->written.size());
  // After dst_timeout (keepalives flow, c sends nothing from 02:..:cc),
  // the entry is forgotten and frames flood again.
  net->run_ms(62 * 1000);
  size_t b_before = h[1]->written.size();
  h[0]->device_packet(frame(0xcc, 0xaa, 5));
  net->pump();
  LONGS_EQUAL(b_before + 1, h[1]->written.size());
}
