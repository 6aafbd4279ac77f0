// The control socket's request and status lines (control_proto.h).
#include "engine/control_proto.h"

#include <array>
#include <utility>

namespace braid::engine {
namespace {

constexpr std::string_view kPrefix = "BRAID/";

constexpr std::array<std::pair<ControlCommand, const char*>, 8> kCommands = {{
    {ControlCommand::kStatus, "status"},
    {ControlCommand::kPeers, "peers"},
    {ControlCommand::kLinks, "links"},
    {ControlCommand::kPaths, "paths"},
    {ControlCommand::kRoutes, "routes"},
    {ControlCommand::kTable, "table"},
    {ControlCommand::kStats, "stats"},
    {ControlCommand::kReload, "reload"},
}};

constexpr std::array<std::pair<ControlFormat, const char*>, 3> kFormats = {{
    {ControlFormat::kText, "text"},
    {ControlFormat::kJson, "json"},
    {ControlFormat::kPrometheus, "prometheus"},
}};

// "BRAID/<version> " at the start of line: the version, or -1.
int version_of(std::string_view* line) {
  if (line->substr(0, kPrefix.size()) != kPrefix) return -1;
  line->remove_prefix(kPrefix.size());
  int v = 0;
  size_t digits = 0;
  bool leading_zero = !line->empty() && (*line)[0] == '0';
  while (!line->empty() && (*line)[0] >= '0' && (*line)[0] <= '9' && digits < 4) {
    v = v * 10 + ((*line)[0] - '0');
    line->remove_prefix(1);
    ++digits;
  }
  if (digits == 0 || line->empty() || (*line)[0] != ' ') return -1;
  // One spelling per version: no leading zeros.
  if (digits > 1 && leading_zero) return -1;
  line->remove_prefix(1);
  return v;
}

// Up to the next space (or the end), consumed with the space.
std::string_view next_word(std::string_view* line) {
  size_t sp = line->find(' ');
  std::string_view w = line->substr(0, sp);
  line->remove_prefix(sp == std::string_view::npos ? line->size() : sp + 1);
  return w;
}

// For error messages: printable, short.
std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 32)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

}  // namespace

const char* command_name(ControlCommand c) {
  for (const auto& [cmd, name] : kCommands)
    if (cmd == c) return name;
  return "?";
}

const char* format_name(ControlFormat f) {
  for (const auto& [fmt, name] : kFormats)
    if (fmt == f) return name;
  return "?";
}

std::optional<ControlCommand> parse_command(std::string_view name) {
  for (const auto& [cmd, n] : kCommands)
    if (name == n) return cmd;
  return std::nullopt;
}

std::optional<ControlFormat> parse_format(std::string_view name) {
  for (const auto& [fmt, n] : kFormats)
    if (name == n) return fmt;
  return std::nullopt;
}

std::string encode_request(const ControlRequest& req) {
  return std::string(kPrefix) + std::to_string(kControlVersion) + " " +
         command_name(req.command) + " " + format_name(req.format) + "\n";
}

bool parse_request(std::string_view line, ControlRequest* out, std::string* error) {
  int version = version_of(&line);
  if (version < 0) {
    *error = "not a braid control request";
    return false;
  }
  if (version != kControlVersion) {
    *error = "control protocol version " + std::to_string(version) + " not supported (this braid speaks " +
             std::to_string(kControlVersion) + ")";
    return false;
  }
  std::string_view cmd = next_word(&line);
  // The rest is the format, exactly: one word, nothing after it.
  std::string_view fmt = line.substr(0, line.find(' '));
  std::optional<ControlCommand> c = parse_command(cmd);
  if (!c) {
    *error = "unknown command \"" + printable(cmd) + "\"";
    return false;
  }
  std::optional<ControlFormat> f = parse_format(fmt);
  if (!f) {
    *error = "unknown format \"" + printable(fmt) + "\"";
    return false;
  }
  if (fmt.size() != line.size()) {
    *error = "unexpected text after the format";
    return false;
  }
  out->command = *c;
  out->format = *f;
  return true;
}

std::string encode_status(ControlCode code, size_t body_len, std::string_view message) {
  std::string line = std::string(kPrefix) + std::to_string(kControlVersion) + " " +
                     std::to_string(static_cast<int>(code)) + " " + std::to_string(body_len) +
                     " ";
  for (char c : message) {
    auto u = static_cast<unsigned char>(c);
    line += (u >= 0x20 && u < 0x7f) ? c : ' ';
  }
  line += '\n';
  return line;
}

bool parse_status(std::string_view line, ControlCode* code, size_t* body_len,
                  std::string* message) {
  if (version_of(&line) != kControlVersion) return false;
  std::string_view c = next_word(&line);
  if (c.size() != 1 || c[0] < '0' || c[0] > '2') return false;
  std::string_view len = next_word(&line);
  if (len.empty() || len.size() > 9 || (len.size() > 1 && len[0] == '0')) return false;
  size_t n = 0;
  for (char d : len) {
    if (d < '0' || d > '9') return false;
    n = n * 10 + static_cast<size_t>(d - '0');
  }
  if (n > kMaxControlBody) return false;
  *code = static_cast<ControlCode>(c[0] - '0');
  *body_len = n;
  *message = std::string(line);
  return true;
}

}  // namespace braid::engine
