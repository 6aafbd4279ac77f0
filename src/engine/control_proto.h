// The control socket's request protocol (doc/control.md), shared by the
// engine, which answers, and braidctl, which asks. One request per
// connection, one line of text; the answer is a status line and a body,
// ended by the engine closing the connection.
//
//   request = "BRAID/1 " command " " format LF
//   answer  = "BRAID/1 " code " " length " " message LF body
//
// length is the body's size in bytes: a client that gets less knows the
// answer was cut short.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace braid::engine {

// The protocol's version; an engine answers requests of its own version
// only, so a braidctl of another release fails with a clear message.
constexpr int kControlVersion = 1;
// Longest request line, newline included: every valid one is far shorter.
constexpr size_t kMaxControlRequest = 128;

enum class ControlCommand : uint8_t {
  kStatus,   // node id, network, interface, uptime, counts
  kPeers,    // every peer with a session
  kLinks,    // the local links
  kPaths,    // every path to every peer (multi-link)
  kRoutes,   // the route table
  kTable,    // switch addresses or claimed subnets (by the forwarding mode)
  kStats,    // every counter
  kReload,   // re-read the configuration (as SIGHUP)
};

enum class ControlFormat : uint8_t { kText, kJson, kPrometheus };

// What braidctl's exit status says and the answer's code carries.
enum class ControlCode : uint8_t {
  kOk = 0,
  kFailed = 1,       // the request was understood but did not succeed
  kBadRequest = 2,   // unknown command, format or version
};

struct ControlRequest {
  ControlCommand command = ControlCommand::kStatus;
  ControlFormat format = ControlFormat::kText;
};

const char* command_name(ControlCommand c);
const char* format_name(ControlFormat f);
std::optional<ControlCommand> parse_command(std::string_view name);
std::optional<ControlFormat> parse_format(std::string_view name);

// The request line, newline included.
std::string encode_request(const ControlRequest& req);
// Parses one request line (without its newline). On failure returns
// false with the reason in *error, fit to send back.
bool parse_request(std::string_view line, ControlRequest* out, std::string* error);

// The answer's first line, newline included, for a body of body_len
// bytes. The message is one line of printable ASCII: anything else in it
// is replaced by a space.
std::string encode_status(ControlCode code, size_t body_len, std::string_view message);
// Parses an answer's first line (without its newline).
bool parse_status(std::string_view line, ControlCode* code, size_t* body_len,
                  std::string* message);
// Bodies are at most this long (a stats answer of a thousand peers is a
// few hundred KiB).
constexpr size_t kMaxControlBody = 64u << 20;

}  // namespace braid::engine
