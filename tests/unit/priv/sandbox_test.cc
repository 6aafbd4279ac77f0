// Sandbox preparation: who the engine runs as and the checks on its
// chroot directory. Entering the sandbox itself is checked end to end
// (tests/netns/privsep.sh), since it cannot be undone in a test process.
#include "priv/sandbox.h"

#include <CppUTest/TestHarness.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

using namespace braid::priv;

TEST_GROUP(Sandbox) {
  std::string base;
  void setup() override {
    char tmpl[] = "/tmp/braid-sandbox-XXXXXX";
    base = mkdtemp(tmpl);
    chmod(base.c_str(), 0755);
  }
  void teardown() override {
    std::string cmd = "rm -rf '" + base + "'";
    CHECK_EQUAL(0, system(cmd.c_str()));
  }
};

TEST(Sandbox, NobodyIsAcceptedAndRootRefused) {
  SandboxSpec spec;
  std::string error;
  CHECK_TRUE_TEXT(resolve_identity("nobody", "", &spec, &error), error.c_str());
  CHECK(spec.uid != 0);
  CHECK_FALSE(resolve_identity("root", "", &spec, &error));
  CHECK(error.find("must not run as root") != std::string::npos);
}

TEST(Sandbox, UnknownUserAndGroupAreNamed) {
  SandboxSpec spec;
  std::string error;
  CHECK_FALSE(resolve_identity("no-such-user-braid", "", &spec, &error));
  CHECK(error.find("no-such-user-braid") != std::string::npos);
  CHECK_FALSE(resolve_identity("nobody", "no-such-group-braid", &spec, &error));
  CHECK(error.find("no-such-group-braid") != std::string::npos);
}

TEST(Sandbox, RelativeChrootIsRefused) {
  std::string error;
  CHECK_FALSE(prepare_chroot_dir("run/braid", &error));
}

TEST(Sandbox, MissingChrootIsCreatedWhenRoot) {
  if (geteuid() != 0) return;  // ownership checks need root to pass
  std::string error;
  std::string dir = base + "/a/b";
  CHECK_TRUE_TEXT(prepare_chroot_dir(dir, &error), error.c_str());
  struct stat st;
  CHECK_EQUAL(0, stat(dir.c_str(), &st));
  CHECK(S_ISDIR(st.st_mode));
}

TEST(Sandbox, WritableOrNonEmptyChrootIsRefused) {
  if (geteuid() != 0) return;
  std::string error;
  std::string dir = base + "/w";
  mkdir(dir.c_str(), 0777);
  chmod(dir.c_str(), 0777);
  CHECK_FALSE(prepare_chroot_dir(dir, &error));
  CHECK(error.find("not writable") != std::string::npos);
  chmod(dir.c_str(), 0755);
  std::string file = dir + "/x";
  FILE* f = fopen(file.c_str(), "w");
  fclose(f);
  CHECK_FALSE(prepare_chroot_dir(dir, &error));
  CHECK(error.find("not empty") != std::string::npos);
}
