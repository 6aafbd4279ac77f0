// Batched UDP I/O over loopback: what is queued arrives as the same
// datagrams, in order, whether it left as GSO runs or one by one.
#include "engine/udp.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include <CppUTest/TestHarness.h>

using namespace braid;
using namespace braid::engine;

namespace {

UniqueFd bound_socket(uint16_t* port) {
  UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  socklen_t len = sizeof sa;
  getsockname(fd.get(), reinterpret_cast<sockaddr*>(&sa), &len);
  *port = ntohs(sa.sin_port);
  int size = 4 << 20;
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  return fd;
}

Endpoint loopback(uint16_t port) {
  const uint8_t addr[4] = {127, 0, 0, 1};
  return Endpoint::from_bytes(4, addr, port);
}

}  // namespace

TEST_GROUP(UdpSocket) {
  BufferPool pool{512, 2048};
};

TEST(UdpSocket, QueuedDatagramsArriveIntactAndInOrder) {
  uint16_t pa, pb, pc;
  UdpSocket a(bound_socket(&pa), AF_INET, pool);
  UdpSocket b(bound_socket(&pb), AF_INET, pool);
  UdpSocket c(bound_socket(&pc), AF_INET, pool);
  // Runs that GSO can group (same size, same peer), a shorter last one,
  // interleaved destinations and odd sizes: 150 datagrams, more than a batch.
  std::vector<std::pair<int, size_t>> sent;
  for (int i = 0; i < 150; ++i) {
    size_t len = (i % 50 == 49) ? 700 : (i < 100 ? 1400 : 100 + static_cast<size_t>(i));
    int dest = (i >= 120 && i % 2) ? 2 : 1;
    PacketBuf* buf = pool.get(0);
    for (size_t k = 0; k < len; ++k) buf->data()[k] = static_cast<uint8_t>(i + k);
    buf->len = len;
    a.queue(loopback(dest == 1 ? pb : pc), buf);
    sent.emplace_back(dest, len);
  }
  a.flush();
  LONGS_EQUAL(150, a.sent());
  // Loopback takes GSO: the runs above went through the grouping code.
  CHECK(a.gso());
  LONGS_EQUAL(0, a.send_errors());

  std::vector<std::vector<uint8_t>> got_b, got_c;
  auto collect = [&](std::vector<std::vector<uint8_t>>& into) {
    return [&](const Endpoint& from, PacketBuf* buf) {
      CHECK(from == loopback(pa));
      into.emplace_back(buf->data(), buf->data() + buf->len);
      pool.put(buf);
    };
  };
  for (int round = 0; round < 10; ++round) {
    b.receive(collect(got_b));
    c.receive(collect(got_c));
  }
  size_t ib = 0, ic = 0;
  for (int i = 0; i < 150; ++i) {
    auto& got = sent[i].first == 1 ? got_b : got_c;
    size_t& idx = sent[i].first == 1 ? ib : ic;
    CHECK(idx < got.size());
    LONGS_EQUAL(sent[i].second, got[idx].size());
    for (size_t k = 0; k < got[idx].size(); ++k)
      LONGS_EQUAL(static_cast<uint8_t>(i + k), got[idx][k]);
    ++idx;
  }
  LONGS_EQUAL(got_b.size(), ib);
  LONGS_EQUAL(got_c.size(), ic);
  LONGS_EQUAL(512, pool.available());
}

TEST(UdpSocket, DatagramToAnUnreachableFamilyIsCountedNotSent) {
  uint16_t pa;
  UdpSocket a(bound_socket(&pa), AF_INET, pool);
  uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8};
  PacketBuf* buf = pool.get(0);
  buf->len = 10;
  a.queue(Endpoint::from_bytes(6, v6, 1), buf);
  a.flush();
  LONGS_EQUAL(1, a.send_errors());
  LONGS_EQUAL(512, pool.available());
}
