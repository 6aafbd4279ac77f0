// The peer state file: its text round trip, every kind of damaged line
// skipped and counted, refused files, ageing, and the atomic write.
#include "engine/statefile.h"

#include <dirent.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <CppUTest/TestHarness.h>

using namespace braid::engine;

namespace {

const char kIdA[] = "0101010101010101010101010101010101010101010101010101010101010101";
const char kIdB[] = "02020202020202020202020202020202020202020202020202020202020202ff";

NodeId id_of(uint8_t fill) {
  NodeId id;
  id.fill(fill);
  return id;
}

Endpoint v4(uint8_t last, uint16_t port = 3210) {
  const uint8_t a[4] = {192, 0, 2, last};
  return Endpoint::from_bytes(4, a, port);
}

Endpoint v6(uint8_t last, uint16_t port = 3210) {
  uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8};
  a[15] = last;
  return Endpoint::from_bytes(6, a, port);
}

StatePeer peer(uint8_t fill, uint64_t seen, std::vector<Endpoint> eps = {}) {
  if (eps.empty()) eps.push_back(v4(fill));
  return StatePeer{id_of(fill), seen, std::move(eps)};
}

std::string with_header(const std::string& body) {
  return std::string(kStateHeader) + "\n" + body;
}

// Parses text that must be accepted; returns the number of bad lines.
size_t parse_ok(const std::string& text, std::vector<StatePeer>* out) {
  size_t bad = 99;
  std::string why;
  CHECK_TRUE_TEXT(parse_state(text, out, &bad, &why), why.c_str());
  return bad;
}

// A fresh directory, removed with its contents.
class TempDir {
 public:
  TempDir() {
    const char* base = getenv("TMPDIR");
    path_ = std::string(base && *base ? base : "/tmp") + "/braid-state-XXXXXX";
    if (!mkdtemp(path_.data())) abort();
  }
  ~TempDir() {
    const auto remove_one = [](const char* p, const struct stat*, int, struct FTW*) {
      return remove(p);
    };
    nftw(path_.c_str(), remove_one, 16, FTW_DEPTH | FTW_PHYS);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    DIR* d = opendir(path_.c_str());
    while (const dirent* e = d ? readdir(d) : nullptr)
      if (e->d_name[0] != '.') out.push_back(e->d_name);
    if (d) closedir(d);
    return out;
  }

 private:
  std::string path_;
};

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace

TEST_GROUP(StateFile) {};

TEST(StateFile, FormatsOnePeerALineAfterTheHeader) {
  std::vector<StatePeer> peers = {peer(1, 1700000000, {v4(1), v6(0x10, 655)})};
  STRCMP_EQUAL(("# braid peer state v1\npeer " + std::string(kIdA) +
                " 1700000000 192.0.2.1:3210 [2001:db8::10]:655\n")
                   .c_str(),
               format_state(peers).c_str());
}

TEST(StateFile, RoundTripsPeersWithBothFamilies) {
  std::vector<StatePeer> peers = {peer(1, 5, {v4(1), v6(2, 1), v4(3, 65535), v6(4)}),
                                  peer(2, 0), peer(3, UINT64_MAX, {v6(9)})};
  std::vector<StatePeer> back;
  CHECK_EQUAL(0u, parse_ok(format_state(peers), &back));
  CHECK(back == peers);
}

TEST(StateFile, SkipsBlankLinesAndComments) {
  std::vector<StatePeer> back;
  std::string text = "\n# written by hand\n" + std::string(kStateHeader) +
                     "\n\n   \n# a comment\n  # indented comment\npeer " + kIdB +
                     " 7 192.0.2.2:1\t[::1]:2\r\n";
  CHECK_EQUAL(0u, parse_ok(text, &back));
  CHECK_EQUAL(1u, back.size());
  CHECK_EQUAL(0xff, back[0].id[31]);
  CHECK_EQUAL(7u, back[0].last_seen_unix);
  CHECK_EQUAL(2u, back[0].endpoints.size());
  STRCMP_EQUAL("[::1]:2", back[0].endpoints[1].str().c_str());
}

TEST(StateFile, SkipsAndCountsEveryKindOfMalformedLine) {
  const std::string id = kIdA;
  const std::string five = "192.0.2.1:1 192.0.2.2:1 192.0.2.3:1 192.0.2.4:1 192.0.2.5:1";
  const std::string bad[] = {
      "node 0101 1 192.0.2.1:1",  // unknown keyword
      "peer",  // nothing after it
      "peer " + id,  // no time, no endpoint
      "peer " + id + " 1",  // no endpoint
      "peer " + id.substr(2) + " 1 192.0.2.1:1",  // short id
      "peer " + id + "01 1 192.0.2.1:1",  // long id
      "peer " + id.substr(2) + "AB 1 192.0.2.1:1",  // upper case
      "peer " + id.substr(2) + "0g 1 192.0.2.1:1",  // not hex
      "peer " + id + " -1 192.0.2.1:1",  // negative time
      "peer " + id + " +1 192.0.2.1:1",  // signed time
      "peer " + id + " 1x 192.0.2.1:1",  // not a number
      "peer " + id + " 18446744073709551616 192.0.2.1:1",  // time overflows
      "peer " + id + " 1 192.0.2.1",  // no port
      "peer " + id + " 1 192.0.2.1:",  // empty port
      "peer " + id + " 1 192.0.2.1:0",  // port 0
      "peer " + id + " 1 192.0.2.1:65536",  // port too large
      "peer " + id + " 1 192.0.2.1:003210",  // port too long
      "peer " + id + " 1 192.0.2.1:-1",  // negative port
      "peer " + id + " 1 192.0.2.256:1",  // bad IPv4 address
      "peer " + id + " 1 host.example:1",  // a name
      "peer " + id + " 1 :1",  // no address
      "peer " + id + " 1 2001:db8::1:1",  // IPv6 without brackets
      "peer " + id + " 1 [2001:db8::1:1",  // unclosed bracket
      "peer " + id + " 1 [192.0.2.1]:1",  // IPv4 in brackets
      "peer " + id + " 1 []:1",  // empty brackets
      "peer " + id + " 1 [fe80::1%eth0]:1",  // zone index
      "peer " + id + " 1 " + five,  // five endpoints
      "peer " + id + " 1 192.0.2.1:1 bad",  // one bad among good ones
      "peer " + id + " 1 " + std::string(100, '1') + ":1",  // long address
  };
  for (const std::string& line : bad) {
    std::vector<StatePeer> back;
    std::string text = with_header(line + "\npeer " + kIdB + " 3 192.0.2.9:9\n");
    CHECK_EQUAL_TEXT(1u, parse_ok(text, &back), line.c_str());
    CHECK_EQUAL_TEXT(1u, back.size(), line.c_str());
    CHECK_EQUAL_TEXT(3u, back[0].last_seen_unix, line.c_str());
  }
}

TEST(StateFile, CountsSeveralBadLinesInOneFile) {
  std::vector<StatePeer> back;
  std::string text = with_header("junk\npeer " + std::string(kIdA) + " 1 192.0.2.1:1\nmore junk\n" +
                                 std::string("\0\x01\xff", 3) + "\n");
  CHECK_EQUAL(3u, parse_ok(text, &back));
  CHECK_EQUAL(1u, back.size());
}

TEST(StateFile, AcceptsAFileWithNoPeersAndNoFinalNewline) {
  std::vector<StatePeer> back;
  CHECK_EQUAL(0u, parse_ok(std::string(kStateHeader), &back));
  CHECK(back.empty());
  CHECK_EQUAL(0u, parse_ok(with_header("peer " + std::string(kIdA) + " 1 192.0.2.1:1"), &back));
  CHECK_EQUAL(1u, back.size());
}

TEST(StateFile, RefusesAFileWithoutTheHeaderFirst) {
  const std::string line = "peer " + std::string(kIdA) + " 1 192.0.2.1:1\n";
  const std::string texts[] = {
      "",
      "# just a comment\n",
      line,
      line + std::string(kStateHeader) + "\n",
      "# braid peer state v2\n" + line,
      "# braid peer state v1 \n" + line,
      "#braid peer state v1\n" + line,
      " # braid peer state v1\n" + line,
  };
  for (const std::string& text : texts) {
    std::vector<StatePeer> back;
    size_t bad = 0;
    std::string why;
    CHECK_FALSE_TEXT(parse_state(text, &back, &bad, &why), text.c_str());
    CHECK_TEXT(!why.empty(), text.c_str());
    CHECK(back.empty());
  }
  std::vector<StatePeer> back;
  size_t bad = 0;
  std::string why;
  parse_state("# braid peer state v2\n", &back, &bad, &why);
  STRCMP_EQUAL("line 1: unsupported state file version", why.c_str());
  parse_state("\n" + line, &back, &bad, &why);
  STRCMP_EQUAL("line 2: expected '# braid peer state v1' first", why.c_str());
}

TEST(StateFile, RefusesTextLongerThanTheLimit) {
  std::string text = with_header("");
  text += std::string(kMaxStateBytes - text.size(), '\n');
  std::vector<StatePeer> back;
  CHECK_EQUAL(0u, parse_ok(text, &back));
  text += '\n';
  size_t bad = 0;
  std::string why;
  CHECK_FALSE(parse_state(text, &back, &bad, &why));
  CHECK(why.find("larger than") != std::string::npos);
}

TEST(StateFile, FormatLeavesOutWhatCouldNotBeReadBack) {
  std::vector<StatePeer> peers = {
      peer(1, 1, {Endpoint{}, v4(1, 0), v4(2)}),           // invalid and port 0 dropped
      peer(2, 2, {Endpoint{}}),                           // nothing left: no line
      peer(3, 3, {v4(1), v4(2), v4(3), v4(4), v4(5)}),    // the first four
  };
  std::vector<StatePeer> back;
  CHECK_EQUAL(0u, parse_ok(format_state(peers), &back));
  CHECK_EQUAL(2u, back.size());
  CHECK(back[0].endpoints == std::vector<Endpoint>{v4(2)});
  CHECK_EQUAL(4u, back[1].endpoints.size());
  CHECK(back[1].endpoints[3] == v4(4));
}

TEST(StateFile, AgeingDropsOldEntriesAndSortsMostRecentFirst) {
  std::vector<StatePeer> peers = {peer(1, 1000), peer(2, 400), peer(3, 399), peer(4, 900)};
  age_state(&peers, 1000, 600);
  CHECK_EQUAL(3u, peers.size());
  CHECK_EQUAL(1, peers[0].id[0]);
  CHECK_EQUAL(4, peers[1].id[0]);
  CHECK_EQUAL(2, peers[2].id[0]);
}

TEST(StateFile, AgeingTakesTimesInTheFutureAsNow) {
  std::vector<StatePeer> peers = {peer(1, UINT64_MAX), peer(2, 10)};
  age_state(&peers, 100, 1000);
  CHECK_EQUAL(2u, peers.size());
  CHECK_EQUAL(100u, peers[0].last_seen_unix);
  age_state(&peers, 1200, 1000);
  CHECK_EQUAL(0u, peers.size());
}

TEST(StateFile, AgeingKeepsTheLatestEntryOfEachId) {
  std::vector<StatePeer> peers = {peer(1, 10, {v4(1)}), peer(2, 20), peer(1, 30, {v4(3)}),
                                  peer(1, 5, {v4(5)}), peer(2, 20, {v6(2)})};
  age_state(&peers, 100, 1000);
  CHECK_EQUAL(2u, peers.size());
  CHECK_EQUAL(1, peers[0].id[0]);
  CHECK(peers[0].endpoints == std::vector<Endpoint>{v4(3)});
  // Equal times: the entry written last wins.
  CHECK_EQUAL(2, peers[1].id[0]);
  CHECK(peers[1].endpoints == std::vector<Endpoint>{v6(2)});
}

TEST(StateFile, AgeingKeepsAtMostTheLimitMostRecentFirst) {
  std::vector<StatePeer> peers;
  for (uint64_t i = 0; i < kMaxStatePeers + 50; ++i) {
    NodeId id{};
    id[0] = static_cast<uint8_t>(i);
    id[1] = static_cast<uint8_t>(i >> 8);
    peers.push_back(StatePeer{id, 10000 + i, {v4(1)}});
  }
  age_state(&peers, 20000, kStateMaxAgeS);
  CHECK_EQUAL(kMaxStatePeers, peers.size());
  CHECK_EQUAL(10000u + kMaxStatePeers + 49, peers.front().last_seen_unix);
  CHECK_EQUAL(10000u + 50, peers.back().last_seen_unix);
  // The largest file the engine writes stays within what it reads back.
  for (StatePeer& p : peers) p.endpoints.assign(kMaxStateEndpoints, v6(0xff, 65535));
  CHECK(format_state(peers).size() <= kMaxStateBytes);
}

TEST(StateFile, WritesAtomicallyWithExactContentAndNoTemporaryLeft) {
  TempDir dir;
  const std::string path = dir.file("peers");
  std::string why;
  std::string text = format_state(std::vector<StatePeer>{peer(1, 1), peer(2, 2)});
  CHECK_TRUE_TEXT(write_state_file(path, text, &why), why.c_str());
  STRCMP_EQUAL(text.c_str(), slurp(path).c_str());
  // Replacing a longer file leaves nothing of it behind.
  CHECK_TRUE_TEXT(write_state_file(path, "short\n", &why), why.c_str());
  STRCMP_EQUAL("short\n", slurp(path).c_str());
  CHECK(dir.names() == std::vector<std::string>{"peers"});
  struct stat st;
  CHECK_EQUAL(0, stat(path.c_str(), &st));
  CHECK_EQUAL(0600, st.st_mode & 07777);
}

TEST(StateFile, AStaleTemporaryIsReplacedNotFollowed) {
  TempDir dir;
  const std::string path = dir.file("peers");
  const std::string target = dir.file("target");
  CHECK_EQUAL(0, symlink(target.c_str(), (path + ".tmp").c_str()));
  std::string why;
  CHECK_TRUE_TEXT(write_state_file(path, "new\n", &why), why.c_str());
  STRCMP_EQUAL("new\n", slurp(path).c_str());
  CHECK(access(target.c_str(), F_OK) != 0);
  CHECK(dir.names() == std::vector<std::string>{"peers"});
}

TEST(StateFile, AFailedWriteLeavesTheOldFileAndNoTemporary) {
  TempDir dir;
  const std::string path = dir.file("peers");
  std::string why;
  CHECK_TRUE_TEXT(write_state_file(path, "old\n", &why), why.c_str());
  // A directory where the file goes makes the rename fail.
  const std::string blocked = dir.file("blocked");
  CHECK_EQUAL(0, mkdir(blocked.c_str(), 0700));
  CHECK_EQUAL(0, mkdir((blocked + "/x").c_str(), 0700));
  CHECK_FALSE(write_state_file(blocked, "new\n", &why));
  CHECK(why.find("rename") != std::string::npos);
  CHECK_FALSE(write_state_file(dir.file("no/such/dir"), "new\n", &why));
  CHECK(why.find("cannot create") != std::string::npos);
  STRCMP_EQUAL("old\n", slurp(path).c_str());
  std::vector<std::string> names = dir.names();
  std::sort(names.begin(), names.end());
  CHECK(names == (std::vector<std::string>{"blocked", "peers"}));
}

TEST(StateFile, ReadsBackWhatWasWritten) {
  TempDir dir;
  const std::string path = dir.file("peers");
  std::vector<StatePeer> peers = {peer(1, 1), peer(2, 2, {v6(1), v4(7, 7)})};
  std::string why;
  CHECK_TRUE_TEXT(write_state_file(path, format_state(peers), &why), why.c_str());
  std::string text;
  CHECK_TRUE_TEXT(read_state_file(path, &text, &why), why.c_str());
  std::vector<StatePeer> back;
  CHECK_EQUAL(0u, parse_ok(text, &back));
  CHECK(back == peers);
}

TEST(StateFile, AMissingFileIsToldApartFromAnError) {
  TempDir dir;
  std::string text = "x", why = "x";
  CHECK_FALSE(read_state_file(dir.file("peers"), &text, &why));
  STRCMP_EQUAL("", why.c_str());
  CHECK(text.empty());
  CHECK_EQUAL(0, mkdir(dir.file("d").c_str(), 0700));
  CHECK_FALSE(read_state_file(dir.file("d"), &text, &why));
  CHECK(!why.empty());
}

TEST(StateFile, ReadRefusesAFileLargerThanTheLimit) {
  TempDir dir;
  const std::string path = dir.file("peers");
  std::string why;
  CHECK_TRUE(write_state_file(path, std::string(kMaxStateBytes, '\n'), &why));
  std::string text;
  CHECK_TRUE_TEXT(read_state_file(path, &text, &why), why.c_str());
  CHECK_EQUAL(kMaxStateBytes, text.size());
  CHECK_TRUE(write_state_file(path, std::string(kMaxStateBytes + 1, '\n'), &why));
  CHECK_FALSE(read_state_file(path, &text, &why));
  CHECK(why.find("larger than") != std::string::npos);
}
