// braid-impair: a UDP relay that delays, jitters, loses and reorders the
// datagrams it carries, in both directions, and blackholes them on demand.
// This kernel has no netem, so the multi-link tests impair one link with it
// (tests/netns/multilink_impair.sh). Two more modes measure it: --echo
// answers every datagram and --probe sends timestamped ones and reports
// round-trip times, loss and rates (tests/netns/impair.sh).
//
// The relay holds every datagram in one heap ordered by the time it is due
// and sleeps in ppoll until the earliest is; the timer slack is set to 1 ns
// so it wakes when asked. Batches of recvmmsg/sendmmsg keep the cost per
// datagram small. Memory is bounded: past --limit datagrams or
// --limit-bytes queued, arrivals are dropped and counted.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

constexpr const char* kProg = "braid-impair";
// Datagrams per recvmmsg/sendmmsg: a burst of a 100 Mbit/s stream within
// a few milliseconds, in one system call.
constexpr size_t kBatch = 32;
constexpr size_t kMaxDatagram = 65535;
// Large enough that a burst the relay is slow to drain is queued, not lost
// in the kernel; SO_*BUFFORCE lifts the sysctl cap when run as root.
constexpr int kSocketBuffer = 4 << 20;
// Probe datagrams: sequence number and send time, 8 bytes each.
constexpr size_t kProbeHeader = 16;

enum class Mode { kRelay, kEcho, kProbe };

struct Endpoint {
  sockaddr_storage addr{};
  socklen_t len = 0;
};

struct Options {
  Mode mode = Mode::kRelay;
  Endpoint listen, to, target;
  double delay_ms = 0, jitter_ms = 0, loss = 0, reorder = 0, reorder_gap_ms = 10;
  size_t limit = 4096;
  size_t limit_bytes = 16u << 20;
  uint64_t seed = 1;
  uint64_t count = 100;
  double interval_ms = 10;
  size_t size = 64;
  double wait_ms = 1000;
};

constexpr const char* kUsage =
    "usage: braid-impair --listen ADDR:PORT --to ADDR:PORT [--delay MS] [--jitter MS]\n"
    "                    [--loss PERCENT] [--reorder PERCENT] [--reorder-gap MS]\n"
    "                    [--limit N] [--limit-bytes N] [--seed N]\n"
    "       braid-impair --echo ADDR:PORT\n"
    "       braid-impair --probe ADDR:PORT [--count N] [--interval MS] [--size BYTES]\n"
    "                    [--wait MS]\n";

[[noreturn]] void help() {
  printf("%s", kUsage);
  printf(
      "Relays UDP between clients of --listen and the server at --to. Datagrams\n"
      "from a client go to --to; datagrams from --to go to the last client seen.\n"
      "Both directions are impaired alike, with independent random draws: each\n"
      "datagram is lost with --loss percent, else held for --delay ms plus a\n"
      "uniform jitter in [-jitter, +jitter] (jitter alone reorders, as on a real\n"
      "path); --reorder percent of them are held --reorder-gap ms longer (default\n"
      "10) so that later ones overtake them. Past --limit datagrams (default\n"
      "4096) or --limit-bytes (default 16 MiB) queued, arrivals are dropped.\n"
      "--seed fixes the random draws (default 1). SIGUSR1 toggles a blackhole\n"
      "(every arrival dropped; queued ones still leave), SIGUSR2 prints the\n"
      "counters, SIGTERM or SIGINT prints them and exits.\n"
      "--echo sends every datagram back to its sender. --probe sends --count\n"
      "datagrams (default 100) of --size bytes (default 64, at least 16) every\n"
      "--interval ms (default 10) to ADDR:PORT, waits --wait ms (default 1000)\n"
      "for the last answers and prints round-trip times, loss and rates.\n"
      "Times may have decimals (0.1 = 100 us).\n");
  exit(0);
}

[[noreturn]] void usage_error(const std::string& msg) {
  fprintf(stderr, "%s: %s\n%s", kProg, msg.c_str(), kUsage);
  exit(2);
}

[[noreturn]] void fatal_errno(const std::string& what) {
  fprintf(stderr, "%s: %s: %s\n", kProg, what.c_str(), strerror(errno));
  exit(1);
}

int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

int64_t ms_to_ns(double ms) { return std::llround(ms * 1e6); }

std::string endpoint_str(const Endpoint& ep) {
  char host[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  if (ep.addr.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&ep.addr);
    inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
    port = ntohs(sin->sin_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&ep.addr);
  inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
  port = ntohs(sin6->sin6_port);
  return "[" + std::string(host) + "]:" + std::to_string(port);
}

// ADDR:PORT with a numeric IPv4 address, or [ADDR]:PORT with IPv6.
bool parse_endpoint(std::string_view text, Endpoint* out) {
  std::string host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return false;
    }
    host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return false;
    host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  if (port.empty() || port.size() > 5) return false;
  unsigned long p = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    p = p * 10 + static_cast<unsigned long>(c - '0');
  }
  if (p == 0 || p > 65535) return false;
  *out = Endpoint{};
  auto* sin = reinterpret_cast<sockaddr_in*>(&out->addr);
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out->addr);
  if (inet_pton(AF_INET, host.c_str(), &sin->sin_addr) == 1) {
    sin->sin_family = AF_INET;
    sin->sin_port = htons(static_cast<uint16_t>(p));
    out->len = sizeof(sockaddr_in);
    return true;
  }
  if (inet_pton(AF_INET6, host.c_str(), &sin6->sin6_addr) == 1) {
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(static_cast<uint16_t>(p));
    out->len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

double parse_number(const char* opt, const char* text, double lo, double hi) {
  char* end = nullptr;
  errno = 0;
  double v = strtod(text, &end);
  if (errno != 0 || end == text || *end != '\0' || !std::isfinite(v) || v < lo || v > hi) {
    usage_error(std::string("option ") + opt + ": bad value '" + text + "': expected a number " +
                std::to_string(lo) + ".." + std::to_string(hi));
  }
  return v;
}

uint64_t parse_count(const char* opt, const char* text, uint64_t lo, uint64_t hi) {
  char* end = nullptr;
  errno = 0;
  unsigned long long v = strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || v < lo || v > hi) {
    usage_error(std::string("option ") + opt + ": bad value '" + text + "': expected a whole number " +
                std::to_string(lo) + ".." + std::to_string(hi));
  }
  return v;
}

Options parse_options(int argc, char** argv) {
  Options o;
  bool have_listen = false, have_to = false, have_echo = false, have_probe = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") help();
    if (i + 1 >= argc) usage_error("option " + std::string(arg) + " needs a value (or is unknown)");
    const char* opt = argv[i];
    const char* val = argv[++i];
    auto endpoint = [&](Endpoint* ep) {
      if (!parse_endpoint(val, ep)) {
        usage_error(std::string("option ") + opt + ": bad value '" + val +
                    "': expected IPv4:PORT or [IPv6]:PORT");
      }
    };
    if (arg == "--listen") {
      endpoint(&o.listen);
      have_listen = true;
    } else if (arg == "--to") {
      endpoint(&o.to);
      have_to = true;
    } else if (arg == "--echo") {
      endpoint(&o.listen);
      have_echo = true;
    } else if (arg == "--probe") {
      endpoint(&o.target);
      have_probe = true;
    } else if (arg == "--delay") {
      o.delay_ms = parse_number(opt, val, 0, 60000);
    } else if (arg == "--jitter") {
      o.jitter_ms = parse_number(opt, val, 0, 60000);
    } else if (arg == "--loss") {
      o.loss = parse_number(opt, val, 0, 100);
    } else if (arg == "--reorder") {
      o.reorder = parse_number(opt, val, 0, 100);
    } else if (arg == "--reorder-gap") {
      o.reorder_gap_ms = parse_number(opt, val, 0, 60000);
    } else if (arg == "--limit") {
      o.limit = parse_count(opt, val, 1, 1000000);
    } else if (arg == "--limit-bytes") {
      o.limit_bytes = parse_count(opt, val, kMaxDatagram, uint64_t{1} << 32);
    } else if (arg == "--seed") {
      o.seed = parse_count(opt, val, 0, UINT64_MAX);
    } else if (arg == "--count") {
      o.count = parse_count(opt, val, 1, 10000000);
    } else if (arg == "--interval") {
      o.interval_ms = parse_number(opt, val, 0, 60000);
    } else if (arg == "--size") {
      o.size = parse_count(opt, val, kProbeHeader, 65507);
    } else if (arg == "--wait") {
      o.wait_ms = parse_number(opt, val, 0, 600000);
    } else {
      usage_error("unknown option " + std::string(arg));
    }
  }
  if (have_echo + have_probe + (have_listen || have_to) != 1) {
    usage_error("give --listen and --to (relay), --echo or --probe");
  }
  if (have_echo) o.mode = Mode::kEcho;
  if (have_probe) o.mode = Mode::kProbe;
  if (o.mode == Mode::kRelay && (!have_listen || !have_to)) {
    usage_error("the relay needs both --listen and --to");
  }
  return o;
}

// --- signals -----------------------------------------------------------
//
// They stay blocked except inside ppoll, so a handler never interrupts the
// loop half-way and none is lost between a check and the sleep.

volatile sig_atomic_t g_stop = 0;
volatile sig_atomic_t g_toggles = 0;
volatile sig_atomic_t g_report = 0;

void on_signal(int sig) {
  if (sig == SIGUSR1) {
    g_toggles = g_toggles + 1;
  } else if (sig == SIGUSR2) {
    g_report = 1;
  } else {
    g_stop = 1;
  }
}

// Returns the mask to hand to ppoll (the signals unblocked).
sigset_t setup_signals() {
  sigset_t block, old;
  sigemptyset(&block);
  struct sigaction sa{};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGUSR1, SIGUSR2, SIGTERM, SIGINT, SIGHUP}) {
    sigaddset(&block, sig);
    sigaction(sig, &sa, nullptr);
  }
  sigprocmask(SIG_BLOCK, &block, &old);
  for (int sig : {SIGUSR1, SIGUSR2, SIGTERM, SIGINT, SIGHUP}) sigdelset(&old, sig);
  return old;
}

// Waits for fds until deadline (ns on the monotonic clock, -1: none).
int wait_fds(pollfd* fds, nfds_t n, int64_t deadline, const sigset_t& mask) {
  timespec ts{};
  timespec* tp = nullptr;
  if (deadline >= 0) {
    int64_t left = std::max<int64_t>(0, deadline - now_ns());
    ts.tv_sec = left / 1000000000;
    ts.tv_nsec = left % 1000000000;
    tp = &ts;
  }
  int r = ppoll(fds, n, tp, &mask);
  if (r < 0 && errno != EINTR) fatal_errno("ppoll");
  return r;
}

void set_buffers(int fd) {
  int size = kSocketBuffer;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  }
}

int open_socket(int family) {
  int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fatal_errno("socket");
  set_buffers(fd);
  return fd;
}

int bound_socket(const Endpoint& ep) {
  int fd = open_socket(ep.addr.ss_family);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&ep.addr), ep.len) != 0) {
    fatal_errno("cannot bind " + endpoint_str(ep));
  }
  return fd;
}

int connected_socket(const Endpoint& ep) {
  int fd = open_socket(ep.addr.ss_family);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&ep.addr), ep.len) != 0) {
    fatal_errno("cannot connect to " + endpoint_str(ep));
  }
  return fd;
}

// Receive buffers for one recvmmsg batch, with room for source addresses.
struct Batch {
  std::vector<uint8_t> data = std::vector<uint8_t>(kBatch * kMaxDatagram);
  std::array<iovec, kBatch> iov{};
  std::array<sockaddr_storage, kBatch> from{};
  std::array<mmsghdr, kBatch> msgs{};

  // Returns the number of datagrams read, 0 when none is waiting.
  int receive(int fd) {
    for (size_t i = 0; i < kBatch; ++i) {
      iov[i] = {data.data() + i * kMaxDatagram, kMaxDatagram};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &from[i];
      msgs[i].msg_hdr.msg_namelen = sizeof from[i];
    }
    int n = recvmmsg(fd, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
    return n < 0 ? -1 : n;
  }
  const uint8_t* at(int i) const { return data.data() + static_cast<size_t>(i) * kMaxDatagram; }
  size_t len(int i) const { return msgs[i].msg_len; }
};

// --- relay -------------------------------------------------------------

struct Counters {
  uint64_t received = 0, bytes_in = 0, sent = 0, bytes_out = 0;
  uint64_t lost = 0, reordered = 0, overflow = 0, blackholed = 0;
  uint64_t send_errors = 0, receive_errors = 0, no_client = 0;
  int64_t late_sum_ns = 0, late_max_ns = 0;
};

struct Pending {
  int64_t due;
  uint64_t seq;  // arrival order: equal due times leave in it
  int dir;       // 0: client -> server, 1: server -> client
  std::vector<uint8_t> data;
};

// Earliest due at the front of the heap.
bool later(const Pending& a, const Pending& b) {
  return a.due != b.due ? a.due > b.due : a.seq > b.seq;
}

class Relay {
 public:
  Relay(const Options& o, int listen_fd, int up_fd)
      : o_(o), fds_{listen_fd, up_fd}, rng_(o.seed) {}

  int run(const sigset_t& mask) {
    printf("%s: relaying %s <-> %s: delay %g ms, jitter %g ms, loss %g%%, reorder %g%% (+%g ms)\n",
           kProg, endpoint_str(o_.listen).c_str(), endpoint_str(o_.to).c_str(), o_.delay_ms,
           o_.jitter_ms, o_.loss, o_.reorder, o_.reorder_gap_ms);
    fflush(stdout);
    sig_atomic_t toggles_seen = 0;
    while (!g_stop) {
      if (g_toggles != toggles_seen) {
        // An even number of toggles since the last look cancels out.
        if ((g_toggles - toggles_seen) % 2 != 0) {
          blackhole_ = !blackhole_;
          printf("%s: blackhole %s\n", kProg, blackhole_ ? "on" : "off");
          fflush(stdout);
        }
        toggles_seen = g_toggles;
      }
      if (g_report) {
        g_report = 0;
        report();
      }
      pollfd pfd[2] = {{fds_[0], POLLIN, 0}, {fds_[1], POLLIN, 0}};
      int64_t deadline = queue_.empty() ? -1 : queue_.front().due;
      if (wait_fds(pfd, 2, deadline, mask) > 0) {
        for (int dir = 0; dir < 2; ++dir) {
          if (pfd[dir].revents & (POLLIN | POLLERR)) receive(dir);
        }
      }
      flush(now_ns());
    }
    report();
    return 0;
  }

 private:
  void receive(int dir) {
    // A few batches at most, so that due datagrams are not held up.
    for (int round = 0; round < 4; ++round) {
      int n = batch_.receive(fds_[dir]);
      if (n < 0) {
        // ECONNREFUSED: an ICMP error for an earlier datagram to --to.
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) ++c_[dir].receive_errors;
        return;
      }
      int64_t now = now_ns();
      for (int i = 0; i < n; ++i) {
        if (dir == 0) {
          client_.len = batch_.msgs[i].msg_hdr.msg_namelen;
          memcpy(&client_.addr, &batch_.from[i], client_.len);
          have_client_ = true;
        }
        admit(dir, batch_.at(i), batch_.len(i), now);
      }
      if (n < static_cast<int>(kBatch)) return;
    }
  }

  void admit(int dir, const uint8_t* data, size_t len, int64_t now) {
    Counters& c = c_[dir];
    ++c.received;
    c.bytes_in += len;
    if (blackhole_) {
      ++c.blackholed;
      return;
    }
    if (dir == 1 && !have_client_) {
      ++c.no_client;
      return;
    }
    if (o_.loss > 0 && uniform_(rng_) * 100 < o_.loss) {
      ++c.lost;
      return;
    }
    int64_t delay = ms_to_ns(o_.delay_ms);
    if (o_.jitter_ms > 0) {
      delay += std::llround((uniform_(rng_) * 2 - 1) * o_.jitter_ms * 1e6);
      delay = std::max<int64_t>(0, delay);
    }
    if (o_.reorder > 0 && uniform_(rng_) * 100 < o_.reorder) {
      delay += ms_to_ns(o_.reorder_gap_ms);
      ++c.reordered;
    }
    if (queue_.size() >= o_.limit || queued_bytes_ + len > o_.limit_bytes) {
      ++c.overflow;
      return;
    }
    queue_.push_back({now + delay, seq_++, dir, std::vector<uint8_t>(data, data + len)});
    std::push_heap(queue_.begin(), queue_.end(), later);
    queued_bytes_ += len;
    queued_max_ = std::max(queued_max_, queue_.size());
  }

  // Sends every datagram due by now, in batches per direction.
  void flush(int64_t now) {
    while (!queue_.empty() && queue_.front().due <= now) {
      for (auto& out : out_) out.clear();
      while (!queue_.empty() && queue_.front().due <= now) {
        std::pop_heap(queue_.begin(), queue_.end(), later);
        Pending p = std::move(queue_.back());
        queue_.pop_back();
        queued_bytes_ -= p.data.size();
        int64_t late = now - p.due;
        const int dir = p.dir;
        c_[dir].late_sum_ns += late;
        c_[dir].late_max_ns = std::max(c_[dir].late_max_ns, late);
        out_[dir].push_back(std::move(p));
        if (out_[dir].size() == kBatch) send(dir);
      }
      send(0);
      send(1);
      now = now_ns();
    }
  }

  void send(int dir) {
    auto& out = out_[dir];
    if (out.empty()) return;
    std::array<iovec, kBatch> iov{};
    std::array<mmsghdr, kBatch> msgs{};
    for (size_t i = 0; i < out.size(); ++i) {
      iov[i] = {out[i].data.data(), out[i].data.size()};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      if (dir == 1) {
        msgs[i].msg_hdr.msg_name = &client_.addr;
        msgs[i].msg_hdr.msg_namelen = client_.len;
      }
    }
    // Forward goes out of the socket connected to --to, backward out of the
    // listening one to the last client.
    int fd = dir == 0 ? fds_[1] : fds_[0];
    size_t done = 0;
    while (done < out.size()) {
      int n = sendmmsg(fd, msgs.data() + done, static_cast<unsigned>(out.size() - done), MSG_DONTWAIT);
      if (n <= 0) {
        if (n < 0 && errno == EINTR) continue;
        // A full socket buffer or an ICMP error: that datagram is lost, as
        // on a link whose queue is full; the rest still go.
        ++c_[dir].send_errors;
        ++done;
        continue;
      }
      for (size_t i = done; i < done + static_cast<size_t>(n); ++i) {
        ++c_[dir].sent;
        c_[dir].bytes_out += out[i].data.size();
      }
      done += static_cast<size_t>(n);
    }
    out.clear();
  }

  void report() {
    static constexpr const char* kNames[2] = {"forward", "backward"};
    for (int dir = 0; dir < 2; ++dir) {
      const Counters& c = c_[dir];
      uint64_t delivered = c.sent + c.send_errors;
      printf("%s: %s received=%" PRIu64 " bytes_in=%" PRIu64 " sent=%" PRIu64 " bytes_out=%" PRIu64
             " lost=%" PRIu64 " reordered=%" PRIu64 " overflow=%" PRIu64 " blackholed=%" PRIu64
             " send_errors=%" PRIu64 " receive_errors=%" PRIu64 " no_client=%" PRIu64
             " late_avg_us=%.1f late_max_us=%.1f\n",
             kProg, kNames[dir], c.received, c.bytes_in, c.sent, c.bytes_out, c.lost, c.reordered,
             c.overflow, c.blackholed, c.send_errors, c.receive_errors, c.no_client,
             delivered ? static_cast<double>(c.late_sum_ns) / static_cast<double>(delivered) / 1e3 : 0.0,
             static_cast<double>(c.late_max_ns) / 1e3);
    }
    printf("%s: queued_now=%zu queued_max=%zu blackhole=%s\n", kProg, queue_.size(), queued_max_,
           blackhole_ ? "on" : "off");
    fflush(stdout);
  }

  const Options& o_;
  int fds_[2];  // 0: listening (clients), 1: connected to --to
  Endpoint client_;
  bool have_client_ = false;
  bool blackhole_ = false;
  std::mt19937_64 rng_;
  std::uniform_real_distribution<double> uniform_{0.0, 1.0};
  std::vector<Pending> queue_;  // a heap by later()
  size_t queued_bytes_ = 0, queued_max_ = 0;
  uint64_t seq_ = 0;
  std::array<std::vector<Pending>, 2> out_;
  Batch batch_;
  Counters c_[2];
};

// --- echo ----------------------------------------------------------------

int run_echo(const Options& o, const sigset_t& mask) {
  int fd = bound_socket(o.listen);
  printf("%s: echoing on %s\n", kProg, endpoint_str(o.listen).c_str());
  fflush(stdout);
  Batch batch;
  uint64_t echoed = 0, errors = 0;
  while (!g_stop) {
    pollfd pfd{fd, POLLIN, 0};
    if (wait_fds(&pfd, 1, -1, mask) <= 0) continue;
    int n = batch.receive(fd);
    if (n <= 0) continue;
    for (int i = 0; i < n; ++i) {
      // The same buffers go back out, each to its sender.
      batch.iov[i].iov_len = batch.len(i);
    }
    int done = 0;
    while (done < n) {
      int s = sendmmsg(fd, batch.msgs.data() + done, static_cast<unsigned>(n - done), MSG_DONTWAIT);
      if (s <= 0) {
        if (s < 0 && errno == EINTR) continue;
        ++errors;
        ++done;
        continue;
      }
      echoed += static_cast<uint64_t>(s);
      done += s;
    }
  }
  printf("%s: echo echoed=%" PRIu64 " errors=%" PRIu64 "\n", kProg, echoed, errors);
  return 0;
}

// --- probe ---------------------------------------------------------------

void put64(uint8_t* p, uint64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) p[i] = static_cast<uint8_t>(v);
}

uint64_t get64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

double percentile(const std::vector<int64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(std::llround(q * static_cast<double>(sorted.size() - 1)));
  return static_cast<double>(sorted[i]) / 1e6;
}

int run_probe(const Options& o, const sigset_t& mask) {
  int fd = connected_socket(o.target);
  std::vector<uint8_t> seen(o.count, 0);
  std::vector<int64_t> rtts;
  rtts.reserve(o.count);
  std::vector<uint8_t> out(kBatch * o.size, 0);
  std::array<iovec, kBatch> iov{};
  std::array<mmsghdr, kBatch> msgs{};
  Batch batch;
  uint64_t sent = 0, duplicates = 0, reordered = 0, bogus = 0, send_errors = 0;
  uint64_t highest = 0;
  bool any = false;
  const int64_t interval = ms_to_ns(o.interval_ms);
  const int64_t start = now_ns();
  int64_t last_send = start, last_receive = start, end = -1;
  while (!g_stop) {
    int64_t now = now_ns();
    if (sent < o.count) {
      // Every datagram due by now goes, in batches: a late wake-up makes a
      // burst, not a slower rate.
      size_t n = 0;
      while (sent + n < o.count && n < kBatch && start + static_cast<int64_t>(sent + n) * interval <= now) {
        uint8_t* p = out.data() + n * o.size;
        put64(p, sent + n);
        put64(p + 8, static_cast<uint64_t>(now));
        iov[n] = {p, o.size};
        msgs[n] = {};
        msgs[n].msg_hdr.msg_iov = &iov[n];
        msgs[n].msg_hdr.msg_iovlen = 1;
        ++n;
      }
      size_t done = 0;
      while (done < n) {
        int s = sendmmsg(fd, msgs.data() + done, static_cast<unsigned>(n - done), 0);
        if (s <= 0) {
          if (s < 0 && errno == EINTR) continue;
          ++send_errors;
          ++done;
          continue;
        }
        done += static_cast<size_t>(s);
      }
      sent += n;
      if (n > 0) last_send = now;
      if (sent == o.count) end = now + ms_to_ns(o.wait_ms);
    } else if (now >= end) {
      break;
    }
    int64_t deadline = sent < o.count ? start + static_cast<int64_t>(sent) * interval : end;
    pollfd pfd{fd, POLLIN, 0};
    if (wait_fds(&pfd, 1, deadline, mask) <= 0) continue;
    int n = batch.receive(fd);
    int64_t at = now_ns();
    for (int i = 0; i < n; ++i) {
      if (batch.len(i) < kProbeHeader) {
        ++bogus;
        continue;
      }
      uint64_t seq = get64(batch.at(i));
      int64_t sent_at = static_cast<int64_t>(get64(batch.at(i) + 8));
      if (seq >= o.count || sent_at < start || sent_at > at) {
        ++bogus;
        continue;
      }
      if (seen[seq]) {
        ++duplicates;
        continue;
      }
      seen[seq] = 1;
      if (any && seq < highest) ++reordered;
      highest = any ? std::max(highest, seq) : seq;
      any = true;
      rtts.push_back(at - sent_at);
      last_receive = at;
    }
  }
  std::sort(rtts.begin(), rtts.end());
  double sum = 0;
  for (int64_t r : rtts) sum += static_cast<double>(r) / 1e6;
  uint64_t received = rtts.size();
  double send_s = static_cast<double>(std::max<int64_t>(1, last_send - start)) / 1e9;
  double recv_s = static_cast<double>(std::max<int64_t>(1, last_receive - start)) / 1e9;
  printf("probe sent=%" PRIu64 " received=%" PRIu64 " lost=%" PRIu64 " loss_pct=%.2f duplicates=%" PRIu64
         " reordered=%" PRIu64 " bogus=%" PRIu64 " send_errors=%" PRIu64
         " rtt_min_ms=%.3f rtt_median_ms=%.3f rtt_avg_ms=%.3f rtt_p95_ms=%.3f rtt_max_ms=%.3f"
         " send_mbit=%.1f recv_mbit=%.1f\n",
         sent, received, sent - received, sent ? 100.0 * static_cast<double>(sent - received) / static_cast<double>(sent) : 0.0,
         duplicates, reordered, bogus, send_errors, percentile(rtts, 0), percentile(rtts, 0.5),
         received ? sum / static_cast<double>(received) : 0.0, percentile(rtts, 0.95), percentile(rtts, 1),
         static_cast<double>(sent * o.size) * 8 / send_s / 1e6,
         static_cast<double>(received * o.size) * 8 / recv_s / 1e6);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse_options(argc, argv);
  // Wake-ups when asked, not up to 50 us later: the delays are the product.
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  sigset_t mask = setup_signals();
  switch (o.mode) {
    case Mode::kEcho:
      return run_echo(o, mask);
    case Mode::kProbe:
      return run_probe(o, mask);
    case Mode::kRelay:
      break;
  }
  int listen_fd = bound_socket(o.listen);
  int up_fd = connected_socket(o.to);
  Relay relay(o, listen_fd, up_fd);
  return relay.run(mask);
}
