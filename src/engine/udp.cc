// recvmmsg/sendmmsg batching over one UDP socket.
#include "engine/udp.h"

#include <cerrno>

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
  for (size_t i = 0; i < tx_count_; ++i) pool_.put(tx_bufs_[i]);
  tx_count_ = 0;
}

}  // namespace braid::engine
