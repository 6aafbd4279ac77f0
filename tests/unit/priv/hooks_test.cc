// Hooks: the command runs under sh with IFNAME and BRAID_EVENT set and
// nothing else of our environment; its exit status comes back.
#include "priv/hooks.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "hook_output.h"

// Last: its new/delete macros must not reach the standard headers.
#include <CppUTest/TestHarness.h>

using namespace braid::priv;

TEST_GROUP(Hooks) {
  std::unique_ptr<test::HookOutput> out;
  std::string path;
  void setup() override {
    out = std::make_unique<test::HookOutput>();
    path = out->path;
  }
  void teardown() override { out.reset(); }
  std::string contents() { return out->contents(); }
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
