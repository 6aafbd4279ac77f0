// Handshake benchmark: what one core can do per second on each path a
// handshake initiation can take through a responder (doc/performance.md,
// "Handshakes and floods"):
//   - complete Noise_XX_25519_ChaChaPoly_BLAKE2b handshakes whose messages 2
//     and 3 carry a node certificate the receiver checks with
//     identity::TrustStore::verify (Ed25519), both sides on this core, and
//     the responder's share of that work alone;
//   - dropping an initiation whose mac1 is wrong (one keyed BLAKE2b);
//   - answering an initiation with a good mac1 by a cookie reply (mac1
//     check, the cookie as a keyed BLAKE2b of the source, and an
//     XChaCha20-Poly1305 seal of it), instead of any Diffie-Hellman.
// Run by hand: `make bench-handshake` or tests/bench/handshake_bench
// [--seconds N] (default 2 per figure).
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
#include "identity/cert.h"
#include "identity/keyfile.h"
#include "identity/prefix.h"
#include "identity/trust.h"

namespace {

using braid::crypto::HandshakeState;
namespace identity = braid::identity;

constexpr const char* kProtocol = "Noise_XX_25519_ChaChaPoly_BLAKE2b";
constexpr std::array<uint8_t, 4> kMagic = {0xbb, 0x90, 0xbb, 0x0e};
constexpr size_t kMacLen = 16;
// A certificate-network initiation: magic, type, index, e, mac1, mac2.
constexpr size_t kInitLen = 4 + 1 + 4 + 32 + 2 * kMacLen;  // 73
// A cookie reply: magic, type, receiver index, nonce, sealed cookie.
constexpr size_t kCookieReplyLen = 4 + 1 + 4 + 24 + kMacLen + 16;  // 65

[[noreturn]] void die(const std::string& what) {
  fprintf(stderr, "handshake_bench: %s\n", what.c_str());
  exit(1);
}

double now_s() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
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
  std::vector<uint8_t> cert;
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
  identity::Certificate c;
  if (trust.verify(payload, now, &c) != identity::Verdict::kOk) return false;
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
  bool ok = res.read_message(m1, p) && res.write_message(b.cert, m2);
  double t1 = now_s();
  if (!ok) return false;
  p.clear();
  if (!ini.read_message(m2, p) || !accept(trust, p, ini, now)) return false;
  if (!ini.write_message(a.cert, m3)) return false;
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
  a.cert = node_certificate(ca, "node-a.example", a.pub, 1);
  b.cert = node_certificate(ca, "node-b.example", b.pub, 2);
  if (trust.verify(a.cert, unix_now(), nullptr) != identity::Verdict::kOk)
    die("the node certificate does not verify");

  printf("%s, node certificates of %zu bytes, %g s per figure, one core\n", kProtocol,
         a.cert.size(), seconds);

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
            [&] { (void)trust.verify(b.cert, unix_now(), nullptr); });
  }

  // An initiation as a flood sends it, and the responder's mac1 key.
  std::array<uint8_t, 32> mac1_key{};
  {
    static constexpr std::string_view kLabel = "braid mac1 v1";
    crypto_generichash_state st;
    crypto_generichash_init(&st, nullptr, 0, mac1_key.size());
    crypto_generichash_update(&st, reinterpret_cast<const uint8_t*>(kLabel.data()), kLabel.size());
    crypto_generichash_update(&st, kMagic.data(), kMagic.size());
    crypto_generichash_update(&st, ca.public_key.data(), ca.public_key.size());
    crypto_generichash_final(&st, mac1_key.data(), mac1_key.size());
  }
  std::array<uint8_t, kInitLen> init{};
  randombytes_buf(init.data(), init.size());
  std::copy(kMagic.begin(), kMagic.end(), init.begin());
  init[4] = 1;
  const size_t mac1_at = kInitLen - 2 * kMacLen;
  volatile uint64_t sink = 0;

  // Bad mac1: one keyed BLAKE2b over the packet and a compare, then drop.
  measure("initiation dropped for a bad mac1", seconds, [&] {
    uint8_t mac[kMacLen];
    crypto_generichash(mac, kMacLen, init.data(), mac1_at, mac1_key.data(), mac1_key.size());
    if (sodium_memcmp(mac, init.data() + mac1_at, kMacLen) != 0) sink = sink + 1;
  });
  if (sink == 0) die("a random mac1 matched");

  // Good mac1 under load: check mac1 and mac2 (zero: no cookie), then make
  // the cookie for the source address and seal it into a cookie reply.
  crypto_generichash(init.data() + mac1_at, kMacLen, init.data(), mac1_at, mac1_key.data(),
                     mac1_key.size());
  memset(init.data() + mac1_at + kMacLen, 0, kMacLen);
  std::array<uint8_t, 32> cookie_secret{}, cookie_key{};
  randombytes_buf(cookie_secret.data(), cookie_secret.size());
  randombytes_buf(cookie_key.data(), cookie_key.size());
  const uint8_t source[6] = {10, 200, 1, 2, 0x30, 0x39};  // address and port
  std::array<uint8_t, kCookieReplyLen> reply{};
  uint64_t replies = 0;
  measure("cookie reply to a good mac1 (no DH)", seconds, [&] {
    uint8_t mac[kMacLen];
    crypto_generichash(mac, kMacLen, init.data(), mac1_at, mac1_key.data(), mac1_key.size());
    if (sodium_memcmp(mac, init.data() + mac1_at, kMacLen) != 0) return;
    uint8_t cookie[kMacLen];
    crypto_generichash(cookie, kMacLen, source, sizeof source, cookie_secret.data(),
                       cookie_secret.size());
    uint8_t* p = reply.data();
    memcpy(p, kMagic.data(), 4);
    p[4] = 6;
    memcpy(p + 5, init.data() + 5, 4);  // the initiator's index
    randombytes_buf(p + 9, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    unsigned long long clen = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(p + 33, &clen, cookie, sizeof cookie,
                                               init.data() + mac1_at, kMacLen, nullptr, p + 9,
                                               cookie_key.data());
    replies += clen == kMacLen + 16;
  });
  if (replies == 0) die("no cookie reply was sealed");
  return 0;
}
