// The [daemon] keys of operations: the control socket's path (one per
// instance by default), the stats file's interval and format.
#include "config/settings.h"
#include "fixtures.h"

using namespace braid::config;
using namespace braid::config::testing;

TEST_GROUP(OperationsConfig){};

TEST(OperationsConfig, ControlSocketIsNamedAfterTheInstance) {
  Config c = keyed();
  STRCMP_EQUAL("braid", instance_name(c).c_str());
  STRCMP_EQUAL("/run/braid/braid.sock", control_socket_path(c).c_str());
  c.config_file = "/etc/braid/office.conf";
  STRCMP_EQUAL("office", instance_name(c).c_str());
  STRCMP_EQUAL("/run/braid/office.sock", control_socket_path(c).c_str());
  c.config_file = "site-b";
  STRCMP_EQUAL("/run/braid/site-b.sock", control_socket_path(c).c_str());
}

TEST(OperationsConfig, ControlSocketMayBeMovedOrTurnedOff) {
  Config c = keyed();
  STRCMP_EQUAL("", parse("[daemon]\ncontrol_socket = /run/x/ctl.sock\n", &c).c_str());
  STRCMP_EQUAL("/run/x/ctl.sock", control_socket_path(c).c_str());
  STRCMP_EQUAL("", validate_error(c).c_str());
  c.control_socket = "none";
  STRCMP_EQUAL("", control_socket_path(c).c_str());
  STRCMP_EQUAL("", validate_error(c).c_str());
}

TEST(OperationsConfig, ControlSocketMustBeAnAbsolutePathThatFitsASocket) {
  Config c = keyed();
  c.control_socket = "ctl.sock";
  STRCMP_CONTAINS("control_socket: expected an absolute path or none",
                  validate_error(c).c_str());
  c.control_socket = "/" + std::string(107, 'x');
  STRCMP_CONTAINS("too long for a Unix socket", validate_error(c).c_str());
  c.control_socket = "/" + std::string(106, 'x');
  STRCMP_EQUAL("", validate_error(c).c_str());
}

TEST(OperationsConfig, StatsIntervalAndFormatHaveRangesAndChoices) {
  Config c = keyed();
  LONGS_EQUAL(60, c.stats_interval);
  CHECK(c.stats_format == StatsFormat::kText);
  STRCMP_EQUAL("", parse("[daemon]\nstats_interval = 5s\nstats_format = prometheus\n", &c).c_str());
  LONGS_EQUAL(5, c.stats_interval);
  CHECK(c.stats_format == StatsFormat::kPrometheus);
  STRCMP_CONTAINS("expected text, json or prometheus",
                  parse_error("[daemon]\nstats_format = yaml\n").c_str());
  STRCMP_CONTAINS("stats_interval", parse_error("[daemon]\nstats_interval = 0\n").c_str());
  STRCMP_CONTAINS("stats_interval", parse_error("[daemon]\nstats_interval = 2d\n").c_str());
}

TEST(OperationsConfig, CommandLineSetsTheSameKeys) {
  Argv argv{"--shared-key", "k", "--control-socket", "/tmp/b.sock", "--stats-format", "json",
            "--stats-interval", "10"};
  Invocation inv;
  std::string error;
  CHECK_TRUE_TEXT(load(argv.argc(), argv.argv(), &inv, &error, "/nonexistent/braid.conf"),
                  error.c_str());
  STRCMP_EQUAL("/tmp/b.sock", inv.config.control_socket.c_str());
  CHECK(inv.config.stats_format == StatsFormat::kJson);
  LONGS_EQUAL(10, inv.config.stats_interval);
}

TEST(OperationsConfig, StatsFileMustBeAnAbsolutePath) {
  Config c = keyed();
  c.stats_file = "stats.txt";
  STRCMP_CONTAINS("for stats_file: expected an absolute path", validate_error(c).c_str());
  c.stats_file = "/run/braid/stats.txt";
  STRCMP_EQUAL("", validate_error(c).c_str());
}
