// The [network] keys of relaying and routing (relay, max_peers,
// tunnel_refresh): reading them, their errors, their flags, the checks of
// validate() and how check mode prints them.
#include <CppUTest/TestHarness.h>

#include "config/settings.h"
#include "config/value.h"
#include "fixtures.h"

using namespace braid::config;
using braid::config::testing::keyed;
using braid::config::testing::validate_error;
using braid::config::testing::Argv;
using braid::config::testing::parse;
using braid::config::testing::parse_error;

namespace {

// load() over the given arguments and no file; returns the error, "" on
// success.
std::string load_args(Argv args, Invocation* inv) {
  std::string error;
  if (load(args.argc(), args.argv(), inv, &error, "/nonexistent/braid.conf")) return "";
  CHECK(!error.empty());
  return error;
}

uint32_t seconds(std::string_view text) {
  uint32_t v = 0;
  ValueError err;
  if (!parse_seconds(text, 10, 86400, &v, &err)) return 0;
  return v;
}

}  // namespace

TEST_GROUP(ConfigRouting){};

TEST(ConfigRouting, DefaultsRelayWithoutABound) {
  Config c;
  CHECK(c.relay);
  UNSIGNED_LONGS_EQUAL(0, c.max_peers);
  UNSIGNED_LONGS_EQUAL(300, c.tunnel_refresh);
  STRCMP_EQUAL("", validate_error(keyed()).c_str());
}

TEST(ConfigRouting, NetworkKeysAreRead) {
  Config c;
  STRCMP_EQUAL("", parse("[network]\nrelay = no\nmax_peers = 8\ntunnel_refresh = 600\n", &c)
                       .c_str());
  CHECK_FALSE(c.relay);
  UNSIGNED_LONGS_EQUAL(8, c.max_peers);
  UNSIGNED_LONGS_EQUAL(600, c.tunnel_refresh);
  STRCMP_EQUAL("", parse("[network]\nrelay = yes\nmax_peers = 0\ntunnel_refresh = 45s\n", &c)
                       .c_str());
  CHECK(c.relay);
  UNSIGNED_LONGS_EQUAL(0, c.max_peers);
  UNSIGNED_LONGS_EQUAL(45, c.tunnel_refresh);
}

TEST(ConfigRouting, TunnelRefreshTakesSecondsWithOrWithoutTheUnit) {
  UNSIGNED_LONGS_EQUAL(300, seconds("300"));
  UNSIGNED_LONGS_EQUAL(300, seconds("300s"));
  UNSIGNED_LONGS_EQUAL(300, seconds("300S"));
  UNSIGNED_LONGS_EQUAL(10, seconds("10s"));
  UNSIGNED_LONGS_EQUAL(86400, seconds("86400"));
  for (const char* bad : {"9", "86401", "0s", "", "s", "300ms", "5m", "300 s", "-300", "3e2",
                          "300ss", "99999999999"})
    CHECK_TEXT(seconds(bad) == 0, bad);
}

TEST(ConfigRouting, BadValuesNameTheFileAndLine) {
  STRCMP_EQUAL("t.conf:3: bad value 'maybe' for relay: expected yes, no, true, false, on, off, "
               "1 or 0",
               parse_error("[network]\nport = 1\nrelay = maybe\n").c_str());
  STRCMP_EQUAL("t.conf:2: bad value '1001' for max_peers: expected a number between 0 and 1000",
               parse_error("[network]\nmax_peers = 1001\n").c_str());
  STRCMP_EQUAL("t.conf:2: bad value '-1' for max_peers: expected a number between 0 and 1000",
               parse_error("[network]\nmax_peers = -1\n").c_str());
  STRCMP_EQUAL("t.conf:2: bad value '9' for tunnel_refresh: expected seconds between 10 and "
               "86400, e.g. 10s",
               parse_error("[network]\ntunnel_refresh = 9\n").c_str());
  STRCMP_EQUAL("t.conf:2: bad value '86401s' for tunnel_refresh: expected seconds between 10 "
               "and 86400, e.g. 10s",
               parse_error("[network]\ntunnel_refresh = 86401s\n").c_str());
  STRCMP_EQUAL("t.conf:2: bad value '5m' for tunnel_refresh: expected seconds between 10 and "
               "86400, e.g. 10s",
               parse_error("[network]\ntunnel_refresh = 5m\n").c_str());
}

TEST(ConfigRouting, ValidateChecksValuesSetInCode) {
  Config c = keyed();
  c.max_peers = 1000;
  c.tunnel_refresh = 10;
  STRCMP_EQUAL("", validate_error(c).c_str());
  c.tunnel_refresh = 86400;
  STRCMP_EQUAL("", validate_error(c).c_str());
  c = keyed();
  c.max_peers = 1001;
  STRCMP_EQUAL("max_peers 1001 is out of range: expected 0 (no bound) to 1000",
               validate_error(c).c_str());
  c = keyed();
  c.tunnel_refresh = 9;
  STRCMP_EQUAL("tunnel_refresh 9 is out of range: expected 10 to 86400 seconds",
               validate_error(c).c_str());
  c.tunnel_refresh = 86401;
  STRCMP_EQUAL("tunnel_refresh 86401 is out of range: expected 10 to 86400 seconds",
               validate_error(c).c_str());
}

TEST(ConfigRouting, FlagsOverrideTheFile) {
  testing::TempFile file(
      "[network]\nrelay = yes\nmax_peers = 3\ntunnel_refresh = 20\n[security]\ncrypto = plain\n");
  Invocation inv;
  STRCMP_EQUAL("", load_args({"--config", file.path()}, &inv).c_str());
  CHECK(inv.config.relay);
  UNSIGNED_LONGS_EQUAL(3, inv.config.max_peers);
  UNSIGNED_LONGS_EQUAL(20, inv.config.tunnel_refresh);
  STRCMP_EQUAL("", load_args({"--config", file.path(), "--no-relay", "--max-peers", "8",
                              "--tunnel-refresh", "600s"},
                             &inv)
                       .c_str());
  CHECK_FALSE(inv.config.relay);
  UNSIGNED_LONGS_EQUAL(8, inv.config.max_peers);
  UNSIGNED_LONGS_EQUAL(600, inv.config.tunnel_refresh);
  STRCMP_EQUAL("", load_args({"--config", file.path(), "--max-peers=0", "--tunnel-refresh=86400"},
                             &inv)
                       .c_str());
  UNSIGNED_LONGS_EQUAL(0, inv.config.max_peers);
  UNSIGNED_LONGS_EQUAL(86400, inv.config.tunnel_refresh);
}

TEST(ConfigRouting, BadFlagsNameTheOption) {
  Invocation inv;
  STRCMP_EQUAL("option --max-peers: bad value '1001': expected a number between 0 and 1000",
               load_args({"--crypto", "plain", "--max-peers", "1001"}, &inv).c_str());
  STRCMP_EQUAL("option --tunnel-refresh: bad value '9s': expected seconds between 10 and 86400, "
               "e.g. 10s",
               load_args({"--crypto", "plain", "--tunnel-refresh", "9s"}, &inv).c_str());
  STRCMP_EQUAL("option --max-peers needs a value", load_args({"--max-peers"}, &inv).c_str());
  STRCMP_EQUAL("option --no-relay takes no value", load_args({"--no-relay=yes"}, &inv).c_str());
}

TEST(ConfigRouting, UsageListsTheFlags) {
  std::string text = usage();
  for (const char* opt : {"--no-relay ", "--max-peers N ", "--tunnel-refresh SECS "})
    CHECK_TEXT(text.find(opt) != std::string::npos, opt);
}

TEST(ConfigRouting, CheckModePrintsThemAndReadsThemBack) {
  Config c;
  std::string text = effective_config(c);
  CHECK_TEXT(text.find("\nrelay = yes\nmax_peers = 0\ntunnel_refresh = 300s\n") !=
                 std::string::npos,
             text.c_str());
  c.relay = false;
  c.max_peers = 1000;
  c.tunnel_refresh = 86400;
  text = effective_config(c);
  CHECK_TEXT(text.find("\nrelay = no\nmax_peers = 1000\ntunnel_refresh = 86400s\n") !=
                 std::string::npos,
             text.c_str());
  // The keys belong to [network]: they come before [security].
  CHECK(text.find("relay =") < text.find("[security]"));
  CHECK(text.find("[network]") < text.find("relay ="));
  Config back;
  STRCMP_EQUAL("", parse(text, &back).c_str());
  back.config_file = c.config_file;
  CHECK(back == c);
}
