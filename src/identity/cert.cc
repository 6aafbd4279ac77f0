// Certificates and revocation lists: the strict binary encoding, signing
// and signature checks. The encoding is canonical (one byte string per
// value), so a decoded certificate re-encodes to exactly the bytes that
// were signed; the fuzz target checks that.
#include "identity/cert.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "common/bytes.h"
#include "crypto/sodium.h"

namespace braid::identity {
namespace {

enum Tag : uint8_t {
  kTagName = 1,
  kTagPublicKey = 2,
  kTagNotBefore = 3,
  kTagNotAfter = 4,
  kTagIssuer = 5,
  kTagAddress = 6,
  kTagClaim = 7,
  kTagMac = 8,
  kTagGroup = 9,
  kTagIssuedAt = 10,
  kTagRevoked = 11,
  kTagSignature = 255,
};

constexpr uint8_t kKindRevocationList = 3;
constexpr size_t kSignatureFieldLen = 3 + 64;

const char* tag_name(uint8_t tag) {
  switch (tag) {
    case kTagName: return "name";
    case kTagPublicKey: return "public key";
    case kTagNotBefore: return "not_before";
    case kTagNotAfter: return "not_after";
    case kTagIssuer: return "issuer key id";
    case kTagAddress: return "address";
    case kTagClaim: return "claim";
    case kTagMac: return "MAC range";
    case kTagGroup: return "group";
    case kTagIssuedAt: return "issued_at";
    case kTagRevoked: return "revoked fingerprint";
    case kTagSignature: return "signature";
    default: return "unknown";
  }
}

std::string field(uint8_t tag) {
  return "field " + std::to_string(tag) + " (" + tag_name(tag) + ")";
}

// ---- writing ----------------------------------------------------------------

void put_field(std::vector<uint8_t>* out, uint8_t tag, std::span<const uint8_t> value) {
  out->push_back(tag);
  out->push_back(static_cast<uint8_t>(value.size() >> 8));
  out->push_back(static_cast<uint8_t>(value.size()));
  out->insert(out->end(), value.begin(), value.end());
}

void put_u64_field(std::vector<uint8_t>* out, uint8_t tag, uint64_t v) {
  uint8_t b[8];
  put_be64(b, v);
  put_field(out, tag, b);
}

std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

void put_prefix_field(std::vector<uint8_t>* out, uint8_t tag, const IpPrefix& p) {
  uint8_t b[18];
  b[0] = p.family;
  b[1] = p.len;
  memcpy(b + 2, p.addr.data(), p.addr_len());
  put_field(out, tag, {b, 2 + p.addr_len()});
}

// ---- checks shared by encode and decode -------------------------------------

template <typename T>
bool has_duplicate(const std::vector<T>& v) {
  for (size_t i = 0; i < v.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (v[i] == v[j]) return true;
  return false;
}

bool zero_past(std::span<const uint8_t> p, unsigned bits) {
  for (unsigned i = bits; i < p.size() * 8; ++i)
    if (p[i / 8] & (0x80 >> (i % 8))) return false;
  return true;
}

bool check_prefix(const IpPrefix& p, uint8_t tag, bool host_bits_zero, std::string* why) {
  if (p.family != 4 && p.family != 6) {
    *why = field(tag) + ": address family must be 4 or 6";
    return false;
  }
  if (p.len > p.addr_len() * 8) {
    *why = field(tag) + ": prefix length " + std::to_string(p.len) + " is too long";
    return false;
  }
  if (p.family == 4 && !zero_past(p.addr, 32)) {
    *why = field(tag) + ": IPv4 address with bytes past the fourth";
    return false;
  }
  if (host_bits_zero && !zero_past({p.addr.data(), p.addr_len()}, p.len)) {
    *why = field(tag) + ": " + format_prefix(p) + " has bits set past the prefix length";
    return false;
  }
  return true;
}

bool check_mac(const MacRange& r, std::string* why) {
  if (r.len < 1 || r.len > 48) {
    *why = field(kTagMac) + ": length must be 1..48";
    return false;
  }
  if (!zero_past(r.mac, r.len)) {
    *why = field(kTagMac) + ": " + format_mac_range(r) + " has bits set past the range length";
    return false;
  }
  return true;
}

bool check_count(size_t n, size_t max, uint8_t tag, std::string* why) {
  if (n <= max) return true;
  *why = "more than " + std::to_string(max) + " entries in " + field(tag);
  return false;
}

// Everything a certificate must satisfy, whatever way it was made.
bool check_certificate(const Certificate& c, std::string* why) {
  if (c.kind != CertKind::kCa && c.kind != CertKind::kNode) {
    *why = "unknown certificate kind " + std::to_string(static_cast<unsigned>(c.kind));
    return false;
  }
  if (!valid_name(c.name, kMaxNameLen)) {
    *why = "name must be 1.." + std::to_string(kMaxNameLen) + " characters of A-Z a-z 0-9 . _ -";
    return false;
  }
  if (c.not_after <= c.not_before) {
    *why = "not_after must be later than not_before";
    return false;
  }
  if (c.kind == CertKind::kCa) {
    if (!c.addresses.empty() || !c.claims.empty() || !c.macs.empty()) {
      *why = "a CA certificate carries no addresses, claims or MAC ranges";
      return false;
    }
    if (c.issuer != key_id(c.public_key)) {
      *why = "a CA certificate must be issued by its own key";
      return false;
    }
  }
  if (!check_count(c.addresses.size(), kMaxAddresses, kTagAddress, why) ||
      !check_count(c.claims.size(), kMaxClaims, kTagClaim, why) ||
      !check_count(c.macs.size(), kMaxMacRanges, kTagMac, why) ||
      !check_count(c.groups.size(), kMaxGroups, kTagGroup, why))
    return false;
  for (const auto& p : c.addresses)
    if (!check_prefix(p, kTagAddress, false, why)) return false;
  for (const auto& p : c.claims)
    if (!check_prefix(p, kTagClaim, true, why)) return false;
  for (const auto& r : c.macs)
    if (!check_mac(r, why)) return false;
  for (const auto& g : c.groups) {
    if (!valid_name(g, kMaxGroupLen)) {
      *why = "group must be 1.." + std::to_string(kMaxGroupLen) +
             " characters of A-Z a-z 0-9 . _ -";
      return false;
    }
  }
  const std::pair<bool, uint8_t> dups[] = {{has_duplicate(c.addresses), kTagAddress},
                                           {has_duplicate(c.claims), kTagClaim},
                                           {has_duplicate(c.macs), kTagMac},
                                           {has_duplicate(c.groups), kTagGroup}};
  for (const auto& [dup, tag] : dups) {
    if (dup) {
      *why = "duplicate entry in " + field(tag);
      return false;
    }
  }
  return true;
}

bool check_revocation_list(const RevocationList& l, std::string* why) {
  if (!check_count(l.revoked.size(), kMaxRevoked, kTagRevoked, why)) return false;
  for (size_t i = 1; i < l.revoked.size(); ++i) {
    if (!(l.revoked[i - 1] < l.revoked[i])) {
      *why = field(kTagRevoked) + ": fingerprints not in strictly increasing order";
      return false;
    }
  }
  return true;
}

// ---- reading ----------------------------------------------------------------

// Walks the fields after the two header bytes, enforcing the order rules:
// tags strictly increasing except that a repeatable tag may follow itself,
// and nothing after the signature.
class FieldReader {
 public:
  FieldReader(std::span<const uint8_t> in, bool (*repeatable)(uint8_t))
      : in_(in.subspan(2)), repeatable_(repeatable) {}

  // False at the end (then *why is empty) or on an error.
  bool next(uint8_t* tag, std::span<const uint8_t>* value, std::string* why) {
    why->clear();
    if (pos_ == in_.size()) return false;
    if (seen_signature_) {
      *why = "trailing bytes after the signature";
      return false;
    }
    if (in_.size() - pos_ < 3) {
      *why = "truncated field header at offset " + std::to_string(pos_ + 2);
      return false;
    }
    const uint8_t t = in_[pos_];
    const size_t len = get_be16(&in_[pos_ + 1]);
    if (in_.size() - pos_ - 3 < len) {
      *why = field(t) + " truncated: " + std::to_string(len) + " bytes announced, " +
             std::to_string(in_.size() - pos_ - 3) + " present";
      return false;
    }
    if (have_last_ && (t < last_ || (t == last_ && !repeatable_(t)))) {
      *why = t == last_ ? field(t) + " repeated" : field(t) + " out of order";
      return false;
    }
    *tag = t;
    *value = in_.subspan(pos_ + 3, len);
    pos_ += 3 + len;
    last_ = t;
    have_last_ = true;
    seen_signature_ = t == kTagSignature;
    return true;
  }

 private:
  std::span<const uint8_t> in_;
  bool (*repeatable_)(uint8_t);
  size_t pos_ = 0;
  uint8_t last_ = 0;
  bool have_last_ = false;
  bool seen_signature_ = false;
};

bool cert_repeatable(uint8_t tag) {
  return tag == kTagAddress || tag == kTagClaim || tag == kTagMac || tag == kTagGroup;
}
bool list_repeatable(uint8_t tag) { return tag == kTagRevoked; }

bool expect_len(uint8_t tag, std::span<const uint8_t> v, size_t len, std::string* why) {
  if (v.size() == len) return true;
  *why = field(tag) + " has length " + std::to_string(v.size()) + ", expected " +
         std::to_string(len);
  return false;
}

bool read_prefix(uint8_t tag, std::span<const uint8_t> v, IpPrefix* p, std::string* why) {
  if (v.size() != 6 && v.size() != 18) {
    *why = field(tag) + " has length " + std::to_string(v.size()) + ", expected 6 or 18";
    return false;
  }
  p->family = v[0];
  p->len = v[1];
  if ((p->family == 4 && v.size() != 6) || (p->family == 6 && v.size() != 18)) {
    *why = field(tag) + ": length " + std::to_string(v.size()) + " does not match family " +
           std::to_string(p->family);
    return false;
  }
  if (p->family == 4 || p->family == 6) memcpy(p->addr.data(), v.data() + 2, p->addr_len());
  return true;  // family and length are checked with the rest of the certificate
}

bool decode_cert_field(uint8_t tag, std::span<const uint8_t> v, Certificate* c, std::string* why) {
  switch (tag) {
    case kTagName:
      c->name.assign(reinterpret_cast<const char*>(v.data()), v.size());
      return true;
    case kTagPublicKey:
      if (!expect_len(tag, v, 32, why)) return false;
      std::copy(v.begin(), v.end(), c->public_key.begin());
      return true;
    case kTagNotBefore:
    case kTagNotAfter:
      if (!expect_len(tag, v, 8, why)) return false;
      (tag == kTagNotBefore ? c->not_before : c->not_after) = get_be64(v.data());
      return true;
    case kTagIssuer:
      if (!expect_len(tag, v, 16, why)) return false;
      std::copy(v.begin(), v.end(), c->issuer.begin());
      return true;
    case kTagAddress:
    case kTagClaim: {
      auto& list = tag == kTagAddress ? c->addresses : c->claims;
      if (!check_count(list.size() + 1, tag == kTagAddress ? kMaxAddresses : kMaxClaims, tag, why))
        return false;
      IpPrefix p;
      if (!read_prefix(tag, v, &p, why)) return false;
      list.push_back(p);
      return true;
    }
    case kTagMac: {
      if (!expect_len(tag, v, 7, why)) return false;
      if (!check_count(c->macs.size() + 1, kMaxMacRanges, tag, why)) return false;
      MacRange r;
      r.len = v[0];
      std::copy(v.begin() + 1, v.end(), r.mac.begin());
      c->macs.push_back(r);
      return true;
    }
    case kTagGroup:
      if (!check_count(c->groups.size() + 1, kMaxGroups, tag, why)) return false;
      c->groups.emplace_back(reinterpret_cast<const char*>(v.data()), v.size());
      return true;
    case kTagSignature:
      if (!expect_len(tag, v, 64, why)) return false;
      std::copy(v.begin(), v.end(), c->signature.begin());
      return true;
    default:
      *why = "unknown field " + std::to_string(tag);
      return false;
  }
}

bool check_header(std::span<const uint8_t> in, size_t max_len, std::string* why) {
  if (in.size() > max_len) {
    *why = std::to_string(in.size()) + " bytes, more than the " + std::to_string(max_len) +
           " allowed";
    return false;
  }
  if (in.size() < 2) {
    *why = "truncated header";
    return false;
  }
  if (in[0] != kCertVersion) {
    *why = "unsupported version " + std::to_string(in[0]);
    return false;
  }
  return true;
}

bool sign_detached(std::string_view context, std::span<const uint8_t> tbs,
                   std::span<const uint8_t, 64> secret_key, Signature* out) {
  crypto::init();
  std::vector<uint8_t> msg(context.begin(), context.end());
  msg.insert(msg.end(), tbs.begin(), tbs.end());
  return crypto_sign_detached(out->data(), nullptr, msg.data(), msg.size(), secret_key.data()) ==
         0;
}

bool verify_detached(std::string_view context, std::span<const uint8_t> tbs, const Signature& sig,
                     const PublicKey& pk) {
  crypto::init();
  std::vector<uint8_t> msg(context.begin(), context.end());
  msg.insert(msg.end(), tbs.begin(), tbs.end());
  return crypto_sign_verify_detached(sig.data(), msg.data(), msg.size(), pk.data()) == 0;
}

PublicKey public_of(std::span<const uint8_t, 64> secret_key) {
  // libsodium's Ed25519 secret key is seed || public key.
  PublicKey pk;
  std::copy(secret_key.begin() + 32, secret_key.end(), pk.begin());
  return pk;
}

}  // namespace

KeyId key_id(const PublicKey& ca_public_key) {
  crypto::init();
  KeyId id;
  crypto_generichash(id.data(), id.size(), ca_public_key.data(), ca_public_key.size(), nullptr, 0);
  return id;
}

Fingerprint fingerprint(std::span<const uint8_t> encoded_cert) {
  crypto::init();
  Fingerprint f;
  crypto_generichash(f.data(), f.size(), encoded_cert.data(), encoded_cert.size(), nullptr, 0);
  return f;
}

bool valid_name(std::string_view s, size_t max_len) {
  if (s.empty() || s.size() > max_len) return false;
  return std::all_of(s.begin(), s.end(), [](char ch) {
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
           ch == '.' || ch == '_' || ch == '-';
  });
}

// ---- certificates -----------------------------------------------------------

bool encode_tbs(const Certificate& c, std::vector<uint8_t>* out, std::string* why) {
  if (!check_certificate(c, why)) return false;
  std::vector<uint8_t> b;
  b.reserve(kMaxCertLen);
  b.push_back(kCertVersion);
  b.push_back(static_cast<uint8_t>(c.kind));
  put_field(&b, kTagName, as_bytes(c.name));
  put_field(&b, kTagPublicKey, c.public_key);
  put_u64_field(&b, kTagNotBefore, c.not_before);
  put_u64_field(&b, kTagNotAfter, c.not_after);
  put_field(&b, kTagIssuer, c.issuer);
  for (const auto& p : c.addresses) put_prefix_field(&b, kTagAddress, p);
  for (const auto& p : c.claims) put_prefix_field(&b, kTagClaim, p);
  for (const auto& r : c.macs) {
    uint8_t v[7] = {r.len};
    std::copy(r.mac.begin(), r.mac.end(), v + 1);
    put_field(&b, kTagMac, v);
  }
  for (const auto& g : c.groups) put_field(&b, kTagGroup, as_bytes(g));
  if (b.size() + kSignatureFieldLen > kMaxCertLen) {
    *why = "certificate would be " + std::to_string(b.size() + kSignatureFieldLen) +
           " bytes, more than the " + std::to_string(kMaxCertLen) + " allowed";
    return false;
  }
  *out = std::move(b);
  return true;
}

bool encode(const Certificate& c, std::vector<uint8_t>* out, std::string* why) {
  if (!encode_tbs(c, out, why)) return false;
  put_field(out, kTagSignature, c.signature);
  return true;
}

bool decode(std::span<const uint8_t> in, Certificate* out, std::string* why) {
  if (!check_header(in, kMaxCertLen, why)) return false;
  if (in[1] == kKindRevocationList) {
    *why = "a revocation list, not a certificate";
    return false;
  }
  if (in[1] != static_cast<uint8_t>(CertKind::kCa) &&
      in[1] != static_cast<uint8_t>(CertKind::kNode)) {
    *why = "unknown certificate kind " + std::to_string(in[1]);
    return false;
  }
  Certificate c;
  c.kind = static_cast<CertKind>(in[1]);
  FieldReader fields(in, cert_repeatable);
  uint32_t seen = 0;  // bit per required tag
  uint8_t tag;
  std::span<const uint8_t> value;
  while (fields.next(&tag, &value, why)) {
    if (c.kind == CertKind::kCa && (tag == kTagAddress || tag == kTagClaim || tag == kTagMac)) {
      *why = "a CA certificate carries no addresses, claims or MAC ranges";
      return false;
    }
    if (!decode_cert_field(tag, value, &c, why)) return false;
    if (tag <= kTagIssuer) seen |= 1u << tag;
    if (tag == kTagSignature) seen |= 1u;
  }
  if (!why->empty()) return false;
  for (uint8_t t : {kTagName, kTagPublicKey, kTagNotBefore, kTagNotAfter, kTagIssuer}) {
    if (!(seen & (1u << t))) {
      *why = "missing " + field(t);
      return false;
    }
  }
  if (!(seen & 1u)) {
    *why = "missing " + field(kTagSignature);
    return false;
  }
  if (!check_certificate(c, why)) return false;
  *out = std::move(c);
  return true;
}

namespace {

// Certificates and revocation lists are signed alike: the issuer is the
// signing key's id, the signature covers the context and the tbs bytes.
template <typename Signed>
bool sign_signed(Signed* x, const char* context, std::span<const uint8_t, 64> ca_secret_key,
                 std::string* why) {
  x->issuer = key_id(public_of(ca_secret_key));
  std::vector<uint8_t> tbs;
  if (!encode_tbs(*x, &tbs, why)) return false;
  if (!sign_detached(context, tbs, ca_secret_key, &x->signature)) {
    *why = "signing failed";
    return false;
  }
  return true;
}

template <typename Signed>
bool verify_signed(const Signed& x, const char* context, const PublicKey& ca_public_key) {
  std::vector<uint8_t> tbs;
  std::string why;
  if (!encode_tbs(x, &tbs, &why)) return false;
  return verify_detached(context, tbs, x.signature, ca_public_key);
}

}  // namespace

bool sign(Certificate* c, std::span<const uint8_t, 64> ca_secret_key, std::string* why) {
  return sign_signed(c, kCertSignatureContext, ca_secret_key, why);
}

bool verify_signature(const Certificate& c, const PublicKey& ca_public_key) {
  return verify_signed(c, kCertSignatureContext, ca_public_key);
}

// ---- revocation lists -------------------------------------------------------

bool encode_tbs(const RevocationList& l, std::vector<uint8_t>* out, std::string* why) {
  if (!check_revocation_list(l, why)) return false;
  std::vector<uint8_t> b;
  b.reserve(kMaxRevocationListLen);
  b.push_back(kCertVersion);
  b.push_back(kKindRevocationList);
  put_field(&b, kTagIssuer, l.issuer);
  put_u64_field(&b, kTagIssuedAt, l.issued_at);
  for (const auto& f : l.revoked) put_field(&b, kTagRevoked, f);
  *out = std::move(b);
  return true;
}

bool encode(const RevocationList& l, std::vector<uint8_t>* out, std::string* why) {
  if (!encode_tbs(l, out, why)) return false;
  put_field(out, kTagSignature, l.signature);
  return true;
}

bool decode(std::span<const uint8_t> in, RevocationList* out, std::string* why) {
  if (!check_header(in, kMaxRevocationListLen, why)) return false;
  if (in[1] != kKindRevocationList) {
    *why = in[1] == 1 || in[1] == 2 ? "a certificate, not a revocation list"
                                    : "unknown kind " + std::to_string(in[1]);
    return false;
  }
  RevocationList l;
  FieldReader fields(in, list_repeatable);
  bool have_issuer = false, have_issued_at = false, have_signature = false;
  uint8_t tag;
  std::span<const uint8_t> v;
  while (fields.next(&tag, &v, why)) {
    switch (tag) {
      case kTagIssuer:
        if (!expect_len(tag, v, 16, why)) return false;
        std::copy(v.begin(), v.end(), l.issuer.begin());
        have_issuer = true;
        break;
      case kTagIssuedAt:
        if (!expect_len(tag, v, 8, why)) return false;
        l.issued_at = get_be64(v.data());
        have_issued_at = true;
        break;
      case kTagRevoked: {
        if (!expect_len(tag, v, 32, why)) return false;
        if (!check_count(l.revoked.size() + 1, kMaxRevoked, tag, why)) return false;
        Fingerprint f;
        std::copy(v.begin(), v.end(), f.begin());
        if (!l.revoked.empty() && !(l.revoked.back() < f)) {
          *why = field(tag) + ": fingerprints not in strictly increasing order";
          return false;
        }
        l.revoked.push_back(f);
        break;
      }
      case kTagSignature:
        if (!expect_len(tag, v, 64, why)) return false;
        std::copy(v.begin(), v.end(), l.signature.begin());
        have_signature = true;
        break;
      default:
        *why = "unknown field " + std::to_string(tag);
        return false;
    }
  }
  if (!why->empty()) return false;
  if (!have_issuer || !have_issued_at || !have_signature) {
    *why = "missing " + field(!have_issuer ? kTagIssuer
                              : !have_issued_at ? kTagIssuedAt
                                                : kTagSignature);
    return false;
  }
  *out = std::move(l);
  return true;
}

bool sign(RevocationList* l, std::span<const uint8_t, 64> ca_secret_key, std::string* why) {
  std::sort(l->revoked.begin(), l->revoked.end());
  l->revoked.erase(std::unique(l->revoked.begin(), l->revoked.end()), l->revoked.end());
  return sign_signed(l, kRevocationSignatureContext, ca_secret_key, why);
}

bool verify_signature(const RevocationList& l, const PublicKey& ca_public_key) {
  return verify_signed(l, kRevocationSignatureContext, ca_public_key);
}

}  // namespace braid::identity
