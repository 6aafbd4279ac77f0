// Check mode's output: the effective configuration reads back as itself.
#include <CppUTest/TestHarness.h>
#include <arpa/inet.h>

#include "config/settings.h"
#include "fixtures.h"

using namespace braid::config;
using braid::config::testing::TempFile;

namespace {

Config reparse(const Config& c) {
  Config back;
  std::string error;
  std::string text = effective_config(c);
  CHECK_TRUE_TEXT(parse_ini_text(text, c.config_file, &back, &error),
                  (error + "\n" + text).c_str());
  return back;
}

// Every field away from its default, with strings that need quoting.
Config unusual() {
  Config c;
  c.config_file = "/etc/braid/odd.conf";
  c.device_type = DeviceType::kTap;
  c.device_name = "odd%d";
  c.device_path = "/dev/odd tun";
  c.ifup = " ip addr add 10.0.0.1/24 dev $IFNAME ; echo \"up\" # done \\ ";
  c.ifdown = "\"/usr/bin/x\" arg";
  c.status_hook = "logger \"$BRAID_EVENT $BRAID_LINK\" ; # status";
  c.mtu = 9000;
  c.listen_address = "2001:db8::7";
  c.port = 65535;
  c.peers = {{"a.example", 1}, {"192.0.2.1", 3210}, {"2001:db8::1", 4000}};
  c.mode = Mode::kHub;
  Subnet v4;
  v4.family = AF_INET;
  v4.addr[0] = 10;
  v4.prefix = 8;
  Subnet v6;
  v6.family = AF_INET6;
  v6.addr[0] = 0xfd;
  v6.prefix = 64;
  c.subnets = {v4, v6};
  c.magic_text = "hash:odd ; net";
  c.peer_timeout = 86400;
  c.dst_timeout = 10;
  c.keepalive = 3600;
  c.port_forwarding = false;
  c.probe_interval_ms = 20;
  c.loss_tolerance = 100;
  c.latency_tolerance_ms = 60000;
  c.priority_copies = 2;
  c.relay = false;
  c.max_peers = 1000;
  c.tunnel_refresh = 10;
  c.crypto = Crypto::kAes256;
  c.shared_key = "(hidden)";
  c.user = "u";
  c.group = "g";
  c.chroot_dir = "/var/empty";
  c.state_dir = "/var/lib/braid/a b";
  c.pid_file = "#pid";
  c.log_file = ";log";
  c.stats_file = "/run/stats";
  c.daemon = true;
  c.verbosity = braid::LogLevel::kError;
  return c;
}

// Links with every key away from its default; a listen address does not
// go with links.
Config unusual_links() {
  Config c = unusual();
  c.listen_address = "";
  LinkSpec fibre;
  fibre.name = "fibre";
  fibre.bind = "2001:db8::7";
  fibre.device = "eth0.7";
  fibre.port = 1;
  fibre.peers = {{"b.example", 3210}, {"2001:db8::2", 9}};
  fibre.bandwidth = 1001;  // not a whole number of kbit
  fibre.weight = 1000;
  fibre.loss_tolerance = 0;
  fibre.latency_tolerance_ms = 0;
  LinkSpec lte;
  lte.name = "l.t-e_9";
  lte.bind = "192.0.2.10";
  lte.bandwidth = kMaxBandwidth;
  lte.fallback_only = true;
  lte.loss_tolerance = 100;
  lte.latency_tolerance_ms = 60000;
  LinkSpec backup;
  backup.name = "123456789012345";
  backup.device = "wwan0";
  backup.port = 2;  // lte takes the [network] port on its address
  c.links = {fibre, lte, backup};
  return c;
}

}  // namespace

TEST_GROUP(EffectiveConfig){};

TEST(EffectiveConfig, DefaultsRoundTrip) {
  Config c;
  CHECK(reparse(c) == c);
}

TEST(EffectiveConfig, EveryFieldRoundTrips) {
  for (Config c : {unusual(), unusual_links()}) {
    std::string error;
    CHECK_TRUE_TEXT(validate(&c, &error), error.c_str());
    Config back = reparse(c);
    CHECK_TRUE_TEXT(validate(&back, &error), error.c_str());
    CHECK_TEXT(back == c, effective_config(c).c_str());
  }
}

TEST(EffectiveConfig, ListsEveryKeyInItsSection) {
  std::string text = effective_config(Config{});
  for (const char* line :
       {"[device]\ntype = tun\nname = braid%d\npath = /dev/net/tun\nifup =\nifdown =\n"
        "status_hook =\nmtu = auto\n",
        "[network]\nport = 3210\npeers =\nmode = normal\nsubnets =\nmagic = hash:braid\n"
        "peer_timeout = 300\ndst_timeout = 300\nkeepalive = 25\nport_forwarding = yes\nauto_claim = yes\nlan_discovery = yes\n"
        "probe_interval = 100ms\nloss_tolerance = 10%\nlatency_tolerance = 0ms\n"
        "priority_copies = 1\nrelay = yes\nmax_peers = 0\ntunnel_refresh = 300s\n",
        "[security]\ncrypto = chacha20\nshared_key =\n",
        "[daemon]\nuser =\ngroup =\nchroot = /run/braid/empty\nstate_dir =\npid_file =\n"
        "log_file =\n"
        "stats_file =\nstats_interval = 60s\nstats_format = text\ncontrol_socket =\n"
        "daemon = no\nverbosity = info\n"})
    CHECK_TEXT(text.find(line) != std::string::npos, text.c_str());
}

TEST(EffectiveConfig, SharedKeyIsHidden) {
  Config c;
  c.shared_key = "topsecret";
  std::string text = effective_config(c);
  CHECK(text.find("topsecret") == std::string::npos);
  CHECK(text.find("shared_key = (hidden)\n") != std::string::npos);
}

TEST(EffectiveConfig, KeyFromAFileIsShownAsThePath) {
  TempFile key("topsecret\n", 0600);
  Config c;
  c.shared_key_file = key.path();
  std::string error;
  CHECK_TRUE_TEXT(validate(&c, &error), error.c_str());
  std::string text = effective_config(c);
  CHECK(text.find("topsecret") == std::string::npos);
  CHECK(text.find("shared_key_file = " + key.path() + "\n") != std::string::npos);
  CHECK(text.find("shared_key =") == std::string::npos);
  Config back = reparse(c);
  CHECK_TRUE_TEXT(validate(&back, &error), error.c_str());
  CHECK(back == c);
}

TEST(EffectiveConfig, ListsArePrintedOneItemALine) {
  Config c;
  c.peers = {{"a", 1}, {"fe80::1", 2}};
  std::string text = effective_config(c);
  CHECK(text.find("peers = a:1\npeers = [fe80::1]:2\n") != std::string::npos);
}

TEST(EffectiveConfig, NamesTheFileItCameFrom) {
  Config c;
  c.config_file = "/etc/braid/x.conf";
  CHECK(effective_config(c).starts_with(
      "# braid effective configuration (read from /etc/braid/x.conf)\n"));
  c.config_file = "";
  CHECK(effective_config(c).starts_with(
      "# braid effective configuration (no configuration file read)\n"));
}

TEST(EffectiveConfig, LinksComeLastWithWhatTheyInherit) {
  Config c;
  c.port = 4000;
  c.loss_tolerance = 7;
  LinkSpec a;
  a.name = "fibre";
  a.bind = "192.0.2.10";
  a.bandwidth = 12'500'000;
  LinkSpec b;
  b.name = "lte";
  b.device = "wwan0";
  b.port = 4001;
  b.peers = {{"192.0.2.99", 3210}};
  b.loss_tolerance = 20;
  b.latency_tolerance_ms = 150;
  b.fallback_only = true;
  c.links = {a, b};
  std::string text = effective_config(c);
  const char* want =
      "\n[link \"fibre\"]\nbind = 192.0.2.10\nbandwidth = 100mbit\nweight = 1\n"
      "fallback_only = no\n; port = 4000 (from [network])\n"
      "; loss_tolerance = 7% (from [network])\n; latency_tolerance = 0ms (from [network])\n"
      "\n[link \"lte\"]\ndevice = wwan0\nport = 4001\npeers = 192.0.2.99:3210\nweight = 1\n"
      "fallback_only = yes\nloss_tolerance = 20%\nlatency_tolerance = 150ms\n";
  CHECK_TEXT(text.ends_with(want), text.c_str());
  CHECK(text.find("[daemon]") < text.find("[link"));
  CHECK(reparse(c) == c);
}
