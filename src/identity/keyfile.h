// Reading and writing the files that hold keys, certificates and
// revocation lists. Private keys are created 0600 and refused when their
// file can be read by group or others. Errors name the file.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "identity/cert.h"

namespace braid::identity {

// Whole file as text (at most 1 MiB). False with *why = "FILE: reason".
bool read_text_file(const std::string& path, std::string* out, std::string* why);
// Writes atomically (temporary file in the same directory, fsync, rename)
// with the given mode; refuses to replace an existing file unless
// `overwrite`. False with *why = "FILE: reason".
bool write_text_file(const std::string& path, const std::string& text, unsigned mode,
                     bool overwrite, std::string* why);

// A node's static X25519 key pair. The private key file is armoured
// kLabelNodeKey; the public key file kLabelNodePublicKey.
struct NodeKey {
  std::array<uint8_t, 32> private_key{};
  PublicKey public_key{};
};
NodeKey generate_node_key();
// Refuses a file with any group or other permission bit ("FILE: private
// key is readable by group or others; run chmod 600 FILE").
bool load_node_key(const std::string& path, NodeKey* out, std::string* why);
bool load_public_key(const std::string& path, PublicKey* out, std::string* why);

// A CA's Ed25519 key: the seed is what the file holds.
struct CaKey {
  std::array<uint8_t, 32> seed{};
  std::array<uint8_t, 64> secret_key{};  // libsodium's form (seed || public)
  PublicKey public_key{};
};
CaKey generate_ca_key();
bool ca_key_from_seed(std::span<const uint8_t, 32> seed, CaKey* out);
bool load_ca_key(const std::string& path, CaKey* out, std::string* why);

// One certificate (the encoding, and its decoded form).
bool load_certificate(const std::string& path, std::vector<uint8_t>* encoded, Certificate* out,
                      std::string* why);
// Every certificate in the file (several CAs may be trusted at once); each
// must decode, and a file without any is refused.
bool load_certificates(const std::string& path, std::vector<std::vector<uint8_t>>* encoded,
                       std::string* why);
bool load_revocation_list(const std::string& path, std::vector<uint8_t>* encoded,
                          RevocationList* out, std::string* why);

}  // namespace braid::identity
