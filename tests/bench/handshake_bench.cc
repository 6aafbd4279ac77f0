// Handshake benchmark: what one core can do per second on each path a
// handshake initiation can take through a responder (doc/performance.md,
// "Handshakes and floods"):
//   - complete Noise_XX_25519_ChaChaPoly_BLAKE2b handshakes whose messages 2
//     and 3 carry a node certificate the receiver checks with
//     identity::TrustStore::verify (Ed25519), both sides on this core, and
//     the responder's share of that work alone;
//   - dropping an initiation whose mac1 is wrong (one keyed BLAKE2b);
//   - answering an initiation with a good mac1 by a cookie reply, as a
//     responder under load does instead of any Diffie-Hellman: the mac1
//     check, the mac2 check against the current and previous cookie, and
//     the cookie sealed with XChaCha20-Poly1305.
// The MACs, cookies and handshake payloads are the engine's own code
// (engine/cookie.h, engine/wire.h), so the figures are the daemon's.
// Run by hand: `make bench-handshake` or tests/bench/handshake_bench
// [--seconds N] (default 2 CPU seconds per figure).
#include <sodium.h>
#include <time.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "crypto/noise.h"
#include "crypto/sodium.h"
#include "engine/cookie.h"
#include "engine/endpoint.h"
#include "engine/wire.h"
#include "identity/cert.h"
#include "identity/keyfile.h"
#include "identity/prefix.h"
#include "identity/trust.h"

namespace {

using braid::crypto::HandshakeState;
namespace identity = braid::identity;

constexpr const char* kProtocol = "Noise_XX_25519_ChaChaPoly_BLAKE2b";
namespace engine = braid::engine;
constexpr engine::Magic kMagic = {0xbb, 0x90, 0xbb, 0x0e};
// A certificate-network initiation: magic, type, index, e, mac1, mac2.
constexpr size_t kInitLen = engine::kMinInitLen;

[[noreturn]] void die(const std::string& what) {
  fprintf(stderr, "handshake_bench: %s\n", what.c_str());
  exit(1);
}

// CPU time of this thread, not wall time: the figures are per CPU second
// and hold on a machine busy with other work.
double now_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

uint64_t unix_now() { return static_cast<uint64_t>(time(nullptr)); }

identity::IpPrefix prefix(const char* text, bool host_bits_zero) {
  identity::IpPrefix p;
  std::string why;
  if (!identity::parse_prefix(text, host_bits_zero, &p, &why)) die(std::string(text) + ": " + why);
  return p;
}

// A node certificate of the size a real one has with a few addresses,
// claims and groups (printed, so the figure says what was verified).
std::vector<uint8_t> node_certificate(const identity::CaKey& ca, const char* name,
                                      const braid::crypto::Key& node_public, int index) {
  identity::Certificate c;
  c.kind = identity::CertKind::kNode;
  c.name = name;
  std::copy(node_public.begin(), node_public.end(), c.public_key.begin());
  c.not_before = unix_now() - 3600;
  c.not_after = unix_now() + 365 * 86400;
  std::string v4 = "10.99.0." + std::to_string(index) + "/24";
  std::string v6 = "fd99::" + std::to_string(index) + "/64";
  c.addresses = {prefix(v4.c_str(), false), prefix(v6.c_str(), false)};
  for (int i = 0; i < 5; ++i) {
    std::string claim = "10." + std::to_string(100 + index) + "." + std::to_string(i) + ".0/24";
    c.claims.push_back(prefix(claim.c_str(), true));
  }
  std::string v6claim = "fd99:" + std::to_string(index) + "::/48";
  c.claims.push_back(prefix(v6claim.c_str(), true));
  c.groups = {"servers", "europe-west", "storage"};
  std::string why;
  if (!identity::sign(&c, ca.secret_key, &why)) die("signing a node certificate: " + why);
  std::vector<uint8_t> out;
  if (!identity::encode(c, &out, &why)) die("encoding a node certificate: " + why);
  return out;
}

struct Node {
  braid::crypto::Key priv{}, pub{};
  std::vector<uint8_t> payload;  // the handshake payload: its certificate
};

HandshakeState new_state(bool initiator, const Node& n) {
  braid::crypto::HandshakeConfig hc;
  hc.protocol_name = kProtocol;
  hc.initiator = initiator;
  hc.prologue = {'b', 'r', 'a', 'i', 'd', ' ', 'v', '1'};
  hc.prologue.insert(hc.prologue.end(), kMagic.begin(), kMagic.end());
  hc.static_private = n.priv;
  std::string error;
  auto hs = HandshakeState::create(hc, &error);
  if (!hs) die("handshake state: " + error);
  return std::move(*hs);
}

// The receiver's check of a certificate payload: valid under the store and
// naming the static key the handshake authenticated.
bool accept(const identity::TrustStore& trust, std::span<const uint8_t> payload,
            const HandshakeState& hs, uint64_t now) {
  std::span<const uint8_t> cert;
  if (!engine::parse_handshake_payload(payload, &cert) || cert.empty()) return false;
  identity::Certificate c;
  if (trust.verify(cert, now, &c) != identity::Verdict::kOk) return false;
  return sodium_memcmp(c.public_key.data(), hs.remote_static().data(), 32) == 0;
}

// One complete handshake; adds the time spent in the responder's calls to
// *responder_s. False if any step fails (a bug: the benchmark stops).
bool handshake(const identity::TrustStore& trust, const Node& a, const Node& b,
               double* responder_s) {
  uint64_t now = unix_now();
  std::vector<uint8_t> m1, m2, m3, p;
  HandshakeState ini = new_state(true, a);
  if (!ini.write_message({}, m1)) return false;
  double t0 = now_s();
  HandshakeState res = new_state(false, b);
  bool ok = res.read_message(m1, p) && res.write_message(b.payload, m2);
  double t1 = now_s();
  if (!ok) return false;
  p.clear();
  if (!ini.read_message(m2, p) || !accept(trust, p, ini, now)) return false;
  if (!ini.write_message(a.payload, m3)) return false;
  p.clear();
  double t2 = now_s();
  ok = res.read_message(m3, p) && accept(trust, p, res, now) && res.finished();
  auto keys = res.split();
  double t3 = now_s();
  *responder_s += (t1 - t0) + (t3 - t2);
  return ok && ini.finished() && keys.first.has_key();
}

void report(const char* what, uint64_t n, double seconds, const char* note = "") {
  printf("%-44s %10.0f /s  (%7.2f us each)%s\n", what, static_cast<double>(n) / seconds,
         seconds * 1e6 / static_cast<double>(n), note);
}

// Runs `step` for about `seconds`, checking the clock every 64 calls.
template <typename F>
void measure(const char* what, double seconds, F step) {
  uint64_t n = 0;
  double start = now_s(), t = start;
  while (t - start < seconds) {
    for (int i = 0; i < 64; ++i) step();
    n += 64;
    t = now_s();
  }
  report(what, n, t - start);
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 2;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--seconds" && i + 1 < argc) {
      seconds = atof(argv[++i]);
      if (!(seconds > 0)) die("--seconds needs a positive number");
    } else {
      fprintf(stderr, "usage: handshake_bench [--seconds N]\n");
      return 2;
    }
  }
  braid::crypto::init();

  // A CA, its trust store, and two certified nodes.
  identity::CaKey ca = identity::generate_ca_key();
  identity::Certificate ca_cert;
  ca_cert.kind = identity::CertKind::kCa;
  ca_cert.name = "bench-ca";
  ca_cert.public_key = ca.public_key;
  ca_cert.not_before = unix_now() - 3600;
  ca_cert.not_after = unix_now() + 3650 * 86400ULL;
  std::string why;
  std::vector<uint8_t> ca_encoded;
  if (!identity::sign(&ca_cert, ca.secret_key, &why) ||
      !identity::encode(ca_cert, &ca_encoded, &why))
    die("CA certificate: " + why);
  identity::TrustStore trust;
  if (!trust.add_ca(ca_encoded, &why)) die("trust store: " + why);
  Node a, b;
  braid::crypto::generate_keypair(a.priv, a.pub);
  braid::crypto::generate_keypair(b.priv, b.pub);
  std::vector<uint8_t> a_cert = node_certificate(ca, "node-a.example", a.pub, 1);
  std::vector<uint8_t> b_cert = node_certificate(ca, "node-b.example", b.pub, 2);
  if (trust.verify(a_cert, unix_now(), nullptr) != identity::Verdict::kOk)
    die("the node certificate does not verify");
  engine::write_handshake_payload(a_cert, &a.payload);
  engine::write_handshake_payload(b_cert, &b.payload);

  printf("%s, node certificates of %zu bytes, %g CPU s per figure, one core\n", kProtocol,
         a_cert.size(), seconds);

  // Complete handshakes, both sides on this core.
  {
    uint64_t n = 0;
    double responder = 0, start = now_s(), t = start;
    while (t - start < seconds) {
      if (!handshake(trust, a, b, &responder)) die("a handshake failed");
      ++n;
      t = now_s();
    }
    report("complete handshakes (both sides)", n, t - start);
    report("  of which the responder's share", n, responder,
           "  <- responder handshakes/s");
  }

  // The parts, for reference.
  {
    braid::crypto::Key out{};
    int failed = 0;
    measure("X25519 (one DH)", seconds,
            [&] { failed |= crypto_scalarmult(out.data(), a.priv.data(), b.pub.data()); });
    if (failed) die("X25519 failed");
    measure("certificate check (TrustStore::verify)", seconds,
            [&] { (void)trust.verify(b_cert, unix_now(), nullptr); });
  }

  // An initiation as a flood sends it, and the responder's MAC keys (a
  // certificate network: derived from the CA's public key).
  engine::MacKey key = engine::derive_mac_key(kMagic, ca.public_key);
  std::array<uint8_t, kInitLen> init{};
  randombytes_buf(init.data(), init.size());
  std::copy(kMagic.begin(), kMagic.end(), init.begin());
  init[4] = static_cast<uint8_t>(engine::PacketType::kHandshakeInit);
  uint64_t dropped = 0;

  // Bad mac1: one keyed BLAKE2b over the packet and a compare, then drop.
  measure("initiation dropped for a bad mac1", seconds,
          [&] { dropped += !engine::check_mac1(init, key); });
  if (dropped == 0) die("a random mac1 matched");

  // Good mac1 under load, no mac2: what the responder does instead of the
  // handshake (engine/handshake.cc): mac1, load, mac2, cookie reply.
  engine::write_mac1(init, key);
  memset(init.data() + kInitLen - engine::kMacLen, 0, engine::kMacLen);
  const uint8_t source[4] = {10, 200, 1, 2};
  engine::Endpoint from = engine::Endpoint::from_bytes(4, source, 12345);
  engine::CookieChecker checker(0);  // always under load
  std::array<uint8_t, engine::kCookieReplyLen> reply{};
  uint64_t replies = 0, t_ns = 0;
  measure("cookie reply to a good mac1 (no DH)", seconds, [&] {
    t_ns += 1000;
    if (!engine::check_mac1(init, key)) return;
    if (!checker.note_initiation(t_ns) || checker.check(init, from, t_ns)) return;
    checker.make_reply(init, from, key, kMagic, reply);
    ++replies;
  });
  if (replies == 0) die("no cookie reply was made");
  return 0;
}
