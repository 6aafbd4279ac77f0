// Reading, writing and ageing the peer state file. What is read comes from
// a file that may be damaged (a full disk, an operator's editor): every
// line is checked and a bad one only skipped.
#include "engine/statefile.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <unordered_map>

#include "common/fd.h"
#include "common/hex.h"

namespace braid::engine {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// Splits a line at runs of blanks.
std::vector<std::string_view> fields_of(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_space(line[i])) ++i;
    size_t start = i;
    while (i < line.size() && !is_space(line[i])) ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

// Decimal digits only: no sign, no blank, no overflow.
template <typename T>
bool parse_decimal(std::string_view text, T* out) {
  if (text.empty()) return false;
  for (char c : text)
    if (c < '0' || c > '9') return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

bool parse_id(std::string_view text, NodeId* id) {
  if (text.size() != 2 * id->size()) return false;
  // Lower case only, as the file writes it: one spelling per id.
  for (char c : text)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  auto bytes = from_hex(text);
  if (!bytes || bytes->size() != id->size()) return false;
  std::copy(bytes->begin(), bytes->end(), id->begin());
  return true;
}

// One "peer" line after its keyword; false if anything is wrong with it.
bool parse_peer(std::span<const std::string_view> f, StatePeer* p) {
  if (f.size() < 3 || f.size() > 2 + kMaxStateEndpoints) return false;
  if (!parse_id(f[0], &p->id)) return false;
  if (!parse_decimal(f[1], &p->last_seen_unix)) return false;
  p->endpoints.clear();
  for (size_t i = 2; i < f.size(); ++i) {
    Endpoint e;
    if (!parse_state_endpoint(f[i], &e)) return false;
    p->endpoints.push_back(e);
  }
  return true;
}

bool writable_endpoint(const Endpoint& e) { return e.valid() && e.sa.sin6_port != 0; }

bool write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::string error_text(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + strerror(errno);
}

}  // namespace

bool parse_state_endpoint(std::string_view text, Endpoint* out) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::string_view host = text.substr(0, colon);
  uint32_t port = 0;
  if (text.size() - colon - 1 > 5 || !parse_decimal(text.substr(colon + 1), &port) ||
      port == 0 || port > 65535)
    return false;
  int family = 4;
  if (!host.empty() && host.front() == '[') {
    if (host.size() < 2 || host.back() != ']') return false;
    host = host.substr(1, host.size() - 2);
    family = 6;
  }
  // inet_pton wants a terminated string; anything longer is no address.
  char buf[INET6_ADDRSTRLEN];
  if (host.empty() || host.size() >= sizeof buf) return false;
  memcpy(buf, host.data(), host.size());
  buf[host.size()] = '\0';
  uint8_t addr[16];
  if (inet_pton(family == 4 ? AF_INET : AF_INET6, buf, addr) != 1) return false;
  *out = Endpoint::from_bytes(family, addr, static_cast<uint16_t>(port));
  return true;
}

bool parse_state(std::string_view text, std::vector<StatePeer>* out, size_t* bad_lines,
                 std::string* why) {
  out->clear();
  *bad_lines = 0;
  if (text.size() > kMaxStateBytes) {
    *why = "larger than " + std::to_string(kMaxStateBytes) + " bytes";
    return false;
  }
  bool header = false;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    // A file saved by an editor with DOS line ends still reads.
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line == kStateHeader) {
      header = true;
      continue;
    }
    size_t first = 0;
    while (first < line.size() && is_space(line[first])) ++first;
    if (first == line.size()) continue;
    if (line[first] == '#') {
      // Another version's header is not a comment to skip past: its lines
      // may mean something else.
      if (!header && line.starts_with("# braid peer state ")) {
        *why = "line " + std::to_string(line_no) + ": unsupported state file version";
        return false;
      }
      continue;
    }
    if (!header) {
      *why = "line " + std::to_string(line_no) + ": expected '" + std::string(kStateHeader) +
             "' first";
      return false;
    }
    std::vector<std::string_view> f = fields_of(line);
    StatePeer p;
    if (f.empty() || f[0] != "peer" || !parse_peer(std::span(f).subspan(1), &p)) {
      ++*bad_lines;
      continue;
    }
    out->push_back(std::move(p));
  }
  if (!header) {
    *why = "missing '" + std::string(kStateHeader) + "'";
    return false;
  }
  return true;
}

std::string format_state(std::span<const StatePeer> peers) {
  std::string out(kStateHeader);
  out += '\n';
  for (const StatePeer& p : peers) {
    std::string line;
    size_t n = 0;
    for (const Endpoint& e : p.endpoints) {
      if (n == kMaxStateEndpoints) break;
      if (!writable_endpoint(e)) continue;
      line += ' ';
      line += e.str();
      ++n;
    }
    if (n == 0) continue;
    out += "peer ";
    out += to_hex(p.id);
    out += ' ';
    out += std::to_string(p.last_seen_unix);
    out += line;
    out += '\n';
  }
  return out;
}

void age_state(std::vector<StatePeer>* peers, uint64_t now_unix, uint64_t max_age_s) {
  std::vector<StatePeer>& v = *peers;
  for (StatePeer& p : v) p.last_seen_unix = std::min(p.last_seen_unix, now_unix);
  std::erase_if(v, [&](const StatePeer& p) { return now_unix - p.last_seen_unix > max_age_s; });
  // Most recent first; among equals the later entry first, so the dedup
  // below keeps the one written last.
  std::reverse(v.begin(), v.end());
  std::stable_sort(v.begin(), v.end(), [](const StatePeer& a, const StatePeer& b) {
    return a.last_seen_unix > b.last_seen_unix;
  });
  std::unordered_map<NodeId, bool, NodeIdHash> seen;
  std::vector<StatePeer> kept;
  for (StatePeer& p : v) {
    if (kept.size() == kMaxStatePeers) break;
    if (!seen.emplace(p.id, true).second) continue;
    kept.push_back(std::move(p));
  }
  v = std::move(kept);
}

bool write_state_file(const std::string& path, std::string_view text, std::string* why) {
  const std::string tmp = path + ".tmp";
  // A stale temporary (a crash, another owner after a change of user) is
  // replaced, never written through.
  if (unlink(tmp.c_str()) != 0 && errno != ENOENT) {
    *why = error_text("cannot remove", tmp);
    return false;
  }
  UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) {
    *why = error_text("cannot create", tmp);
    return false;
  }
  bool ok = write_all(fd.get(), text);
  if (!ok) *why = error_text("cannot write", tmp);
  if (ok && fsync(fd.get()) != 0) {
    *why = error_text("cannot sync", tmp);
    ok = false;
  }
  if (ok && close(fd.release()) != 0) {
    *why = error_text("cannot write", tmp);
    ok = false;
  }
  if (ok && rename(tmp.c_str(), path.c_str()) != 0) {
    *why = error_text("cannot rename " + tmp + " to", path);
    ok = false;
  }
  if (!ok) {
    fd.reset();
    unlink(tmp.c_str());
    return false;
  }
  // The rename itself is durable only once the directory is.
  size_t slash = path.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  UniqueFd d(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!d || (fsync(d.get()) != 0 && errno != EINVAL)) {
    *why = error_text("cannot sync directory", dir);
    return false;
  }
  return true;
}

bool read_state_file(const std::string& path, std::string* text, std::string* why) {
  text->clear();
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (!fd) {
    *why = errno == ENOENT ? "" : error_text("cannot open", path);
    return false;
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0) {
    *why = error_text("cannot read", path);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    *why = path + " is not a regular file";
    return false;
  }
  // One byte more than allowed tells a file that is too large.
  text->resize(kMaxStateBytes + 1);
  size_t have = 0;
  while (have < text->size()) {
    ssize_t n = read(fd.get(), text->data() + have, text->size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *why = error_text("cannot read", path);
      text->clear();
      return false;
    }
    if (n == 0) break;
    have += static_cast<size_t>(n);
  }
  text->resize(have);
  if (have > kMaxStateBytes) {
    *why = path + " is larger than " + std::to_string(kMaxStateBytes) + " bytes";
    text->clear();
    return false;
  }
  return true;
}

}  // namespace braid::engine
