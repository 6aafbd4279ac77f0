// Readiness notification: datagrams reach a real AF_UNIX socket, by path
// and by abstract name, and $NOTIFY_SOCKET is not passed on.
#include "priv/notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/fd.h"

// CppUTest last: its memory macros must not meet the standard headers.
#include <CppUTest/TestHarness.h>

using namespace braid;
using namespace braid::priv;

namespace {

// A datagram socket standing in for systemd's notification socket.
class FakeManager {
 public:
  // Bound to a file in a fresh temporary directory.
  FakeManager() {
    char tmpl[] = "/tmp/braid-notify-XXXXXX";
    if (!mkdtemp(tmpl)) abort();
    dir_ = tmpl;
    path_ = dir_ + "/notify";
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    strcpy(addr.sun_path, path_.c_str());
    open_and_bind(addr, sizeof addr);
    name_ = path_;
  }
  // Bound to an abstract name (no file), given as "@name".
  explicit FakeManager(const std::string& abstract) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path + 1, abstract.data(), abstract.size());
    open_and_bind(addr, static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 +
                                              abstract.size()));
    name_ = "@" + abstract;
  }
  ~FakeManager() {
    if (!path_.empty()) unlink(path_.c_str());
    if (!dir_.empty()) rmdir(dir_.c_str());
  }
  const std::string& name() const { return name_; }

  // The next datagram, or "" when none is waiting.
  std::string receive() {
    char buf[512];
    ssize_t n = recv(fd_.get(), buf, sizeof buf, MSG_DONTWAIT);
    return n < 0 ? std::string() : std::string(buf, static_cast<size_t>(n));
  }

 private:
  void open_and_bind(const sockaddr_un& addr, socklen_t len) {
    fd_.reset(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd_ || bind(fd_.get(), reinterpret_cast<const sockaddr*>(&addr), len) != 0) abort();
  }

  UniqueFd fd_;
  std::string dir_, path_, name_;
};

// A name no other test run uses at the same time.
std::string abstract_name() {
  return "braid-notify-test-" + std::to_string(getpid());
}

}  // namespace

TEST_GROUP(Notify) {
  void teardown() override {
    unsetenv("NOTIFY_SOCKET");
    notify_init();   // back to "off" for the other tests
  }
};

TEST(Notify, SendsReadyToASocketNamedByPath) {
  FakeManager manager;
  setenv("NOTIFY_SOCKET", manager.name().c_str(), 1);
  notify_init();
  CHECK_TRUE(notify_enabled());
  CHECK_TRUE(notify_ready());
  STRCMP_EQUAL("READY=1", manager.receive().c_str());
}

TEST(Notify, SendsToAnAbstractSocket) {
  FakeManager manager(abstract_name());
  setenv("NOTIFY_SOCKET", manager.name().c_str(), 1);
  notify_init();
  CHECK_TRUE(notify_stopping());
  STRCMP_EQUAL("STOPPING=1", manager.receive().c_str());
}

TEST(Notify, RemovesTheVariableSoChildrenDoNotInheritIt) {
  FakeManager manager;
  setenv("NOTIFY_SOCKET", manager.name().c_str(), 1);
  notify_init();
  CHECK(getenv("NOTIFY_SOCKET") == nullptr);
  CHECK_TRUE(notify_ready());   // the address was kept
  STRCMP_EQUAL("READY=1", manager.receive().c_str());
}

TEST(Notify, ReloadingCarriesTheMonotonicClockInMicroseconds) {
  FakeManager manager;
  setenv("NOTIFY_SOCKET", manager.name().c_str(), 1);
  notify_init();
  timespec before{}, after{};
  clock_gettime(CLOCK_MONOTONIC, &before);
  CHECK_TRUE(notify_reloading());
  clock_gettime(CLOCK_MONOTONIC, &after);
  std::string got = manager.receive();
  const std::string prefix = "RELOADING=1\nMONOTONIC_USEC=";
  STRCMP_EQUAL(prefix.c_str(), got.substr(0, prefix.size()).c_str());
  std::string digits = got.substr(prefix.size());
  CHECK_FALSE(digits.empty());
  CHECK(digits.find_first_not_of("0123456789") == std::string::npos);
  unsigned long long usec = std::stoull(digits);
  CHECK(usec >= static_cast<unsigned long long>(before.tv_sec) * 1000000ULL +
                   static_cast<unsigned long long>(before.tv_nsec) / 1000ULL);
  CHECK(usec <= static_cast<unsigned long long>(after.tv_sec) * 1000000ULL +
                   static_cast<unsigned long long>(after.tv_nsec) / 1000ULL);
}

TEST(Notify, StatusKeepsToOneLine) {
  FakeManager manager;
  setenv("NOTIFY_SOCKET", manager.name().c_str(), 1);
  notify_init();
  CHECK_TRUE(notify_status("running on braid0\nREADY=1"));
  STRCMP_EQUAL("STATUS=running on braid0", manager.receive().c_str());
}

TEST(Notify, DoesNothingWithoutTheVariable) {
  unsetenv("NOTIFY_SOCKET");
  notify_init();
  CHECK_FALSE(notify_enabled());
  CHECK_FALSE(notify_ready());
}

TEST(Notify, IgnoresAnAddressThatIsNotAUnixSocket) {
  setenv("NOTIFY_SOCKET", "vsock:2:1234", 1);
  notify_init();
  CHECK_FALSE(notify_enabled());
  CHECK_FALSE(notify_ready());
}

TEST(Notify, FailsQuietlyWhenNobodyListens) {
  setenv("NOTIFY_SOCKET", "/nonexistent/braid-notify", 1);
  notify_init();
  CHECK_TRUE(notify_enabled());
  CHECK_FALSE(notify_ready());
}
