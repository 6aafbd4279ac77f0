// Segmentation and receive coalescing for a tun device opened with
// IFF_VNET_HDR and TCP offloads, so one system call moves up to 64 KiB of a
// TCP stream instead of one MTU-sized packet. Every read and write of such a
// device starts with a struct virtio_net_hdr (linux/virtio_net.h).
//
//   device -> network: split_gso() cuts a TCP super-packet read from the
//     device into MTU-sized segments (TSO done in user space) and completes
//     checksums the kernel left partial.
//   network -> device: GroBatch joins consecutive TCP segments of one flow
//     from a receive batch into one super-packet that the kernel takes in
//     one writev() and treats as the original segments (GRO).
//
// No system calls here: the engine reads and writes, these functions only
// rewrite bytes, so they run in unit tests and under the fuzzer.
#pragma once

#include <sys/uio.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>

#include "engine/pool.h"

namespace braid::engine {

// struct virtio_net_hdr, without VIRTIO_NET_F_MRG_RXBUF's num_buffers: the
// tun default for TUNSETVNETHDRSZ. The constants below are those of
// linux/virtio_net.h, which C++ cannot include (a field is named `class`).
constexpr size_t kVnetHdrLen = 10;

constexpr uint8_t kVnetFlagNeedsCsum = 1;   // VIRTIO_NET_HDR_F_NEEDS_CSUM
constexpr uint8_t kVnetFlagDataValid = 2;   // VIRTIO_NET_HDR_F_DATA_VALID
constexpr uint8_t kVnetGsoNone = 0;         // VIRTIO_NET_HDR_GSO_NONE
constexpr uint8_t kVnetGsoTcpV4 = 1;        // VIRTIO_NET_HDR_GSO_TCPV4
constexpr uint8_t kVnetGsoUdp = 3;          // VIRTIO_NET_HDR_GSO_UDP (UFO)
constexpr uint8_t kVnetGsoTcpV6 = 4;        // VIRTIO_NET_HDR_GSO_TCPV6
constexpr uint8_t kVnetGsoUdpL4 = 5;        // VIRTIO_NET_HDR_GSO_UDP_L4 (USO)
constexpr uint8_t kVnetGsoEcn = 0x80;       // VIRTIO_NET_HDR_GSO_ECN

// The header's fields. tun uses the machine's byte order for them unless
// TUNSETVNETBE/LE says otherwise; braid reads and writes little-endian, so
// a big-endian machine must set TUNSETVNETLE.
struct VnetHdr {
  uint8_t flags = 0;
  uint8_t gso_type = kVnetGsoNone;
  uint16_t hdr_len = 0;       // bytes of IP + transport headers
  uint16_t gso_size = 0;      // payload bytes per segment
  uint16_t csum_start = 0;    // where the checksummed region starts
  uint16_t csum_offset = 0;   // where in it the checksum field is
};

VnetHdr read_vnet_hdr(const uint8_t* p);   // kVnetHdrLen bytes
void write_vnet_hdr(uint8_t* p, const VnetHdr& h);

// ---- device -> network ----------------------------------------------------

enum class SplitStatus : uint8_t {
  kOk,
  kMalformed,   // bad header, unsupported GSO type, lengths that disagree
  kTooLarge,    // a segment does not fit in a pool buffer
  kNoBuffer,    // the pool ran dry; `segments` were emitted before that
};

struct SplitResult {
  SplitStatus status = SplitStatus::kOk;
  size_t segments = 0;   // buffers handed to emit
};

// Takes one read from the device, `in` = virtio_net_hdr + packet, and hands
// the plain IP packets to send to `emit`, each in a pool buffer with
// head = headroom and at least `tailroom` bytes free behind it; emit takes
// the buffer. `in` is not modified.
//
//  - GSO_NONE: the packet as it is, with its transport checksum completed
//    when NEEDS_CSUM is set (the kernel left the pseudo-header sum at
//    csum_start + csum_offset).
//  - GSO_TCPV4 / GSO_TCPV6 (ECN bit allowed): the payload behind the IP and
//    TCP headers cut in gso_size pieces, each behind a copy of the headers
//    with IPv4 total length, id (+1 per segment) and header checksum, or
//    the IPv6 payload length, the sequence number, the flags (FIN and PSH on
//    the last segment only, CWR on the first only) and the TCP checksum
//    rewritten. The header length is taken from the TCP header, not from
//    hdr_len, which the kernel may set to a whole first packet for forwarded
//    traffic (hdr_len beyond the packet is still refused).
//  - anything else (UFO/USO, IPv4 fragments or a protocol other than TCP
//    under TCP GSO, IPv6 extension headers under GSO, offsets out of range,
//    gso_size 0): kMalformed, nothing emitted.
SplitResult split_gso(std::span<const uint8_t> in, size_t headroom, size_t tailroom,
                      BufferPool& pool, const std::function<void(PacketBuf*)>& emit);

// ---- network -> device ----------------------------------------------------

struct GroStats {
  uint64_t packets = 0;       // packets added
  uint64_t writes = 0;        // packets written (merged or alone)
  uint64_t merged = 0;        // packets appended to an earlier one
  uint64_t bad_checksum = 0;  // TCP or IPv4 header checksum wrong: not merged
  uint64_t no_headroom = 0;   // buffer without room for the vnet header: dropped
};

// Coalesces the plain IP packets of one receive batch, in order, into as few
// device writes as it can. Each output packet is written with one call of
// the writer, as an iovec list: the vnet header and first packet, then the
// payload of each packet appended to it, with no copy.
//
// Rules (those of the kernel's tcp_gro_receive, which the receiving stack
// expects): a packet is appended to the latest packet of its flow (IP
// version, addresses, TCP ports) when
//   - IPv4 has no options and is no fragment, IPv6 has no extension header;
//   - TOS, TTL and DF (IPv4, and the id is one more per segment when DF is
//     clear), or the first 32 bits and the hop limit (IPv6) are equal;
//   - TCP header length, acknowledgement number and options are equal
//     (timestamps too: a different timestamp starts a new packet);
//   - flags are ACK or ACK|PSH, the reserved and AE bits clear, and nothing
//     is appended behind a PSH;
//   - its sequence number follows the previous payload, its payload is no
//     larger than the first's (gso_size), nothing follows a shorter one,
//     and the whole stays within 65535 bytes;
//   - its TCP checksum, that of the packet it joins and their IPv4 header
//     checksums are correct: the kernel takes the joined packet's checksum
//     as good, so a corrupt segment must not be laundered by joining it.
// Only the latest packet of a flow accepts appends, so the packets of one
// flow reach the device in the order they came. A merged packet gets its
// length fields and IPv4 header checksum rewritten, the TCP checksum field
// set to the pseudo-header sum (not complemented) and a vnet header
// {NEEDS_CSUM, GSO_TCPV4/6, hdr_len = IP+TCP headers, gso_size = first
// payload, csum_start = IP header length, csum_offset = 16}; every other
// packet goes alone behind a zeroed vnet header.
class GroBatch {
 public:
  // Performs one writev() on the device; errors are the writer's to count.
  using Writer = std::function<void(const iovec* iov, int iovcnt)>;

  static constexpr size_t kMaxPackets = 64;   // a UDP receive batch
  static constexpr size_t kMaxFlows = 8;      // flows open for appends at once

  GroBatch(BufferPool& pool, Writer writer);
  ~GroBatch();   // returns buffers still held to the pool, unwritten
  GroBatch(const GroBatch&) = delete;
  GroBatch& operator=(const GroBatch&) = delete;

  // Takes buf: a packet at [data(), data() + len) with at least kVnetHdrLen
  // bytes of headroom, which the vnet header overwrites. Flushes first when
  // kMaxPackets are held.
  void add(PacketBuf* buf);
  // Writes everything held and returns the buffers to the pool.
  void flush();

  size_t held() const { return count_; }
  const GroStats& stats() const { return stats_; }

 private:
  struct Slot {
    PacketBuf* buf = nullptr;
    int16_t next = -1;        // the next packet appended to this one's output packet
    int16_t tail = -1;        // for a first packet: the last appended
    bool first = true;        // starts an output packet
    bool closed = false;      // accepts no more appends
    bool verified = false;    // checksums checked
    bool psh = false;         // the last appended had PSH
    uint8_t version = 0;
    uint16_t ip_hlen = 0;
    uint16_t tcp_hlen = 0;
    uint16_t gso_size = 0;    // payload of the first packet
    uint16_t count = 1;       // packets in the output packet
    uint32_t next_seq = 0;    // sequence number the next append must have
    uint32_t total_len = 0;   // IP length of the merged packet
  };
  struct TcpInfo;
  enum class Join : uint8_t { kYes, kNo, kBad };   // kBad: the new packet's checksum is wrong

  int find_flow(const uint8_t* pkt, const TcpInfo& t) const;
  Join try_append(Slot& head, const uint8_t* pkt, const TcpInfo& t);
  void open_flow(int flow, int slot, const TcpInfo& t);
  void finish(Slot& head);

  BufferPool& pool_;
  Writer writer_;
  std::array<Slot, kMaxPackets> slots_{};
  std::array<int16_t, kMaxFlows> flows_{};   // slot of each open flow's latest packet, -1 none
  size_t next_flow_ = 0;                     // round-robin victim when all are open
  size_t count_ = 0;
  std::array<iovec, kMaxPackets> iov_{};
  GroStats stats_;
};

}  // namespace braid::engine
