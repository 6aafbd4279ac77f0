// The command line: actions, options over the file, and option errors.
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <CppUTest/TestHarness.h>

#include "config/keys.h"
#include "config/settings.h"
#include "fixtures.h"

using namespace braid::config;
using braid::config::testing::Argv;
using braid::config::testing::TempFile;

namespace {

constexpr const char* kNoDefault = "/nonexistent/braid.conf";

// Runs load() with no default file; returns the error, "" on success.
std::string load_args(Argv args, Invocation* inv) {
  std::string error;
  if (load(args.argc(), args.argv(), inv, &error, kNoDefault)) return "";
  CHECK(!error.empty());
  return error;
}

std::string load_error(Argv args) {
  Invocation inv;
  return load_args(std::move(args), &inv);
}

}  // namespace

TEST_GROUP(CommandLine){};

TEST(CommandLine, HelpAndVersionAreActions) {
  Invocation inv;
  STRCMP_EQUAL("", load_args({"-h"}, &inv).c_str());
  LONGS_EQUAL(Invocation::kHelp, inv.action);
  STRCMP_EQUAL("", load_args({"--help"}, &inv).c_str());
  LONGS_EQUAL(Invocation::kHelp, inv.action);
  STRCMP_EQUAL("", load_args({"--version"}, &inv).c_str());
  LONGS_EQUAL(Invocation::kVersion, inv.action);
  STRCMP_EQUAL("braid " PACKAGE_VERSION, version_text().c_str());
}

TEST(CommandLine, HelpDoesNotReadTheFile) {
  Invocation inv;
  STRCMP_EQUAL("", load_args({"--config", "/nonexistent/x.conf", "--help"}, &inv).c_str());
  LONGS_EQUAL(Invocation::kHelp, inv.action);
}

TEST(CommandLine, UsageListsEveryOption) {
  std::string text = usage();
  for (const Key& key : keys())
    if (!key.option.empty())
      CHECK_TEXT(text.find("--" + std::string(key.option) + " ") != std::string::npos,
                 std::string(key.option).c_str());
  for (const char* opt :
       {"-t, --type", "-d, --device", "-l, --listen", "-c, --connect", "-m, --mode", "-s, --subnet",
        "-n, --check-config", "-h, --help", "-v, --verbose", "-q, --quiet", "--version",
        "--config FILE", "--daemon", "--no-port-forwarding"})
    CHECK_TEXT(text.find(opt) != std::string::npos, opt);
}

TEST(CommandLine, CheckConfigIsAnAction) {
  Invocation inv;
  STRCMP_EQUAL("", load_args({"-n", "--crypto", "plain"}, &inv).c_str());
  LONGS_EQUAL(Invocation::kCheck, inv.action);
  STRCMP_EQUAL("", load_args({"--crypto=plain"}, &inv).c_str());
  LONGS_EQUAL(Invocation::kRun, inv.action);
}

TEST(CommandLine, MissingDefaultFileIsNotAnError) {
  Invocation inv;
  STRCMP_EQUAL("", load_args({"--shared-key", "k"}, &inv).c_str());
  STRCMP_EQUAL("", inv.config.config_file.c_str());
}

TEST(CommandLine, MissingNamedFileIsAnError) {
  STRCMP_EQUAL("/nonexistent/x.conf: cannot read: No such file or directory",
               load_error({"--config", "/nonexistent/x.conf"}).c_str());
}

TEST(CommandLine, DefaultFileIsReadWhenPresent) {
  TempFile file("[security]\ncrypto = plain\n");
  Argv args{};
  Invocation inv;
  std::string error;
  CHECK_TRUE_TEXT(load(args.argc(), args.argv(), &inv, &error, file.path()), error.c_str());
  STRCMP_EQUAL(file.path().c_str(), inv.config.config_file.c_str());
  CHECK(inv.config.crypto == Crypto::kPlain);
}

TEST(CommandLine, FileErrorsNameFileAndLine) {
  TempFile file("[device]\ntype = tunn\n");
  STRCMP_EQUAL((file.path() + ":2: bad value 'tunn' for type: expected tun or tap").c_str(),
               load_error({"--config", file.path()}).c_str());
}

TEST(CommandLine, OptionsReplaceFileScalars) {
  TempFile file(
      "[device]\ntype = tun\nname = file0\nmtu = 1400\n"
      "[network]\nport = 1000\nmode = normal\nmagic = hash:file\npeer_timeout = 100\n"
      "[security]\ncrypto = plain\n"
      "[daemon]\nuser = fileuser\npid_file = /run/file.pid\n");
  Invocation inv;
  STRCMP_EQUAL("", load_args({"--config",
                              file.path(),
                              "-t",
                              "tap",
                              "-d",
                              "cli%d",
                              "--mtu",
                              "auto",
                              "-l",
                              "[::1]:2000",
                              "-m",
                              "hub",
                              "--magic",
                              "01020304",
                              "--peer-timeout",
                              "600",
                              "--dst-timeout",
                              "50",
                              "--keepalive",
                              "30",
                              "--crypto",
                              "chacha20",
                              "--shared-key",
                              "k",
                              "--user",
                              "cliuser",
                              "--group",
                              "cligroup",
                              "--chroot",
                              "/var/empty",
                              "--state-dir",
                              "/var/lib/braid/cli",
                              "--pid-file",
                              "/run/cli.pid",
                              "--log-file",
                              "/var/log/b",
                              "--stats-file",
                              "/run/s",
                              "--device-path",
                              "/dev/tun9",
                              "--ifup",
                              "up",
                              "--ifdown",
                              "down",
                              "--daemon",
                              "--no-port-forwarding",
                              "--no-auto-claim",
                              "--no-lan-discovery"},
                             &inv)
                       .c_str());
  const Config& c = inv.config;
  CHECK(c.device_type == DeviceType::kTap);
  STRCMP_EQUAL("cli%d", c.device_name.c_str());
  UNSIGNED_LONGS_EQUAL(0, c.mtu);
  STRCMP_EQUAL("::1", c.listen_address.c_str());
  UNSIGNED_LONGS_EQUAL(2000, c.port);
  CHECK(c.mode == Mode::kHub);
  STRCMP_EQUAL("01020304", c.magic_text.c_str());
  UNSIGNED_LONGS_EQUAL(600, c.peer_timeout);
  UNSIGNED_LONGS_EQUAL(50, c.dst_timeout);
  UNSIGNED_LONGS_EQUAL(30, c.keepalive);
  CHECK(c.crypto == Crypto::kChaCha20);
  STRCMP_EQUAL("k", c.shared_key.c_str());
  STRCMP_EQUAL("cliuser", c.user.c_str());
  STRCMP_EQUAL("cligroup", c.group.c_str());
  STRCMP_EQUAL("/var/empty", c.chroot_dir.c_str());
  STRCMP_EQUAL("/var/lib/braid/cli", c.state_dir.c_str());
  STRCMP_EQUAL("/run/cli.pid", c.pid_file.c_str());
  STRCMP_EQUAL("/var/log/b", c.log_file.c_str());
  STRCMP_EQUAL("/run/s", c.stats_file.c_str());
  STRCMP_EQUAL("/dev/tun9", c.device_path.c_str());
  STRCMP_EQUAL("up", c.ifup.c_str());
  STRCMP_EQUAL("down", c.ifdown.c_str());
  CHECK(c.daemon);
  CHECK_FALSE(c.port_forwarding);
  CHECK_FALSE(c.auto_claim);
  CHECK_FALSE(c.lan_discovery);
}

TEST(CommandLine, ListOptionsReplaceTheFilesList) {
  TempFile file(
      "[network]\npeers = file1:1, file2:2\nsubnets = 10.0.0.0/8\n[security]\ncrypto = plain\n");
  Invocation inv;
  STRCMP_EQUAL(
      "", load_args({"--config", file.path(), "-c", "cli1:1", "--connect", "cli2:2,cli3:3"}, &inv)
              .c_str());
  LONGS_EQUAL(3, inv.config.peers.size());
  STRCMP_EQUAL("cli1", inv.config.peers[0].host.c_str());
  STRCMP_EQUAL("cli3", inv.config.peers[2].host.c_str());
  // Subnets were not given on the command line: the file's list stays.
  LONGS_EQUAL(1, inv.config.subnets.size());

  STRCMP_EQUAL(
      "",
      load_args({"--config", file.path(), "-s", "fd00::/64", "-s", "10.1.0.0/16"}, &inv).c_str());
  LONGS_EQUAL(2, inv.config.peers.size());
  LONGS_EQUAL(2, inv.config.subnets.size());
  STRCMP_EQUAL("fd00::/64", format_subnet(inv.config.subnets[0]).c_str());
  STRCMP_EQUAL("10.1.0.0/16", format_subnet(inv.config.subnets[1]).c_str());
}

TEST(CommandLine, EmptyListOptionEmptiesTheFilesList) {
  TempFile file("[network]\npeers = file1:1\n[security]\ncrypto = plain\n");
  Invocation inv;
  STRCMP_EQUAL("", load_args({"--config", file.path(), "-c", ""}, &inv).c_str());
  CHECK(inv.config.peers.empty());
}

TEST(CommandLine, BadValueNamesTheOption) {
  STRCMP_EQUAL("option --mtu: bad value 'x': expected auto or a number between 576 and 65535",
               load_error({"--mtu", "x"}).c_str());
  STRCMP_EQUAL("option --type: bad value 'tunn': expected tun or tap",
               load_error({"-t", "tunn"}).c_str());
  STRCMP_EQUAL("option --mode: bad value 'route': expected normal, hub, switch or router",
               load_error({"-m", "route"}).c_str());
  STRCMP_EQUAL(
      "option --connect: bad value 'nohost': expected HOST:PORT with a port number between 1 "
      "and 65535 (an IPv6 address in brackets: [2001:db8::1]:3210)",
      load_error({"-c", "nohost"}).c_str());
  STRCMP_EQUAL("option --subnet: empty item in 'fd00::/64,'",
               load_error({"-s", "fd00::/64,"}).c_str());
}

TEST(CommandLine, OptionErrorsAreExplained) {
  STRCMP_EQUAL("unknown or ambiguous option '--bogus' (see --help)",
               load_error({"--bogus"}).c_str());
  STRCMP_EQUAL("unknown option '-x' (see --help)", load_error({"-x"}).c_str());
  STRCMP_EQUAL("option --mtu needs a value", load_error({"--mtu"}).c_str());
  STRCMP_EQUAL("option --type needs a value", load_error({"-t"}).c_str());
  STRCMP_EQUAL("option --daemon takes no value", load_error({"--daemon=yes"}).c_str());
  STRCMP_EQUAL("unexpected argument 'extra' (see --help)",
               load_error({"--crypto", "plain", "extra"}).c_str());
  STRCMP_EQUAL("option --config: bad value '': expected a file name",
               load_error({"--config", ""}).c_str());
}

TEST(CommandLine, VerboseAndQuietMoveFromTheFilesLevel) {
  TempFile file("[security]\ncrypto = plain\n[daemon]\nverbosity = warning\n");
  Invocation inv;
  STRCMP_EQUAL("", load_args({"--config", file.path(), "-v"}, &inv).c_str());
  CHECK(inv.config.verbosity == braid::LogLevel::kInfo);
  STRCMP_EQUAL("", load_args({"--config", file.path(), "-vvv"}, &inv).c_str());
  CHECK(inv.config.verbosity == braid::LogLevel::kDebug);
  STRCMP_EQUAL("", load_args({"--config", file.path(), "-q", "--quiet", "-q"}, &inv).c_str());
  CHECK(inv.config.verbosity == braid::LogLevel::kError);
  STRCMP_EQUAL("", load_args({"--config", file.path(), "-v", "-q", "-q"}, &inv).c_str());
  CHECK(inv.config.verbosity == braid::LogLevel::kError);
}

TEST(CommandLine, SharedKeyOptionReplacesTheFilesKeyFile) {
  TempFile file("[security]\nshared_key_file = /nonexistent/key\n");
  Invocation inv;
  STRCMP_EQUAL("", load_args({"--config", file.path(), "--shared-key", "cli"}, &inv).c_str());
  STRCMP_EQUAL("cli", inv.config.shared_key.c_str());
  STRCMP_EQUAL("", inv.config.shared_key_file.c_str());
}

TEST(CommandLine, SharedKeyFileOptionReplacesTheFilesKey) {
  TempFile key("from file\n", 0600);
  TempFile file("[security]\nshared_key = in config\n");
  Invocation inv;
  STRCMP_EQUAL("",
               load_args({"--config", file.path(), "--shared-key-file", key.path()}, &inv).c_str());
  STRCMP_EQUAL("from file", inv.config.shared_key.c_str());
}

TEST(CommandLine, SharedKeyAndKeyFileOptionsExcludeEachOther) {
  STRCMP_EQUAL("option --shared-key-file: cannot be combined with --shared-key",
               load_error({"--shared-key", "a", "--shared-key-file", "/k"}).c_str());
}

TEST(CommandLine, CrossChecksRunAfterMerging) {
  TempFile file("[security]\nshared_key = k\n");
  STRCMP_EQUAL(
      "crypto = plain contradicts the shared key that is set (shared_key): remove the key, or "
      "choose crypto = chacha20 or aes256",
      load_error({"--config", file.path(), "--crypto", "plain"}).c_str());
  STRCMP_EQUAL(
      "no shared_key and no certificate: set shared_key (or --shared-key), or key, "
      "certificate and ca, or crypto = plain to run without encryption",
      load_error({}).c_str());
}

TEST(CommandLine, LoadCanBeCalledRepeatedly) {
  for (int i = 0; i < 3; ++i) {
    Invocation inv;
    STRCMP_EQUAL("", load_args({"-t", "tap", "--crypto", "plain", "-v"}, &inv).c_str());
    CHECK(inv.config.device_type == DeviceType::kTap);
    CHECK(inv.config.verbosity == braid::LogLevel::kDebug);
    STRCMP_EQUAL("option --mtu needs a value", load_error({"--crypto", "plain", "--mtu"}).c_str());
  }
}

TEST(CommandLine, LastScalarOptionWins) {
  Invocation inv;
  STRCMP_EQUAL("",
               load_args({"--crypto", "plain", "--mtu", "1300", "--mtu", "1400"}, &inv).c_str());
  UNSIGNED_LONGS_EQUAL(1400, inv.config.mtu);
}
