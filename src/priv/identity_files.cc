// Loading and checking the node's key, certificate, CAs and revocation
// lists; see identity_files.h.
#include "priv/identity_files.h"

#include <sodium.h>

#include <algorithm>
#include <ctime>

#include "identity/keyfile.h"

namespace braid::priv {
namespace {

std::string utc_date(uint64_t unix_s) {
  time_t t = static_cast<time_t>(unix_s);
  struct tm tm {};
  char buf[32];
  if (gmtime_r(&t, &tm) == nullptr || strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
    return std::to_string(unix_s);
  return buf;
}

// The node certificate in cfg's file, issued for `key` and valid under
// trust at now_s.
bool load_node_certificate(const config::Config& cfg, const identity::PublicKey& key,
                           const identity::TrustStore& trust, uint64_t now_s,
                           std::vector<uint8_t>* encoded, std::string* error) {
  identity::Certificate cert;
  if (!identity::load_certificate(cfg.certificate_file, encoded, &cert, error)) return false;
  if (cert.kind != identity::CertKind::kNode) {
    *error = "certificate " + cfg.certificate_file + ": this is a CA certificate, not a node's";
    return false;
  }
  if (cert.public_key != key) {
    *error = "certificate " + cfg.certificate_file + " was not issued for the key in " +
             cfg.key_file + " (its node id differs)";
    return false;
  }
  identity::Verdict v = trust.verify(*encoded, now_s, nullptr);
  if (v != identity::Verdict::kOk) {
    *error = "certificate " + cfg.certificate_file + ": " + identity::verdict_text(v);
    if (v == identity::Verdict::kExpired) *error += " on " + utc_date(cert.not_after);
    if (v == identity::Verdict::kNotYetValid) *error += " (valid from " + utc_date(cert.not_before) + ")";
    return false;
  }
  return true;
}

}  // namespace

bool load_identity(const config::Config& cfg, uint64_t now_s, ipc::Identity* out,
                   identity::TrustStore* trust, std::string* error) {
  *out = ipc::Identity{};
  identity::NodeKey key;
  if (cfg.key_file.empty()) {
    // A shared-key node without a key file: a new identity each start.
    key = identity::generate_node_key();
  } else if (!identity::load_node_key(cfg.key_file, &key, error)) {
    return false;
  }
  out->static_private = key.private_key;
  sodium_memzero(key.private_key.data(), key.private_key.size());
  if (cfg.certificate_file.empty()) return true;

  if (!load_cas(cfg, trust, &out->cas, error)) return false;
  return load_node_certificate(cfg, key.public_key, *trust, now_s, &out->certificate, error);
}

bool load_cas(const config::Config& cfg, identity::TrustStore* trust,
              std::vector<std::vector<uint8_t>>* encoded, std::string* error) {
  encoded->clear();
  for (const std::string& path : cfg.ca_files) {
    std::vector<std::vector<uint8_t>> cas;
    if (!identity::load_certificates(path, &cas, error)) return false;
    if (cas.empty()) {
      *error = "ca " + path + ": no CA certificate in the file";
      return false;
    }
    for (auto& ca : cas) {
      std::string why;
      if (!trust->add_ca(ca, &why)) {
        *error = "ca " + path + ": " + why;
        return false;
      }
      if (encoded->size() >= ipc::kMaxTrustedCas) {
        *error = "ca: more than " + std::to_string(ipc::kMaxTrustedCas) + " CA certificates";
        return false;
      }
      encoded->push_back(std::move(ca));
    }
  }
  return true;
}

bool reload_cas(const config::Config& cfg, std::span<const std::vector<uint8_t>> running_cas,
                const identity::TrustStore& running, std::span<const uint8_t> running_certificate,
                uint64_t now_s, CaReload* out, std::string* error) {
  *out = CaReload{};
  if (cfg.certificate_file.empty()) return true;
  if (!load_cas(cfg, &out->trust, &out->cas, error)) return false;
  if (std::equal(out->cas.begin(), out->cas.end(), running_cas.begin(), running_cas.end())) {
    *out = CaReload{};
    return true;
  }
  out->trust.keep_lists_of(running);
  if (!load_revocation_lists(cfg, &out->trust, &out->lists, error)) return false;
  identity::Certificate was;
  if (!identity::decode(running_certificate, &was, error)) return false;
  std::vector<uint8_t>& own = out->certificate;
  if (!load_node_certificate(cfg, was.public_key, out->trust, now_s, &own, error)) {
    *error = "under the new CA certificates, " + *error;
    return false;
  }
  out->changed = true;
  return true;
}

bool reload_certificate(const config::Config& cfg, std::span<const uint8_t> running,
                        const identity::TrustStore& trust, uint64_t now_s,
                        std::vector<uint8_t>* renewed, std::string* error) {
  renewed->clear();
  identity::Certificate was;
  if (cfg.certificate_file.empty() || !identity::decode(running, &was, error)) return true;
  std::vector<uint8_t> encoded;
  if (!load_node_certificate(cfg, was.public_key, trust, now_s, &encoded, error)) return false;
  if (!std::equal(encoded.begin(), encoded.end(), running.begin(), running.end()))
    *renewed = std::move(encoded);
  return true;
}

bool load_revocation_lists(const config::Config& cfg, identity::TrustStore* trust,
                           std::vector<std::vector<uint8_t>>* encoded, std::string* error) {
  encoded->clear();
  for (const std::string& path : cfg.revocation_files) {
    std::vector<uint8_t> bytes;
    identity::RevocationList list;
    if (!identity::load_revocation_list(path, &bytes, &list, error)) return false;
    std::string why;
    if (!trust->add_revocation_list(bytes, &why)) {
      *error = "revocation_list " + path + ": " + why;
      return false;
    }
    encoded->push_back(std::move(bytes));
  }
  return true;
}

std::string check_key_file(const config::Config& cfg, const identity::PublicKey& running) {
  if (cfg.key_file.empty()) return "";
  identity::NodeKey key;
  std::string error;
  bool ok = identity::load_node_key(cfg.key_file, &key, &error);
  sodium_memzero(key.private_key.data(), key.private_key.size());
  if (!ok) return error;
  if (key.public_key != running)
    return "key " + cfg.key_file + " holds another key than the running one (a new node id)";
  return "";
}

std::string check_own_certificate(const config::Config& cfg, const ipc::Identity& id,
                                  const identity::TrustStore& trust, uint64_t now_s) {
  if (id.certificate.empty()) return "";
  identity::Verdict v = trust.verify(id.certificate, now_s, nullptr);
  if (v == identity::Verdict::kOk) return "";
  return "certificate " + cfg.certificate_file + ": " + identity::verdict_text(v);
}

}  // namespace braid::priv
