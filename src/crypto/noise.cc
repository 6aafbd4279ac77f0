// The Noise state machines (CipherState, SymmetricState, HandshakeState)
// on libsodium: X25519, ChaCha20-Poly1305 (IETF), AES-256-GCM, BLAKE2b.
#include "crypto/noise.h"

#include <sodium.h>

#include <algorithm>

#include "crypto/sodium.h"

namespace braid::crypto {

namespace {

constexpr uint64_t kMaxNonce = UINT64_MAX;  // reserved by Noise (rekey)

std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

// ---- CipherState ----------------------------------------------------------

CipherState::~CipherState() { wipe(); }

CipherState CipherState::clone() const {
  CipherState c(kind_);
  c.has_key_ = has_key_;
  c.k_ = k_;
  c.n_ = n_;
  return c;
}

SymmetricState SymmetricState::clone() const {
  SymmetricState s(cs_.kind());
  s.cs_ = cs_.clone();
  s.ck_ = ck_;
  s.h_ = h_;
  return s;
}

HandshakeState HandshakeState::clone() const {
  HandshakeState h(kind_);
  h.ss_ = ss_.clone();
  h.pattern_ = pattern_;
  h.next_ = next_;
  h.initiator_ = initiator_;
  h.failed_ = failed_;
  h.has_s_ = has_s_, h.has_e_ = has_e_, h.has_rs_ = has_rs_, h.has_re_ = has_re_;
  h.s_priv_ = s_priv_, h.s_pub_ = s_pub_, h.e_priv_ = e_priv_, h.e_pub_ = e_pub_;
  h.rs_ = rs_, h.re_ = re_;
  h.fixed_e_ = fixed_e_;
  h.psks_.keys = psks_.keys;
  h.next_psk_ = next_psk_;
  return h;
}

CipherState::CipherState(CipherState&& other) noexcept
    : kind_(other.kind_), has_key_(other.has_key_), k_(other.k_), n_(other.n_) {
  other.wipe();
}

CipherState& CipherState::operator=(CipherState&& other) noexcept {
  if (this != &other) {
    kind_ = other.kind_;
    has_key_ = other.has_key_;
    k_ = other.k_;
    n_ = other.n_;
    other.wipe();
  }
  return *this;
}

void CipherState::wipe() {
  sodium_memzero(k_.data(), k_.size());
  has_key_ = false;
  n_ = 0;
}

void CipherState::initialize_key(std::span<const uint8_t> key32) {
  wipe();
  if (key32.size() == kKeyLen) {
    std::copy(key32.begin(), key32.end(), k_.begin());
    has_key_ = true;
  }
}

// Writes pt.size() + 16 bytes to out.
bool CipherState::seal(uint64_t n, std::span<const uint8_t> ad, std::span<const uint8_t> pt,
                       uint8_t* out) const {
  uint8_t nonce[12];
  if (kind_ == CipherKind::kAesGcm) {
    aesgcm_nonce(n, nonce);
    return crypto_aead_aes256gcm_encrypt(out, nullptr, pt.data(), pt.size(), ad.data(),
                                         ad.size(), nullptr, nonce, k_.data()) == 0;
  }
  chacha_nonce(n, nonce);
  return crypto_aead_chacha20poly1305_ietf_encrypt(out, nullptr, pt.data(), pt.size(),
                                                   ad.data(), ad.size(), nullptr, nonce,
                                                   k_.data()) == 0;
}

bool CipherState::encrypt_with_ad(std::span<const uint8_t> ad, std::span<const uint8_t> pt,
                                  std::vector<uint8_t>& out) {
  const size_t old = out.size();
  if (!has_key_) {
    out.insert(out.end(), pt.begin(), pt.end());
    return true;
  }
  if (n_ == kMaxNonce) return false;
  out.resize(old + pt.size() + kTagLen);
  if (!seal(n_, ad, pt, out.data() + old)) {
    out.resize(old);
    return false;
  }
  ++n_;
  return true;
}

bool CipherState::decrypt_with_ad(std::span<const uint8_t> ad, std::span<const uint8_t> ct,
                                  std::vector<uint8_t>& out) {
  const size_t old = out.size();
  if (!has_key_) {
    out.insert(out.end(), ct.begin(), ct.end());
    return true;
  }
  if (n_ == kMaxNonce || ct.size() < kTagLen) return false;
  out.resize(old + ct.size() - kTagLen);
  uint8_t nonce[12];
  int rc;
  if (kind_ == CipherKind::kAesGcm) {
    aesgcm_nonce(n_, nonce);
    rc = crypto_aead_aes256gcm_decrypt(out.data() + old, nullptr, nullptr, ct.data(),
                                       ct.size(), ad.data(), ad.size(), nonce, k_.data());
  } else {
    chacha_nonce(n_, nonce);
    rc = crypto_aead_chacha20poly1305_ietf_decrypt(out.data() + old, nullptr, nullptr,
                                                   ct.data(), ct.size(), ad.data(),
                                                   ad.size(), nonce, k_.data());
  }
  if (rc != 0) {
    out.resize(old);
    return false;
  }
  ++n_;
  return true;
}

void CipherState::rekey() {
  if (!has_key_) return;
  std::array<uint8_t, kKeyLen> zeros{};
  std::array<uint8_t, kKeyLen + kTagLen> out;
  if (seal(kMaxNonce, {}, zeros, out.data()))
    std::copy(out.begin(), out.begin() + kKeyLen, k_.begin());
  sodium_memzero(out.data(), out.size());
}

TransportKey to_transport_key(const CipherState& cs) {
  if (!cs.has_key()) return TransportKey();
  return TransportKey(cs.kind() == CipherKind::kAesGcm ? TransportCipher::kAes256Gcm
                                                       : TransportCipher::kChaCha20Poly1305,
                      std::span<const uint8_t, kKeyLen>(cs.key(), kKeyLen));
}

// ---- SymmetricState -------------------------------------------------------

SymmetricState::~SymmetricState() {
  sodium_memzero(ck_.data(), ck_.size());
  sodium_memzero(h_.data(), h_.size());
}

void SymmetricState::initialize(std::string_view protocol_name) {
  // A name that fits is used as h directly, zero-padded; a longer one is
  // hashed.
  if (protocol_name.size() <= kHashLen) {
    h_.fill(0);
    std::copy(protocol_name.begin(), protocol_name.end(), h_.begin());
  } else {
    h_ = blake2b(as_bytes(protocol_name));
  }
  ck_ = h_;
  cs_.initialize_key({});
}

void SymmetricState::mix_key(std::span<const uint8_t> ikm) {
  Digest temp_k;
  hkdf2(ck_, ikm, ck_, temp_k);
  // HASHLEN is 64: the cipher key is the first 32 bytes.
  cs_.initialize_key(std::span<const uint8_t>(temp_k).first(kKeyLen));
  sodium_memzero(temp_k.data(), temp_k.size());
}

void SymmetricState::mix_hash(std::span<const uint8_t> data) { h_ = blake2b(h_, data); }

void SymmetricState::mix_key_and_hash(std::span<const uint8_t> ikm) {
  Digest temp_h, temp_k;
  hkdf3(ck_, ikm, ck_, temp_h, temp_k);
  mix_hash(temp_h);
  cs_.initialize_key(std::span<const uint8_t>(temp_k).first(kKeyLen));
  sodium_memzero(temp_k.data(), temp_k.size());
}

bool SymmetricState::encrypt_and_hash(std::span<const uint8_t> pt, std::vector<uint8_t>& out) {
  const size_t old = out.size();
  if (!cs_.encrypt_with_ad(h_, pt, out)) return false;
  mix_hash(std::span<const uint8_t>(out).subspan(old));
  return true;
}

bool SymmetricState::decrypt_and_hash(std::span<const uint8_t> ct, std::vector<uint8_t>& out) {
  // h before the ciphertext is mixed in is the associated data.
  Digest ad = h_;
  if (!cs_.decrypt_with_ad(ad, ct, out)) return false;
  mix_hash(ct);
  return true;
}

std::pair<CipherState, CipherState> SymmetricState::split() const {
  Digest k1, k2;
  hkdf2(ck_, {}, k1, k2);
  std::pair<CipherState, CipherState> out{CipherState(cs_.kind()), CipherState(cs_.kind())};
  out.first.initialize_key(std::span<const uint8_t>(k1).first(kKeyLen));
  out.second.initialize_key(std::span<const uint8_t>(k2).first(kKeyLen));
  sodium_memzero(k1.data(), k1.size());
  sodium_memzero(k2.data(), k2.size());
  return out;
}

// ---- HandshakeState -------------------------------------------------------

namespace {

struct ProtocolName {
  std::string_view pattern;
  CipherKind cipher;
};

// "Noise_<pattern>_25519_<cipher>_BLAKE2b"
std::optional<ProtocolName> parse_protocol_name(std::string_view name, std::string* error) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    size_t pos = name.find('_', start);
    parts.push_back(name.substr(start, pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  auto fail = [&](const std::string& why) {
    if (error) *error = "protocol name '" + std::string(name) + "': " + why;
    return std::nullopt;
  };
  if (parts.size() != 5 || parts[0] != "Noise")
    return fail("expected Noise_PATTERN_25519_CIPHER_BLAKE2b");
  if (parts[2] != "25519") return fail("unsupported DH function '" + std::string(parts[2]) + "'");
  if (parts[4] != "BLAKE2b") return fail("unsupported hash '" + std::string(parts[4]) + "'");
  ProtocolName pn{parts[1], CipherKind::kChaChaPoly};
  if (parts[3] == "AESGCM") {
    if (!aes256gcm_available()) return fail("AESGCM needs a CPU with AES-NI");
    pn.cipher = CipherKind::kAesGcm;
  } else if (parts[3] != "ChaChaPoly") {
    return fail("unsupported cipher '" + std::string(parts[3]) + "'");
  }
  return pn;
}

bool contains(const std::vector<Token>& tokens, Token t) {
  return std::find(tokens.begin(), tokens.end(), t) != tokens.end();
}

}  // namespace

std::optional<HandshakeState> HandshakeState::create(const HandshakeConfig& config,
                                                     std::string* error) {
  init();
  auto pn = parse_protocol_name(config.protocol_name, error);
  if (!pn) return std::nullopt;
  std::string pattern_error;
  auto pattern = parse_pattern(pn->pattern, &pattern_error);
  if (!pattern) {
    if (error) *error = "protocol name '" + config.protocol_name + "': " + pattern_error;
    return std::nullopt;
  }
  auto fail = [&](const std::string& why) {
    if (error) *error = config.protocol_name + ": " + why;
    return std::nullopt;
  };

  const bool ini = config.initiator;
  const auto& local_pre = ini ? pattern->initiator_pre : pattern->responder_pre;
  const auto& remote_pre = ini ? pattern->responder_pre : pattern->initiator_pre;
  // Message i is sent by the initiator when i is even.
  bool sends_s = false;
  for (size_t i = 0; i < pattern->messages.size(); ++i)
    if ((i % 2 == 0) == ini && contains(pattern->messages[i], Token::kS)) sends_s = true;

  if ((sends_s || contains(local_pre, Token::kS)) && !config.static_private)
    return fail("the pattern needs a local static key");
  if (contains(local_pre, Token::kE) && !config.ephemeral_private)
    return fail("the pattern needs a pre-shared local ephemeral key");
  if (contains(remote_pre, Token::kS) && !config.remote_static)
    return fail("the pattern needs the remote static key");
  if (contains(remote_pre, Token::kE) && !config.remote_ephemeral)
    return fail("the pattern needs the remote ephemeral key");
  if (config.psks.size() != static_cast<size_t>(pattern->psk_count))
    return fail("the pattern needs " + std::to_string(pattern->psk_count) + " PSK(s), got " +
                std::to_string(config.psks.size()));

  HandshakeState hs(pn->cipher);
  hs.pattern_ = *pattern;
  hs.initiator_ = ini;
  hs.psks_.keys = config.psks;
  if (config.static_private) {
    hs.s_priv_ = *config.static_private;
    hs.s_pub_ = public_key(hs.s_priv_);
    hs.has_s_ = true;
  }
  hs.fixed_e_ = config.ephemeral_private;
  // Keys of the remote side are taken only where a pre-message says they
  // are known; otherwise they come from the handshake itself.
  if (contains(remote_pre, Token::kS)) {
    hs.rs_ = *config.remote_static;
    hs.has_rs_ = true;
  }
  if (contains(remote_pre, Token::kE)) {
    hs.re_ = *config.remote_ephemeral;
    hs.has_re_ = true;
  }
  if (contains(local_pre, Token::kE)) {
    hs.e_priv_ = *config.ephemeral_private;
    hs.e_pub_ = public_key(hs.e_priv_);
    hs.has_e_ = true;
  }

  hs.ss_.initialize(config.protocol_name);
  hs.ss_.mix_hash(config.prologue);
  // Pre-message keys are hashed initiator's first, e before s as listed.
  for (int side = 0; side < 2; ++side) {
    const bool initiator_side = side == 0;
    const auto& pre = initiator_side ? hs.pattern_.initiator_pre : hs.pattern_.responder_pre;
    const bool local = initiator_side == ini;
    for (Token t : pre) {
      if (t == Token::kE)
        hs.mix_ephemeral(local ? hs.e_pub_ : hs.re_);
      else
        hs.ss_.mix_hash(local ? hs.s_pub_ : hs.rs_);
    }
  }
  return hs;
}

HandshakeState::~HandshakeState() {
  sodium_memzero(s_priv_.data(), s_priv_.size());
  sodium_memzero(e_priv_.data(), e_priv_.size());
  if (fixed_e_) sodium_memzero(fixed_e_->data(), fixed_e_->size());
}

void HandshakeState::WipedKeys::wipe() {
  for (auto& k : keys) sodium_memzero(k.data(), k.size());
}

HandshakeState::WipedKeys& HandshakeState::WipedKeys::operator=(WipedKeys&& other) noexcept {
  if (this != &other) {
    wipe();
    keys = std::move(other.keys);
  }
  return *this;
}

bool HandshakeState::is_my_turn_to_write() const {
  return !failed_ && !finished() && (next_ % 2 == 0) == initiator_;
}

// In PSK mode every ephemeral key is also mixed into the key (section 9.2),
// so no encryption happens under a key that depends only on the PSK.
void HandshakeState::mix_ephemeral(const Key& pub) {
  ss_.mix_hash(pub);
  if (pattern_.psk_count > 0) ss_.mix_key(pub);
}

bool HandshakeState::dh(const Key& priv, const Key& pub) {
  Key shared;
  // libsodium refuses a result of all zeros (a low-order remote point):
  // such a key would contribute nothing, so the message fails.
  const bool ok = crypto_scalarmult(shared.data(), priv.data(), pub.data()) == 0;
  if (ok) ss_.mix_key(shared);
  sodium_memzero(shared.data(), shared.size());
  return ok;
}

bool HandshakeState::write_message(std::span<const uint8_t> payload, std::vector<uint8_t>& out) {
  if (!is_my_turn_to_write()) return false;
  const size_t old = out.size();
  if (!write_tokens(payload, out) || out.size() - old > kMaxMessageLen) {
    out.resize(old);
    failed_ = true;
    return false;
  }
  ++next_;
  finish_if_done();
  return true;
}

bool HandshakeState::write_tokens(std::span<const uint8_t> payload, std::vector<uint8_t>& out) {
  for (Token t : pattern_.messages[next_]) {
    switch (t) {
      case Token::kE:
        if (fixed_e_)
          e_priv_ = *fixed_e_;
        else
          randombytes_buf(e_priv_.data(), e_priv_.size());
        e_pub_ = public_key(e_priv_);
        has_e_ = true;
        out.insert(out.end(), e_pub_.begin(), e_pub_.end());
        mix_ephemeral(e_pub_);
        break;
      case Token::kS:
        if (!ss_.encrypt_and_hash(s_pub_, out)) return false;
        break;
      default:
        if (!mix_token(t)) return false;
        break;
    }
  }
  return ss_.encrypt_and_hash(payload, out);
}

// The tokens that read and write alike: Diffie-Hellman results and PSKs
// mixed into the chaining key.
bool HandshakeState::mix_token(Token t) {
  switch (t) {
    case Token::kEE:
      return dh(e_priv_, re_);
    case Token::kES:
      return initiator_ ? dh(e_priv_, rs_) : dh(s_priv_, re_);
    case Token::kSE:
      return initiator_ ? dh(s_priv_, re_) : dh(e_priv_, rs_);
    case Token::kSS:
      return dh(s_priv_, rs_);
    case Token::kPsk:
      ss_.mix_key_and_hash(psks_.keys[next_psk_++]);
      return true;
    default:
      return false;
  }
}

bool HandshakeState::read_message(std::span<const uint8_t> message,
                                  std::vector<uint8_t>& payload_out) {
  if (failed_ || finished() || is_my_turn_to_write()) return false;
  const size_t old = payload_out.size();
  if (message.size() > kMaxMessageLen || !read_tokens(message, payload_out)) {
    payload_out.resize(old);
    failed_ = true;
    return false;
  }
  ++next_;
  finish_if_done();
  return true;
}

bool HandshakeState::read_tokens(std::span<const uint8_t> message,
                                 std::vector<uint8_t>& payload_out) {
  for (Token t : pattern_.messages[next_]) {
    switch (t) {
      case Token::kE:
        if (message.size() < kKeyLen) return false;
        std::copy_n(message.begin(), kKeyLen, re_.begin());
        message = message.subspan(kKeyLen);
        has_re_ = true;
        mix_ephemeral(re_);
        break;
      case Token::kS: {
        const size_t len = kKeyLen + (ss_.has_key() ? kTagLen : 0);
        if (message.size() < len) return false;
        std::vector<uint8_t> rs;
        if (!ss_.decrypt_and_hash(message.first(len), rs)) return false;
        std::copy_n(rs.begin(), kKeyLen, rs_.begin());
        message = message.subspan(len);
        has_rs_ = true;
        break;
      }
      default:
        if (!mix_token(t)) return false;
        break;
    }
  }
  return ss_.decrypt_and_hash(message, payload_out);
}

void HandshakeState::finish_if_done() {
  // The ephemeral private key is needed by no later message: wipe it now
  // rather than when the state is destroyed.
  if (finished()) sodium_memzero(e_priv_.data(), e_priv_.size());
}

std::pair<CipherState, CipherState> HandshakeState::split() const {
  if (!finished() || failed_)
    return {CipherState(kind_), CipherState(kind_)};
  return ss_.split();
}

// ---- keys -----------------------------------------------------------------

void generate_keypair(Key& priv, Key& pub) {
  init();
  randombytes_buf(priv.data(), priv.size());
  pub = public_key(priv);
}

Key public_key(const Key& priv) {
  init();
  Key pub;
  crypto_scalarmult_base(pub.data(), priv.data());
  return pub;
}

}  // namespace braid::crypto
