// braid-beacon-probe: sends and receives LAN beacons the way a node does
// (engine/beacon.h), on a UDP socket of its own, so a netns test can prove
// that beacons cross a real link (tests/netns/lan_beacon_probe.sh).
//
// It binds the port (dual-stack IPv6, or IPv4 with --family 4), sends a
// beacon for --id on every LAN interface every --interval-ms, and prints
// one line per datagram it receives:
//   beacon NODEID from ENDPOINT[%IFNAME] v4|v6
//   drop malformed|bad-mac from ENDPOINT
// It runs for --seconds (the other probes must hear it too, so it does not
// stop early) and exits 0 when every --expect NODEID/FAMILIES was heard
// over each family named (v4, v6 or v4v6); 1 when one was not, or at once
// when its own beacon comes back to it.
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "common/hex.h"
#include "config/value.h"
#include "crypto/sodium.h"
#include "engine/beacon.h"
#include "engine/endpoint.h"

namespace {

using braid::engine::NodeId;

constexpr const char* kProg = "braid-beacon-probe";
constexpr const char* kUsage =
    "usage: braid-beacon-probe --port PORT --magic M --key TEXT --id NODEID\n"
    "       [--overlay IFNAME] [--family 4|6] [--expect NODEID/v4|v6|v4v6]...\n"
    "       [--seconds N] [--interval-ms N]\n";

struct Expect {
  NodeId id{};
  bool want4 = false, want6 = false;
  bool got4 = false, got6 = false;
  bool done() const { return (!want4 || got4) && (!want6 || got6); }
};

struct Options {
  uint16_t port = 0;
  braid::engine::Magic magic{};
  std::string key;
  NodeId id{};
  std::string overlay = "braid0";
  int family = AF_INET6;
  std::vector<Expect> expect;
  unsigned seconds = 10;
  unsigned interval_ms = 200;
};

[[noreturn]] void usage(const std::string& why) {
  fprintf(stderr, "%s: %s\n%s", kProg, why.c_str(), kUsage);
  exit(2);
}

template <typename T>
bool parse_uint(std::string_view text, T* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

bool parse_id(std::string_view text, NodeId* out) {
  auto bytes = braid::from_hex(text);
  if (!bytes || bytes->size() != out->size()) return false;
  std::copy(bytes->begin(), bytes->end(), out->begin());
  return true;
}

Options parse_options(int argc, char** argv) {
  Options o;
  bool have_port = false, have_magic = false, have_key = false, have_id = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view opt = argv[i];
    if (opt == "-h" || opt == "--help") {
      printf("%s", kUsage);
      exit(0);
    }
    if (i + 1 >= argc) usage("option " + std::string(opt) + " needs a value");
    std::string_view val = argv[++i];
    std::string bad = "bad value '" + std::string(val) + "' for " + std::string(opt);
    if (opt == "--port") {
      if (!parse_uint(val, &o.port) || o.port == 0) usage(bad + ": expected a port");
      have_port = true;
    } else if (opt == "--magic") {
      braid::config::ValueError err;
      if (!braid::config::parse_magic(val, &o.magic, &err)) usage(bad + ": " + err.expected);
      have_magic = true;
    } else if (opt == "--key") {
      o.key = val;
      have_key = true;
    } else if (opt == "--id") {
      if (!parse_id(val, &o.id)) usage(bad + ": expected 64 hex digits");
      have_id = true;
    } else if (opt == "--overlay") {
      o.overlay = val;
    } else if (opt == "--family") {
      if (val != "4" && val != "6") usage(bad + ": expected 4 or 6");
      o.family = val == "4" ? AF_INET : AF_INET6;
    } else if (opt == "--expect") {
      size_t slash = val.find('/');
      Expect e;
      std::string_view fam = slash == std::string_view::npos ? "" : val.substr(slash + 1);
      e.want4 = fam == "v4" || fam == "v4v6";
      e.want6 = fam == "v6" || fam == "v4v6";
      if ((!e.want4 && !e.want6) || !parse_id(val.substr(0, slash), &e.id))
        usage(bad + ": expected NODEID/v4, /v6 or /v4v6");
      o.expect.push_back(e);
    } else if (opt == "--seconds") {
      if (!parse_uint(val, &o.seconds) || o.seconds == 0) usage(bad + ": expected seconds > 0");
    } else if (opt == "--interval-ms") {
      if (!parse_uint(val, &o.interval_ms) || o.interval_ms == 0)
        usage(bad + ": expected milliseconds > 0");
    } else {
      usage("unknown option " + std::string(opt));
    }
  }
  if (!have_port || !have_magic || !have_key || !have_id)
    usage("--port, --magic, --key and --id are required");
  return o;
}

uint64_t now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

// The socket a node would have: dual-stack IPv6 on all addresses, or IPv4.
int open_socket(const Options& o) {
  int fd = socket(o.family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  sockaddr_storage ss{};
  socklen_t len;
  if (o.family == AF_INET6) {
    int off = 0;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(o.port);
    len = sizeof *in6;
  } else {
    auto* in = reinterpret_cast<sockaddr_in*>(&ss);
    in->sin_family = AF_INET;
    in->sin_port = htons(o.port);
    len = sizeof *in;
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Reads every waiting datagram; false when our own beacon came back.
bool receive(int fd, const Options& o, const braid::engine::MacKey& key,
             std::vector<Expect>& expect) {
  for (;;) {
    uint8_t buf[2048];
    sockaddr_storage from{};
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0) return true;
    auto ep = braid::engine::Endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&from), len);
    NodeId id{};
    auto r = braid::engine::check_beacon({buf, static_cast<size_t>(n)}, o.magic, key, &id);
    if (r != braid::engine::BeaconCheck::kOk) {
      printf("drop %s from %s\n", r == braid::engine::BeaconCheck::kBadMac ? "bad-mac" : "malformed",
             ep.str().c_str());
      continue;
    }
    std::string where = ep.str();
    char ifname[IF_NAMESIZE];
    if (!ep.is_v4() && ep.sa.sin6_scope_id != 0 && if_indextoname(ep.sa.sin6_scope_id, ifname))
      where += std::string("%") + ifname;
    printf("beacon %s from %s %s\n", braid::to_hex(id).c_str(), where.c_str(),
           ep.is_v4() ? "v4" : "v6");
    if (id == o.id) {
      printf("own beacon came back\n");
      return false;
    }
    for (Expect& e : expect) {
      if (e.id != id) continue;
      (ep.is_v4() ? e.got4 : e.got6) = true;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse_options(argc, argv);
  setvbuf(stdout, nullptr, _IOLBF, 0);
  braid::crypto::init();
  const auto key = braid::engine::derive_mac_key(
      o.magic, {reinterpret_cast<const uint8_t*>(o.key.data()), o.key.size()});
  uint8_t beacon[braid::engine::kBeaconLen];
  braid::engine::write_beacon(o.magic, o.id, key, beacon);

  int fd = open_socket(o);
  if (fd < 0) {
    fprintf(stderr, "%s: cannot bind port %u: %s\n", kProg, o.port, strerror(errno));
    return 1;
  }
  braid::engine::LanBeacon lan(fd, o.family, o.port, o.overlay);
  const uint64_t end = now_ms() + o.seconds * 1000ull;
  uint64_t next_send = 0;
  std::string last_report;
  for (;;) {
    uint64_t t = now_ms();
    if (t >= end) break;
    if (t >= next_send) {
      size_t n = lan.send(beacon);
      std::string report = "sent on " + std::to_string(n) + ":";
      for (const auto& s : lan.interfaces()) {
        if (!s.sent4 && !s.sent6) continue;
        report += " " + s.iface.name + (s.sent4 ? "/v4" : "") + (s.sent6 ? "/v6" : "");
      }
      // Only changes: a line per send would drown the receptions.
      if (report != last_report) printf("%s\n", report.c_str());
      last_report = report;
      next_send = t + o.interval_ms;
    }
    pollfd p{fd, POLLIN, 0};
    poll(&p, 1, static_cast<int>(std::min<uint64_t>(next_send, end) - t));
    if (!receive(fd, o, key, o.expect)) return 1;
  }
  int status = 0;
  for (const Expect& e : o.expect) {
    if (e.done()) continue;
    printf("not heard: %s%s%s\n", braid::to_hex(e.id).c_str(), e.want4 && !e.got4 ? " v4" : "",
           e.want6 && !e.got6 ? " v6" : "");
    status = 1;
  }
  return status;
}
