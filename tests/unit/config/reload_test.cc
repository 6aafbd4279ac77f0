// Reload planning: what changes live, what stays, and what refuses the
// whole new configuration because it takes a restart.
#include "config/reload.h"
#include "fixtures.h"

using namespace braid::config;
using namespace braid::config::testing;

TEST_GROUP(ReloadPlan){};

TEST(ReloadPlan, TheSameConfigurationChangesNothing) {
  Config c = keyed();
  ReloadPlan p = plan_reload(c, c);
  CHECK(p.accepted());
  CHECK_FALSE(p.changed());
}

TEST(ReloadPlan, HooksLoggingStatsAndRevocationListsChangeLive) {
  Config running = keyed();
  Config next = running;
  next.ifup = "true";
  next.status_hook = "logger";
  next.verbosity = braid::LogLevel::kDebug;
  next.log_file = "/var/log/braid.log";
  next.stats_file = "/run/braid/stats";
  next.stats_format = StatsFormat::kJson;
  next.revocation_files = {"/etc/braid/ca.crl"};
  ReloadPlan p = plan_reload(running, next);
  CHECK(p.accepted());
  STRCMP_EQUAL("device.ifup, device.status_hook, security.revocation_list, daemon.log_file, "
               "daemon.stats_file, daemon.stats_format and daemon.verbosity",
               join_keys(p.live).c_str());
}

TEST(ReloadPlan, DeviceSocketsIdentityAndSandboxTakeARestart) {
  Config running = keyed();
  for (auto change : std::initializer_list<void (*)(Config&)>{
           [](Config& c) { c.device_type = DeviceType::kTap; },
           [](Config& c) { c.port = 4000; },
           [](Config& c) { c.shared_key = "other"; },
           [](Config& c) { c.user = "root"; },
           [](Config& c) { c.mode = Mode::kHub; },
           [](Config& c) { c.peers.push_back({"10.0.0.9", 3210}); },
           [](Config& c) { c.control_socket = "none"; }}) {
    Config next = running;
    change(next);
    ReloadPlan p = plan_reload(running, next);
    CHECK_FALSE(p.accepted());
    LONGS_EQUAL(1, p.refused.size());
    CHECK(p.live.empty());
  }
}

TEST(ReloadPlan, OneRefusedKeyRefusesTheWholeReload) {
  Config running = keyed();
  Config next = running;
  next.verbosity = braid::LogLevel::kDebug;
  next.crypto = Crypto::kAes256;
  ReloadPlan p = plan_reload(running, next);
  CHECK_FALSE(p.accepted());
  STRCMP_EQUAL("security.crypto", join_keys(p.refused).c_str());
}

TEST(ReloadPlan, LoggingBackToStderrTakesARestart) {
  Config running = keyed();
  running.log_file = "/var/log/braid.log";
  Config next = running;
  next.log_file = "";
  CHECK_FALSE(plan_reload(running, next).accepted());
}

TEST(ReloadPlan, LinkSectionsAddedRemovedOrChangedAreNamed) {
  Config running = keyed();
  LinkSpec a;
  a.name = "dsl";
  LinkSpec b;
  b.name = "lte";
  running.links = {a, b};
  Config next = running;
  next.links[0].bandwidth = 1000000;
  next.links.pop_back();
  LinkSpec c;
  c.name = "sat";
  next.links.push_back(c);
  ReloadPlan p = plan_reload(running, next);
  STRCMP_EQUAL("link dsl, link sat and link lte", join_keys(p.refused).c_str());
}
