// Batched UDP I/O: recvmmsg fills a batch of pool buffers in one system
// call; datagrams to send are queued by pointer (no copy) and leave in one
// sendmmsg per batch. Runs of equal-sized datagrams to one destination —
// the segments of a TCP stream — go as one UDP GSO message, which the
// kernel carries as one buffer and cuts into datagrams as late as it can.
#pragma once

#include <sys/socket.h>

#include <array>
#include <functional>

#include "common/fd.h"
#include "engine/endpoint.h"
#include "engine/pool.h"

namespace braid::engine {

class UdpSocket {
 public:
  static constexpr size_t kBatch = 64;

  UdpSocket(UniqueFd fd, int family, BufferPool& pool);
  int fd() const { return fd_.get(); }

  // Receives up to kBatch datagrams and hands each to `deliver`, which
  // takes the buffer. Returns how many arrived (0 when none was waiting).
  size_t receive(const std::function<void(const Endpoint&, PacketBuf*)>& deliver);

  // Queues a datagram; takes the buffer. Sends the batch when it is full.
  void queue(const Endpoint& to, PacketBuf* buf);
  // Sends everything queued and returns the buffers to the pool.
  void flush();

  uint64_t send_errors() const { return send_errors_; }
  // Datagrams larger than a buffer (a peer with a larger MTU), dropped.
  uint64_t truncated() const { return truncated_; }
  uint64_t sent() const { return sent_; }
  // Whether runs still leave as GSO messages (false once the kernel refused).
  bool gso() const { return gso_; }
  // Datagrams larger than this go alone, never in a segmentation-offload
  // batch: a relayed full-sized packet exceeds the underlay MTU, and the
  // kernel fragments a lone datagram but refuses a batch of oversized
  // segments.
  void set_gso_max_segment(size_t bytes) { gso_max_segment_ = bytes; }

 private:
  UniqueFd fd_;
  int family_;
  BufferPool& pool_;

  std::array<mmsghdr, kBatch> rx_msgs_{};
  std::array<iovec, kBatch> rx_iov_{};
  std::array<sockaddr_storage, kBatch> rx_addr_{};
  std::array<PacketBuf*, kBatch> rx_bufs_{};

  std::array<mmsghdr, kBatch> tx_msgs_{};
  std::array<iovec, kBatch> tx_iov_{};
  std::array<sockaddr_storage, kBatch> tx_addr_{};
  std::array<PacketBuf*, kBatch> tx_bufs_{};
  // One control message (UDP_SEGMENT) per GSO message.
  std::array<std::array<uint8_t, 32>, kBatch> tx_cmsg_{};
  size_t tx_count_ = 0;
  bool gso_ = true;   // off after the kernel refuses it once
  size_t gso_max_segment_ = SIZE_MAX;

  // GSO messages built over the queued datagrams, and how many datagrams
  // each carries.
  std::array<mmsghdr, kBatch> gso_msgs_{};
  std::array<unsigned, kBatch> gso_segs_{};

  // Sends the queue as GSO messages; false when the kernel refused GSO
  // (then nothing was sent).
  bool send_gso();
  void send_plain();
  uint64_t send_errors_ = 0;
  uint64_t truncated_ = 0;
  uint64_t sent_ = 0;
};

}  // namespace braid::engine
