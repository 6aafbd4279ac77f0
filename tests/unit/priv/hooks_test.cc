// Hooks: the command runs under sh with IFNAME and BRAID_EVENT set and
// nothing else of our environment; its exit status comes back.
#include "priv/hooks.h"

#include <CppUTest/TestHarness.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

using namespace braid::priv;

TEST_GROUP(Hooks) {
  std::string path;
  void setup() override {
    char tmpl[] = "/tmp/braid-hook-XXXXXX";
    int fd = mkstemp(tmpl);
    close(fd);
    path = tmpl;
  }
  void teardown() override { unlink(path.c_str()); }
  std::string contents() {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
};

TEST(Hooks, EmptyCommandSucceedsWithoutRunning) { LONGS_EQUAL(0, run_hook("", "tun0", "ifup")); }

TEST(Hooks, CommandSeesInterfaceNameAndEvent) {
  LONGS_EQUAL(0, run_hook("echo \"$IFNAME $BRAID_EVENT\" > " + path, "braid7", "ifdown"));
  STRCMP_EQUAL("braid7 ifdown\n", contents().c_str());
}

TEST(Hooks, CommandDoesNotInheritOurEnvironment) {
  setenv("BRAID_TEST_SECRET", "leak", 1);
  LONGS_EQUAL(0, run_hook("echo \"[$BRAID_TEST_SECRET]\" > " + path, "x", "ifup"));
  unsetenv("BRAID_TEST_SECRET");
  STRCMP_EQUAL("[]\n", contents().c_str());
}

TEST(Hooks, ExitStatusIsReturned) { LONGS_EQUAL(3, run_hook("exit 3", "x", "ifup")); }

TEST(Hooks, KilledCommandReportsFailure) { LONGS_EQUAL(-1, run_hook("kill -9 $$", "x", "ifup")); }
