// recvmmsg/sendmmsg batching over one UDP socket.
#include "engine/udp.h"

#include <netinet/in.h>
#include <netinet/udp.h>

#include <cerrno>
#include <cstring>

#include "common/log.h"

namespace braid::engine {

UdpSocket::UdpSocket(UniqueFd fd, int family, BufferPool& pool)
    : fd_(std::move(fd)), family_(family), pool_(pool) {}

size_t UdpSocket::receive(const std::function<void(const Endpoint&, PacketBuf*)>& deliver) {
  size_t n = 0;
  for (; n < kBatch; ++n) {
    PacketBuf* b = pool_.get(0);
    if (b == nullptr) break;
    rx_bufs_[n] = b;
    rx_iov_[n] = {b->base, b->capacity};
    msghdr& h = rx_msgs_[n].msg_hdr;
    h = {};
    h.msg_name = &rx_addr_[n];
    h.msg_namelen = sizeof rx_addr_[n];
    h.msg_iov = &rx_iov_[n];
    h.msg_iovlen = 1;
  }
  int got = n > 0 ? recvmmsg(fd_.get(), rx_msgs_.data(), static_cast<unsigned>(n),
                             MSG_DONTWAIT, nullptr)
                  : 0;
  if (got < 0) got = 0;
  for (int i = 0; i < got; ++i) {
    PacketBuf* b = rx_bufs_[i];
    b->head = 0;
    b->len = rx_msgs_[i].msg_len;
    // A datagram larger than the buffer arrives cut short; drop it rather
    // than hand on a truncated packet.
    if (rx_msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) {
      ++truncated_;
      pool_.put(b);
      continue;
    }
    Endpoint from = Endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&rx_addr_[i]),
                                            rx_msgs_[i].msg_hdr.msg_namelen);
    deliver(from, b);
  }
  for (size_t i = static_cast<size_t>(got); i < n; ++i) pool_.put(rx_bufs_[i]);
  return static_cast<size_t>(got);
}

namespace {

// UDP_MAX_SEGMENTS of older kernels; and a GSO message may not exceed the
// largest IP datagram.
constexpr size_t kMaxGsoSegments = 64;
constexpr size_t kMaxGsoBytes = 65000;

}  // namespace

void UdpSocket::queue(const Endpoint& to, PacketBuf* buf) {
  socklen_t len = to.to_sockaddr(family_, &tx_addr_[tx_count_]);
  if (len == 0) {
    ++send_errors_;
    pool_.put(buf);
    return;
  }
  tx_bufs_[tx_count_] = buf;
  tx_iov_[tx_count_] = {buf->data(), buf->len};
  msghdr& h = tx_msgs_[tx_count_].msg_hdr;
  h = {};
  h.msg_name = &tx_addr_[tx_count_];
  h.msg_namelen = len;
  h.msg_iov = &tx_iov_[tx_count_];
  h.msg_iovlen = 1;
  if (++tx_count_ == kBatch) flush();
}

void UdpSocket::flush() {
  if (tx_count_ == 0) return;
  if (!gso_ || !send_gso()) send_plain();
  for (size_t i = 0; i < tx_count_; ++i) pool_.put(tx_bufs_[i]);
  tx_count_ = 0;
}

bool UdpSocket::send_gso() {
  // Group runs: same destination, every datagram as large as the first but
  // the last, which may be shorter.
  size_t nmsg = 0;
  for (size_t i = 0; i < tx_count_;) {
    size_t seg = tx_iov_[i].iov_len;
    size_t n = 1, bytes = seg;
    while (seg <= gso_max_segment_ && i + n < tx_count_ && n < kMaxGsoSegments && tx_iov_[i + n - 1].iov_len == seg &&
           tx_iov_[i + n].iov_len <= seg && bytes + tx_iov_[i + n].iov_len <= kMaxGsoBytes &&
           tx_msgs_[i + n].msg_hdr.msg_namelen == tx_msgs_[i].msg_hdr.msg_namelen &&
           memcmp(&tx_addr_[i + n], &tx_addr_[i], tx_msgs_[i].msg_hdr.msg_namelen) == 0) {
      bytes += tx_iov_[i + n].iov_len;
      ++n;
    }
    msghdr& h = gso_msgs_[nmsg].msg_hdr;
    h = {};
    h.msg_name = &tx_addr_[i];
    h.msg_namelen = tx_msgs_[i].msg_hdr.msg_namelen;
    h.msg_iov = &tx_iov_[i];
    h.msg_iovlen = n;
    if (n > 1) {
      h.msg_control = tx_cmsg_[nmsg].data();
      h.msg_controllen = CMSG_SPACE(sizeof(uint16_t));
      cmsghdr* c = CMSG_FIRSTHDR(&h);
      c->cmsg_level = SOL_UDP;
      c->cmsg_type = UDP_SEGMENT;
      c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
      uint16_t gso = static_cast<uint16_t>(seg);
      memcpy(CMSG_DATA(c), &gso, sizeof gso);
    }
    gso_segs_[nmsg] = static_cast<unsigned>(n);
    ++nmsg;
    i += n;
  }
  size_t done = 0;
  while (done < nmsg) {
    int r = sendmmsg(fd_.get(), &gso_msgs_[done], static_cast<unsigned>(nmsg - done), 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      // Only a refusal of a message that carried UDP_SEGMENT says anything
      // about GSO: a single datagram can fail with EINVAL for its own
      // reasons (a peer's port 0, say).
      if (done == 0 && gso_segs_[0] > 1 &&
          (errno == EIO || errno == EINVAL || errno == ENOPROTOOPT || errno == EOPNOTSUPP)) {
        // No UDP GSO here (old kernel, or a route through a device
        // without checksum offload): send datagram by datagram from now on.
        log_info("UDP segmentation offload unavailable (%s); sending datagrams one by one",
                 strerror(errno));
        gso_ = false;
        return false;
      }
      send_errors_ += gso_segs_[done];
      ++done;
      continue;
    }
    for (int k = 0; k < r; ++k) sent_ += gso_segs_[done + static_cast<size_t>(k)];
    done += static_cast<size_t>(r);
  }
  return true;
}

void UdpSocket::send_plain() {
  size_t done = 0;
  while (done < tx_count_) {
    int n = sendmmsg(fd_.get(), &tx_msgs_[done], static_cast<unsigned>(tx_count_ - done), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      // The datagram at the front cannot go (no route, buffer full,
      // unreachable): count it and carry on with the rest.
      ++send_errors_;
      ++done;
      continue;
    }
    sent_ += static_cast<uint64_t>(n);
    done += static_cast<size_t>(n);
  }
}

}  // namespace braid::engine
