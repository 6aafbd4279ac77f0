// Segmentation of vnet-header super-packets and coalescing of received TCP
// segments, checked byte for byte against packets built by a slow reference
// in this file.
#include "engine/offload.h"

#include <cstdint>
#include <cstring>
#include <vector>

#include <CppUTest/TestHarness.h>

using namespace braid::engine;

namespace {

using Bytes = std::vector<uint8_t>;

constexpr uint8_t kFin = 0x01, kSyn = 0x02, kPsh = 0x08, kAck = 0x10, kUrg = 0x20,
                  kCwr = 0x80;

// RFC 1071 word by word.
uint32_t ref_sum(const uint8_t* p, size_t len, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < len; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (len % 2) sum += static_cast<uint32_t>(p[len - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return sum;
}

void put16(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void put32(uint8_t* p, uint32_t v) {
  put16(p, v >> 16);
  put16(p + 2, v);
}
uint16_t get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t get32(const uint8_t* p) { return static_cast<uint32_t>(get16(p)) << 16 | get16(p + 2); }

Bytes payload_bytes(size_t n, uint8_t seed) {
  Bytes v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + i * 7 + (i >> 8));
  return v;
}

// A timestamp option padded to 12 bytes, as Linux sends on every segment.
Bytes ts_option(uint32_t tsval = 0x01020304) {
  Bytes o = {1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0};
  put32(o.data() + 4, tsval);
  put32(o.data() + 8, 0x0a0b0c0d);
  return o;
}

struct Spec {
  bool v6 = false;
  uint8_t proto = 6;
  uint8_t src[16] = {10, 0, 0, 1};
  uint8_t dst[16] = {10, 0, 0, 2};
  uint16_t sport = 40000, dport = 5201;
  uint32_t seq = 1000000, ack = 77;
  uint8_t flags = kAck;
  uint16_t window = 502;
  uint16_t id = 0x1234;
  bool df = true;
  uint8_t ttl = 64, tos = 0;
  Bytes options = ts_option();
  Bytes payload;
};

Spec v6_spec() {
  Spec s;
  s.v6 = true;
  const uint8_t a[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  const uint8_t b[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  memcpy(s.src, a, 16);
  memcpy(s.dst, b, 16);
  return s;
}

// The transport sum a receiver checks: pseudo-header plus segment.
uint32_t ref_transport_sum(const Bytes& p, size_t ihl, bool v6, uint8_t proto) {
  size_t alen = v6 ? 16 : 4, ao = v6 ? 8 : 12;
  uint32_t sum = ref_sum(p.data() + ao, 2 * alen);
  uint32_t tlen = static_cast<uint32_t>(p.size() - ihl);
  sum = ref_sum(nullptr, 0, sum + proto + (tlen >> 16) + (tlen & 0xffff));
  return ref_sum(p.data() + ihl, p.size() - ihl, sum);
}

// An IP packet carrying TCP (or UDP when proto is 17) with every checksum
// computed by the reference.
Bytes build(const Spec& s) {
  size_t ihl = s.v6 ? 40 : 20;
  size_t thl = s.proto == 6 ? 20 + s.options.size() : 8;
  Bytes p(ihl + thl + s.payload.size());
  if (!s.v6) {
    p[0] = 0x45;
    p[1] = s.tos;
    put16(&p[2], static_cast<uint32_t>(p.size()));
    put16(&p[4], s.id);
    p[6] = s.df ? 0x40 : 0;
    p[8] = s.ttl;
    p[9] = s.proto;
    memcpy(&p[12], s.src, 4);
    memcpy(&p[16], s.dst, 4);
    put16(&p[10], static_cast<uint16_t>(~ref_sum(p.data(), 20)));
  } else {
    p[0] = 0x60 | s.tos >> 4;
    p[1] = static_cast<uint8_t>(s.tos << 4);
    put16(&p[4], static_cast<uint32_t>(p.size() - 40));
    p[6] = s.proto;
    p[7] = s.ttl;
    memcpy(&p[8], s.src, 16);
    memcpy(&p[24], s.dst, 16);
  }
  uint8_t* t = &p[ihl];
  put16(t, s.sport);
  put16(t + 2, s.dport);
  size_t csum_at;
  if (s.proto == 6) {
    put32(t + 4, s.seq);
    put32(t + 8, s.ack);
    t[12] = static_cast<uint8_t>(thl / 4 << 4);
    t[13] = s.flags;
    put16(t + 14, s.window);
    if (!s.options.empty()) memcpy(t + 20, s.options.data(), s.options.size());
    csum_at = 16;
  } else {
    put16(t + 4, static_cast<uint32_t>(thl + s.payload.size()));
    csum_at = 6;
  }
  if (!s.payload.empty()) memcpy(t + thl, s.payload.data(), s.payload.size());
  uint16_t c = static_cast<uint16_t>(~ref_transport_sum(p, ihl, s.v6, s.proto));
  if (s.proto == 17 && c == 0) c = 0xffff;
  put16(t + csum_at, c);
  return p;
}

bool ip_and_transport_checksums_valid(const Bytes& p) {
  bool v6 = p[0] >> 4 == 6;
  size_t ihl = v6 ? 40 : 20;
  if (!v6 && ref_sum(p.data(), 20) != 0xffff) return false;
  return ref_transport_sum(p, ihl, v6, v6 ? p[6] : p[9]) == 0xffff;
}

// The vnet header + packet a tun device returns for a TSO super-packet: the
// transport checksum field holds the pseudo-header sum, as the kernel's
// CHECKSUM_PARTIAL leaves it.
Bytes vnet_read(const VnetHdr& h, Bytes pkt) {
  bool v6 = pkt[0] >> 4 == 6;
  size_t ihl = v6 ? 40 : 20, ao = v6 ? 8 : 12, alen = v6 ? 16 : 4;
  if (h.flags & kVnetFlagNeedsCsum) {
    uint8_t proto = v6 ? pkt[6] : pkt[9];
    uint32_t tlen = static_cast<uint32_t>(pkt.size() - ihl);
    uint32_t sum = ref_sum(pkt.data() + ao, 2 * alen);
    sum = ref_sum(nullptr, 0, sum + proto + (tlen >> 16) + (tlen & 0xffff));
    put16(&pkt[h.csum_start + h.csum_offset], sum);
  }
  Bytes out(kVnetHdrLen);
  write_vnet_hdr(out.data(), h);
  out.insert(out.end(), pkt.begin(), pkt.end());
  return out;
}

VnetHdr tso_hdr(bool v6, size_t hdr_len, uint16_t mss) {
  VnetHdr h;
  h.flags = kVnetFlagNeedsCsum;
  h.gso_type = v6 ? kVnetGsoTcpV6 : kVnetGsoTcpV4;
  h.hdr_len = static_cast<uint16_t>(hdr_len);
  h.gso_size = mss;
  h.csum_start = v6 ? 40 : 20;
  h.csum_offset = 16;
  return h;
}

struct Splitter {
  BufferPool pool{16, 2048};
  std::vector<Bytes> out;
  SplitResult run(const Bytes& in, size_t headroom = 17, size_t tailroom = 16) {
    return split_gso(in, headroom, tailroom, pool, [&](PacketBuf* b) {
      CHECK(b->head == headroom);
      CHECK(b->tailroom() >= tailroom);
      out.emplace_back(b->data(), b->data() + b->len);
      pool.put(b);
    });
  }
};

void bytes_equal(const Bytes& want, const Bytes& got) {
  LONGS_EQUAL(want.size(), got.size());
  MEMCMP_EQUAL(want.data(), got.data(), want.size());
}

}  // namespace

TEST_GROUP(SplitGso) {};

TEST(SplitGso, CutsAnIpv4SuperPacketIntoSegmentsWithFixedHeaders) {
  Spec s;
  s.flags = kAck | kPsh | kFin | kCwr;
  s.payload = payload_bytes(2500, 1);
  Bytes super = build(s);
  VnetHdr h = tso_hdr(false, 20 + 32, 1000);
  h.gso_type |= kVnetGsoEcn;
  Splitter sp;
  SplitResult r = sp.run(vnet_read(h, super));
  CHECK(r.status == SplitStatus::kOk);
  LONGS_EQUAL(3, r.segments);
  LONGS_EQUAL(3, sp.out.size());
  const uint8_t want_flags[3] = {kAck | kCwr, kAck, kAck | kPsh | kFin};
  for (size_t i = 0; i < 3; ++i) {
    Spec seg = s;
    seg.seq = s.seq + static_cast<uint32_t>(i * 1000);
    seg.id = static_cast<uint16_t>(s.id + i);
    seg.flags = want_flags[i];
    seg.payload.assign(s.payload.begin() + static_cast<long>(i * 1000),
                       s.payload.begin() + static_cast<long>(std::min<size_t>(2500, i * 1000 + 1000)));
    bytes_equal(build(seg), sp.out[i]);
    CHECK(ip_and_transport_checksums_valid(sp.out[i]));
  }
  LONGS_EQUAL(20 + 32 + 500, sp.out[2].size());
  LONGS_EQUAL(16, sp.pool.available());
}

TEST(SplitGso, CutsAnIpv6SuperPacket) {
  Spec s = v6_spec();
  s.options.clear();
  s.flags = kAck | kPsh;
  s.seq = 0xfffffc00;   // the sequence number wraps inside the run
  s.payload = payload_bytes(3000, 9);
  Splitter sp;
  SplitResult r = sp.run(vnet_read(tso_hdr(true, 60, 1200), build(s)));
  CHECK(r.status == SplitStatus::kOk);
  LONGS_EQUAL(3, sp.out.size());
  for (size_t i = 0; i < 3; ++i) {
    Spec seg = s;
    seg.seq = s.seq + static_cast<uint32_t>(i * 1200);
    seg.flags = i == 2 ? kAck | kPsh : kAck;
    size_t end = std::min<size_t>(3000, i * 1200 + 1200);
    seg.payload.assign(s.payload.begin() + static_cast<long>(i * 1200),
                       s.payload.begin() + static_cast<long>(end));
    bytes_equal(build(seg), sp.out[i]);
    CHECK(ip_and_transport_checksums_valid(sp.out[i]));
    LONGS_EQUAL(end - i * 1200, get16(&sp.out[i][4]) - 20);
  }
  LONGS_EQUAL(60 + 600, sp.out[2].size());
}

TEST(SplitGso, IgnoresAHeaderLengthCoveringAWholeFirstPacket) {
  // Forwarded GRO traffic may come with hdr_len = a whole first segment.
  Spec s;
  s.payload = payload_bytes(1800, 4);
  VnetHdr h = tso_hdr(false, 20 + 32 + 900, 900);
  Splitter sp;
  CHECK(sp.run(vnet_read(h, build(s))).status == SplitStatus::kOk);
  LONGS_EQUAL(2, sp.out.size());
  for (const Bytes& p : sp.out) LONGS_EQUAL(20 + 32 + 900, p.size());
}

TEST(SplitGso, CompletesThePartialChecksumOfAPlainTcpPacket) {
  Spec s;
  s.payload = payload_bytes(333, 5);   // odd length
  Bytes want = build(s);
  VnetHdr h;
  h.flags = kVnetFlagNeedsCsum;
  h.csum_start = 20;
  h.csum_offset = 16;
  Splitter sp;
  SplitResult r = sp.run(vnet_read(h, want));
  CHECK(r.status == SplitStatus::kOk);
  LONGS_EQUAL(1, sp.out.size());
  bytes_equal(want, sp.out[0]);
}

TEST(SplitGso, CompletesThePartialChecksumOfUdpOverIpv4AndIpv6) {
  for (bool v6 : {false, true}) {
    Spec s = v6 ? v6_spec() : Spec{};
    s.proto = 17;
    s.payload = payload_bytes(100, 6);
    Bytes want = build(s);
    VnetHdr h;
    h.flags = kVnetFlagNeedsCsum;
    h.csum_start = v6 ? 40 : 20;
    h.csum_offset = 6;
    Splitter sp;
    CHECK(sp.run(vnet_read(h, want)).status == SplitStatus::kOk);
    LONGS_EQUAL(1, sp.out.size());
    bytes_equal(want, sp.out[0]);
    CHECK(ip_and_transport_checksums_valid(sp.out[0]));
  }
}

TEST(SplitGso, PassesAPacketWithoutOffloadUnchanged) {
  Spec s;
  s.proto = 17;
  s.payload = payload_bytes(50, 2);
  Bytes want = build(s);
  Splitter sp;
  CHECK(sp.run(vnet_read(VnetHdr{}, want)).status == SplitStatus::kOk);
  bytes_equal(want, sp.out[0]);
}

TEST(SplitGso, RefusesMalformedInput) {
  Spec s;
  s.payload = payload_bytes(2500, 1);
  const Bytes good = vnet_read(tso_hdr(false, 52, 1000), build(s));
  auto refused = [](const Bytes& in) {
    Splitter sp;
    SplitResult r = sp.run(in);
    CHECK(r.status == SplitStatus::kMalformed);
    LONGS_EQUAL(0, sp.out.size());
    LONGS_EQUAL(16, sp.pool.available());
  };
  refused(Bytes{});
  refused(Bytes(5, 0));
  refused(Bytes(good.begin(), good.begin() + kVnetHdrLen));          // header only
  refused(Bytes(good.begin(), good.begin() + kVnetHdrLen + 30));     // TCP header cut
  refused(Bytes(good.begin(), good.begin() + kVnetHdrLen + 52));     // no payload
  auto with = [&](auto change) {
    Bytes b = good;
    VnetHdr h = read_vnet_hdr(b.data());
    change(h, b);
    write_vnet_hdr(b.data(), h);
    return b;
  };
  refused(with([](VnetHdr& h, Bytes& b) { h.hdr_len = static_cast<uint16_t>(b.size()); }));
  refused(with([](VnetHdr& h, Bytes&) { h.gso_size = 0; }));
  refused(with([](VnetHdr& h, Bytes&) { h.gso_type = kVnetGsoUdp; }));
  refused(with([](VnetHdr& h, Bytes&) { h.gso_type = kVnetGsoUdpL4; }));
  refused(with([](VnetHdr& h, Bytes&) { h.gso_type = 2; }));
  refused(with([](VnetHdr& h, Bytes&) { h.gso_type = kVnetGsoTcpV6; }));   // IPv4 inside
  refused(with([](VnetHdr& h, Bytes&) { h.gso_type = kVnetGsoNone | kVnetGsoEcn; }));
  refused(with([](VnetHdr& h, Bytes&) { h.csum_start = 24; }));
  refused(with([](VnetHdr& h, Bytes&) { h.csum_offset = 6; }));
  refused(with([](VnetHdr&, Bytes& b) { b[kVnetHdrLen + 20 + 12] = 0x40; }));   // TCP doff 4
  refused(with([](VnetHdr&, Bytes& b) { b[kVnetHdrLen + 6] |= 0x20; }));        // IPv4 MF
  refused(with([](VnetHdr&, Bytes& b) { b[kVnetHdrLen + 9] = 17; }));           // not TCP
  refused(with([](VnetHdr&, Bytes& b) { b[kVnetHdrLen] = 0x65; }));             // version 6
  // A plain packet whose checksum field lies beyond its end.
  Bytes plain = vnet_read(VnetHdr{}, build(Spec{}));
  VnetHdr h;
  h.flags = kVnetFlagNeedsCsum;
  h.csum_start = static_cast<uint16_t>(plain.size() - kVnetHdrLen - 1);
  h.csum_offset = 0;
  write_vnet_hdr(plain.data(), h);
  refused(plain);
  h.csum_start = 0xffff;
  h.csum_offset = 0xffff;
  write_vnet_hdr(plain.data(), h);
  refused(plain);
}

TEST(SplitGso, EveryTruncationIsHandledWithoutReadingPastTheEnd) {
  Spec s;
  s.payload = payload_bytes(2500, 1);
  const Bytes good = vnet_read(tso_hdr(false, 52, 1000), build(s));
  for (size_t n = 0; n <= good.size(); ++n) {
    // A copy of exactly n bytes, so a sanitizer build sees any overread.
    Bytes cut(good.begin(), good.begin() + static_cast<long>(n));
    Splitter sp;
    SplitResult r = sp.run(cut);
    CHECK(r.status == SplitStatus::kOk || r.status == SplitStatus::kMalformed);
    for (const Bytes& p : sp.out) CHECK(ip_and_transport_checksums_valid(p));
    LONGS_EQUAL(16, sp.pool.available());
  }
}

TEST(SplitGso, ReportsSegmentsTooLargeForTheBuffers) {
  Spec s;
  s.payload = payload_bytes(5000, 1);
  Splitter sp;
  SplitResult r = sp.run(vnet_read(tso_hdr(false, 52, 2000), build(s)));
  CHECK(r.status == SplitStatus::kTooLarge);
  LONGS_EQUAL(0, sp.out.size());
  Bytes big = vnet_read(VnetHdr{}, build(s));
  CHECK(sp.run(big).status == SplitStatus::kTooLarge);
}

TEST(SplitGso, StopsWhenThePoolRunsDry) {
  Spec s;
  s.payload = payload_bytes(2500, 1);
  BufferPool pool(2, 2048);
  std::vector<PacketBuf*> got;
  SplitResult r = split_gso(vnet_read(tso_hdr(false, 52, 1000), build(s)), 17, 16, pool,
                            [&](PacketBuf* b) { got.push_back(b); });
  CHECK(r.status == SplitStatus::kNoBuffer);
  LONGS_EQUAL(2, r.segments);
  LONGS_EQUAL(2, got.size());
  for (PacketBuf* b : got) pool.put(b);
}

namespace {

// A GroBatch over a pool, recording what it writes: each write's bytes
// joined, and how many iovecs it took.
struct Gro {
  BufferPool pool{96, 2048};
  std::vector<Bytes> writes;
  std::vector<int> iovcnts;
  GroBatch batch{pool, [this](const iovec* iov, int n) {
                   Bytes w;
                   for (int i = 0; i < n; ++i) {
                     auto* p = static_cast<const uint8_t*>(iov[i].iov_base);
                     w.insert(w.end(), p, p + iov[i].iov_len);
                   }
                   writes.push_back(std::move(w));
                   iovcnts.push_back(n);
                 }};

  void add(const Bytes& pkt, size_t headroom = 32) {
    PacketBuf* b = pool.get(headroom);
    CHECK(b != nullptr);
    memcpy(b->data(), pkt.data(), pkt.size());
    b->len = pkt.size();
    // Garbage where the vnet header goes: the batch must overwrite it.
    memset(b->data() - kVnetHdrLen, 0xee, kVnetHdrLen);
    batch.add(b);
  }
  void flush() {
    batch.flush();
    LONGS_EQUAL(96, pool.available());
  }
  VnetHdr hdr(size_t i) const { return read_vnet_hdr(writes.at(i).data()); }
  Bytes packet(size_t i) const { return Bytes(writes.at(i).begin() + kVnetHdrLen, writes.at(i).end()); }
};

// Consecutive segments of one flow, the way a sender's TSO cut them.
std::vector<Bytes> segments(Spec s, size_t n, size_t mss, size_t last = 0, uint8_t last_flags = kAck) {
  std::vector<Bytes> out;
  for (size_t i = 0; i < n; ++i) {
    Spec seg = s;
    size_t len = i + 1 == n && last ? last : mss;
    seg.payload = payload_bytes(len, static_cast<uint8_t>(i * 31));
    seg.flags = i + 1 == n ? last_flags : kAck;
    seg.id = static_cast<uint16_t>(s.id + i);
    out.push_back(build(seg));
    s.seq += static_cast<uint32_t>(len);
  }
  return out;
}

bool is_zero_hdr(const VnetHdr& h) {
  return h.flags == 0 && h.gso_type == 0 && h.hdr_len == 0 && h.gso_size == 0 &&
         h.csum_start == 0 && h.csum_offset == 0;
}

// The merged packet, read back as the kernel would hand it out again, must
// split into exactly the original segments.
void round_trips(const Bytes& written, const std::vector<Bytes>& originals) {
  Splitter sp;
  SplitResult r = sp.run(written);
  CHECK(r.status == SplitStatus::kOk);
  LONGS_EQUAL(originals.size(), sp.out.size());
  for (size_t i = 0; i < originals.size(); ++i) bytes_equal(originals[i], sp.out[i]);
}

}  // namespace

TEST_GROUP(GroBatch) {};

TEST(GroBatch, JoinsThreeIpv4SegmentsIntoOneWrite) {
  Spec s;
  auto segs = segments(s, 3, 1000, 700, kAck | kPsh);
  Gro g;
  for (const auto& p : segs) g.add(p);
  LONGS_EQUAL(3, g.batch.held());
  g.flush();
  LONGS_EQUAL(1, g.writes.size());
  LONGS_EQUAL(3, g.iovcnts[0]);
  VnetHdr h = g.hdr(0);
  LONGS_EQUAL(kVnetFlagNeedsCsum, h.flags);
  LONGS_EQUAL(kVnetGsoTcpV4, h.gso_type);
  LONGS_EQUAL(52, h.hdr_len);
  LONGS_EQUAL(1000, h.gso_size);
  LONGS_EQUAL(20, h.csum_start);
  LONGS_EQUAL(16, h.csum_offset);
  Bytes m = g.packet(0);
  LONGS_EQUAL(52 + 2700, m.size());
  LONGS_EQUAL(m.size(), get16(&m[2]));
  LONGS_EQUAL(0xffff, ref_sum(m.data(), 20));                   // IPv4 header checksum
  LONGS_EQUAL(s.seq, get32(&m[24]));
  LONGS_EQUAL(kAck | kPsh, m[33]);
  // The TCP checksum field holds the pseudo-header sum for the whole length.
  uint32_t pseudo = ref_sum(m.data() + 12, 8);
  pseudo = ref_sum(nullptr, 0, pseudo + 6 + static_cast<uint32_t>(m.size() - 20));
  LONGS_EQUAL(pseudo, get16(&m[36]));
  for (size_t i = 0; i < 3; ++i)
    MEMCMP_EQUAL(segs[i].data() + 52, m.data() + 52 + i * 1000, segs[i].size() - 52);
  round_trips(g.writes[0], segs);
  LONGS_EQUAL(3, g.batch.stats().packets);
  LONGS_EQUAL(2, g.batch.stats().merged);
  LONGS_EQUAL(1, g.batch.stats().writes);
}

TEST(GroBatch, JoinsIpv6SegmentsAndTheyRoundTrip) {
  Spec s = v6_spec();
  s.options.clear();
  auto segs = segments(s, 4, 1200);
  Gro g;
  for (const auto& p : segs) g.add(p);
  g.flush();
  LONGS_EQUAL(1, g.writes.size());
  VnetHdr h = g.hdr(0);
  LONGS_EQUAL(kVnetGsoTcpV6, h.gso_type);
  LONGS_EQUAL(60, h.hdr_len);
  LONGS_EQUAL(40, h.csum_start);
  LONGS_EQUAL(1200, h.gso_size);
  Bytes m = g.packet(0);
  LONGS_EQUAL(20 + 4 * 1200, get16(&m[4]));
  round_trips(g.writes[0], segs);
}

TEST(GroBatch, KeepsInterleavedFlowsApartAndInOrder) {
  Spec a, b;
  b.sport = 40001;
  auto sa = segments(a, 3, 1000);
  auto sb = segments(b, 3, 800);
  Gro g;
  for (size_t i = 0; i < 3; ++i) {
    g.add(sa[i]);
    g.add(sb[i]);
  }
  g.flush();
  LONGS_EQUAL(2, g.writes.size());
  LONGS_EQUAL(1000, g.hdr(0).gso_size);
  LONGS_EQUAL(800, g.hdr(1).gso_size);
  round_trips(g.writes[0], sa);
  round_trips(g.writes[1], sb);
}

TEST(GroBatch, DoesNotJoinASegmentOutOfOrder) {
  auto segs = segments(Spec{}, 3, 1000);
  Gro g;
  g.add(segs[0]);
  g.add(segs[2]);
  g.add(segs[1]);
  g.flush();
  // Arrival order is kept: the device sees what the network delivered.
  LONGS_EQUAL(3, g.writes.size());
  for (size_t i = 0; i < 3; ++i) CHECK(is_zero_hdr(g.hdr(i)));
  bytes_equal(segs[0], g.packet(0));
  bytes_equal(segs[2], g.packet(1));
  bytes_equal(segs[1], g.packet(2));
}

TEST(GroBatch, NothingIsAppendedBehindPsh) {
  auto segs = segments(Spec{}, 3, 1000);
  Spec s;
  // Rebuild the middle segment with PSH.
  Spec mid = s;
  mid.seq += 1000;
  mid.id = static_cast<uint16_t>(s.id + 1);
  mid.flags = kAck | kPsh;
  mid.payload = payload_bytes(1000, 31);
  segs[1] = build(mid);
  Gro g;
  for (const auto& p : segs) g.add(p);
  g.flush();
  LONGS_EQUAL(2, g.writes.size());
  LONGS_EQUAL(2, g.iovcnts[0]);
  LONGS_EQUAL(kAck | kPsh, g.packet(0)[33]);
  bytes_equal(segs[2], g.packet(1));
}

TEST(GroBatch, DoesNotJoinOtherFlags) {
  for (uint8_t flags : {uint8_t(kAck | kFin), uint8_t(kAck | kUrg), uint8_t(kSyn | kAck),
                        uint8_t(kAck | kCwr), uint8_t(0)}) {
    Spec s;
    auto segs = segments(s, 2, 1000);
    Spec second = s;
    second.seq += 1000;
    second.id = static_cast<uint16_t>(s.id + 1);
    second.flags = flags;
    second.payload = payload_bytes(1000, 31);
    segs[1] = build(second);
    Gro g;
    for (const auto& p : segs) g.add(p);
    g.flush();
    LONGS_EQUAL(2, g.writes.size());
    bytes_equal(segs[1], g.packet(1));
  }
}

TEST(GroBatch, DoesNotJoinDifferentHeaders) {
  auto differing = [](auto change) {
    Spec s;
    auto segs = segments(s, 2, 1000);
    Spec second = s;
    second.seq += 1000;
    second.id = static_cast<uint16_t>(s.id + 1);
    second.payload = payload_bytes(1000, 31);
    change(second);
    segs[1] = build(second);
    Gro g;
    for (const auto& p : segs) g.add(p);
    g.flush();
    LONGS_EQUAL(2, g.writes.size());
  };
  differing([](Spec& s) { s.ack += 1; });
  differing([](Spec& s) { s.ttl = 63; });
  differing([](Spec& s) { s.tos = 1; });
  differing([](Spec& s) { s.df = false; });
  differing([](Spec& s) { s.options = ts_option(0x01020305); });
  differing([](Spec& s) { s.options.clear(); });
  differing([](Spec& s) { s.payload = payload_bytes(1001, 31); });   // longer than the first
}

TEST(GroBatch, WithoutDfOnlyIncrementingIdsJoin) {
  Spec s;
  s.df = false;
  auto segs = segments(s, 3, 1000);
  Gro g;
  for (const auto& p : segs) g.add(p);
  g.flush();
  LONGS_EQUAL(1, g.writes.size());
  round_trips(g.writes[0], segs);

  Spec t = s;
  t.payload = payload_bytes(1000, 0);
  Spec u = t;
  u.seq += 1000;
  u.id = static_cast<uint16_t>(t.id + 5);
  Gro h;
  h.add(build(t));
  h.add(build(u));
  h.flush();
  LONGS_EQUAL(2, h.writes.size());
}

TEST(GroBatch, AShorterSegmentEndsTheRun) {
  Spec s;
  auto first = segments(s, 2, 1000, 400);
  Spec third = s;
  third.seq += 1400;
  third.id = static_cast<uint16_t>(s.id + 2);
  third.payload = payload_bytes(1000, 1);
  Gro g;
  g.add(first[0]);
  g.add(first[1]);
  g.add(build(third));
  g.flush();
  LONGS_EQUAL(2, g.writes.size());
  round_trips(g.writes[0], first);
}

TEST(GroBatch, DoesNotLaunderABadChecksum) {
  auto segs = segments(Spec{}, 3, 1000);
  segs[1][60] ^= 0x01;   // payload byte: the TCP checksum no longer matches
  Gro g;
  for (const auto& p : segs) g.add(p);
  g.flush();
  LONGS_EQUAL(3, g.writes.size());
  LONGS_EQUAL(1, g.batch.stats().bad_checksum);
  bytes_equal(segs[1], g.packet(1));

  auto bad_first = segments(Spec{}, 2, 1000);
  bad_first[0][10] ^= 0x01;   // IPv4 header checksum
  Gro h;
  for (const auto& p : bad_first) h.add(p);
  h.flush();
  LONGS_EQUAL(2, h.writes.size());
  LONGS_EQUAL(1, h.batch.stats().bad_checksum);
  bytes_equal(bad_first[0], h.packet(0));
}

TEST(GroBatch, NonTcpPacketsGoAloneUnchanged) {
  Spec udp;
  udp.proto = 17;
  udp.payload = payload_bytes(200, 3);
  Bytes u = build(udp);
  Bytes junk = {0x45, 0x00, 0x00};
  Bytes icmp6 = build(v6_spec());
  icmp6[6] = 58;
  Gro g;
  g.add(u);
  g.add(u);
  g.add(junk);
  g.add(icmp6);
  g.flush();
  LONGS_EQUAL(4, g.writes.size());
  for (size_t i = 0; i < 4; ++i) {
    CHECK(is_zero_hdr(g.hdr(i)));
    LONGS_EQUAL(1, g.iovcnts[i]);
  }
  bytes_equal(u, g.packet(0));
  bytes_equal(junk, g.packet(2));
  bytes_equal(icmp6, g.packet(3));
}

TEST(GroBatch, APureAckEndsItsFlowsRun) {
  Spec s;
  auto segs = segments(s, 2, 1000);
  Spec ack = s;
  ack.seq += 1000;
  Gro g;
  g.add(segs[0]);
  g.add(build(ack));   // no payload
  g.add(segs[1]);
  g.flush();
  LONGS_EQUAL(3, g.writes.size());
  bytes_equal(segs[1], g.packet(2));
}

TEST(GroBatch, StaysWithin65535Bytes) {
  Spec s;
  auto segs = segments(s, 60, 1400);
  Gro g;
  for (const auto& p : segs) g.add(p);
  g.flush();
  // 52 + 46 * 1400 = 64452 fits; a 47th would not.
  LONGS_EQUAL(2, g.writes.size());
  LONGS_EQUAL(10 + 52 + 46 * 1400, g.writes[0].size());
  std::vector<Bytes> first(segs.begin(), segs.begin() + 46), rest(segs.begin() + 46, segs.end());
  round_trips(g.writes[0], first);
  round_trips(g.writes[1], rest);
}

TEST(GroBatch, FlushesByItselfWhenFullAndReturnsEveryBuffer) {
  Spec s;
  s.options.clear();
  auto segs = segments(s, 70, 100);
  Gro g;
  for (const auto& p : segs) g.add(p);
  // 64 were held, written as one packet, then 6 more started.
  LONGS_EQUAL(1, g.writes.size());
  LONGS_EQUAL(64, g.iovcnts[0]);
  LONGS_EQUAL(6, g.batch.held());
  g.flush();
  LONGS_EQUAL(2, g.writes.size());
  round_trips(g.writes[0], std::vector<Bytes>(segs.begin(), segs.begin() + 64));
}

TEST(GroBatch, ManyFlowsAtOnceStillWriteEveryPacket) {
  // More flows than the table holds: every packet still leaves, in order
  // within its flow.
  Gro g;
  std::vector<std::vector<Bytes>> flows;
  for (uint16_t f = 0; f < 12; ++f) {
    Spec s;
    s.sport = static_cast<uint16_t>(1000 + f);
    flows.push_back(segments(s, 3, 500));
  }
  for (size_t i = 0; i < 3; ++i)
    for (auto& f : flows) g.add(f[i]);
  g.flush();
  size_t segments_out = 0;
  for (size_t w = 0; w < g.writes.size(); ++w) {
    Splitter sp;
    if (g.hdr(w).gso_type == kVnetGsoNone) {
      segments_out += 1;
    } else {
      CHECK(sp.run(g.writes[w]).status == SplitStatus::kOk);
      segments_out += sp.out.size();
    }
  }
  LONGS_EQUAL(36, segments_out);
}

TEST(GroBatch, DropsABufferWithoutRoomForTheHeader) {
  Gro g;
  g.add(segments(Spec{}, 1, 100)[0], 4);
  LONGS_EQUAL(0, g.batch.held());
  LONGS_EQUAL(1, g.batch.stats().no_headroom);
  g.flush();
  LONGS_EQUAL(0, g.writes.size());
}
