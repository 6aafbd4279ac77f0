// libFuzzer target for the tun offload code. The first input byte picks a
// mode:
//   0: the rest is one device read (vnet header + packet) for split_gso;
//   1: the rest is a TSO super-packet described by a few parameters, built
//      with correct headers, then patched at fuzzer-chosen offsets;
//   2: the rest is a series of length-prefixed raw packets for a GroBatch;
//   3: the rest describes TCP segments of a few flows, built with correct
//      checksums (then maybe corrupted), so the batch really joins them.
// Nothing may crash or keep a pool buffer. Every segment split_gso emits
// for a TCP super-packet has valid checksums; every packet GroBatch joins
// splits again into segments carrying exactly the payloads it joined, in
// order, with consecutive sequence numbers.
#include <sys/uio.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "common/bytes.h"
#include "engine/checksum.h"
#include "engine/offload.h"

using namespace braid;
using namespace braid::engine;

namespace {

constexpr size_t kBuffers = 256;
constexpr size_t kBufferSize = 2048;
constexpr size_t kHeadroom = 17;
constexpr size_t kTailroom = 16;

BufferPool& pool() {
  static BufferPool p(kBuffers, kBufferSize);
  return p;
}

void check(bool ok) {
  if (!ok) __builtin_trap();
}

// Reads the input front to back; past the end it yields zeros.
struct Input {
  const uint8_t* p;
  size_t n;
  uint8_t u8() {
    if (n == 0) return 0;
    --n;
    return *p++;
  }
  uint16_t u16() { return static_cast<uint16_t>(u8() << 8 | u8()); }
};

bool transport_valid(const std::vector<uint8_t>& pkt) {
  bool v6 = pkt.size() >= 40 && pkt[0] >> 4 == 6;
  size_t ihl = v6 ? 40 : static_cast<size_t>(pkt[0] & 0x0f) * 4;
  if (pkt.size() < ihl + 20) return false;
  if (!v6 && checksum_fold(checksum_add(pkt.data(), ihl, 0)) != 0xffff) return false;
  const uint8_t* src = pkt.data() + (v6 ? 8 : 12);
  uint32_t sum = pseudo_header_sum(v6, src, src + (v6 ? 16 : 4), 6,
                                   static_cast<uint32_t>(pkt.size() - ihl));
  return checksum_fold(checksum_add(pkt.data() + ihl, pkt.size() - ihl, sum)) == 0xffff;
}

// Runs split_gso and returns the segments' bytes; the buffers go back.
std::vector<std::vector<uint8_t>> split(std::span<const uint8_t> in, SplitResult* r) {
  std::vector<std::vector<uint8_t>> out;
  *r = split_gso(in, kHeadroom, kTailroom, pool(), [&](PacketBuf* b) {
    check(b->head == kHeadroom && b->tailroom() >= kTailroom);
    out.emplace_back(b->data(), b->data() + b->len);
    pool().put(b);
  });
  check(r->segments == out.size());
  return out;
}

void fuzz_split_raw(std::span<const uint8_t> in) {
  SplitResult r;
  auto segs = split(in, &r);
  if (r.status == SplitStatus::kOk && in.size() > kVnetHdrLen &&
      (in[1] & ~kVnetGsoEcn) != kVnetGsoNone) {
    for (const auto& s : segs) check(transport_valid(s));
  }
}

// A TCP packet with correct IP and TCP checksums.
std::vector<uint8_t> tcp_packet(bool v6, uint8_t flow, uint32_t seq, uint32_t ack, uint8_t flags,
                                uint16_t id, bool df, size_t opt_words, size_t payload,
                                uint8_t fill) {
  size_t ihl = v6 ? 40 : 20, thl = 20 + opt_words * 4;
  std::vector<uint8_t> p(ihl + thl + payload);
  if (!v6) {
    p[0] = 0x45;
    put_be16(&p[2], static_cast<uint16_t>(p.size()));
    put_be16(&p[4], id);
    p[6] = df ? 0x40 : 0;
    p[8] = 64;
    p[9] = 6;
    p[12] = 10, p[15] = 1;
    p[16] = 10, p[19] = 2;
  } else {
    p[0] = 0x60;
    put_be16(&p[4], static_cast<uint16_t>(p.size() - 40));
    p[6] = 6;
    p[7] = 64;
    p[8] = 0xfd, p[23] = 1;
    p[24] = 0xfd, p[39] = 2;
  }
  uint8_t* t = &p[ihl];
  put_be16(t, static_cast<uint16_t>(40000 + flow));
  put_be16(t + 2, 5201);
  put_be32(t + 4, seq);
  put_be32(t + 8, ack);
  t[12] = static_cast<uint8_t>(thl / 4 << 4);
  t[13] = flags;
  put_be16(t + 14, 1000);
  for (size_t i = 20; i < thl; ++i) t[i] = 1;   // NOP options
  for (size_t i = 0; i < payload; ++i) t[thl + i] = static_cast<uint8_t>(fill + i);
  if (!v6) put_be16(&p[10], checksum_finish(checksum_add(p.data(), 20, 0)));
  const uint8_t* src = p.data() + (v6 ? 8 : 12);
  uint32_t sum = pseudo_header_sum(v6, src, src + (v6 ? 16 : 4), 6,
                                   static_cast<uint32_t>(p.size() - ihl));
  put_be16(t + 16, checksum_finish(checksum_add(t, p.size() - ihl, sum)));
  return p;
}

void fuzz_split_built(Input in) {
  uint8_t mode = in.u8();
  bool v6 = mode & 1;
  size_t opt_words = (mode >> 1) & 7;
  uint16_t mss = static_cast<uint16_t>(in.u16() % 1600 + 1);
  size_t payload = in.u16() % 20000 + 1;
  uint8_t flags = in.u8();
  auto pkt = tcp_packet(v6, 0, 0xfffff000u + in.u8(), 1, flags, in.u16(), true, opt_words,
                        payload, in.u8());
  size_t hdr_len = (v6 ? 40 : 20) + 20 + opt_words * 4;
  std::vector<uint8_t> buf(kVnetHdrLen);
  VnetHdr h;
  h.flags = kVnetFlagNeedsCsum;
  h.gso_type = v6 ? kVnetGsoTcpV6 : kVnetGsoTcpV4;
  h.hdr_len = static_cast<uint16_t>(hdr_len);
  h.gso_size = mss;
  h.csum_start = v6 ? 40 : 20;
  h.csum_offset = 16;
  write_vnet_hdr(buf.data(), h);
  buf.insert(buf.end(), pkt.begin(), pkt.end());
  // Patches: (offset, byte) pairs anywhere in header and packet.
  bool patched = false;
  while (in.n >= 3) {
    size_t off = in.u16() % buf.size();
    buf[off] = in.u8();
    patched = true;
  }
  SplitResult r;
  auto segs = split(buf, &r);
  // Segments are rebuilt whole; a packet without GSO keeps what it had.
  if (r.status == SplitStatus::kOk && (buf[1] & ~kVnetGsoEcn) != kVnetGsoNone) {
    for (const auto& s : segs) check(transport_valid(s));
  }
  if (!patched && hdr_len + std::min<size_t>(mss, payload) + kHeadroom + kTailroom <= kBufferSize) {
    check(r.status == SplitStatus::kOk);
    check(segs.size() == (payload + mss - 1) / mss);
    size_t at = 0;
    for (const auto& s : segs) {
      check(memcmp(s.data() + hdr_len, pkt.data() + hdr_len + at, s.size() - hdr_len) == 0);
      at += s.size() - hdr_len;
    }
    check(at == payload);
  }
}

// Checks what a GroBatch writes: a joined packet splits again into one
// segment per iovec, each with that iovec's payload.
void check_write(const iovec* iov, int n) {
  check(n >= 1 && iov[0].iov_len >= kVnetHdrLen);
  std::vector<uint8_t> all;
  for (int i = 0; i < n; ++i) {
    auto* p = static_cast<const uint8_t*>(iov[i].iov_base);
    all.insert(all.end(), p, p + iov[i].iov_len);
  }
  VnetHdr h = read_vnet_hdr(all.data());
  if (h.gso_type == kVnetGsoNone) {
    check(n == 1 && h.flags == 0 && h.hdr_len == 0 && h.gso_size == 0 && h.csum_start == 0 &&
          h.csum_offset == 0);
    return;
  }
  check(n >= 2);
  SplitResult r;
  auto segs = split(all, &r);
  check(r.status == SplitStatus::kOk && segs.size() == static_cast<size_t>(n));
  size_t hdr_len = h.hdr_len;
  check(iov[0].iov_len >= kVnetHdrLen + hdr_len);
  for (int i = 0; i < n; ++i) {
    const auto& s = segs[static_cast<size_t>(i)];
    check(transport_valid(s));
    const uint8_t* pay = static_cast<const uint8_t*>(iov[i].iov_base);
    size_t len = iov[i].iov_len;
    if (i == 0) pay += kVnetHdrLen + hdr_len, len -= kVnetHdrLen + hdr_len;
    check(s.size() == hdr_len + len && memcmp(s.data() + hdr_len, pay, len) == 0);
  }
}

void add_packet(GroBatch& batch, std::span<const uint8_t> pkt, size_t headroom) {
  PacketBuf* b = pool().get(headroom);
  if (b == nullptr) return;
  size_t len = std::min(pkt.size(), b->capacity - headroom);
  if (len) memcpy(b->data(), pkt.data(), len);
  b->len = len;
  batch.add(b);
}

void fuzz_gro_raw(Input in) {
  GroBatch batch(pool(), check_write);
  while (in.n > 0) {
    uint8_t headroom = in.u8() % 24;
    size_t len = std::min<size_t>(in.u16() % 2048, in.n);
    add_packet(batch, {in.p, len}, headroom);
    in.p += len;
    in.n -= len;
  }
  batch.flush();
}

void fuzz_gro_built(Input in) {
  GroBatch batch(pool(), check_write);
  uint32_t seq[4] = {1000, 5000, 0xfffffe00u, 77};
  uint16_t id[4] = {1, 2, 3, 4};
  while (in.n >= 3) {
    uint8_t a = in.u8(), b = in.u8(), c = in.u8();
    uint8_t f = a & 3;
    bool v6 = (a >> 2) & 1;
    bool df = !((a >> 3) & 1);
    static constexpr uint8_t kFlags[4] = {0x10, 0x18, 0x11, 0x12};
    uint8_t flags = kFlags[(a >> 4) & 3];
    size_t payload = (b & 0x80) ? 1000 : static_cast<size_t>(b) * 8;
    if ((a >> 6) & 1) seq[f] += c;   // a gap
    auto pkt = tcp_packet(v6, f, seq[f], 9, flags, id[f], df, (a >> 7) ? 3 : 0, payload, c);
    seq[f] += static_cast<uint32_t>(payload);
    ++id[f];
    if ((c & 0x0f) == 0x0f && !pkt.empty()) pkt[c % pkt.size()] ^= 0x40;   // corruption
    add_packet(batch, pkt, kVnetHdrLen + (c >> 6));
  }
  batch.flush();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  Input in{data + 1, size - 1};
  switch (data[0] % 4) {
    case 0: fuzz_split_raw({in.p, in.n}); break;
    case 1: fuzz_split_built(in); break;
    case 2: fuzz_gro_raw(in); break;
    case 3: fuzz_gro_built(in); break;
  }
  check(pool().available() == kBuffers);
  return 0;
}
