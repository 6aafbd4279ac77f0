// braidctl: asks a running braid over its control socket (doc/control.md)
// and prints the answer. Exit status: 0 answered, 1 the request failed,
// 2 a usage error or a request braid refused, 3 braid could not be reached.
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dirent.h>
#include <getopt.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "common/fd.h"
#include "config/settings.h"
#include "engine/control_proto.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

namespace {

using braid::UniqueFd;
namespace engine = braid::engine;

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnreachable = 3;
// A daemon that accepts but never answers must not hang a script.
constexpr int kTimeoutS = 10;

const char kUsage[] =
    "usage: braidctl [-n NAME | --socket PATH] [--json | --prometheus] COMMAND\n"
    "\n"
    "Asks a running braid and prints its answer.\n"
    "\n"
    "commands:\n"
    "  status   node id, interface, mode, uptime and counts\n"
    "  peers    every peer with a session: address, way, round trip, traffic\n"
    "  links    the local links: state, rate, traffic, queue\n"
    "  paths    every path to every peer: state, round trip, loss\n"
    "  routes   the route table: destination, next hop, metric, age\n"
    "  table    the forwarding table: learnt addresses (switch) or claims (router)\n"
    "  stats    every counter\n"
    "  reload   re-read the configuration, as SIGHUP does\n"
    "\n"
    "options:\n"
    "  -n, --name NAME    the instance NAME (/etc/braid/NAME.conf): /run/braid/NAME.sock\n"
    "  -s, --socket PATH  the control socket at PATH\n"
    "  -j, --json         JSON instead of text\n"
    "  -p, --prometheus   stats in Prometheus text format\n"
    "  -h, --help         this text\n"
    "  -V, --version      braidctl's version\n"
    "\n"
    "Without -n or --socket: /run/braid/braid.sock, or the only socket in /run/braid.\n"
    "exit status: 0 answered, 1 the request failed, 2 usage error or refused request,\n"
    "3 braid could not be reached.\n";

// The option getopt refused: a long one as written, a short one by its
// letter (it may sit in a bundle like -xj).
std::string option_text(const char* arg) {
  if (arg != nullptr && arg[0] == '-' && arg[1] == '-') {
    std::string s = arg;
    return s.substr(0, s.find('='));
  }
  return std::string("-") + static_cast<char>(optopt);
}

int usage_error(const std::string& what) {
  fprintf(stderr, "braidctl: %s\n(braidctl --help lists commands and options)\n", what.c_str());
  return kExitUsage;
}

// The default instance, or the only one running.
std::string default_socket() {
  std::string first = braid::config::default_control_socket("braid");
  struct stat st;
  if (stat(first.c_str(), &st) == 0) return first;
  std::vector<std::string> found;
  if (DIR* d = opendir(braid::config::kControlSocketDir)) {
    while (dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name.size() > 5 && name.ends_with(".sock"))
        found.push_back(std::string(braid::config::kControlSocketDir) + "/" + name);
    }
    closedir(d);
  }
  return found.size() == 1 ? found[0] : first;
}

int unreachable(const std::string& path) {
  int e = errno;
  if (e == ENOENT)
    fprintf(stderr, "braidctl: no control socket at %s: is braid running (with this name)?\n",
            path.c_str());
  else if (e == EACCES || e == EPERM)
    fprintf(stderr, "braidctl: %s: permission denied: run as root or as a member of braid's "
                    "group\n", path.c_str());
  else if (e == ECONNREFUSED)
    fprintf(stderr, "braidctl: nothing answers at %s: braid is not running\n", path.c_str());
  else
    fprintf(stderr, "braidctl: %s: %s\n", path.c_str(), strerror(e));
  return kExitUnreachable;
}

int ask(const std::string& path, const engine::ControlRequest& req) {
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  if (path.size() >= sizeof sun.sun_path) return usage_error("socket path too long: " + path);
  memcpy(sun.sun_path, path.c_str(), path.size() + 1);
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return unreachable(path);
  timeval tv{kTimeoutS, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun) != 0) return unreachable(path);
  std::string line = engine::encode_request(req);
  if (send(fd.get(), line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size()))
    return unreachable(path);
  std::string answer;
  char buf[65536];
  for (;;) {
    ssize_t n = recv(fd.get(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) errno = ETIMEDOUT;
      return unreachable(path);
    }
    if (n == 0) break;
    answer.append(buf, static_cast<size_t>(n));
  }
  size_t nl = answer.find('\n');
  engine::ControlCode code;
  size_t body_len = 0;
  std::string message;
  if (nl == std::string::npos ||
      !engine::parse_status(std::string_view(answer).substr(0, nl), &code, &body_len, &message)) {
    fprintf(stderr, "braidctl: %s: not a braid control answer (another version of braid?)\n",
            path.c_str());
    return kExitUnreachable;
  }
  // Half an answer must not pass for a whole one in a script.
  if (answer.size() - nl - 1 != body_len) {
    fprintf(stderr, "braidctl: %s: the answer was cut short (%zu of %zu bytes)\n", path.c_str(),
            answer.size() - nl - 1, body_len);
    return kExitUnreachable;
  }
  fwrite(answer.data() + nl + 1, 1, answer.size() - nl - 1, stdout);
  if (fflush(stdout) != 0) return kExitFailed;
  switch (code) {
    case engine::ControlCode::kOk:
      if (req.command == engine::ControlCommand::kReload) printf("%s\n", message.c_str());
      return 0;
    case engine::ControlCode::kFailed:
      fprintf(stderr, "braidctl: %s\n", message.c_str());
      return kExitFailed;
    case engine::ControlCode::kBadRequest:
      fprintf(stderr, "braidctl: braid refused the request: %s\n", message.c_str());
      return kExitUsage;
  }
  return kExitFailed;
}

}  // namespace

int main(int argc, char** argv) {
  static const option kOptions[] = {
      {"name", required_argument, nullptr, 'n'}, {"socket", required_argument, nullptr, 's'},
      {"json", no_argument, nullptr, 'j'},       {"prometheus", no_argument, nullptr, 'p'},
      {"help", no_argument, nullptr, 'h'},       {"version", no_argument, nullptr, 'V'},
      {nullptr, 0, nullptr, 0},
  };
  std::string path;
  engine::ControlRequest req;
  bool format_given = false;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":n:s:jphV", kOptions, nullptr)) != -1) {
    switch (c) {
      case 'n':
        if (!path.empty()) return usage_error("give -n or --socket once");
        if (*optarg == '\0' || strchr(optarg, '/') != nullptr || optarg[0] == '.')
          return usage_error(std::string("bad instance name '") + optarg + "'");
        path = braid::config::default_control_socket(optarg);
        break;
      case 's':
        if (!path.empty()) return usage_error("give -n or --socket once");
        path = optarg;
        break;
      case 'j':
      case 'p':
        if (format_given) return usage_error("give --json or --prometheus, not both");
        format_given = true;
        req.format = c == 'j' ? engine::ControlFormat::kJson : engine::ControlFormat::kPrometheus;
        break;
      case 'h': fputs(kUsage, stdout); return 0;
      case 'V': printf("braidctl %s\n", PACKAGE_VERSION); return 0;
      case ':': return usage_error(std::string("option ") + option_text(argv[optind - 1]) + " needs a value");
      default: return usage_error(std::string("unknown option ") + option_text(argv[optind - 1]));
    }
  }
  if (optind >= argc) return usage_error("no command given");
  if (optind + 1 < argc) return usage_error(std::string("one command at a time: '") + argv[optind + 1] + "' is extra");
  auto cmd = engine::parse_command(argv[optind]);
  if (!cmd) return usage_error(std::string("unknown command '") + argv[optind] + "'");
  req.command = *cmd;
  if (req.format == engine::ControlFormat::kPrometheus && req.command != engine::ControlCommand::kStats)
    return usage_error("--prometheus is for stats only");
  if (path.empty()) path = default_socket();
  return ask(path, req);
}
