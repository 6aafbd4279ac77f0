// Fuzz target for certificates and revocation lists: any bytes through
// both decoders and the trust store must never crash, whatever decodes
// must re-encode to exactly the same bytes (the signature is checked over
// the re-encoding, so the encoding must be canonical), and the armour must
// read back what it wrote.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "identity/armor.h"
#include "identity/cert.h"
#include "identity/keyfile.h"
#include "identity/trust.h"

using namespace braid::identity;

namespace {

// One CA whose certificates the fuzzer may stumble on; fixed seed so runs
// are reproducible.
const TrustStore& store() {
  static const TrustStore s = [] {
    std::array<uint8_t, 32> seed{};
    seed[0] = 1;
    CaKey key;
    if (!ca_key_from_seed(seed, &key)) abort();
    Certificate c;
    c.kind = CertKind::kCa;
    c.name = "fuzz";
    c.public_key = key.public_key;
    c.not_before = 0;
    c.not_after = 1ull << 40;
    std::vector<uint8_t> enc;
    std::string why;
    TrustStore t;
    if (!sign(&c, key.secret_key, &why) || !encode(c, &enc, &why) || !t.add_ca(enc, &why)) abort();
    return t;
  }();
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> in(data, size);
  std::string why;
  std::vector<uint8_t> again;

  Certificate c;
  if (decode(in, &c, &why)) {
    if (!encode(c, &again, &why)) abort();
    if (again.size() != size || !std::equal(again.begin(), again.end(), in.begin())) abort();
  }
  (void)store().verify(in, 1000000000, nullptr);

  TrustStore copy = store();
  (void)copy.add_revocation_list(in, &why);
  (void)copy.add_ca(in, &why);

  RevocationList l;
  if (decode(in, &l, &why)) {
    if (!encode(l, &again, &why)) abort();
    if (again.size() != size || !std::equal(again.begin(), again.end(), in.begin())) abort();
  }

  // The same bytes as text: the armour reader must not crash, and what
  // armor() writes must read back.
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::vector<uint8_t>> blocks;
  (void)dearmor_all(text, kLabelCertificate, kMaxCertLen, &blocks, &why);
  if (size <= kMaxCertLen) {
    std::vector<uint8_t> back;
    if (!dearmor(armor(kLabelCertificate, in), kLabelCertificate, kMaxCertLen, &back, &why))
      abort();
    if (back.size() != size || !std::equal(back.begin(), back.end(), in.begin())) abort();
  }
  return 0;
}
