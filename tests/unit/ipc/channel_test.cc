// The channel over a real socketpair and event_base: fds that work on the
// other side, refusals on both ends, clean and broken closes.
#include "ipc/channel.h"

#include <CppUTest/TestHarness.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "ipc/messages.h"

using namespace braid;
using namespace braid::ipc;

namespace {

struct Received {
  MsgType type;
  std::vector<uint8_t> payload;
  UniqueFd fd;
};

// Collects what a channel delivers.
struct Sink {
  std::vector<Received> messages;
  std::optional<std::string> closed;
  Channel::OnMessage on_message() {
    return [this](MsgType t, std::span<const uint8_t> p, UniqueFd fd) {
      messages.push_back({t, {p.begin(), p.end()}, std::move(fd)});
    };
  }
  Channel::OnClose on_close() {
    return [this](const std::string& reason) { closed = reason; };
  }
};

std::vector<uint8_t> hello_payload() {
  std::vector<uint8_t> p;
  encode(Hello{static_cast<uint32_t>(getpid())}, &p);
  return p;
}

void make_pipe(UniqueFd* r, UniqueFd* w) {
  int p[2];
  CHECK(pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0);
  r->reset(p[0]);
  w->reset(p[1]);
}

// True once every copy of the pipe's write end is closed.
bool write_end_closed(int read_end) {
  char c;
  return read(read_end, &c, 1) == 0;
}

// Sends a raw record (and fds) past every check of the sending side.
void raw_send(int sock, std::span<const uint8_t> bytes, std::vector<int> fds = {}) {
  iovec iov{const_cast<uint8_t*>(bytes.data()), bytes.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  std::vector<char> control(CMSG_SPACE(sizeof(int) * fds.size()));
  if (!fds.empty()) {
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  CHECK(sendmsg(sock, &msg, MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size()));
}

// Runs `body` in a child process and returns its exit status, so that a
// fatal refusal can be observed without ending the test run.
int exit_status_of(const std::function<void()>& body) {
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, STDERR_FILENO);
    body();
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

TEST_GROUP(IpcChannel) {
  EventBasePtr base;
  UniqueFd parent_fd;
  UniqueFd engine_fd;

  void setup() override {
    base = make_event_base();
    make_socketpair(&parent_fd, &engine_fd);
  }
  void teardown() override { base.reset(); }

  bool run_until(const std::function<bool()>& done) {
    for (int i = 0; i < 100 && !done(); ++i) event_base_loop(base.get(), EVLOOP_NONBLOCK);
    return done();
  }
};

TEST(IpcChannel, DeviceFrameCarriesAnFdThatWorksOnTheOtherSide) {
  Sink ps, es;
  Channel parent(base.get(), std::move(parent_fd), Side::kParent, ps.on_message(), ps.on_close());
  Channel engine(base.get(), std::move(engine_fd), Side::kEngine, es.on_message(), es.on_close());
  parent.set_state(parent_state::kAwaitReady);
  engine.set_state(engine_state::kConfigured);
  UniqueFd r, w;
  make_pipe(&r, &w);
  std::vector<uint8_t> payload;
  CHECK(encode(DeviceInfo{DeviceType::kTun, 1400, "braid0"}, &payload));
  CHECK(parent.send(MsgType::kDevice, payload, w.get()));
  w.reset();  // the caller's copy may go at once; the channel holds its own
  CHECK(run_until([&] { return !es.messages.empty(); }));
  Received& m = es.messages.front();
  CHECK(m.type == MsgType::kDevice);
  CHECK(m.fd.valid());
  CHECK(fcntl(m.fd.get(), F_GETFD) & FD_CLOEXEC);
  DeviceInfo info;
  CHECK(decode(m.payload, &info, nullptr));
  STRCMP_EQUAL("braid0", info.ifname.c_str());
  CHECK(write(m.fd.get(), "x", 1) == 1);
  char c = 0;
  CHECK(read(r.get(), &c, 1) == 1);
  LONGS_EQUAL('x', c);
  LONGS_EQUAL(0, parent.queued());
  CHECK_FALSE(ps.closed.has_value());
  CHECK_FALSE(es.closed.has_value());
}

TEST(IpcChannel, StartupSequenceRunsThroughEveryState) {
  Sink ps;
  std::vector<MsgType> engine_got;
  std::unique_ptr<Channel> engine;
  std::unique_ptr<Channel> parent;
  std::optional<std::string> engine_closed, parent_closed;
  UniqueFd r, w;
  make_pipe(&r, &w);

  engine = std::make_unique<Channel>(
      base.get(), std::move(engine_fd), Side::kEngine,
      [&](MsgType t, std::span<const uint8_t>, UniqueFd) {
        engine_got.push_back(t);
        if (t == MsgType::kConfig) engine->set_state(engine_state::kConfigured);
        if (t == MsgType::kStart) {
          engine->set_state(engine_state::kRunning);
          engine->send(MsgType::kReady, {});
        }
      },
      [&](const std::string& why) { engine_closed = why; });
  parent = std::make_unique<Channel>(
      base.get(), std::move(parent_fd), Side::kParent,
      [&](MsgType t, std::span<const uint8_t>, UniqueFd) {
        if (t == MsgType::kHello) {
          parent->set_state(parent_state::kAwaitReady);
          std::vector<uint8_t> p;
          EngineConfig config;
          config.peers = {"a:1"};
          config.peer_links = {kAnyLink};
          CHECK(encode(config, &p));
          parent->send(MsgType::kConfig, p);
          CHECK(encode(DeviceInfo{DeviceType::kTap, 1500, "tap0"}, &p));
          parent->send(MsgType::kDevice, p, w.get());
          CHECK(encode(UdpSocketInfo{4, 3210}, &p));
          parent->send(MsgType::kUdpSocket, p, w.get());
          parent->send(MsgType::kStart, {});
          PeerAddresses addrs;
          CHECK(encode(addrs, &p));
          parent->send(MsgType::kPeerAddresses, p);
        }
        if (t == MsgType::kReady) parent->set_state(parent_state::kRunning);
      },
      [&](const std::string& why) { parent_closed = why; });

  engine->send(MsgType::kHello, hello_payload());
  CHECK(run_until([&] { return parent->state() == parent_state::kRunning; }));
  LONGS_EQUAL(5, engine_got.size());
  CHECK(engine_got[4] == MsgType::kPeerAddresses);
  parent->send(MsgType::kLogFd, {}, w.get());
  parent->send(MsgType::kShutdown, {});
  CHECK(run_until([&] { return engine_got.size() == 7; }));
  CHECK_FALSE(engine_closed.has_value());
  CHECK_FALSE(parent_closed.has_value());
}

TEST(IpcChannel, EngineSendingAnFdIsRefused) {
  int status = exit_status_of([] {
    EventBasePtr b = make_event_base();
    UniqueFd p, e;
    make_socketpair(&p, &e);
    Channel engine(b.get(), std::move(e), Side::kEngine, [](MsgType, std::span<const uint8_t>, UniqueFd) {},
                   [](const std::string&) {});
    engine.send(MsgType::kHello, hello_payload(), STDIN_FILENO);
  });
  CHECK(status != 0);
}

TEST(IpcChannel, SendingWhatTheRulesForbidIsFatal) {
  auto try_send = [](Side side, uint32_t state, MsgType type, std::vector<uint8_t> payload, bool fd) {
    return exit_status_of([=] {
      EventBasePtr b = make_event_base();
      UniqueFd p, e;
      make_socketpair(&p, &e);
      Channel ch(b.get(), std::move(side == Side::kParent ? p : e), side,
                 [](MsgType, std::span<const uint8_t>, UniqueFd) {}, [](const std::string&) {});
      ch.set_state(state);
      ch.send(type, payload, fd ? STDIN_FILENO : -1);
    });
  };
  std::vector<uint8_t> device;
  CHECK(encode(DeviceInfo{DeviceType::kTun, 1400, "tun0"}, &device));
  LONGS_EQUAL(0, try_send(Side::kParent, parent_state::kAwaitReady, MsgType::kDevice, device, true));
  CHECK(try_send(Side::kParent, parent_state::kRunning, MsgType::kDevice, device, true) != 0);
  CHECK(try_send(Side::kParent, parent_state::kAwaitReady, MsgType::kDevice, device, false) != 0);
  CHECK(try_send(Side::kEngine, engine_state::kConfigured, MsgType::kDevice, device, true) != 0);
  std::vector<uint8_t> bad_hello(4, 0);  // right length, pid 0
  CHECK(try_send(Side::kEngine, engine_state::kAwaitConfig, MsgType::kHello, bad_hello, false) != 0);
}

TEST(IpcChannel, PeerClosingGivesCleanClose) {
  Sink ps;
  Channel parent(base.get(), std::move(parent_fd), Side::kParent, ps.on_message(), ps.on_close());
  engine_fd.reset();
  CHECK(run_until([&] { return ps.closed.has_value(); }));
  STRCMP_EQUAL("", ps.closed->c_str());
  CHECK(parent.closed());
  parent.set_state(parent_state::kAwaitReady);
  CHECK_FALSE(parent.send(MsgType::kStart, {}));
}

TEST(IpcChannel, GarbageRecordGivesReason) {
  Sink ps;
  Channel parent(base.get(), std::move(parent_fd), Side::kParent, ps.on_message(), ps.on_close());
  const char garbage[] = "GET / HTTP/1.0\r\n";
  raw_send(engine_fd.get(), std::span(reinterpret_cast<const uint8_t*>(garbage), sizeof garbage));
  CHECK(run_until([&] { return ps.closed.has_value(); }));
  STRCMP_CONTAINS("IPC version", ps.closed->c_str());
  CHECK(ps.messages.empty());
  CHECK(parent.closed());
}

TEST(IpcChannel, PayloadTheDecoderRefusesGivesReason) {
  Sink ps;
  Channel parent(base.get(), std::move(parent_fd), Side::kParent, ps.on_message(), ps.on_close());
  std::vector<uint8_t> zero_pid(4, 0);
  raw_send(engine_fd.get(), encode_frame(MsgType::kHello, zero_pid));
  CHECK(run_until([&] { return ps.closed.has_value(); }));
  STRCMP_CONTAINS("Hello", ps.closed->c_str());
  CHECK(ps.messages.empty());
}

TEST(IpcChannel, OversizedRecordIsRefusedAsTruncated) {
  Sink es;
  Channel engine(base.get(), std::move(engine_fd), Side::kEngine, es.on_message(), es.on_close());
  std::vector<uint8_t> huge(kMaxFrame + 1, 0);
  raw_send(parent_fd.get(), huge);
  CHECK(run_until([&] { return es.closed.has_value(); }));
  STRCMP_EQUAL("truncated record", es.closed->c_str());
}

TEST(IpcChannel, TwoFdsInOneRecordAreClosedAndReported) {
  Sink es;
  Channel engine(base.get(), std::move(engine_fd), Side::kEngine, es.on_message(), es.on_close());
  engine.set_state(engine_state::kConfigured);
  UniqueFd r, w;
  make_pipe(&r, &w);
  std::vector<uint8_t> payload;
  CHECK(encode(UdpSocketInfo{4, 1}, &payload));
  raw_send(parent_fd.get(), encode_frame(MsgType::kUdpSocket, payload), {w.get(), w.get()});
  w.reset();
  CHECK(run_until([&] { return es.closed.has_value(); }));
  CHECK_FALSE(es.closed->empty());
  CHECK(es.messages.empty());
  CHECK(write_end_closed(r.get()));
}

TEST(IpcChannel, FdInTheWrongStateIsClosedAndReported) {
  Sink es;
  Channel engine(base.get(), std::move(engine_fd), Side::kEngine, es.on_message(), es.on_close());
  UniqueFd r, w;
  make_pipe(&r, &w);
  std::vector<uint8_t> payload;
  CHECK(encode(DeviceInfo{DeviceType::kTun, 1400, "tun0"}, &payload));
  raw_send(parent_fd.get(), encode_frame(MsgType::kDevice, payload), {w.get()});
  w.reset();
  CHECK(run_until([&] { return es.closed.has_value(); }));
  STRCMP_CONTAINS("not allowed in state engine:await-config", es.closed->c_str());
  CHECK(write_end_closed(r.get()));
}

TEST(IpcChannel, OwnerMayDestroyTheChannelInItsCallback) {
  std::unique_ptr<Channel> parent;
  int delivered = 0;
  parent = std::make_unique<Channel>(
      base.get(), std::move(parent_fd), Side::kParent,
      [&](MsgType, std::span<const uint8_t>, UniqueFd) {
        ++delivered;
        parent.reset();
      },
      [&](const std::string&) { parent.reset(); });
  auto frame = encode_frame(MsgType::kHello, hello_payload());
  raw_send(engine_fd.get(), frame);
  raw_send(engine_fd.get(), frame);
  CHECK(run_until([&] { return parent == nullptr; }));
  for (int i = 0; i < 3; ++i) event_base_loop(base.get(), EVLOOP_NONBLOCK);
  LONGS_EQUAL(1, delivered);
}

TEST(IpcChannel, FlushBlockingWritesTheQueueWithoutTheLoop) {
  Sink ps;
  Channel parent(base.get(), std::move(parent_fd), Side::kParent, ps.on_message(), ps.on_close());
  parent.set_state(parent_state::kStopping);
  CHECK(parent.send(MsgType::kShutdown, {}));
  LONGS_EQUAL(1, parent.queued());
  CHECK(parent.flush_blocking(1000));
  LONGS_EQUAL(0, parent.queued());
  uint8_t buf[16];
  LONGS_EQUAL(kHeaderSize, recv(engine_fd.get(), buf, sizeof buf, MSG_DONTWAIT));
  LONGS_EQUAL(static_cast<uint8_t>(MsgType::kShutdown), buf[1]);
}
