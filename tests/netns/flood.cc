// braid-flood: floods a braid node with handshake initiations from spoofed
// IPv4 source addresses, to test and measure its defences (doc/protocol.md,
// "Handshake initiation"; doc/performance.md, "Handshakes and floods").
//
// Packets go out through a raw socket with IP_HDRINCL, IPv4 and UDP headers
// built here, in batches of sendmmsg. Each carries a random sender index and
// random Noise bytes. Without --ca the two MACs are random: the responder
// drops each after one hash. With --ca mac1 is valid for the network of
// that CA, so a responder under load must answer each with a cookie reply.
// Replies go to the spoofed sources; the test routes those to this tool's
// namespace, where nothing listens.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sodium.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "config/value.h"
#include "crypto/sodium.h"
#include "engine/checksum.h"
#include "identity/cert.h"
#include "identity/keyfile.h"

namespace {

constexpr const char* kProg = "braid-flood";
constexpr size_t kIpHeaderLen = 20;
constexpr size_t kUdpHeaderLen = 8;
constexpr size_t kPrefixLen = 5;  // magic, type
constexpr size_t kIndexLen = 4;
constexpr size_t kMacLen = 16;
constexpr uint8_t kTypeInit = 1;
// Datagrams per sendmmsg: enough to make the system call cost small per
// packet, few enough that --rate stays smooth.
constexpr size_t kBatch = 64;
constexpr std::string_view kMac1Label = "braid mac1 v1";

struct Options {
  in_addr target{};
  uint16_t port = 0;
  std::array<uint8_t, 4> magic{};
  uint32_t src_net = 0;   // host byte order
  uint32_t src_mask = 0;  // host byte order, 0 for /0
  std::string ca_file;
  double seconds = 0;     // 0: no time limit
  uint64_t count = 0;     // 0: no count limit
  uint64_t rate = 0;      // packets per second, 0: as fast as possible
  size_t noise_len = 32;  // 32 (certificate network) or 48 (shared key)
};

constexpr const char* kUsage =
    "usage: braid-flood --target IP:PORT --magic M --sources CIDR [--ca FILE]\n"
    "       [--seconds N | --count N] [--rate PPS] [--noise-len 32|48]\n";

[[noreturn]] void help() {
  printf("%s", kUsage);
  printf(
      "Sends braid handshake initiations from random addresses of CIDR (IPv4)\n"
      "to IP:PORT through a raw socket. Without --ca the MACs are random (a\n"
      "responder drops each after one hash); with --ca mac1 is valid for the\n"
      "network of the CA certificate in FILE (a responder under load answers\n"
      "with a cookie reply). --noise-len 48 sends the shared-key length.\n"
      "Runs until interrupted unless --seconds or --count is given; --rate\n"
      "limits packets per second. Needs root (CAP_NET_RAW).\n");
  exit(0);
}

[[noreturn]] void usage(const std::string& why) {
  fprintf(stderr, "%s: %s\n%s", kProg, why.c_str(), kUsage);
  exit(2);
}

[[noreturn]] void die(const std::string& what) {
  fprintf(stderr, "%s: %s\n", kProg, what.c_str());
  exit(1);
}

template <typename T>
bool parse_uint(std::string_view text, T* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

bool parse_target(std::string_view text, Options* o) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::string ip(text.substr(0, colon));
  return inet_pton(AF_INET, ip.c_str(), &o->target) == 1 &&
         parse_uint(text.substr(colon + 1), &o->port) && o->port != 0;
}

bool parse_cidr(std::string_view text, Options* o) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return false;
  std::string ip(text.substr(0, slash));
  in_addr a{};
  unsigned len = 0;
  if (inet_pton(AF_INET, ip.c_str(), &a) != 1 || !parse_uint(text.substr(slash + 1), &len) ||
      len > 32)
    return false;
  o->src_mask = len == 0 ? 0 : ~uint32_t{0} << (32 - len);
  o->src_net = ntohl(a.s_addr) & o->src_mask;
  return true;
}

Options parse_options(int argc, char** argv) {
  Options o;
  bool have_target = false, have_magic = false, have_sources = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view opt = argv[i];
    if (opt == "-h" || opt == "--help") help();
    if (i + 1 >= argc) usage("option " + std::string(opt) + " needs a value");
    std::string_view val = argv[++i];
    std::string bad = "bad value '" + std::string(val) + "' for " + std::string(opt);
    if (opt == "--target") {
      if (!parse_target(val, &o)) usage(bad + ": expected IPV4:PORT");
      have_target = true;
    } else if (opt == "--magic") {
      braid::config::ValueError err;
      if (!braid::config::parse_magic(val, &o.magic, &err))
        usage(bad + ": " + err.expected);
      have_magic = true;
    } else if (opt == "--sources") {
      if (!parse_cidr(val, &o)) usage(bad + ": expected IPV4/LEN");
      have_sources = true;
    } else if (opt == "--ca") {
      o.ca_file = val;
    } else if (opt == "--seconds") {
      char* end = nullptr;
      std::string v(val);
      o.seconds = strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || !(o.seconds > 0)) usage(bad + ": expected seconds > 0");
    } else if (opt == "--count") {
      if (!parse_uint(val, &o.count) || o.count == 0) usage(bad + ": expected a count > 0");
    } else if (opt == "--rate") {
      if (!parse_uint(val, &o.rate) || o.rate == 0) usage(bad + ": expected packets/s > 0");
    } else if (opt == "--noise-len") {
      if (!parse_uint(val, &o.noise_len) || (o.noise_len != 32 && o.noise_len != 48))
        usage(bad + ": expected 32 or 48");
    } else {
      usage("unknown option " + std::string(opt));
    }
  }
  if (!have_target) usage("--target is required");
  if (!have_magic) usage("--magic is required");
  if (!have_sources) usage("--sources is required");
  if (o.seconds > 0 && o.count > 0) usage("give --seconds or --count, not both");
  return o;
}

// mac1_key = BLAKE2b-256("braid mac1 v1" || magic || CA public key): what a
// responder of that network checks mac1 with.
std::array<uint8_t, 32> mac1_key_from_ca(const Options& o) {
  std::vector<std::vector<uint8_t>> certs;
  std::string why;
  if (!braid::identity::load_certificates(o.ca_file, &certs, &why)) die(why);
  if (certs.empty()) die(o.ca_file + ": no certificate in the file");
  braid::identity::Certificate ca;
  if (!braid::identity::decode(certs[0], &ca, &why)) die(o.ca_file + ": " + why);
  if (ca.kind != braid::identity::CertKind::kCa) die(o.ca_file + ": not a CA certificate");
  std::array<uint8_t, 32> key{};
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, key.size());
  crypto_generichash_update(&st, reinterpret_cast<const uint8_t*>(kMac1Label.data()),
                            kMac1Label.size());
  crypto_generichash_update(&st, o.magic.data(), o.magic.size());
  crypto_generichash_update(&st, ca.public_key.data(), ca.public_key.size());
  crypto_generichash_final(&st, key.data(), key.size());
  return key;
}

// xoshiro256**: random bytes fast enough not to limit the send rate; a
// flood needs variety, not secrecy. Seeded from the system's random source.
class Rng {
 public:
  Rng() { randombytes_buf(s_, sizeof s_); }
  uint64_t next() {
    uint64_t result = rotl(s_[1] * 5, 7) * 9;
    uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  void fill(uint8_t* p, size_t n) {
    while (n > 0) {
      uint64_t v = next();
      size_t k = std::min<size_t>(n, 8);
      for (size_t i = 0; i < k; ++i, v >>= 8) p[i] = static_cast<uint8_t>(v);
      p += k;
      n -= k;
    }
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

double now_s() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

void sleep_s(double d) {
  auto whole = static_cast<time_t>(d);
  timespec ts{whole, static_cast<long>((d - static_cast<double>(whole)) * 1e9)};
  nanosleep(&ts, nullptr);
}

class Flooder {
 public:
  Flooder(const Options& o, bool valid_mac1, const std::array<uint8_t, 32>& mac1_key)
      : o_(o), valid_mac1_(valid_mac1), mac1_key_(mac1_key),
        payload_len_(kPrefixLen + kIndexLen + o.noise_len + 2 * kMacLen),
        packet_len_(kIpHeaderLen + kUdpHeaderLen + payload_len_),
        bufs_(kBatch * packet_len_) {
    dst_.sin_family = AF_INET;
    dst_.sin_addr = o.target;
    for (size_t i = 0; i < kBatch; ++i) {
      iov_[i].iov_base = &bufs_[i * packet_len_];
      iov_[i].iov_len = packet_len_;
      msgs_[i].msg_hdr.msg_name = &dst_;
      msgs_[i].msg_hdr.msg_namelen = sizeof dst_;
      msgs_[i].msg_hdr.msg_iov = &iov_[i];
      msgs_[i].msg_hdr.msg_iovlen = 1;
    }
  }

  // Sends one batch of n packets; returns how many the kernel took.
  size_t send_batch(int fd, size_t n) {
    for (size_t i = 0; i < n; ++i) build(&bufs_[i * packet_len_]);
    size_t done = 0;
    while (done < n) {
      int r = sendmmsg(fd, msgs_ + done, static_cast<unsigned>(n - done), 0);
      if (r < 0) {
        if (errno == EINTR && !g_stop) continue;
        if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) {
          ++send_errors_;
          break;
        }
        die(std::string("sendmmsg: ") + strerror(errno));
      }
      done += static_cast<size_t>(r);
    }
    return done;
  }
  uint64_t send_errors() const { return send_errors_; }
  size_t packet_len() const { return packet_len_; }

 private:
  void build(uint8_t* p) {
    uint32_t host = static_cast<uint32_t>(rng_.next()) & ~o_.src_mask;
    uint32_t src = o_.src_net | host;
    uint32_t dst = ntohl(o_.target.s_addr);
    uint16_t sport = static_cast<uint16_t>(1024 + rng_.next() % (65536 - 1024));
    uint8_t src_b[4], dst_b[4];
    braid::put_be32(src_b, src);
    braid::put_be32(dst_b, dst);

    // braid payload: magic, type, sender index (non-zero), noise, mac1, mac2.
    uint8_t* pl = p + kIpHeaderLen + kUdpHeaderLen;
    memcpy(pl, o_.magic.data(), 4);
    pl[4] = kTypeInit;
    uint32_t index;
    do index = static_cast<uint32_t>(rng_.next()); while (index == 0);
    braid::put_be32(pl + kPrefixLen, index);
    constexpr size_t kNoiseAt = kPrefixLen + kIndexLen;
    size_t macs = payload_len_ - 2 * kMacLen;
    if (valid_mac1_) {
      rng_.fill(pl + kNoiseAt, macs - kNoiseAt);
      crypto_generichash(pl + macs, kMacLen, pl, macs, mac1_key_.data(), mac1_key_.size());
      memset(pl + macs + kMacLen, 0, kMacLen);  // no cookie: mac2 is zero
    } else {
      rng_.fill(pl + kNoiseAt, payload_len_ - kNoiseAt);
    }

    // UDP header and checksum (pseudo-header, header, payload).
    uint8_t* udp = p + kIpHeaderLen;
    uint16_t udp_len = static_cast<uint16_t>(kUdpHeaderLen + payload_len_);
    braid::put_be16(udp, sport);
    braid::put_be16(udp + 2, o_.port);
    braid::put_be16(udp + 4, udp_len);
    braid::put_be16(udp + 6, 0);
    uint32_t sum = braid::engine::pseudo_header_sum(false, src_b, dst_b, IPPROTO_UDP, udp_len);
    sum = braid::engine::checksum_add(udp, udp_len, sum);
    uint16_t csum = braid::engine::checksum_finish(sum);
    braid::put_be16(udp + 6, csum == 0 ? 0xffff : csum);  // 0 means "no checksum"

    // IPv4 header: the kernel fills in the id (left 0) and checks nothing
    // else, so the checksum is computed here too.
    p[0] = 0x45;
    p[1] = 0;
    braid::put_be16(p + 2, static_cast<uint16_t>(packet_len_));
    braid::put_be16(p + 4, 0);
    braid::put_be16(p + 6, 0x4000);  // don't fragment
    p[8] = 64;
    p[9] = IPPROTO_UDP;
    braid::put_be16(p + 10, 0);
    memcpy(p + 12, src_b, 4);
    memcpy(p + 16, dst_b, 4);
    uint32_t ip_sum = braid::engine::checksum_add(p, kIpHeaderLen, 0);
    braid::put_be16(p + 10, braid::engine::checksum_finish(ip_sum));
  }

  const Options& o_;
  bool valid_mac1_;
  std::array<uint8_t, 32> mac1_key_;
  size_t payload_len_;
  size_t packet_len_;
  std::vector<uint8_t> bufs_;
  sockaddr_in dst_{};
  iovec iov_[kBatch]{};
  mmsghdr msgs_[kBatch]{};
  Rng rng_;
  uint64_t send_errors_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  Options o = parse_options(argc, argv);
  braid::crypto::init();
  bool valid_mac1 = !o.ca_file.empty();
  std::array<uint8_t, 32> mac1_key{};
  if (valid_mac1) mac1_key = mac1_key_from_ca(o);

  // IPPROTO_RAW implies IP_HDRINCL; set it anyway so the intent is explicit.
  int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
  if (fd < 0) {
    int e = errno;
    die(std::string("cannot open a raw IPv4 socket: ") + strerror(e) +
        (e == EPERM || e == EACCES ? " (run as root or with CAP_NET_RAW)" : ""));
  }
  int one = 1;
  if (setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof one) < 0)
    die(std::string("setsockopt IP_HDRINCL: ") + strerror(errno));

  struct sigaction sa{};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  Flooder flooder(o, valid_mac1, mac1_key);
  char target[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &o.target, target, sizeof target);
  fprintf(stderr, "%s: flooding %s:%u with %zu-byte initiations (%s mac1)%s\n", kProg, target,
          o.port, flooder.packet_len() - kIpHeaderLen - kUdpHeaderLen,
          valid_mac1 ? "valid" : "random", o.rate ? "" : " as fast as possible");

  // With --rate, batches are small enough (about one per millisecond) that
  // pacing by sleeping between them keeps the rate even.
  size_t batch = kBatch;
  if (o.rate) batch = std::clamp<size_t>(static_cast<size_t>(o.rate / 1000), 1, kBatch);
  double start = now_s(), end = start + o.seconds;
  uint64_t sent = 0;
  while (!g_stop) {
    double t = now_s();
    if (o.seconds > 0 && t >= end) break;
    size_t n = batch;
    if (o.count) {
      if (sent >= o.count) break;
      n = static_cast<size_t>(std::min<uint64_t>(n, o.count - sent));
    }
    if (o.rate) {
      double due = start + static_cast<double>(sent) / static_cast<double>(o.rate);
      if (due > t) {
        sleep_s(due - t);
        continue;
      }
    }
    sent += flooder.send_batch(fd, n);
  }
  double elapsed = now_s() - start;
  close(fd);
  printf("sent %llu packets in %.2f s: %.0f packets/s, %.1f Mbit/s of IP packets",
         static_cast<unsigned long long>(sent), elapsed,
         elapsed > 0 ? static_cast<double>(sent) / elapsed : 0.0,
         elapsed > 0 ? static_cast<double>(sent) * static_cast<double>(flooder.packet_len()) * 8 /
                           elapsed / 1e6
                     : 0.0);
  if (flooder.send_errors()) printf(" (%llu batches cut short: kernel buffers full)",
                                    static_cast<unsigned long long>(flooder.send_errors()));
  printf("\n");
  return 0;
}
