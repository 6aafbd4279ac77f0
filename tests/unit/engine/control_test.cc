// The control socket's server on a real Unix socket and libevent loop:
// requests are answered through the handler, bad ones refused with a
// status line, overlong ones cut off, and clients past the bound wait in
// the backlog until a slot frees.
#include "engine/control.h"

#include <event2/event.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "common/ev.h"

#include <CppUTest/TestHarness.h>

using namespace braid;
using namespace braid::engine;

TEST_GROUP(ControlServer) {
  char dir[64] = "/tmp/braid-control-test.XXXXXX";
  std::string path;
  EventBasePtr base;
  std::unique_ptr<ControlServer> server;
  std::vector<ControlRequest> seen;

  void setup() override {
    CHECK(mkdtemp(dir) != nullptr);
    path = std::string(dir) + "/ctl.sock";
    base = make_event_base();
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    strcpy(sun.sun_path, path.c_str());
    CHECK(bind(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun) == 0);
    CHECK(listen(fd, 32) == 0);
    server = std::make_unique<ControlServer>(base.get(), UniqueFd(fd), [this](const ControlRequest& r) {
      seen.push_back(r);
      return ControlAnswer{ControlCode::kOk, "ok", std::string("body of ") + command_name(r.command) + "\n"};
    });
  }
  void teardown() override {
    server.reset();
    base.reset();
    unlink(path.c_str());
    rmdir(dir);
  }
  UniqueFd connect_client() {
    UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    strcpy(sun.sun_path, path.c_str());
    CHECK(connect(fd.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun) == 0);
    return fd;
  }
  void say(const UniqueFd& fd, const std::string& text) {
    CHECK(send(fd.get(), text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size()));
  }
  // Runs the loop until the server closes the connection; the answer.
  std::string answer(const UniqueFd& fd) {
    std::string out;
    for (int i = 0; i < 2000; ++i) {
      event_base_loop(base.get(), EVLOOP_NONBLOCK);
      char buf[4096];
      ssize_t n = recv(fd.get(), buf, sizeof buf, 0);
      if (n > 0) out.append(buf, static_cast<size_t>(n));
      if (n == 0) return out;
      if (n < 0 && errno != EAGAIN) return out;
      usleep(500);
    }
    FAIL("no end of answer");
    return out;
  }
};

TEST(ControlServer, AnswersARequestWithStatusLineAndBody) {
  UniqueFd c = connect_client();
  say(c, "BRAID/1 peers json\n");
  STRCMP_EQUAL("BRAID/1 0 14 ok\nbody of peers\n", answer(c).c_str());
  LONGS_EQUAL(1, seen.size());
  CHECK(seen[0].format == ControlFormat::kJson);
  LONGS_EQUAL(1, server->requests());
}

TEST(ControlServer, ARequestMayArriveInPieces) {
  UniqueFd c = connect_client();
  say(c, "BRAID/1 ro");
  event_base_loop(base.get(), EVLOOP_NONBLOCK);
  say(c, "utes text\n");
  STRCMP_EQUAL("BRAID/1 0 15 ok\nbody of routes\n", answer(c).c_str());
}

TEST(ControlServer, RefusesABadRequestWithoutCallingTheHandler) {
  UniqueFd c = connect_client();
  say(c, "BRAID/1 dance text\n");
  STRCMP_EQUAL("BRAID/1 2 0 unknown command \"dance\"\n", answer(c).c_str());
  LONGS_EQUAL(0, seen.size());
}

TEST(ControlServer, CutsOffARequestLineThatNeverEnds) {
  UniqueFd c = connect_client();
  say(c, std::string(kMaxControlRequest, 'x'));
  STRCMP_EQUAL("BRAID/1 2 0 request line too long\n", answer(c).c_str());
  LONGS_EQUAL(0, seen.size());
}

TEST(ControlServer, AClientThatLeavesEarlyCostsNothing) {
  {
    UniqueFd c = connect_client();
    say(c, "BRAID/1 st");
  }
  for (int i = 0; i < 10; ++i) event_base_loop(base.get(), EVLOOP_NONBLOCK);
  LONGS_EQUAL(0, server->clients());
  UniqueFd d = connect_client();
  say(d, "BRAID/1 status text\n");
  STRCMP_EQUAL("BRAID/1 0 15 ok\nbody of status\n", answer(d).c_str());
}

TEST(ControlServer, ClientsPastTheBoundWaitTheirTurn) {
  std::vector<UniqueFd> idle;
  for (size_t i = 0; i < ControlServer::kMaxClients; ++i) {
    idle.push_back(connect_client());
    event_base_loop(base.get(), EVLOOP_NONBLOCK);
  }
  LONGS_EQUAL(ControlServer::kMaxClients, server->clients());
  UniqueFd late = connect_client();
  say(late, "BRAID/1 stats text\n");
  for (int i = 0; i < 20; ++i) event_base_loop(base.get(), EVLOOP_NONBLOCK);
  LONGS_EQUAL(ControlServer::kMaxClients, server->clients());
  LONGS_EQUAL(0, seen.size());
  // One of the idle ones gives up: the late one is served.
  idle.pop_back();
  STRCMP_EQUAL("BRAID/1 0 14 ok\nbody of stats\n", answer(late).c_str());
}

TEST(ControlServer, AnswersPastTheRequestBudgetSayBusy) {
  std::string last;
  for (uint32_t i = 0; i <= ControlServer::kRequestsPerSec; ++i) {
    UniqueFd c = connect_client();
    say(c, "BRAID/1 stats text\n");
    last = answer(c);
  }
  STRCMP_CONTAINS("BRAID/1 1 0 busy", last.c_str());
  LONGS_EQUAL(ControlServer::kRequestsPerSec, seen.size());
  LONGS_EQUAL(1, server->busy());
}
