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

TEST(ReloadPlan, HooksLoggingStatsCasAndRevocationListsChangeLive) {
  Config running = keyed();
  Config next = running;
  next.ifup = "true";
  next.status_hook = "logger";
  next.verbosity = braid::LogLevel::kDebug;
  next.log_file = "/var/log/braid.log";
  next.stats_file = "/run/braid/stats";
  next.stats_format = StatsFormat::kJson;
  next.revocation_files = {"/etc/braid/ca.crl"};
  next.ca_files = {"/etc/braid/ca.crt", "/etc/braid/next-ca.crt"};
  ReloadPlan p = plan_reload(running, next);
  CHECK(p.accepted());
  STRCMP_EQUAL("device.ifup, device.status_hook, security.ca, security.revocation_list, daemon.log_file, "
               "daemon.stats_file, daemon.stats_format and daemon.verbosity",
               join_keys(p.live).c_str());
}

TEST(ReloadPlan, DeviceSocketsIdentityAndSandboxTakeARestart) {
  Config running = keyed();
  for (auto change : std::initializer_list<void (*)(Config&)>{
           [](Config& c) { c.device_type = DeviceType::kTap; },
           [](Config& c) { c.port = 4000; },
           [](Config& c) { c.shared_key = ""; },   // the handshake pattern changes
           [](Config& c) { c.user = "root"; },
           [](Config& c) { c.mode = Mode::kHub; },
           [](Config& c) { c.key_file = "/etc/braid/other.key"; },
           [](Config& c) { c.certificate_file = "/etc/braid/other.crt"; },
           [](Config& c) { c.control_socket = "none"; }}) {
    Config next = running;
    change(next);
    ReloadPlan p = plan_reload(running, next);
    CHECK_FALSE(p.accepted());
    LONGS_EQUAL(1, p.refused.size());
    CHECK(p.live.empty());
  }
}

TEST(ReloadPlan, ASharedKeyChangesLiveButIsNeitherAddedNorRemoved) {
  Config running = keyed();
  Config next = running;
  next.shared_key = "the new secret";
  ReloadPlan p = plan_reload(running, next);
  CHECK(p.accepted());
  STRCMP_EQUAL("security.shared_key", join_keys(p.live).c_str());
  next.shared_key_file = "/etc/braid/braid.key";
  p = plan_reload(running, next);
  CHECK(p.accepted());
  LONGS_EQUAL(2, p.live.size());
  // A node without one cannot take one, nor give it up.
  Config plain = running;
  plain.shared_key.clear();
  CHECK_FALSE(plan_reload(plain, next).accepted());
  CHECK_FALSE(plan_reload(next, plain).accepted());
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

TEST(ReloadPlan, LinkSectionsAddedRemovedOrMovedTakeARestart) {
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
  STRCMP_EQUAL("link lte and link sat", join_keys(p.refused).c_str());
  STRCMP_EQUAL("link dsl", join_keys(p.live).c_str());
  // The same links in another order: the engine knows them by index.
  next = running;
  std::swap(next.links[0], next.links[1]);
  p = plan_reload(running, next);
  STRCMP_EQUAL("link dsl and link lte", join_keys(p.refused).c_str());
  // A socket's own settings.
  next = running;
  next.links[1].device = "wwan0";
  STRCMP_EQUAL("link lte", join_keys(plan_reload(running, next).refused).c_str());
}

TEST(ReloadPlan, PeersClaimsAndLinkRatesChangeLive) {
  Config running = keyed();
  LinkSpec a;
  a.name = "dsl";
  running.links = {a};
  Config next = running;
  next.peers.push_back({"10.0.0.9", 3210});
  next.links[0].peers.push_back({"10.0.1.9", 3210});
  next.links[0].bandwidth = 125000;
  next.links[0].weight = 3;
  next.links[0].fallback_only = true;
  next.auto_claim = false;
  next.loss_tolerance = 20;
  ReloadPlan p = plan_reload(running, next);
  CHECK(p.accepted());
  STRCMP_EQUAL("network.peers, network.auto_claim, network.loss_tolerance and link dsl",
               join_keys(p.live).c_str());
}

TEST_GROUP(ReloadPeers){};

namespace {
ConfiguredPeer peer(const char* host, int link = -1) { return {{host, 3210}, link, false}; }
}  // namespace

TEST(ReloadPeers, NetworkPeersComeFirstThenEachLinksInOrder) {
  Config c = keyed();
  c.peers = {{"a", 1}};
  LinkSpec l1, l2;
  l1.name = "one";
  l1.peers = {{"b", 2}};
  l2.name = "two";
  l2.peers = {{"c", 3}, {"d", 4}};
  c.links = {l1, l2};
  auto all = configured_peers(c);
  LONGS_EQUAL(4, all.size());
  STRCMP_EQUAL("a", all[0].spec.host.c_str());
  LONGS_EQUAL(-1, all[0].link);
  LONGS_EQUAL(0, all[1].link);
  LONGS_EQUAL(1, all[2].link);
  STRCMP_EQUAL("d", all[3].spec.host.c_str());
}

TEST(ReloadPeers, KeptPeersKeepTheirIndicesRemovedOnesRetireAddedOnesAppend) {
  std::vector<ConfiguredPeer> running = {peer("a"), peer("b"), peer("c", 0)};
  // b goes, d comes, c moves to another link (a removal and an addition),
  // and the order of what stays does not matter.
  PeerChanges ch = diff_peers(running, {peer("d"), peer("c", 1), peer("a")});
  LONGS_EQUAL(2, ch.removed.size());
  LONGS_EQUAL(1, ch.removed[0]);
  LONGS_EQUAL(2, ch.removed[1]);
  LONGS_EQUAL(2, ch.added.size());
  STRCMP_EQUAL("d", ch.added[0].spec.host.c_str());
  LONGS_EQUAL(1, ch.added[1].link);
}

TEST(ReloadPeers, ARetiredIndexIsNeverMatchedAgain) {
  std::vector<ConfiguredPeer> running = {peer("a"), peer("b")};
  running[1].retired = true;
  // b again: a new index, since the old one is spent.
  PeerChanges ch = diff_peers(running, {peer("a"), peer("b")});
  CHECK(ch.removed.empty());
  LONGS_EQUAL(1, ch.added.size());
  STRCMP_EQUAL("b", ch.added[0].spec.host.c_str());
  CHECK(diff_peers(running, {peer("a")}).empty());
}

TEST(ReloadPeers, APeerNamedTwiceCountsTwice) {
  std::vector<ConfiguredPeer> running = {peer("a"), peer("a")};
  PeerChanges ch = diff_peers(running, {peer("a")});
  LONGS_EQUAL(1, ch.removed.size());
  LONGS_EQUAL(1, ch.removed[0]);
  CHECK(ch.added.empty());
}

TEST(ReloadPeers, OnlyLinksWhoseRatesOrTolerancesChangeAreSent) {
  Config running = keyed();
  LinkSpec a, b;
  a.name = "one";
  b.name = "two";
  running.links = {a, b};
  Config next = running;
  next.links[1].weight = 5;
  next.links[0].peers.push_back({"x", 1});   // peers are not the link's rate
  auto changed = changed_links(running, next);
  LONGS_EQUAL(1, changed.size());
  LONGS_EQUAL(1, changed[0]);
  // An inherited tolerance changes every link.
  next = running;
  next.latency_tolerance_ms = 300;
  LONGS_EQUAL(2, changed_links(running, next).size());
}
