// braid-capture: counts the frames a network device sends and receives and
// how many of them hold a byte pattern, until SIGTERM or SIGINT, then
// prints the counts. The relay tests use it to show that a relay's
// underlay and device never carry the plaintext of the packets it relays
// (a ping's `-p` pattern), while the end node's device does — so the check
// is known to be able to fail. A packet socket on one device needs no
// tcpdump, and a search over each whole frame cannot miss a pattern that
// a text dump would split across lines.
//
//   braid-capture DEVICE HEXPATTERN
//
// Prints "capturing on DEVICE" once the socket is bound (callers wait for
// that line before sending), and at the end one line
// "frames=N bytes=N matches=N drops=N" (drops: frames the kernel could not
// queue for us; a capture with drops proves nothing about what it missed).
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr const char* kProg = "braid-capture";
// A GSO or GRO batch on a veth arrives as one frame of up to 64 KiB.
constexpr size_t kMaxFrame = 1 << 17;
// Room for a burst while the process is not scheduled on a busy machine;
// SO_RCVBUFFORCE lifts the sysctl cap as root.
constexpr int kSocketBuffer = 8 << 20;

volatile sig_atomic_t g_stop = 0;

void on_signal(int) { g_stop = 1; }

bool parse_hex(std::string_view s, std::vector<uint8_t>* out) {
  if (s.empty() || s.size() % 2 != 0) return false;
  for (size_t i = 0; i < s.size(); i += 2) {
    unsigned v = 0;
    if (sscanf(std::string(s.substr(i, 2)).c_str(), "%2x", &v) != 1) return false;
    out->push_back(static_cast<uint8_t>(v));
  }
  return true;
}

bool contains(const uint8_t* p, size_t n, const std::vector<uint8_t>& pat) {
  return memmem(p, n, pat.data(), pat.size()) != nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<uint8_t> pattern;
  if (argc != 3 || !parse_hex(argv[2], &pattern)) {
    fprintf(stderr, "usage: %s DEVICE HEXPATTERN (an even number of hex digits)\n", kProg);
    return 2;
  }
  unsigned ifindex = if_nametoindex(argv[1]);
  if (ifindex == 0) {
    fprintf(stderr, "%s: no device %s: %s\n", kProg, argv[1], strerror(errno));
    return 1;
  }
  // Protocol 0 until bind: no frame of another device is queued before the
  // socket is bound to this one.
  int fd = socket(AF_PACKET, SOCK_RAW, 0);
  if (fd < 0) {
    fprintf(stderr, "%s: packet socket: %s\n", kProg, strerror(errno));
    return 1;
  }
  int size = kSocketBuffer;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = static_cast<int>(ifindex);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0) {
    fprintf(stderr, "%s: bind to %s: %s\n", kProg, argv[1], strerror(errno));
    return 1;
  }
  // Without SA_RESTART, so that the signal ends the blocking recv.
  struct sigaction sa{};
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  printf("capturing on %s\n", argv[1]);
  fflush(stdout);

  std::vector<uint8_t> buf(kMaxFrame);
  uint64_t frames = 0, bytes = 0, matches = 0;
  while (!g_stop) {
    ssize_t n = recv(fd, buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      fprintf(stderr, "%s: recv: %s\n", kProg, strerror(errno));
      return 1;
    }
    ++frames;
    bytes += static_cast<uint64_t>(n);
    if (contains(buf.data(), static_cast<size_t>(n), pattern)) ++matches;
  }
  tpacket_stats st{};
  socklen_t st_len = sizeof st;
  uint64_t drops = 0;
  if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &st_len) == 0) drops = st.tp_drops;
  printf("frames=%" PRIu64 " bytes=%" PRIu64 " matches=%" PRIu64 " drops=%" PRIu64 "\n", frames,
         bytes, matches, drops);
  close(fd);
  return 0;
}
