// Port forwarding without a gateway: the default-route lookup against the
// kernel's own table, and the worker's schedule (map, renew, retry, remove,
// a prompt stop) against a fake gateway.
#include "engine/portmap.h"

#include <arpa/inet.h>

#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include <CppUTest/TestHarness.h>

#include "common/log.h"

using namespace braid;
using namespace braid::engine;
using namespace std::chrono_literals;

namespace {

// The default gateway as /proc/net/route shows it (main table, lowest
// metric), or "none"; "unreadable" when there is no /proc.
std::string proc_default_gateway() {
  std::ifstream in("/proc/net/route");
  if (!in) return "unreadable";
  std::string line;
  std::getline(in, line);  // header
  bool found = false;
  unsigned long best_metric = 0;
  in_addr best{};
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string ifname, dst, gw, mask;
    unsigned long flags = 0, refcnt = 0, use = 0, metric = 0;
    f >> ifname >> dst >> gw >> std::hex >> flags >> std::dec >> refcnt >> use >> metric >> mask;
    if (!f || dst != "00000000" || mask != "00000000" || !(flags & 0x2)) continue;
    if (found && metric >= best_metric) continue;
    // The file prints the address as the 32-bit value in memory order.
    best.s_addr = static_cast<in_addr_t>(std::stoul(gw, nullptr, 16));
    best_metric = metric;
    found = true;
  }
  if (!found) return "none";
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &best, buf, sizeof buf);
  return buf;
}

std::string gateway_text(const std::optional<in_addr>& gw) {
  if (!gw) return "none";
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &*gw, buf, sizeof buf);
  return buf;
}

// A gateway the test scripts: each call is counted and may be held until
// the test lets it go.
struct FakeGateway {
  std::mutex mu;
  std::condition_variable cv;
  int maps = 0;
  int renews = 0;
  int unmaps = 0;
  bool map_ok = true;
  bool renew_ok = true;
  bool map_throws = false;
  bool hold_map = false;    // map() waits until cleared
  bool hold_unmap = false;  // unmap() waits until cleared
  bool unmap_returned = false;
  uint16_t unmapped_port = 0;
  PortMapping grant;

  FakeGateway() {
    grant.method = PortMapping::Method::kNatPmp;
    grant.gateway = "10.0.0.1";
    grant.external = "198.51.100.7";
    grant.external_port = 3210;
    grant.lifetime_s = 3600;
  }

  // Waits until pred() holds; false after `limit`.
  bool wait(const std::function<bool()>& pred, std::chrono::milliseconds limit = 5s) {
    std::unique_lock lk(mu);
    return cv.wait_for(lk, limit, pred);
  }
  void set(const std::function<void()>& change) {
    {
      std::lock_guard lk(mu);
      change();
    }
    cv.notify_all();
  }
};

class FakeBackend final : public PortMapBackend {
 public:
  explicit FakeBackend(std::shared_ptr<FakeGateway> g) : g_(std::move(g)) {}

  bool map(uint16_t, uint32_t, const std::atomic<bool>& stopping, PortMapping* out,
           std::string* why) override {
    std::unique_lock lk(g_->mu);
    ++g_->maps;
    g_->cv.notify_all();
    // Like discovery, a held map ends early only through `stopping`.
    while (g_->hold_map && !stopping) g_->cv.wait_for(lk, 5ms);
    if (g_->map_throws) throw std::runtime_error("fake gateway exploded");
    if (!g_->map_ok) {
      *why = "fake: nobody there";
      return false;
    }
    *out = g_->grant;
    return true;
  }

  bool renew(uint16_t, uint32_t, const std::atomic<bool>&, PortMapping* m,
             std::string* why) override {
    std::lock_guard lk(g_->mu);
    ++g_->renews;
    g_->cv.notify_all();
    if (!g_->renew_ok) {
      *why = "fake: forgot you";
      return false;
    }
    *m = g_->grant;
    return true;
  }

  void unmap(uint16_t port, const PortMapping&) override {
    std::unique_lock lk(g_->mu);
    ++g_->unmaps;
    g_->unmapped_port = port;
    g_->cv.notify_all();
    g_->cv.wait(lk, [this] { return !g_->hold_unmap; });
    g_->unmap_returned = true;
    g_->cv.notify_all();
  }

 private:
  std::shared_ptr<FakeGateway> g_;
};

PortMapper::Schedule quick_schedule() {
  PortMapper::Schedule s;
  s.renew = 20ms;
  s.retry = std::chrono::minutes(10);
  s.stop_budget = 200ms;
  return s;
}

std::unique_ptr<PortMapper> make_mapper(const std::shared_ptr<FakeGateway>& g,
                                        PortMapper::Schedule s = quick_schedule()) {
  return std::make_unique<PortMapper>(3210, std::make_unique<FakeBackend>(g), s);
}

// How long `f` took.
std::chrono::milliseconds timed(const std::function<void()>& f) {
  auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start);
}

}  // namespace

TEST_GROUP(DefaultGateway){};

TEST(DefaultGateway, NetlinkAgreesWithProcNetRoute) {
  std::string expected = proc_default_gateway();
  if (expected == "unreadable") return;  // no /proc here: nothing to compare with
  STRCMP_EQUAL(expected.c_str(), gateway_text(default_gateway()).c_str());
}

TEST_GROUP(PortMapper) {
  LogLevel saved_level = log_level();
  std::shared_ptr<FakeGateway> g = std::make_shared<FakeGateway>();
  void setup() override { log_set_level(LogLevel::kError); }
  void teardown() override { log_set_level(saved_level); }
};

TEST(PortMapper, StatusIsNoneBeforeAnyGatewayAnswers) {
  g->hold_map = true;
  auto pm = make_mapper(g);
  CHECK(g->wait([&] { return g->maps == 1; }));
  PortMapper::Status s = pm->status();
  STRCMP_EQUAL("none", s.method.c_str());
  STRCMP_EQUAL("", s.external.c_str());
}

TEST(PortMapper, StatusShowsMethodAndExternalAddressOnceMapped) {
  g->grant.external_port = 3333;
  auto pm = make_mapper(g);
  CHECK(g->wait([&] { return g->renews >= 1; }));
  PortMapper::Status s = pm->status();
  STRCMP_EQUAL("natpmp", s.method.c_str());
  STRCMP_EQUAL("198.51.100.7", s.external.c_str());
  LONGS_EQUAL(3333, s.external_port);
}

TEST(PortMapper, UpnpMappingIsReportedAsUpnp) {
  g->grant.method = PortMapping::Method::kUpnp;
  auto pm = make_mapper(g);
  CHECK(g->wait([&] { return g->renews >= 1; }));
  STRCMP_EQUAL("upnp", pm->status().method.c_str());
}

TEST(PortMapper, RenewsTheMappingOnSchedule) {
  auto pm = make_mapper(g);
  CHECK(g->wait([&] { return g->renews >= 3; }));
  LONGS_EQUAL(1, g->maps);
}

TEST(PortMapper, RenewsAtHalfOfAShorterGrantedLifetime) {
  g->grant.lifetime_s = 2;  // renewal after 1 s, not the schedule's hour
  PortMapper::Schedule s = quick_schedule();
  s.renew = std::chrono::hours(1);
  auto pm = make_mapper(g, s);
  CHECK(g->wait([&] { return g->maps == 1; }));
  CHECK(g->wait([&] { return g->renews >= 1; }, 3s));
}

TEST(PortMapper, SearchesAgainWhenARenewalFails) {
  g->renew_ok = false;
  auto pm = make_mapper(g);
  CHECK(g->wait([&] { return g->maps >= 2; }));
}

TEST(PortMapper, RemovesTheMappingWhenDestroyed) {
  auto pm = make_mapper(g);
  CHECK(g->wait([&] { return g->renews >= 1; }));
  pm.reset();
  LONGS_EQUAL(1, g->unmaps);
  LONGS_EQUAL(3210, g->unmapped_port);
}

TEST(PortMapper, RemovesNothingWhenNothingWasMapped) {
  g->map_ok = false;
  auto pm = make_mapper(g);
  CHECK(g->wait([&] { return g->maps == 1; }));
  pm.reset();
  LONGS_EQUAL(0, g->unmaps);
}

TEST(PortMapper, StopIsPromptWhileWaitingToRetry) {
  g->map_ok = false;
  auto pm = make_mapper(g);
  CHECK(g->wait([&] { return g->maps == 1; }));
  STRCMP_EQUAL("none", pm->status().method.c_str());
  CHECK(timed([&] { pm.reset(); }) < 150ms);
  LONGS_EQUAL(1, g->maps);
}

TEST(PortMapper, StopIsPromptDuringDiscovery) {
  g->hold_map = true;
  auto pm = make_mapper(g);
  CHECK(g->wait([&] { return g->maps == 1; }));
  CHECK(timed([&] { pm.reset(); }) < 150ms);
}

TEST(PortMapper, DestructorKeepsItsBudgetWhenTheGatewayHangs) {
  auto pm = make_mapper(g);
  CHECK(g->wait([&] { return g->renews >= 1; }));
  g->set([&] { g->hold_unmap = true; });
  auto took = timed([&] { pm.reset(); });
  CHECK(took >= 150ms);
  CHECK(took < 1s);
  // The worker, left on its own, finishes once the gateway answers.
  g->set([&] { g->hold_unmap = false; });
  CHECK(g->wait([&] { return g->unmap_returned; }));
}

TEST(PortMapper, AnExceptionInTheWorkerStopsOnlyPortForwarding) {
  g->map_throws = true;
  auto pm = make_mapper(g);
  CHECK(g->wait([&] { return g->maps == 1; }));
  CHECK(timed([&] { pm.reset(); }) < 150ms);
}
