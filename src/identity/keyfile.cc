// Key, certificate and revocation-list files: atomic writes with an exact
// mode, and reads that refuse private keys other users could have seen.
#include "identity/keyfile.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/fd.h"
#include "crypto/noise.h"
#include "crypto/sodium.h"
#include "identity/armor.h"

namespace braid::identity {
namespace {

// Key and certificate files are small; a larger file is a mistake (or a
// device), not something to read into memory.
constexpr size_t kMaxFileLen = 1 << 20;

bool fail(const std::string& path, const std::string& what, std::string* why) {
  *why = path + ": " + what;
  return false;
}

bool fail_errno(const std::string& path, std::string* why) {
  return fail(path, strerror(errno), why);
}

bool read_file(const std::string& path, bool private_key, std::string* out, std::string* why) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd) return fail_errno(path, why);
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return fail_errno(path, why);
  if (!S_ISREG(st.st_mode)) return fail(path, "not a regular file", why);
  if (private_key && (st.st_mode & 077) != 0)
    return fail(path,
                "private key is readable by group or others; run chmod 600 " + path, why);
  std::string text;
  char buf[8192];
  for (;;) {
    const ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno(path, why);
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxFileLen) return fail(path, "file larger than 1 MiB", why);
  }
  *out = std::move(text);
  return true;
}

// Reads a file holding one armoured block of exactly `len` bytes.
bool read_armored(const std::string& path, bool private_key, const char* label, size_t len,
                  std::vector<uint8_t>* out, std::string* why) {
  std::string text;
  if (!read_file(path, private_key, &text, why)) return false;
  std::string reason;
  if (!dearmor(text, label, len, out, &reason)) return fail(path, reason, why);
  if (out->size() != len) {
    sodium_memzero(out->data(), out->size());
    return fail(path,
                std::string(label) + " holds " + std::to_string(out->size()) +
                    " bytes, expected " + std::to_string(len),
                why);
  }
  return true;
}

std::string directory_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

bool write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// Moves the finished temporary file into place. Without `overwrite`, a
// hard link publishes it only if the name is still free, with no window in
// which another writer's file could be replaced.
bool publish(const std::string& tmp, const std::string& path, bool overwrite, std::string* why) {
  if (overwrite) {
    if (rename(tmp.c_str(), path.c_str()) != 0) return fail_errno(path, why);
    return true;
  }
  if (link(tmp.c_str(), path.c_str()) == 0) {
    unlink(tmp.c_str());
    return true;
  }
  if (errno == EEXIST) return fail(path, "already exists", why);
  if (errno != EPERM && errno != ENOTSUP && errno != EOPNOTSUPP) return fail_errno(path, why);
  // A file system without hard links: check, then rename.
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) return fail(path, "already exists", why);
  if (rename(tmp.c_str(), path.c_str()) != 0) return fail_errno(path, why);
  return true;
}

}  // namespace

bool read_text_file(const std::string& path, std::string* out, std::string* why) {
  return read_file(path, false, out, why);
}

bool write_text_file(const std::string& path, const std::string& text, unsigned mode,
                     bool overwrite, std::string* why) {
  if (!overwrite) {
    struct stat st;
    if (lstat(path.c_str(), &st) == 0) return fail(path, "already exists", why);
  }
  crypto::init();
  std::string tmp;
  UniqueFd fd;
  for (int attempt = 0; attempt < 10 && !fd; ++attempt) {
    tmp = path + ".tmp" + std::to_string(randombytes_uniform(1000000000u));
    fd = UniqueFd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                       static_cast<mode_t>(mode)));
    if (!fd && errno != EEXIST) return fail_errno(tmp, why);
  }
  if (!fd) return fail(path, "cannot create a temporary file next to it", why);
  // The umask may have taken bits away; the caller asked for this mode.
  const bool ok = fchmod(fd.get(), static_cast<mode_t>(mode)) == 0 && write_all(fd.get(), text) &&
                  fsync(fd.get()) == 0;
  const int saved = errno;
  fd.reset();
  if (!ok) {
    unlink(tmp.c_str());
    errno = saved;
    return fail_errno(tmp, why);
  }
  if (!publish(tmp, path, overwrite, why)) {
    unlink(tmp.c_str());
    return false;
  }
  // The rename is durable only once the directory is on disk too.
  UniqueFd dir(open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir) fsync(dir.get());
  return true;
}

NodeKey generate_node_key() {
  NodeKey k;
  crypto::generate_keypair(k.private_key, k.public_key);
  return k;
}

bool load_node_key(const std::string& path, NodeKey* out, std::string* why) {
  std::vector<uint8_t> raw;
  if (!read_armored(path, true, kLabelNodeKey, 32, &raw, why)) return false;
  std::copy(raw.begin(), raw.end(), out->private_key.begin());
  sodium_memzero(raw.data(), raw.size());
  out->public_key = crypto::public_key(out->private_key);
  return true;
}

bool load_public_key(const std::string& path, PublicKey* out, std::string* why) {
  std::vector<uint8_t> raw;
  if (!read_armored(path, false, kLabelNodePublicKey, 32, &raw, why)) return false;
  std::copy(raw.begin(), raw.end(), out->begin());
  return true;
}

CaKey generate_ca_key() {
  crypto::init();
  CaKey k;
  randombytes_buf(k.seed.data(), k.seed.size());
  ca_key_from_seed(k.seed, &k);
  return k;
}

bool ca_key_from_seed(std::span<const uint8_t, 32> seed, CaKey* out) {
  crypto::init();
  CaKey k;
  std::copy(seed.begin(), seed.end(), k.seed.begin());
  if (crypto_sign_seed_keypair(k.public_key.data(), k.secret_key.data(), k.seed.data()) != 0)
    return false;
  *out = k;
  sodium_memzero(&k, sizeof k);
  return true;
}

bool load_ca_key(const std::string& path, CaKey* out, std::string* why) {
  std::vector<uint8_t> raw;
  if (!read_armored(path, true, kLabelCaKey, 32, &raw, why)) return false;
  const bool ok = ca_key_from_seed(std::span<const uint8_t, 32>(raw.data(), 32), out);
  sodium_memzero(raw.data(), raw.size());
  if (!ok) return fail(path, "not a usable Ed25519 seed", why);
  return true;
}

bool load_certificate(const std::string& path, std::vector<uint8_t>* encoded, Certificate* out,
                      std::string* why) {
  std::string text;
  if (!read_file(path, false, &text, why)) return false;
  std::vector<uint8_t> raw;
  std::string reason;
  if (!dearmor(text, kLabelCertificate, kMaxCertLen, &raw, &reason)) return fail(path, reason, why);
  if (!decode(raw, out, &reason)) return fail(path, "bad certificate: " + reason, why);
  *encoded = std::move(raw);
  return true;
}

bool load_certificates(const std::string& path, std::vector<std::vector<uint8_t>>* encoded,
                       std::string* why) {
  std::string text;
  if (!read_file(path, false, &text, why)) return false;
  std::vector<std::vector<uint8_t>> blocks;
  std::string reason;
  if (!dearmor_all(text, kLabelCertificate, kMaxCertLen, &blocks, &reason))
    return fail(path, reason, why);
  if (blocks.empty())
    return fail(path, std::string("no '-----BEGIN ") + kLabelCertificate + "-----' block", why);
  for (size_t i = 0; i < blocks.size(); ++i) {
    Certificate c;
    if (!decode(blocks[i], &c, &reason))
      return fail(path, "certificate " + std::to_string(i + 1) + ": " + reason, why);
  }
  *encoded = std::move(blocks);
  return true;
}

bool load_revocation_list(const std::string& path, std::vector<uint8_t>* encoded,
                          RevocationList* out, std::string* why) {
  std::string text;
  if (!read_file(path, false, &text, why)) return false;
  std::vector<uint8_t> raw;
  std::string reason;
  if (!dearmor(text, kLabelRevocationList, kMaxRevocationListLen, &raw, &reason))
    return fail(path, reason, why);
  if (!decode(raw, out, &reason)) return fail(path, "bad revocation list: " + reason, why);
  *encoded = std::move(raw);
  return true;
}

}  // namespace braid::identity
