// The identity files a node is configured with — its private key, its
// certificate, the CA certificates and revocation lists — read by the
// parent (they are root's files) and checked before the engine starts, so
// a node with a wrong, expired or revoked certificate says so at once
// instead of failing every handshake.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "config/settings.h"
#include "identity/trust.h"
#include "ipc/messages.h"

namespace braid::priv {

// Fills *out from the configuration: the key file (or a fresh key when
// none is configured), and in a certificate network the certificate and
// the CA certificates. Refuses a certificate that does not match the key,
// is not signed by a configured CA, or is not valid now (`now_s`, unix
// seconds). *trust receives the CAs. False with *error naming the file.
bool load_identity(const config::Config& cfg, uint64_t now_s, ipc::Identity* out,
                   identity::TrustStore* trust, std::string* error);

// Reads every configured revocation list; each must verify under a CA of
// *trust, into which it is installed. False with *error on the first bad
// file (then *trust may hold some of the lists: use a copy).
bool load_revocation_lists(const config::Config& cfg, identity::TrustStore* trust,
                           std::vector<std::vector<uint8_t>>* encoded, std::string* error);

// SIGHUP: the certificate file read again. True with *renewed holding it
// when it now holds another certificate that passes load_identity's
// checks for the key of the running one (`running`: a renewal, with a new
// validity or new grants); true with *renewed empty when it is unchanged
// (or the node has none); false with *error when it does not load or
// pass, and the running one should stay.
bool reload_certificate(const config::Config& cfg, std::span<const uint8_t> running,
                        const identity::TrustStore& trust, uint64_t now_s,
                        std::vector<uint8_t>* renewed, std::string* error);

// Reads the CA certificates of cfg's `ca` files into *trust (empty
// before) and *encoded, in the files' order. False with *error naming
// the file that does not load.
bool load_cas(const config::Config& cfg, identity::TrustStore* trust,
              std::vector<std::vector<uint8_t>>* encoded, std::string* error);

// SIGHUP: the `ca` files read again.
struct CaReload {
  bool changed = false;                      // they hold other CAs than the running ones
  std::vector<std::vector<uint8_t>> cas;     // as the files hold them
  identity::TrustStore trust;                // those CAs, with every revocation list
  std::vector<std::vector<uint8_t>> lists;   // the revocation lists' files, encoded
  std::vector<uint8_t> certificate;          // the certificate file's, checked under them
};
// True with out->changed false when the files hold the running CAs
// (`running_cas`, as loaded before). True with all of *out set when they
// hold others that load, under which every configured revocation list
// verifies and under which the certificate file's certificate, for the
// running certificate's key, is valid at now_s (so that a CA and the
// certificates it signed can be replaced in one reload). The lists
// `running` holds for the CAs that stay are kept, as the engine keeps
// them (an older file is refused). False with *error otherwise: the
// running CAs should stay.
bool reload_cas(const config::Config& cfg, std::span<const std::vector<uint8_t>> running_cas,
                const identity::TrustStore& running, std::span<const uint8_t> running_certificate,
                uint64_t now_s, CaReload* out, std::string* error);

// SIGHUP: "" when cfg's key file still holds the key whose public half
// is `running` (or the node has no key file); else why not: the file
// holds another key, or does not load. A new key is a new node id, which
// takes a restart, so the running key stays either way.
std::string check_key_file(const config::Config& cfg, const identity::PublicKey& running);

// "" when the node's own certificate (in id) is valid under trust at
// now_s, else why not ("certificate FILE: certificate revoked").
std::string check_own_certificate(const config::Config& cfg, const ipc::Identity& id,
                                  const identity::TrustStore& trust, uint64_t now_s);

}  // namespace braid::priv
