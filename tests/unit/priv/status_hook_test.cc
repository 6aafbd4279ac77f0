// The status hook: runs one at a time in the order of the events, tunnel
// events around the first up and the last down, the environment built
// from the parent's own names, a bounded queue, and a bounded drain.
#include "priv/status_hook.h"

#include <unistd.h>

#include <chrono>
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

TEST_GROUP(StatusHook) {
  std::unique_ptr<test::HookOutput> out;
  std::string path;
  void setup() override {
    out = std::make_unique<test::HookOutput>();
    path = out->path;
  }
  void teardown() override { out.reset(); }
  std::string contents() { return out->contents(); }
  // Appends what the hook sees to the file.
  std::string recorder() {
    return "echo \"$BRAID_EVENT [$BRAID_LINK] $IFNAME $BRAID_TEST_SECRET\" >> " + path;
  }
  // Reaps as SIGCHLD would, until nothing runs or is queued.
  void settle(StatusHook& hook) {
    for (int i = 0; i < 500 && (hook.running() || hook.queued() > 0); ++i) {
      usleep(10000);
      hook.on_child();
    }
    CHECK_FALSE(hook.running());
  }
};

TEST(StatusHook, TunnelEventsSurroundTheFirstUpAndTheLastDown) {
  setenv("BRAID_TEST_SECRET", "leak", 1);
  StatusHook hook(recorder(), "braid0", {"fibre", "lte"});
  unsetenv("BRAID_TEST_SECRET");
  hook.link_changed(0, true);
  hook.link_changed(1, true);
  hook.link_changed(0, false);
  hook.link_changed(1, false);
  settle(hook);
  STRCMP_EQUAL(
      "tunnel_up [] braid0 \n"
      "link_up [fibre] braid0 \n"
      "link_up [lte] braid0 \n"
      "link_down [fibre] braid0 \n"
      "link_down [lte] braid0 \n"
      "tunnel_down [] braid0 \n",
      contents().c_str());
}

TEST(StatusHook, AReportOfTheCurrentStateRunsNothing) {
  StatusHook hook(recorder(), "tun0", {"default"});
  hook.link_changed(0, false);
  CHECK_FALSE(hook.running());
  hook.link_changed(0, true);
  hook.link_changed(0, true);
  settle(hook);
  STRCMP_EQUAL("tunnel_up [] tun0 \nlink_up [default] tun0 \n", contents().c_str());
  CHECK(hook.up(0));
}

TEST(StatusHook, RunsOneAtATimeWithoutWaiting) {
  StatusHook hook("sleep 0.2; " + recorder(), "tun0", {"a"});
  auto start = std::chrono::steady_clock::now();
  hook.link_changed(0, true);
  // Returned at once: the first run started, the second waits for it.
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(150));
  CHECK(hook.running());
  LONGS_EQUAL(1, hook.queued());
  hook.on_child();  // not ended yet: nothing changes
  CHECK(hook.running());
  LONGS_EQUAL(1, hook.queued());
  settle(hook);
  STRCMP_EQUAL("tunnel_up [] tun0 \nlink_up [a] tun0 \n", contents().c_str());
}

TEST(StatusHook, QueueIsBoundedAndDropsTheOldest) {
  StatusHook hook("sleep 10", "tun0", {"a"});
  for (int i = 0; i < 40; ++i) {
    hook.link_changed(0, true);
    hook.link_changed(0, false);
  }
  // 160 events: one running, the newest 64 queued.
  CHECK(hook.running());
  LONGS_EQUAL(StatusHook::kMaxQueued, hook.queued());
  LONGS_EQUAL(160 - 1 - StatusHook::kMaxQueued, hook.dropped());
}

TEST(StatusHook, DrainRunsWhatIsQueuedAndKillsAHookPastTheLimit) {
  {
    StatusHook hook(recorder(), "tun0", {"a", "b"});
    hook.link_changed(1, true);
    hook.all_down();
    hook.drain(5000);
    CHECK_FALSE(hook.running());
    LONGS_EQUAL(0, hook.queued());
    STRCMP_EQUAL("tunnel_up [] tun0 \nlink_up [b] tun0 \nlink_down [b] tun0 \ntunnel_down [] tun0 \n",
                 contents().c_str());
  }
  StatusHook slow("sleep 10", "tun0", {"a"});
  slow.link_changed(0, true);
  auto start = std::chrono::steady_clock::now();
  slow.drain(100);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
  CHECK_FALSE(slow.running());
  LONGS_EQUAL(0, slow.queued());
}

TEST(StatusHook, WithoutACommandOnlyTheStateIsKept) {
  StatusHook hook("", "tun0", {"a"});
  hook.link_changed(0, true);
  CHECK_FALSE(hook.running());
  LONGS_EQUAL(0, hook.queued());
  CHECK(hook.up(0));
  hook.link_changed(5, true);  // no such link: ignored
  hook.all_down();
  CHECK_FALSE(hook.up(0));
}
