// The PKI commands: make node keys, run a network's CA (init, sign,
// revoke) and inspect or check what it produced. Each command parses its
// own options, does one thing, and reports failures as
// "braid ca sign: what is wrong" (exit 1) or a usage line (exit 2).
#include "frontend/pki.h"

#include <sodium.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/hex.h"
#include "identity/armor.h"
#include "identity/cert.h"
#include "identity/keyfile.h"
#include "identity/trust.h"

namespace braid::frontend {
namespace {

using namespace braid::identity;

constexpr uint64_t kDay = 86400;
// A new certificate starts a little in the past, so that a node whose
// clock is slightly behind the CA's accepts it at once.
constexpr uint64_t kClockSkew = 300;
constexpr unsigned kPrivateMode = 0600;
constexpr unsigned kPublicMode = 0644;

struct Option {
  const char* name;   // without the leading "--"
  bool takes_value;
  bool repeatable;
};

struct Command;

// What the command line said, checked against the command's options.
struct Args {
  const Command* cmd = nullptr;
  std::map<std::string, std::vector<std::string>> values;
  std::vector<std::string> positional;

  bool has(const std::string& o) const { return values.count(o) != 0; }
  std::string get(const std::string& o, const std::string& dflt = "") const {
    auto it = values.find(o);
    return it == values.end() ? dflt : it->second.back();
  }
  const std::vector<std::string>& all(const std::string& o) const {
    static const std::vector<std::string> kNone;
    auto it = values.find(o);
    return it == values.end() ? kNone : it->second;
  }
};

struct Command {
  const char* name;  // "ca sign"
  const char* usage;
  const char* help;
  std::vector<Option> options;
  size_t min_positional, max_positional;
  int (*run)(const Args&);
};

int fail(const Args& a, const std::string& what) {
  fprintf(stderr, "braid %s: %s\n", a.cmd->name, what.c_str());
  return 1;
}

int usage_error(const Command& c, const std::string& what) {
  fprintf(stderr, "braid %s: %s\nusage: %s\n(braid %s --help for more)\n", c.name, what.c_str(),
          c.usage, c.name);
  return 2;
}

uint64_t now_s() { return static_cast<uint64_t>(time(nullptr)); }

// ---- durations and times --------------------------------------------------------

bool parse_duration(std::string_view s, uint64_t* out) {
  if (s.size() < 2 || s.size() > 12) return false;
  uint64_t unit;
  switch (s.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = kDay; break;
    case 'y': unit = 365 * kDay; break;
    default: return false;
  }
  uint64_t n = 0;
  for (char c : s.substr(0, s.size() - 1)) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  // At most 1000 years: far enough, and no overflow anywhere.
  if (n == 0 || n > 1000 * 365 * kDay / unit) return false;
  *out = n * unit;
  return true;
}

bool parse_time(const std::string& s, uint64_t* out) {
  if (s.size() > 1 && s[0] == '@') {
    if (s.size() > 13 || s.find_first_not_of("0123456789", 1) != std::string::npos) return false;
    *out = std::stoull(s.substr(1));
    return true;
  }
  struct tm tm = {};
  int y, mo, d, h = 0, mi = 0, sec = 0, used = 0;
  if (s.size() == 10) {
    if (sscanf(s.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &used) != 3) return false;
  } else if (s.size() == 20) {
    if (sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6)
      return false;
  } else {
    return false;
  }
  if (static_cast<size_t>(used) != s.size() || s[4] != '-' || s[7] != '-') return false;
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59 ||
      h < 0 || mi < 0 || sec < 0)
    return false;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  const time_t t = timegm(&tm);
  // timegm normalizes 2025-02-30 to March; such a date is a typo.
  if (t < 0 || tm.tm_mday != d || tm.tm_mon != mo - 1) return false;
  *out = static_cast<uint64_t>(t);
  return true;
}

std::string format_time(uint64_t t) {
  // Past the year 9999 the calendar form would no longer sort or parse.
  if (t > 253402300799ull) return "@" + std::to_string(t);
  const time_t tt = static_cast<time_t>(t);
  struct tm tm;
  char buf[64];
  if (!gmtime_r(&tt, &tm) || strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    return "@" + std::to_string(t);
  return buf;
}

const char* validity(uint64_t not_before, uint64_t not_after, uint64_t now) {
  if (now < not_before) return "not yet valid";
  if (now >= not_after) return "expired";
  return "valid";
}

// ---- files ------------------------------------------------------------------------

std::string join(const std::string& dir, const char* file) {
  return dir.empty() || dir.back() == '/' ? dir + file : dir + "/" + file;
}

bool exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

std::string public_key_path(const std::string& key_path) {
  if (key_path.size() > 4 && key_path.ends_with(".key"))
    return key_path.substr(0, key_path.size() - 4) + ".pub";
  return key_path + ".pub";
}

// Writes one file; on "already exists" tells how to replace it.
bool write_file(const std::string& path, const std::string& text, unsigned mode, bool force,
                std::string* why) {
  if (write_text_file(path, text, mode, force, why)) return true;
  if (why->ends_with(": already exists")) *why += " (--force replaces it)";
  return false;
}

struct Ca {
  CaKey key;
  Certificate cert;
  std::string dir;
};

bool load_ca(const std::string& dir, Ca* ca, std::string* why) {
  ca->dir = dir;
  std::vector<uint8_t> encoded;
  if (!load_ca_key(join(dir, "ca.key"), &ca->key, why)) return false;
  if (!load_certificate(join(dir, "ca.crt"), &encoded, &ca->cert, why)) return false;
  if (ca->cert.kind != CertKind::kCa) {
    *why = join(dir, "ca.crt") + ": not a CA certificate";
    return false;
  }
  if (ca->cert.public_key != ca->key.public_key) {
    *why = join(dir, "ca.crt") + " does not belong to " + join(dir, "ca.key");
    return false;
  }
  return true;
}

std::string node_id_hex(const PublicKey& k) { return to_hex(k); }

// ---- keygen -----------------------------------------------------------------------

int cmd_keygen(const Args& a) {
  const std::string key_path = a.get("out");
  const std::string pub_path = public_key_path(key_path);
  const bool force = a.has("force");
  for (const auto& p : {key_path, pub_path})
    if (!force && exists(p)) return fail(a, p + ": already exists (--force replaces it)");
  NodeKey key = generate_node_key();
  std::string why;
  std::string text = armor(kLabelNodeKey, key.private_key);
  const bool ok = write_file(key_path, text, kPrivateMode, force, &why);
  sodium_memzero(text.data(), text.size());
  sodium_memzero(key.private_key.data(), key.private_key.size());
  if (!ok) return fail(a, why);
  if (!write_file(pub_path, armor(kLabelNodePublicKey, key.public_key), kPublicMode, force, &why))
    return fail(a, why);
  printf("node id: %s\n", node_id_hex(key.public_key).c_str());
  return 0;
}

// ---- ca init ----------------------------------------------------------------------

int cmd_ca_init(const Args& a) {
  const std::string dir = a.get("dir", ".");
  uint64_t valid = 3650 * kDay;
  if (a.has("valid") && !parse_duration(a.get("valid"), &valid))
    return usage_error(*a.cmd, "--valid: '" + a.get("valid") + "' is not a duration like 3650d");
  Certificate c;
  c.kind = CertKind::kCa;
  c.name = a.get("name");
  if (!valid_name(c.name, kMaxNameLen))
    return fail(a, "--name: '" + c.name + "' must be 1..64 characters of A-Z a-z 0-9 . _ -");
  const std::string key_path = join(dir, "ca.key"), crt_path = join(dir, "ca.crt");
  const bool force = a.has("force");
  for (const auto& p : {key_path, crt_path})
    if (!force && exists(p)) return fail(a, p + ": already exists (--force replaces it)");
  if (!exists(dir) && mkdir(dir.c_str(), 0700) != 0)
    return fail(a, dir + ": " + strerror(errno));
  CaKey key = generate_ca_key();
  c.public_key = key.public_key;
  const uint64_t now = now_s();
  c.not_before = now - kClockSkew;
  c.not_after = now + valid;
  std::string why;
  std::vector<uint8_t> encoded;
  if (!sign(&c, key.secret_key, &why) || !encode(c, &encoded, &why)) return fail(a, why);
  std::string text = armor(kLabelCaKey, key.seed);
  const bool ok = write_file(key_path, text, kPrivateMode, force, &why);
  sodium_memzero(text.data(), text.size());
  sodium_memzero(&key, sizeof key);
  if (!ok) return fail(a, why);
  if (!write_file(crt_path, armor(kLabelCertificate, encoded), kPublicMode, force, &why))
    return fail(a, why);
  printf("CA '%s' valid until %s\nkey id: %s\nwrote %s (keep it secret) and %s\n",
         c.name.c_str(), format_time(c.not_after).c_str(), to_hex(c.issuer).c_str(),
         key_path.c_str(), crt_path.c_str());
  return 0;
}

// ---- ca sign ----------------------------------------------------------------------

bool read_node_public_key(const std::string& arg, PublicKey* out, std::string* why) {
  if (arg.size() == 64 && arg.find('/') == std::string::npos && !exists(arg)) {
    auto raw = from_hex(arg);
    if (!raw) {
      *why = "--pubkey: '" + arg + "' is neither a file nor 64 hex digits";
      return false;
    }
    std::copy(raw->begin(), raw->end(), out->begin());
    return true;
  }
  return load_public_key(arg, out, why);
}

// Fills c's validity from --valid, --not-before and --not-after.
int sign_validity(const Args& a, Certificate* c) {
  const uint64_t now = now_s();
  uint64_t valid = 365 * kDay;
  if (a.has("valid") && a.has("not-after"))
    return usage_error(*a.cmd, "--valid and --not-after exclude each other");
  if (a.has("valid") && !parse_duration(a.get("valid"), &valid))
    return usage_error(*a.cmd, "--valid: '" + a.get("valid") + "' is not a duration like 365d");
  c->not_before = now - kClockSkew;
  if (a.has("not-before") && !parse_time(a.get("not-before"), &c->not_before))
    return usage_error(*a.cmd, "--not-before: '" + a.get("not-before") +
                                   "' is not YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or @SECONDS");
  c->not_after = (a.has("not-before") ? c->not_before : now) + valid;
  if (a.has("not-after") && !parse_time(a.get("not-after"), &c->not_after))
    return usage_error(*a.cmd, "--not-after: '" + a.get("not-after") +
                                   "' is not YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or @SECONDS");
  if (c->not_after <= c->not_before) return fail(a, "--not-after must be later than --not-before");
  return 0;
}

int cmd_ca_sign(const Args& a) {
  Certificate c;
  c.kind = CertKind::kNode;
  c.name = a.get("name");
  if (!valid_name(c.name, kMaxNameLen))
    return fail(a, "--name: '" + c.name + "' must be 1..64 characters of A-Z a-z 0-9 . _ -");
  std::string why;
  for (const auto& s : a.all("ip")) {
    IpPrefix p;
    if (!parse_prefix(s, false, &p, &why)) return fail(a, "--ip: " + why);
    c.addresses.push_back(p);
  }
  for (const auto& s : a.all("claim")) {
    IpPrefix p;
    if (!parse_prefix(s, true, &p, &why)) return fail(a, "--claim: " + why);
    c.claims.push_back(p);
  }
  for (const auto& s : a.all("mac")) {
    MacRange r;
    if (!parse_mac_range(s, &r, &why)) return fail(a, "--mac: " + why);
    c.macs.push_back(r);
  }
  c.groups = a.all("group");
  if (int rc = sign_validity(a, &c); rc != 0) return rc;
  if (!read_node_public_key(a.get("pubkey"), &c.public_key, &why)) return fail(a, why);
  Ca ca;
  if (!load_ca(a.get("ca-dir", "."), &ca, &why)) return fail(a, why);
  if (c.not_after > ca.cert.not_after)
    return fail(a, "the certificate would be valid until " + format_time(c.not_after) +
                       ", after its CA (valid until " + format_time(ca.cert.not_after) +
                       "); shorten --valid or renew the CA");
  std::vector<uint8_t> encoded;
  if (!sign(&c, ca.key.secret_key, &why) || !encode(c, &encoded, &why)) return fail(a, why);
  const std::string out = a.get("out", c.name + ".crt");
  if (!write_file(out, armor(kLabelCertificate, encoded), kPublicMode, a.has("force"), &why))
    return fail(a, why);
  const uint64_t now = now_s();
  if (now >= c.not_after)
    fprintf(stderr, "braid ca sign: warning: %s is already expired (not after %s)\n", out.c_str(),
            format_time(c.not_after).c_str());
  else if (now < c.not_before)
    fprintf(stderr, "braid ca sign: warning: %s is not valid yet (not before %s)\n", out.c_str(),
            format_time(c.not_before).c_str());
  printf("wrote %s for '%s', valid until %s\nfingerprint: %s\n", out.c_str(), c.name.c_str(),
         format_time(c.not_after).c_str(), to_hex(fingerprint(encoded)).c_str());
  return 0;
}

// ---- ca revoke --------------------------------------------------------------------

int cmd_ca_revoke(const Args& a) {
  if (a.has("cert") == a.has("fingerprint"))
    return usage_error(*a.cmd, "give exactly one of --cert and --fingerprint");
  std::string why;
  Ca ca;
  if (!load_ca(a.get("ca-dir", "."), &ca, &why)) return fail(a, why);
  Fingerprint target;
  if (a.has("cert")) {
    std::vector<uint8_t> encoded;
    Certificate c;
    if (!load_certificate(a.get("cert"), &encoded, &c, &why)) return fail(a, why);
    if (c.issuer != ca.cert.issuer)
      return fail(a, a.get("cert") + ": not issued by CA '" + ca.cert.name + "'");
    target = fingerprint(encoded);
  } else {
    auto raw = from_hex(a.get("fingerprint"));
    if (!raw || raw->size() != target.size())
      return fail(a, "--fingerprint: '" + a.get("fingerprint") + "' is not 64 hex digits");
    std::copy(raw->begin(), raw->end(), target.begin());
  }
  const std::string crl_path = a.get("crl", join(ca.dir, "ca.crl"));
  RevocationList list;
  uint64_t old_issued_at = 0;
  const bool had_list = exists(crl_path);
  if (had_list) {
    std::vector<uint8_t> encoded;
    if (!load_revocation_list(crl_path, &encoded, &list, &why)) return fail(a, why);
    if (list.issuer != ca.cert.issuer || !verify_signature(list, ca.key.public_key))
      return fail(a, crl_path + ": not signed by CA '" + ca.cert.name + "'");
    old_issued_at = list.issued_at;
  }
  const std::string hex = to_hex(target);
  if (std::find(list.revoked.begin(), list.revoked.end(), target) != list.revoked.end()) {
    printf("%s is already revoked; %s unchanged\n", hex.c_str(), crl_path.c_str());
    return 0;
  }
  if (list.revoked.size() >= kMaxRevoked)
    return fail(a, crl_path + ": already holds the maximum of " + std::to_string(kMaxRevoked) +
                       " fingerprints");
  list.revoked.push_back(target);
  list.issued_at = std::max(now_s(), had_list ? old_issued_at + 1 : 0);
  std::vector<uint8_t> encoded;
  if (!sign(&list, ca.key.secret_key, &why) || !encode(list, &encoded, &why)) return fail(a, why);
  if (!write_file(crl_path, armor(kLabelRevocationList, encoded), kPublicMode, true, &why))
    return fail(a, why);
  printf("revoked %s\n%s now lists %zu certificate%s; give it to every node\n", hex.c_str(),
         crl_path.c_str(), list.revoked.size(), list.revoked.size() == 1 ? "" : "s");
  return 0;
}

// ---- cert show --------------------------------------------------------------------

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (unsigned char ch : s) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += static_cast<char>(ch);
    } else if (ch < 0x20 || ch == 0x7f) {
      char buf[8];
      snprintf(buf, sizeof buf, "\\u%04x", ch);
      out += buf;
    } else {
      out += static_cast<char>(ch);
    }
  }
  return out + "\"";
}

// Builds either "key: value" lines or one JSON object, so both forms
// show the same fields.
class Report {
 public:
  explicit Report(bool json) : json_(json) {}
  void text(const char* key, const std::string& label, const std::string& value) {
    if (json_) add_json(key, json_string(value));
    else add_line(label, value);
  }
  // A value written one way for people and another in JSON (a number, a
  // boolean, or a machine-friendly word).
  void both(const char* key, const std::string& label, const std::string& json_value,
            const std::string& shown) {
    if (json_) add_json(key, json_value);
    else add_line(label, shown);
  }
  void number(const char* key, const std::string& label, uint64_t value, const std::string& shown) {
    both(key, label, std::to_string(value), shown);
  }
  void list(const char* key, const std::string& label, const std::vector<std::string>& values) {
    if (json_) {
      std::string v = "[";
      for (size_t i = 0; i < values.size(); ++i) v += (i ? "," : "") + json_string(values[i]);
      add_json(key, v + "]");
    } else if (values.empty()) {
      add_line(label, "(none)");
    } else {
      for (const auto& v : values) add_line(label, v);
    }
  }
  std::string finish() const { return json_ ? "{" + out_ + "}" : out_; }

 private:
  void add_json(const char* key, const std::string& value) {
    if (!out_.empty()) out_ += ",";
    out_ += json_string(key) + ":" + value;
  }
  void add_line(const std::string& label, const std::string& value) {
    out_ += label + ":";
    out_.append(label.size() < 13 ? 13 - label.size() : 1, ' ');
    out_ += value + "\n";
  }
  bool json_;
  std::string out_;
};

std::string show_certificate(const std::vector<uint8_t>& encoded, const Certificate& c, bool json,
                             uint64_t now) {
  Report r(json);
  const bool ca = c.kind == CertKind::kCa;
  r.both("type", "type", json_string(ca ? "ca" : "node"),
         ca ? "CA certificate" : "node certificate");
  r.text("name", "name", c.name);
  if (ca) {
    r.text("public_key", "public key", to_hex(c.public_key));
    r.text("key_id", "key id", to_hex(key_id(c.public_key)));
    const bool self_signed = verify_signature(c, c.public_key);
    r.both("self_signed", "self-signed", self_signed ? "true" : "false",
           self_signed ? "yes, signature verifies" : "NO: the signature does not verify");
  } else {
    r.text("node_id", "node id", node_id_hex(c.public_key));
    r.text("issuer", "issuer", to_hex(c.issuer));
  }
  r.number("not_before", "not before", c.not_before, format_time(c.not_before));
  r.number("not_after", "not after", c.not_after, format_time(c.not_after));
  const char* status = validity(c.not_before, c.not_after, now);
  r.both("status", "status", json_string(status), status);
  std::vector<std::string> v;
  if (!ca) {
    for (const auto& p : c.addresses) v.push_back(format_prefix(p));
    r.list("addresses", "address", v);
    v.clear();
    for (const auto& p : c.claims) v.push_back(format_prefix(p));
    r.list("claims", "claim", v);
    v.clear();
    for (const auto& m : c.macs) v.push_back(format_mac_range(m));
    r.list("macs", "mac range", v);
  }
  r.list("groups", "group", c.groups);
  r.text("fingerprint", "fingerprint", to_hex(fingerprint(encoded)));
  return r.finish();
}

std::string show_revocation_list(const RevocationList& l, bool json) {
  Report r(json);
  r.both("type", "type", json_string("revocation_list"), "revocation list");
  r.text("issuer", "issuer", to_hex(l.issuer));
  r.number("issued_at", "issued at", l.issued_at, format_time(l.issued_at));
  std::vector<std::string> v;
  for (const auto& f : l.revoked) v.push_back(to_hex(f));
  r.number("count", "count", v.size(), std::to_string(v.size()));
  r.list("revoked", "revoked", v);
  return r.finish();
}

int cmd_cert_show(const Args& a) {
  const std::string path = a.positional[0];
  const bool json = a.has("json");
  std::string text, why;
  if (!read_text_file(path, &text, &why)) return fail(a, why);
  std::vector<std::string> shown;
  std::vector<std::vector<uint8_t>> blocks;
  if (!dearmor_all(text, kLabelCertificate, kMaxCertLen, &blocks, &why))
    return fail(a, path + ": " + why);
  for (const auto& b : blocks) {
    Certificate c;
    if (!decode(b, &c, &why)) return fail(a, path + ": bad certificate: " + why);
    shown.push_back(show_certificate(b, c, json, now_s()));
  }
  std::vector<uint8_t> raw;
  if (shown.empty() && dearmor(text, kLabelRevocationList, kMaxRevocationListLen, &raw, &why)) {
    RevocationList l;
    if (!decode(raw, &l, &why)) return fail(a, path + ": bad revocation list: " + why);
    shown.push_back(show_revocation_list(l, json));
  }
  if (shown.empty() && dearmor(text, kLabelNodePublicKey, 32, &raw, &why)) {
    if (raw.size() != 32) return fail(a, path + ": a public key must be 32 bytes");
    Report r(json);
    r.both("type", "type", json_string("public_key"), "node public key");
    r.text("node_id", "node id", to_hex(raw));
    shown.push_back(r.finish());
  }
  if (shown.empty()) {
    if (text.find(std::string("-----BEGIN ") + kLabelNodeKey) != std::string::npos ||
        text.find(std::string("-----BEGIN ") + kLabelCaKey) != std::string::npos)
      return fail(a, path + ": a private key; show its public key or certificate instead");
    return fail(a, path + ": no certificate, revocation list or public key in it");
  }
  if (json && shown.size() > 1) {
    std::string all = "[";
    for (size_t i = 0; i < shown.size(); ++i) all += (i ? "," : "") + shown[i];
    printf("%s]\n", all.c_str());
  } else {
    for (size_t i = 0; i < shown.size(); ++i)
      printf("%s%s%s", i ? "\n" : "", shown[i].c_str(), json ? "\n" : "");
  }
  return 0;
}

// ---- cert verify ------------------------------------------------------------------

int cmd_cert_verify(const Args& a) {
  const std::string path = a.positional[0];
  std::string why;
  TrustStore store;
  std::vector<std::vector<uint8_t>> cas;
  if (!load_certificates(a.get("ca"), &cas, &why)) return fail(a, why);
  for (const auto& ca : cas)
    if (!store.add_ca(ca, &why)) return fail(a, a.get("ca") + ": " + why);
  for (const auto& crl : a.all("crl")) {
    std::vector<uint8_t> encoded;
    RevocationList l;
    if (!load_revocation_list(crl, &encoded, &l, &why)) return fail(a, why);
    if (!store.add_revocation_list(encoded, &why)) return fail(a, crl + ": " + why);
  }
  std::string text;
  std::vector<uint8_t> encoded;
  if (!read_text_file(path, &text, &why)) return fail(a, why);
  if (!dearmor(text, kLabelCertificate, kMaxCertLen, &encoded, &why))
    return fail(a, path + ": " + why);
  const Verdict v = store.verify(encoded, now_s(), nullptr);
  printf("%s\n", verdict_text(v));
  return v == Verdict::kOk ? 0 : 1;
}

// ---- the command table --------------------------------------------------------------

const Command kCommands[] = {
    {"keygen", "braid keygen --out FILE [--force]",
     "Makes a node's static key pair: FILE (mode 0600) holds the private key,\n"
     "FILE with .key replaced by .pub (or FILE.pub) the public key. Prints\n"
     "the node id, which is the public key in hex.\n",
     {{"out", true, false}, {"force", false, false}}, 0, 0, cmd_keygen},
    {"ca init", "braid ca init --name NAME [--dir DIR] [--valid DURATION] [--force]",
     "Makes a network's CA: DIR/ca.key (mode 0600, keep it off the nodes) and\n"
     "the self-signed DIR/ca.crt every node trusts. DIR defaults to the\n"
     "current directory, DURATION to 3650d.\n",
     {{"name", true, false}, {"dir", true, false}, {"valid", true, false}, {"force", false, false}},
     0, 0, cmd_ca_init},
    {"ca sign",
     "braid ca sign --name NAME --pubkey FILE|HEX [--ip ADDR/LEN]... [--claim SUBNET]...\n"
     "       [--mac RANGE]... [--group G]... [--valid DURATION | --not-before TIME\n"
     "       --not-after TIME] [--ca-dir DIR] [--out FILE] [--force]",
     "Signs a node certificate binding NAME to the node's public key, its\n"
     "overlay addresses (--ip), the subnets it may route for (--claim), the\n"
     "MAC ranges it may send from (--mac) and its groups. Validity defaults\n"
     "to 365d from now and may not end after the CA's. DURATION is a number\n"
     "with s, m, h, d or y; TIME is YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or\n"
     "@UNIXSECONDS (UTC). Writes FILE (default NAME.crt).\n",
     {{"name", true, false}, {"pubkey", true, false}, {"ip", true, true}, {"claim", true, true},
      {"mac", true, true}, {"group", true, true}, {"valid", true, false},
      {"not-before", true, false}, {"not-after", true, false}, {"ca-dir", true, false},
      {"out", true, false}, {"force", false, false}},
     0, 0, cmd_ca_sign},
    {"ca revoke", "braid ca revoke (--cert FILE | --fingerprint HEX) [--ca-dir DIR] [--crl FILE]",
     "Adds a certificate to the CA's revocation list (DIR/ca.crl unless\n"
     "--crl) and signs it again. Every node must be given the new list.\n",
     {{"cert", true, false}, {"fingerprint", true, false}, {"ca-dir", true, false},
      {"crl", true, false}},
     0, 0, cmd_ca_revoke},
    {"cert show", "braid cert show FILE [--json]",
     "Prints every field of a certificate, revocation list or public key,\n"
     "its fingerprint or node id, and whether it is valid now.\n",
     {{"json", false, false}}, 1, 1, cmd_cert_show},
    {"cert verify", "braid cert verify FILE --ca CAFILE [--crl CRLFILE]...",
     "Checks a node certificate as the daemon does: signed by a CA in CAFILE,\n"
     "valid now, its CA valid now, not revoked. Prints \"ok\" (exit 0) or why\n"
     "it is refused (exit 1).\n",
     {{"ca", true, false}, {"crl", true, true}}, 1, 1, cmd_cert_verify},
};

// Options every command requires.
const std::map<std::string, std::vector<const char*>> kRequired = {
    {"keygen", {"out"}}, {"ca init", {"name"}},    {"ca sign", {"name", "pubkey"}},
    {"cert verify", {"ca"}},
};

const Option* find_option(const Command& c, std::string_view name) {
  for (const auto& o : c.options)
    if (name == o.name) return &o;
  return nullptr;
}

// Parses argv[first..] against the command's options; -1 when the
// arguments are fine, otherwise the exit status to return.
int parse(const Command& c, int argc, char** argv, int first, Args* a) {
  a->cmd = &c;
  for (int i = first; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      printf("usage: %s\n\n%s", c.usage, c.help);
      return 0;
    }
    if (!arg.starts_with("--") || arg == "--") {
      if (arg.starts_with("-") && arg.size() > 1)
        return usage_error(c, "unknown option '" + std::string(arg) + "'");
      a->positional.emplace_back(arg);
      continue;
    }
    std::string_view name = arg.substr(2);
    std::string value;
    bool inline_value = false;
    if (const size_t eq = name.find('='); eq != std::string_view::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      inline_value = true;
    }
    const Option* o = find_option(c, name);
    if (!o) return usage_error(c, "unknown option '--" + std::string(name) + "'");
    const std::string key(name);
    if (!o->takes_value && inline_value)
      return usage_error(c, "--" + key + " takes no value");
    if (o->takes_value && !inline_value) {
      if (i + 1 >= argc) return usage_error(c, "--" + key + " needs a value");
      value = argv[++i];
    }
    if (!o->repeatable && a->has(key)) return usage_error(c, "--" + key + " given twice");
    a->values[key].push_back(value);
  }
  if (a->positional.size() < c.min_positional)
    return usage_error(c, "missing FILE");
  if (a->positional.size() > c.max_positional)
    return usage_error(c, "unexpected argument '" + a->positional[c.max_positional] + "'");
  if (auto it = kRequired.find(c.name); it != kRequired.end())
    for (const char* o : it->second)
      if (!a->has(o)) return usage_error(c, std::string("--") + o + " is required");
  return -1;
}

int group_usage(const char* group, bool asked) {
  FILE* f = asked ? stdout : stderr;
  fprintf(f, "usage:\n");
  for (const auto& c : kCommands)
    if (std::string_view(c.name).starts_with(std::string(group) + " "))
      fprintf(f, "  %s\n", c.usage);
  return asked ? 0 : 2;
}

}  // namespace

bool is_pki_command(int argc, char** argv) {
  if (argc < 2) return false;
  const std::string_view w = argv[1];
  return w == "keygen" || w == "ca" || w == "cert";
}

int run_pki(int argc, char** argv) {
  if (!is_pki_command(argc, argv)) return 2;
  std::string name = argv[1];
  int first = 2;
  if (name != "keygen") {
    if (argc < 3) {
      fprintf(stderr, "braid %s: missing command\n", argv[1]);
      return group_usage(argv[1], false);
    }
    if (std::string_view(argv[2]) == "--help" || std::string_view(argv[2]) == "-h")
      return group_usage(argv[1], true);
    name += " ";
    name += argv[2];
    first = 3;
  }
  for (const auto& c : kCommands) {
    if (name != c.name) continue;
    Args a;
    if (int rc = parse(c, argc, argv, first, &a); rc >= 0) return rc;
    const int rc = c.run(a);
    fflush(stdout);
    return rc;
  }
  fprintf(stderr, "braid %s: unknown command '%s'\n", argv[1], argv[2]);
  return group_usage(argv[1], false);
}

}  // namespace braid::frontend
