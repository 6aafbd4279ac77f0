// Sandbox preparation: who the engine runs as and the checks on its
// chroot or state directory. Entering the sandbox itself is checked end to end
// (tests/netns/privsep.sh), since it cannot be undone in a test process.
#include "priv/sandbox.h"

#include <CppUTest/TestHarness.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

// A state directory: root's, holding only the engine's subdirectory.
TEST_GROUP(StateDir) {
  std::string base;
  SandboxSpec nobody;
  void setup() override {
    char tmpl[] = "/tmp/braid-statedir-XXXXXX";
    base = mkdtemp(tmpl);
    chmod(base.c_str(), 0755);
    std::string error;
    CHECK_TRUE_TEXT(resolve_identity("nobody", "", &nobody, &error), error.c_str());
  }
  void teardown() override {
    std::string cmd = "rm -rf '" + base + "'";
    CHECK_EQUAL(0, system(cmd.c_str()));
  }
  bool prepare(const std::string& dir, std::string* error) {
    return prepare_state_dir(dir, nobody.uid, nobody.gid, error);
  }
  // The state subdirectory is the engine's, 0700, a real directory.
  void check_subdir(const std::string& dir) {
    struct stat st;
    CHECK_EQUAL(0, lstat((dir + "/state").c_str(), &st));
    CHECK(S_ISDIR(st.st_mode));
    CHECK_EQUAL(nobody.uid, st.st_uid);
    CHECK_EQUAL(nobody.gid, st.st_gid);
    CHECK_EQUAL(0700, st.st_mode & 07777);
    CHECK_EQUAL(0, stat(dir.c_str(), &st));
    CHECK_EQUAL(0u, st.st_uid);
    CHECK_EQUAL(0, st.st_mode & (S_IWGRP | S_IWOTH));
  }
};

TEST(StateDir, RelativeDirectoryIsRefused) {
  std::string error;
  CHECK_FALSE(prepare("var/lib/braid", &error));
  STRCMP_EQUAL("state directory must be an absolute path", error.c_str());
}

TEST(StateDir, MissingDirectoryIsCreatedWithTheEnginesSubdirectory) {
  if (geteuid() != 0) return;  // ownership needs root
  std::string error;
  std::string dir = base + "/lib/braid/net";
  CHECK_TRUE_TEXT(prepare(dir, &error), error.c_str());
  struct stat st;
  CHECK_EQUAL(0, stat(dir.c_str(), &st));
  CHECK_EQUAL(0755, st.st_mode & 07777);
  check_subdir(dir);
  // Again, as at every start, with a state file inside: nothing changes.
  FILE* f = fopen((dir + "/state/peers").c_str(), "w");
  CHECK(f != nullptr);
  fclose(f);
  CHECK_TRUE_TEXT(prepare(dir, &error), error.c_str());
  check_subdir(dir);
  CHECK_EQUAL(0, access((dir + "/state/peers").c_str(), F_OK));
}

TEST(StateDir, SubdirectoryOwnerAndModeAreRepaired) {
  if (geteuid() != 0) return;
  std::string error;
  std::string dir = base + "/s";
  CHECK_EQUAL(0, mkdir(dir.c_str(), 0755));
  CHECK_EQUAL(0, mkdir((dir + "/state").c_str(), 0755));
  CHECK_TRUE_TEXT(prepare(dir, &error), error.c_str());
  check_subdir(dir);
  // Another user's, with another mode, repaired without CAP_FOWNER (the
  // systemd unit does not grant it).
  CHECK_EQUAL(0, chown((dir + "/state").c_str(), nobody.uid + 1, nobody.gid + 1));
  CHECK_EQUAL(0, chmod((dir + "/state").c_str(), 0777));
  pid_t pid = fork();
  if (pid == 0) {
    cap_t caps = cap_get_proc();
    const cap_value_t fowner = CAP_FOWNER;
    if (caps == nullptr || cap_set_flag(caps, CAP_EFFECTIVE, 1, &fowner, CAP_CLEAR) != 0 ||
        cap_set_proc(caps) != 0)
      _exit(2);
    _exit(prepare(dir, &error) ? 0 : 1);
  }
  int status = -1;
  CHECK_EQUAL(pid, waitpid(pid, &status, 0));
  CHECK(WIFEXITED(status));
  CHECK_EQUAL(0, WEXITSTATUS(status));
  check_subdir(dir);
}

TEST(StateDir, AnythingButTheSubdirectoryIsRefused) {
  if (geteuid() != 0) return;
  std::string error;
  std::string dir = base + "/s";
  CHECK_EQUAL(0, mkdir(dir.c_str(), 0755));
  FILE* f = fopen((dir + "/peers").c_str(), "w");
  fclose(f);
  CHECK_FALSE(prepare(dir, &error));
  STRCMP_EQUAL(("state directory " + dir + " holds 'peers': only state/ may be there").c_str(),
               error.c_str());
  // The engine's directory alone is no way around the chroot's checks.
  CHECK_FALSE(prepare_chroot_dir(dir, &error));
}

TEST(StateDir, SubdirectoryMustBeADirectoryNotALink) {
  if (geteuid() != 0) return;
  std::string error;
  std::string dir = base + "/s";
  CHECK_EQUAL(0, mkdir(dir.c_str(), 0755));
  CHECK_EQUAL(0, mkdir((base + "/elsewhere").c_str(), 0755));
  CHECK_EQUAL(0, symlink((base + "/elsewhere").c_str(), (dir + "/state").c_str()));
  CHECK_FALSE(prepare(dir, &error));
  STRCMP_EQUAL((dir + "/state is not a directory").c_str(), error.c_str());
  struct stat st;
  CHECK_EQUAL(0, stat((base + "/elsewhere").c_str(), &st));
  CHECK_EQUAL(0u, st.st_uid);
  CHECK_EQUAL(0, unlink((dir + "/state").c_str()));
  FILE* f = fopen((dir + "/state").c_str(), "w");
  fclose(f);
  CHECK_FALSE(prepare(dir, &error));
  STRCMP_EQUAL((dir + "/state is not a directory").c_str(), error.c_str());
}

TEST(StateDir, WritableOrForeignDirectoryIsRefused) {
  if (geteuid() != 0) return;
  std::string error;
  std::string dir = base + "/w";
  CHECK_EQUAL(0, mkdir(dir.c_str(), 0755));
  chmod(dir.c_str(), 0775);
  CHECK_FALSE(prepare(dir, &error));
  STRCMP_EQUAL(("state directory " + dir +
                " must be owned by root and not writable by group or others")
                   .c_str(),
               error.c_str());
  chmod(dir.c_str(), 0755);
  CHECK_EQUAL(0, chown(dir.c_str(), nobody.uid, 0));
  CHECK_FALSE(prepare(dir, &error));
  CHECK(error.find("must be owned by root") != std::string::npos);
  // Refused before anything is created in it.
  CHECK(access((dir + "/state").c_str(), F_OK) != 0);
}
