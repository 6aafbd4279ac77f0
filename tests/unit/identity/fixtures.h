// Helpers for the identity tests: CAs and node certificates made in
// memory, and a temporary directory removed with everything in it.
#pragma once

#include <ftw.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "identity/cert.h"
#include "identity/keyfile.h"

namespace braid::identity::testing {

// A fixed point in time, so validity checks do not depend on the clock.
constexpr uint64_t kNow = 1800000000;  // 2027-01-15
constexpr uint64_t kDay = 86400;

struct TestCa {
  CaKey key;
  Certificate cert;
  std::vector<uint8_t> encoded;
};

inline TestCa make_ca(const char* name = "corp", uint64_t not_before = kNow - 10 * kDay,
                      uint64_t not_after = kNow + 3650 * kDay) {
  TestCa ca;
  ca.key = generate_ca_key();
  ca.cert.kind = CertKind::kCa;
  ca.cert.name = name;
  ca.cert.public_key = ca.key.public_key;
  ca.cert.not_before = not_before;
  ca.cert.not_after = not_after;
  std::string why;
  if (!sign(&ca.cert, ca.key.secret_key, &why) || !encode(ca.cert, &ca.encoded, &why)) abort();
  return ca;
}

// A node certificate with one of each kind of field, not yet signed.
inline Certificate node_cert(const char* name = "alpha", uint64_t not_before = kNow - kDay,
                             uint64_t not_after = kNow + 365 * kDay) {
  Certificate c;
  c.kind = CertKind::kNode;
  c.name = name;
  c.public_key = generate_node_key().public_key;
  c.not_before = not_before;
  c.not_after = not_after;
  std::string why;
  IpPrefix p;
  if (!parse_prefix("10.7.0.1/16", false, &p, &why)) abort();
  c.addresses.push_back(p);
  if (!parse_prefix("fd00:7::1/64", false, &p, &why)) abort();
  c.addresses.push_back(p);
  if (!parse_prefix("10.7.1.0/24", true, &p, &why)) abort();
  c.claims.push_back(p);
  MacRange m;
  if (!parse_mac_range("02:42:00:00:00:00/16", &m, &why)) abort();
  c.macs.push_back(m);
  c.groups = {"ops", "db"};
  return c;
}

inline std::vector<uint8_t> signed_by(const TestCa& ca, Certificate c) {
  std::string why;
  std::vector<uint8_t> out;
  if (!sign(&c, ca.key.secret_key, &why) || !encode(c, &out, &why)) abort();
  return out;
}

inline std::vector<uint8_t> revocation_list(const TestCa& ca, uint64_t issued_at,
                                            std::vector<Fingerprint> revoked) {
  RevocationList l;
  l.issued_at = issued_at;
  l.revoked = std::move(revoked);
  std::string why;
  std::vector<uint8_t> out;
  if (!sign(&l, ca.key.secret_key, &why) || !encode(l, &out, &why)) abort();
  return out;
}

// A fresh directory under $TMPDIR (or /tmp), removed with its contents.
class TempDir {
 public:
  TempDir() {
    const char* base = getenv("TMPDIR");
    path_ = std::string(base && *base ? base : "/tmp") + "/braid-identity-XXXXXX";
    if (!mkdtemp(path_.data())) abort();
  }
  ~TempDir() {
    const auto remove_one = [](const char* p, const struct stat*, int, struct FTW*) {
      return remove(p);
    };
    nftw(path_.c_str(), remove_one, 16, FTW_DEPTH | FTW_PHYS);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace braid::identity::testing
