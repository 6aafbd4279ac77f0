// TCP segmentation of device super-packets and coalescing of received
// segments for a vnet-header tun. Every length comes from the packet, so
// each is checked against the buffer before it is used.
#include "engine/offload.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "common/bytes.h"
#include "engine/checksum.h"

namespace braid::engine {
namespace {

constexpr uint8_t kProtoTcp = 6;
constexpr size_t kIpv4MinHeader = 20;
constexpr size_t kIpv6Header = 40;
constexpr size_t kTcpMinHeader = 20;
constexpr size_t kTcpCsumOffset = 16;
constexpr size_t kTcpFlagsOffset = 13;
constexpr uint8_t kTcpFin = 0x01;
constexpr uint8_t kTcpPsh = 0x08;
constexpr uint8_t kTcpAck = 0x10;
constexpr uint8_t kTcpCwr = 0x80;
constexpr size_t kMaxIpLen = 65535;
constexpr uint8_t kIpv4Df = 0x40;

uint16_t get_le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }
void put_le16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}

// Source address offset and address length of an IP header.
size_t addr_offset(bool v6) { return v6 ? 8 : 12; }
size_t addr_len(bool v6) { return v6 ? 16 : 4; }

void set_ipv4_checksum(uint8_t* ip, size_t ihl) {
  ip[10] = ip[11] = 0;
  put_be16(ip + 10, checksum_finish(checksum_add(ip, ihl, 0)));
}

bool ipv4_checksum_ok(const uint8_t* ip, size_t ihl) {
  return checksum_fold(checksum_add(ip, ihl, 0)) == 0xffff;
}

// The TCP checksum over [ip_hlen, len) with the pseudo-header, as a
// receiver checks it.
bool tcp_checksum_ok(const uint8_t* pkt, size_t ip_hlen, size_t len, bool v6) {
  const uint8_t* src = pkt + addr_offset(v6);
  uint32_t sum = pseudo_header_sum(v6, src, src + addr_len(v6), kProtoTcp,
                                   static_cast<uint32_t>(len - ip_hlen));
  return checksum_fold(checksum_add(pkt + ip_hlen, len - ip_hlen, sum)) == 0xffff;
}

// A packet without segmentation: copied, its checksum completed if asked.
SplitResult emit_single(const VnetHdr& h, const uint8_t* pkt, size_t len, size_t headroom,
                        size_t tailroom, BufferPool& pool,
                        const std::function<void(PacketBuf*)>& emit) {
  if (h.gso_type != kVnetGsoNone) return {SplitStatus::kMalformed, 0};
  size_t field = 0;
  if (h.flags & kVnetFlagNeedsCsum) {
    field = size_t{h.csum_start} + h.csum_offset;
    if (field + 2 > len) return {SplitStatus::kMalformed, 0};
  }
  if (headroom + len + tailroom > pool.buffer_size()) return {SplitStatus::kTooLarge, 0};
  PacketBuf* b = pool.get(headroom);
  if (b == nullptr) return {SplitStatus::kNoBuffer, 0};
  uint8_t* out = b->data();
  memcpy(out, pkt, len);
  b->len = len;
  if (h.flags & kVnetFlagNeedsCsum) {
    // The field holds the pseudo-header sum, so summing the region with it
    // in place gives the whole. A result of 0 is sent as 0xffff, as the
    // kernel's skb_checksum_help does: 0 means "no checksum" to UDP.
    uint16_t c = checksum_finish(checksum_add(out + h.csum_start, len - h.csum_start, 0));
    put_be16(out + field, c == 0 ? 0xffff : c);
  }
  emit(b);
  return {SplitStatus::kOk, 1};
}

}  // namespace

VnetHdr read_vnet_hdr(const uint8_t* p) {
  VnetHdr h;
  h.flags = p[0];
  h.gso_type = p[1];
  h.hdr_len = get_le16(p + 2);
  h.gso_size = get_le16(p + 4);
  h.csum_start = get_le16(p + 6);
  h.csum_offset = get_le16(p + 8);
  return h;
}

void write_vnet_hdr(uint8_t* p, const VnetHdr& h) {
  p[0] = h.flags;
  p[1] = h.gso_type;
  put_le16(p + 2, h.hdr_len);
  put_le16(p + 4, h.gso_size);
  put_le16(p + 6, h.csum_start);
  put_le16(p + 8, h.csum_offset);
}

SplitResult split_gso(std::span<const uint8_t> in, size_t headroom, size_t tailroom,
                      BufferPool& pool, const std::function<void(PacketBuf*)>& emit) {
  if (in.size() <= kVnetHdrLen) return {SplitStatus::kMalformed, 0};
  const VnetHdr h = read_vnet_hdr(in.data());
  const uint8_t* pkt = in.data() + kVnetHdrLen;
  const size_t len = in.size() - kVnetHdrLen;
  const uint8_t type = h.gso_type & ~kVnetGsoEcn;
  if (type == kVnetGsoNone) return emit_single(h, pkt, len, headroom, tailroom, pool, emit);
  if (type != kVnetGsoTcpV4 && type != kVnetGsoTcpV6) return {SplitStatus::kMalformed, 0};
  const bool v6 = type == kVnetGsoTcpV6;

  // The IP header length from the packet itself; csum_start must agree.
  size_t ip_hlen;
  if (!v6) {
    if (len < kIpv4MinHeader || pkt[0] >> 4 != 4) return {SplitStatus::kMalformed, 0};
    ip_hlen = size_t{pkt[0] & 0x0fu} * 4;
    // No fragments: MF clear, offset 0.
    if (ip_hlen < kIpv4MinHeader || pkt[9] != kProtoTcp || (get_be16(pkt + 6) & 0x3fff) != 0)
      return {SplitStatus::kMalformed, 0};
  } else {
    // Extension headers would need walking (and a routing header changes
    // the pseudo-header's destination); Linux sends TCP without them.
    if (len < kIpv6Header || pkt[0] >> 4 != 6 || pkt[6] != kProtoTcp)
      return {SplitStatus::kMalformed, 0};
    ip_hlen = kIpv6Header;
  }
  if ((h.flags & kVnetFlagNeedsCsum) &&
      (h.csum_start != ip_hlen || h.csum_offset != kTcpCsumOffset))
    return {SplitStatus::kMalformed, 0};
  if (len < ip_hlen + kTcpMinHeader) return {SplitStatus::kMalformed, 0};
  const size_t tcp_hlen = static_cast<size_t>(pkt[ip_hlen + 12] >> 4) * 4;
  const size_t hdr_len = ip_hlen + tcp_hlen;
  if (tcp_hlen < kTcpMinHeader || hdr_len >= len || h.hdr_len > len || h.gso_size == 0)
    return {SplitStatus::kMalformed, 0};
  const size_t payload = len - hdr_len;
  const size_t mss = h.gso_size;
  if (headroom + hdr_len + std::min(mss, payload) + tailroom > pool.buffer_size())
    return {SplitStatus::kTooLarge, 0};

  const uint8_t* src = pkt + addr_offset(v6);
  const uint8_t* dst = src + addr_len(v6);
  const uint32_t seq0 = get_be32(pkt + ip_hlen + 4);
  const uint16_t id0 = get_be16(pkt + 4);
  SplitResult r;
  for (size_t off = 0, i = 0; off < payload; off += mss, ++i) {
    const size_t seg = std::min(mss, payload - off);
    const size_t total = hdr_len + seg;
    PacketBuf* b = pool.get(headroom);
    if (b == nullptr) {
      r.status = SplitStatus::kNoBuffer;
      return r;
    }
    uint8_t* out = b->data();
    memcpy(out, pkt, hdr_len);
    memcpy(out + hdr_len, pkt + hdr_len + off, seg);
    b->len = total;
    if (!v6) {
      put_be16(out + 2, static_cast<uint16_t>(total));
      put_be16(out + 4, static_cast<uint16_t>(id0 + i));
      set_ipv4_checksum(out, ip_hlen);
    } else {
      put_be16(out + 4, static_cast<uint16_t>(total - ip_hlen));
    }
    uint8_t* tcp = out + ip_hlen;
    put_be32(tcp + 4, seq0 + static_cast<uint32_t>(off));
    if (off + seg < payload) tcp[kTcpFlagsOffset] &= static_cast<uint8_t>(~(kTcpFin | kTcpPsh));
    if (i > 0) tcp[kTcpFlagsOffset] &= static_cast<uint8_t>(~kTcpCwr);
    tcp[kTcpCsumOffset] = tcp[kTcpCsumOffset + 1] = 0;
    uint32_t sum = pseudo_header_sum(v6, src, dst, kProtoTcp,
                                     static_cast<uint32_t>(total - ip_hlen));
    put_be16(tcp + kTcpCsumOffset, checksum_finish(checksum_add(tcp, total - ip_hlen, sum)));
    emit(b);
    ++r.segments;
  }
  return r;
}

// ---- GroBatch ---------------------------------------------------------------

// What add() learns of a TCP packet: parsed only when every length field
// agrees with the buffer, so later reads need no checks.
struct GroBatch::TcpInfo {
  bool v6 = false;
  bool candidate = false;   // may join or be joined
  uint16_t ip_hlen = 0;
  uint16_t tcp_hlen = 0;
  uint16_t payload = 0;
  uint32_t seq = 0;
  uint8_t flags = 0;
};

namespace {

// Fills t for a whole TCP packet (IPv4 not a fragment, IPv6 without
// extension headers); false for anything else, which then goes alone.
template <typename Info>
bool parse_tcp(const uint8_t* p, size_t len, Info* t) {
  if (len < kIpv4MinHeader || len > kMaxIpLen) return false;
  size_t ihl;
  if (p[0] >> 4 == 4) {
    ihl = size_t{p[0] & 0x0fu} * 4;
    if (ihl < kIpv4MinHeader || len < ihl || get_be16(p + 2) != len || p[9] != kProtoTcp ||
        (get_be16(p + 6) & 0x3fff) != 0)
      return false;
    t->v6 = false;
  } else if (p[0] >> 4 == 6) {
    ihl = kIpv6Header;
    if (len < ihl || get_be16(p + 4) != len - ihl || p[6] != kProtoTcp) return false;
    t->v6 = true;
  } else {
    return false;
  }
  if (len < ihl + kTcpMinHeader) return false;
  const uint8_t* tcp = p + ihl;
  size_t thl = static_cast<size_t>(tcp[12] >> 4) * 4;
  if (thl < kTcpMinHeader || ihl + thl > len) return false;
  t->ip_hlen = static_cast<uint16_t>(ihl);
  t->tcp_hlen = static_cast<uint16_t>(thl);
  t->payload = static_cast<uint16_t>(len - ihl - thl);
  t->seq = get_be32(tcp + 4);
  t->flags = tcp[kTcpFlagsOffset];
  t->candidate = t->payload > 0 && (t->v6 || ihl == kIpv4MinHeader) &&
                 (t->flags == kTcpAck || t->flags == (kTcpAck | kTcpPsh)) &&
                 (tcp[12] & 0x0f) == 0;
  return true;
}

}  // namespace

GroBatch::GroBatch(BufferPool& pool, Writer writer) : pool_(pool), writer_(std::move(writer)) {
  flows_.fill(-1);
}

GroBatch::~GroBatch() {
  for (size_t i = 0; i < count_; ++i) pool_.put(slots_[i].buf);
}

int GroBatch::find_flow(const uint8_t* pkt, const TcpInfo& t) const {
  const size_t ao = addr_offset(t.v6), alen = 2 * addr_len(t.v6);
  for (size_t f = 0; f < kMaxFlows; ++f) {
    if (flows_[f] < 0) continue;
    const Slot& s = slots_[flows_[f]];
    const uint8_t* other = s.buf->data();
    if ((other[0] >> 4) != (pkt[0] >> 4)) continue;
    if (memcmp(other + ao, pkt + ao, alen) != 0) continue;
    if (memcmp(other + s.ip_hlen, pkt + t.ip_hlen, 4) != 0) continue;   // ports
    return static_cast<int>(f);
  }
  return -1;
}

GroBatch::Join GroBatch::try_append(Slot& head, const uint8_t* pkt, const TcpInfo& t) {
  const uint8_t* first = head.buf->data();
  if (head.closed || !t.candidate || t.tcp_hlen != head.tcp_hlen || t.seq != head.next_seq ||
      t.payload > head.gso_size || head.total_len + t.payload > kMaxIpLen)
    return Join::kNo;
  if (!t.v6) {
    if (pkt[1] != first[1] || pkt[8] != first[8] || ((pkt[6] ^ first[6]) & kIpv4Df) != 0)
      return Join::kNo;
    // Without DF the id matters for reassembly downstream: the kernel
    // gives segment i the first id + i, so only such a run may be joined.
    if (!(pkt[6] & kIpv4Df) &&
        get_be16(pkt + 4) != static_cast<uint16_t>(get_be16(first + 4) + head.count))
      return Join::kNo;
  } else {
    if (memcmp(pkt, first, 4) != 0 || pkt[7] != first[7]) return Join::kNo;
  }
  const uint8_t* tcp = pkt + t.ip_hlen;
  const uint8_t* ftcp = first + head.ip_hlen;
  if (memcmp(tcp + 8, ftcp + 8, 4) != 0) return Join::kNo;   // acknowledgement number
  if (memcmp(tcp + kTcpMinHeader, ftcp + kTcpMinHeader, t.tcp_hlen - kTcpMinHeader) != 0)
    return Join::kNo;
  if (!head.verified) {
    head.verified = true;
    if ((!t.v6 && !ipv4_checksum_ok(first, head.ip_hlen)) ||
        !tcp_checksum_ok(first, head.ip_hlen, head.buf->len, t.v6)) {
      ++stats_.bad_checksum;
      head.closed = true;
      return Join::kNo;
    }
  }
  if ((!t.v6 && !ipv4_checksum_ok(pkt, t.ip_hlen)) ||
      !tcp_checksum_ok(pkt, t.ip_hlen, size_t{t.ip_hlen} + t.tcp_hlen + t.payload, t.v6)) {
    ++stats_.bad_checksum;
    return Join::kBad;
  }
  return Join::kYes;
}

void GroBatch::open_flow(int flow, int slot, const TcpInfo& t) {
  Slot& s = slots_[slot];
  s.version = t.v6 ? 6 : 4;
  s.ip_hlen = t.ip_hlen;
  s.tcp_hlen = t.tcp_hlen;
  s.gso_size = t.payload;
  s.next_seq = t.seq + t.payload;
  s.total_len = s.buf->len;
  s.closed = (t.flags & kTcpPsh) != 0;
  if (flow < 0) {
    // A free entry, else the next in turn: its packet is then only closed
    // for appends, never lost.
    auto it = std::find(flows_.begin(), flows_.end(), -1);
    if (it != flows_.end()) {
      flow = static_cast<int>(it - flows_.begin());
    } else {
      flow = static_cast<int>(next_flow_);
      next_flow_ = (next_flow_ + 1) % kMaxFlows;
    }
  }
  flows_[flow] = static_cast<int16_t>(slot);
}

void GroBatch::add(PacketBuf* buf) {
  ++stats_.packets;
  if (buf->head < kVnetHdrLen) {
    ++stats_.no_headroom;
    pool_.put(buf);
    return;
  }
  if (count_ == kMaxPackets) flush();
  const int i = static_cast<int>(count_++);
  Slot& s = slots_[i];
  s = Slot{};
  s.buf = buf;
  s.tail = static_cast<int16_t>(i);

  TcpInfo t;
  const uint8_t* pkt = buf->data();
  if (!parse_tcp(pkt, buf->len, &t)) return;
  const int flow = find_flow(pkt, t);
  if (flow >= 0) {
    Slot& head = slots_[flows_[flow]];
    Join j = try_append(head, pkt, t);
    if (j == Join::kYes) {
      s.first = false;
      slots_[head.tail].next = static_cast<int16_t>(i);
      head.tail = static_cast<int16_t>(i);
      head.next_seq += t.payload;
      head.total_len += t.payload;
      ++head.count;
      if (t.payload < head.gso_size) head.closed = true;
      if (t.flags & kTcpPsh) head.closed = head.psh = true;
      // The appended packet's payload starts behind its headers.
      s.ip_hlen = t.ip_hlen;
      s.tcp_hlen = t.tcp_hlen;
      ++stats_.merged;
      return;
    }
    // Whatever does not join ends the flow's open packet, so nothing of the
    // flow behind it can overtake it; a corrupt packet goes alone.
    if (!t.candidate || j == Join::kBad) {
      flows_[flow] = -1;
      return;
    }
  } else if (!t.candidate) {
    return;
  }
  open_flow(flow, i, t);
}

void GroBatch::finish(Slot& head) {
  uint8_t* pkt = head.buf->data();
  uint8_t* vnet = pkt - kVnetHdrLen;
  if (head.count == 1) {
    memset(vnet, 0, kVnetHdrLen);
    return;
  }
  const bool v6 = head.version == 6;
  if (!v6) {
    put_be16(pkt + 2, static_cast<uint16_t>(head.total_len));
    set_ipv4_checksum(pkt, head.ip_hlen);
  } else {
    put_be16(pkt + 4, static_cast<uint16_t>(head.total_len - head.ip_hlen));
  }
  uint8_t* tcp = pkt + head.ip_hlen;
  if (head.psh) tcp[kTcpFlagsOffset] |= kTcpPsh;
  const uint8_t* src = pkt + addr_offset(v6);
  uint32_t sum = pseudo_header_sum(v6, src, src + addr_len(v6), kProtoTcp,
                                   head.total_len - head.ip_hlen);
  put_be16(tcp + kTcpCsumOffset, checksum_fold(sum));
  VnetHdr h;
  h.flags = kVnetFlagNeedsCsum;
  h.gso_type = v6 ? kVnetGsoTcpV6 : kVnetGsoTcpV4;
  h.hdr_len = static_cast<uint16_t>(head.ip_hlen + head.tcp_hlen);
  h.gso_size = head.gso_size;
  h.csum_start = head.ip_hlen;
  h.csum_offset = kTcpCsumOffset;
  write_vnet_hdr(vnet, h);
}

void GroBatch::flush() {
  for (size_t i = 0; i < count_; ++i) {
    Slot& head = slots_[i];
    if (!head.first) continue;
    finish(head);
    iov_[0].iov_base = head.buf->data() - kVnetHdrLen;
    iov_[0].iov_len = head.buf->len + kVnetHdrLen;
    int n = 1;
    for (int j = head.next; j >= 0; j = slots_[j].next) {
      const Slot& s = slots_[j];
      size_t hl = size_t{s.ip_hlen} + s.tcp_hlen;
      iov_[n].iov_base = s.buf->data() + hl;
      iov_[n].iov_len = s.buf->len - hl;
      ++n;
    }
    writer_(iov_.data(), n);
    ++stats_.writes;
  }
  for (size_t i = 0; i < count_; ++i) pool_.put(slots_[i].buf);
  count_ = 0;
  flows_.fill(-1);
  next_flow_ = 0;
}

}  // namespace braid::engine
