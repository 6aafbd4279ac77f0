// The parent's control socket and stats file: the socket is made with
// mode 0660 in the engine's group, a stale one is replaced, a live one or
// a file in its place is refused, so is a directory others may write,
// and the stats file replaces its target whole without following a link
// planted at its temporary name. Root's unit (the directory must be
// root's): run as another user, the socket tests only check refusals.
#include "priv/control_socket.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include <CppUTest/TestHarness.h>

using namespace braid;
using namespace braid::priv;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

TEST_GROUP(ControlSocket) {
  char dir[64] = "/tmp/braid-ctlsock-test.XXXXXX";
  std::string path;
  void setup() override {
    CHECK(mkdtemp(dir) != nullptr);
    chmod(dir, 0755);
    path = std::string(dir) + "/t.sock";
  }
  void teardown() override {
    for (const char* f : {"/t.sock", "/stats", "/.stats.tmp", "/secret"})
      unlink((std::string(dir) + f).c_str());
    rmdir(dir);
  }
};

TEST(ControlSocket, IsMadeWithMode660InTheGivenGroup) {
  if (geteuid() != 0) return;
  std::string error;
  UniqueFd fd = open_control_socket(path, 4242, &error);
  CHECK_TRUE_TEXT(static_cast<bool>(fd), error.c_str());
  struct stat st;
  CHECK(lstat(path.c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));
  LONGS_EQUAL(0660, st.st_mode & 07777);
  LONGS_EQUAL(0, st.st_uid);
  LONGS_EQUAL(4242, st.st_gid);
}

TEST(ControlSocket, ReplacesAStaleSocketAndRefusesALiveOne) {
  if (geteuid() != 0) return;
  std::string error;
  {
    UniqueFd first = open_control_socket(path, 0, &error);
    CHECK(static_cast<bool>(first));
    // Still listening: another instance.
    UniqueFd second = open_control_socket(path, 0, &error);
    CHECK_FALSE(static_cast<bool>(second));
    STRCMP_CONTAINS("in use by another braid", error.c_str());
  }
  // The first one's process is gone; its socket file is left behind.
  UniqueFd again = open_control_socket(path, 0, &error);
  CHECK_TRUE_TEXT(static_cast<bool>(again), error.c_str());
}

TEST(ControlSocket, RefusesAFileInItsPlace) {
  if (geteuid() != 0) return;
  close(open(path.c_str(), O_CREAT | O_WRONLY, 0600));
  std::string error;
  CHECK_FALSE(static_cast<bool>(open_control_socket(path, 0, &error)));
  STRCMP_CONTAINS("is not a socket", error.c_str());
}

TEST(ControlSocket, RefusesADirectoryOthersMayWrite) {
  chmod(dir, 0777);
  std::string error;
  CHECK_FALSE(static_cast<bool>(open_control_socket(path, 0, &error)));
  STRCMP_CONTAINS("writable by root alone", error.c_str());
}

TEST(ControlSocket, StatsFileIsReplacedWhole) {
  std::string stats = std::string(dir) + "/stats";
  std::string error;
  CHECK_TRUE_TEXT(write_file_atomically(stats, bytes("one\n"), &error), error.c_str());
  CHECK_TRUE_TEXT(write_file_atomically(stats, bytes("two\n"), &error), error.c_str());
  STRCMP_EQUAL("two\n", read_file(stats).c_str());
  struct stat st;
  CHECK(stat(stats.c_str(), &st) == 0);
  LONGS_EQUAL(0644, st.st_mode & 07777);
}

TEST(ControlSocket, StatsFileNeverWritesThroughALinkAtItsTemporaryName) {
  std::string secret = std::string(dir) + "/secret";
  {
    std::ofstream out(secret);
    out << "SECRET";
  }
  chmod(secret.c_str(), 0600);
  CHECK(link(secret.c_str(), (std::string(dir) + "/.stats.tmp").c_str()) == 0);
  std::string error;
  CHECK_TRUE_TEXT(write_file_atomically(std::string(dir) + "/stats", bytes("counters\n"), &error),
                  error.c_str());
  STRCMP_EQUAL("SECRET", read_file(secret).c_str());
  struct stat st;
  CHECK(stat(secret.c_str(), &st) == 0);
  LONGS_EQUAL(0600, st.st_mode & 07777);
}
