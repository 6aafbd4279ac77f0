// What braidctl shows, rendered from two nodes on the fake network: each
// view names the peer, JSON carries the same facts, every counter is
// shown, and Prometheus text has the exposition format's shape.
#include "engine/report.h"

#include <algorithm>
#include <sstream>

#include "common/hex.h"
#include "fakenet.h"

#include <CppUTest/TestHarness.h>

using namespace braid;
using namespace braid::engine;
using namespace braid::engine::test;

namespace {

// A Prometheus sample line: braid_NAME{k="v",...} DIGITS. (By hand: g++'s
// <regex> trips its own uninitialised-use warning under the sanitizers.)
bool is_sample(const std::string& line) {
  size_t i = 0;
  auto name_char = [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; };
  if (line.rfind("braid_", 0) != 0) return false;
  while (i < line.size() && name_char(line[i])) ++i;
  if (i == line.size() || line[i] != '{') return false;
  ++i;
  for (;;) {
    size_t k = i;
    while (i < line.size() && line[i] >= 'a' && line[i] <= 'z') ++i;
    if (i == k || line.compare(i, 2, "=\"") != 0) return false;
    i += 2;
    while (i < line.size() && line[i] != '"') i += line[i] == '\\' ? 2 : 1;
    if (i >= line.size()) return false;
    ++i;
    if (i < line.size() && line[i] == ',') {
      ++i;
      continue;
    }
    break;
  }
  if (line.compare(i, 2, "} ") != 0) return false;
  i += 2;
  if (i == line.size()) return false;
  for (; i < line.size(); ++i)
    if (line[i] < '0' || line[i] > '9') return false;
  return true;
}

bool is_comment(const std::string& line) {
  return (line.rfind("# HELP braid_", 0) == 0 || line.rfind("# TYPE braid_", 0) == 0) &&
         line.find(' ', 13) != std::string::npos;
}

size_t count_of(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_GROUP_BASE(Report, NetTest) {
  Host* a = nullptr;
  Host* b = nullptr;
  EngineStatus st;
  void setup() override {
    NetTest::setup();
    a = &net->add();
    b = &net->add();
    a->target(*b);
    net->run_ms(500);
    b->device_packet(std::vector<uint8_t>(60, 0x45));
    net->run_ms(200);
    st.version = "9.9";
    st.interface = "braid7";
    st.mtu = 1400;
    st.mode = "hub";
    st.crypto = "chacha20";
    st.security = "shared key";
    st.ports = {3210};
    st.udp_sent = 42;
  }
  std::string show(ControlCommand cmd, ControlFormat fmt) {
    std::string out, error;
    CHECK_TRUE_TEXT(render(cmd, fmt, a->node(), st, net->clock.now_ns(), &out, &error),
                    error.c_str());
    return out;
  }
};

TEST(Report, StatusNamesTheNodeInterfaceAndPeers) {
  std::string text = show(ControlCommand::kStatus, ControlFormat::kText);
  STRCMP_CONTAINS(("node       " + to_hex(std::span<const uint8_t>(a->node().id()))).c_str(), text.c_str());
  STRCMP_CONTAINS("interface  braid7 (tun, mtu 1400)", text.c_str());
  STRCMP_CONTAINS("peers      1 (1 direct, 0 through relays)", text.c_str());
  std::string json = show(ControlCommand::kStatus, ControlFormat::kJson);
  STRCMP_CONTAINS("\"interface\":\"braid7\"", json.c_str());
  STRCMP_CONTAINS("\"peers\":1,\"direct_peers\":1", json.c_str());
}

TEST(Report, PeersShowTheOtherNodeDirectWithItsTraffic) {
  std::string text = show(ControlCommand::kPeers, ControlFormat::kText);
  STRCMP_CONTAINS(short_id(b->node().id()).c_str(), text.c_str());
  STRCMP_CONTAINS(b->addr().str().c_str(), text.c_str());
  STRCMP_CONTAINS("direct", text.c_str());
  LONGS_EQUAL(2, count_of(text, "\n"));   // header and one peer
  std::string json = show(ControlCommand::kPeers, ControlFormat::kJson);
  STRCMP_CONTAINS(("\"node\":\"" + to_hex(std::span<const uint8_t>(b->node().id())) + "\"").c_str(), json.c_str());
  STRCMP_CONTAINS("\"direct\":true", json.c_str());
  CHECK(json.find("\"rx_bytes\":0,") == std::string::npos);
  STRCMP_CONTAINS("\"certificate\":null", json.c_str());   // a shared-key network
}

TEST(Report, RoutesListTheNeighbourAsItsOwnNextHop) {
  std::string text = show(ControlCommand::kRoutes, ControlFormat::kText);
  std::string id = short_id(b->node().id());
  // "ID  ID  64 ...": the neighbour, itself its next hop, at cost 64.
  size_t at = text.find("\n" + id + " ");
  CHECK_TRUE_TEXT(at != std::string::npos, text.c_str());
  std::istringstream row(text.substr(at + 1));
  std::string dest, hop, metric;
  row >> dest >> hop >> metric;
  STRCMP_EQUAL(id.c_str(), hop.c_str());
  STRCMP_EQUAL("64", metric.c_str());
  std::string json = show(ControlCommand::kRoutes, ControlFormat::kJson);
  STRCMP_CONTAINS(("\"next_hop\":\"" + to_hex(std::span<const uint8_t>(b->node().id())) + "\"").c_str(), json.c_str());
}

TEST(Report, StatsShowEveryCounterOfTheNodeAndTheEngine) {
  std::string json = show(ControlCommand::kStats, ControlFormat::kJson);
  // One key per Counters field (all uint64_t) and six of the engine's: a
  // counter added to Counters but not to the table fails here.
  size_t keys = count_of(json, "\":");
  LONGS_EQUAL(sizeof(Counters) / sizeof(uint64_t) + 6, keys);
  STRCMP_CONTAINS("\"udp_sent\":42", json.c_str());
  std::string text = show(ControlCommand::kStats, ControlFormat::kText);
  LONGS_EQUAL(keys + 1, count_of(text, "\n"));
}

TEST(Report, PrometheusTextHasHelpTypeAndLabelledSamples) {
  std::string text = show(ControlCommand::kStats, ControlFormat::kPrometheus);
  std::istringstream in(text);
  std::string line;
  size_t samples = 0;
  while (std::getline(in, line)) {
    bool ok = is_sample(line) || is_comment(line);
    CHECK_TRUE_TEXT(ok, line.c_str());
    samples += line[0] != '#';
  }
  CHECK(samples > sizeof(Counters) / sizeof(uint64_t));
  STRCMP_CONTAINS("# TYPE braid_rx_packets_total counter", text.c_str());
  STRCMP_CONTAINS(("braid_peer_rx_bytes_total{node=\"" + to_hex(std::span<const uint8_t>(a->node().id())) + "\",peer=\"" +
                   to_hex(std::span<const uint8_t>(b->node().id())) + "\"} ").c_str(),
                  text.c_str());
}

TEST(Report, PrometheusIsForStatsOnly) {
  std::string out, error;
  CHECK_FALSE(render(ControlCommand::kPeers, ControlFormat::kPrometheus, a->node(), st,
                     net->clock.now_ns(), &out, &error));
  STRCMP_CONTAINS("stats only", error.c_str());
}

TEST(Report, TableSaysWhatTheModeForwardsBy) {
  STRCMP_CONTAINS("hub mode", show(ControlCommand::kTable, ControlFormat::kText).c_str());
  st.mode = "router";
  std::string text = show(ControlCommand::kTable, ControlFormat::kText);
  STRCMP_CONTAINS("SUBNET", text.c_str());
}

TEST(Report, StatsFileHoldsEverySectionInOneDocument) {
  std::string text = render_stats_file(ControlFormat::kText, a->node(), st, net->clock.now_ns());
  for (const char* part : {"node ", "NODE ", "DESTINATION ", "LINK ", "COUNTER "})
    STRCMP_CONTAINS(part, text.c_str());
  std::string json = render_stats_file(ControlFormat::kJson, a->node(), st, net->clock.now_ns());
  for (const char* part : {"{\"status\":{", "\"peers\":[", "\"routes\":[", "\"counters\":{"})
    STRCMP_CONTAINS(part, json.c_str());
}

TEST(Report, DurationsAndSizesReadAsPeopleWriteThem) {
  STRCMP_EQUAL("0s", format_duration(0).c_str());
  STRCMP_EQUAL("59s", format_duration(59).c_str());
  STRCMP_EQUAL("1m 00s", format_duration(60).c_str());
  STRCMP_EQUAL("1h 02m 03s", format_duration(3723).c_str());
  STRCMP_EQUAL("2d 03h 04m", format_duration(2 * 86400 + 3 * 3600 + 4 * 60 + 5).c_str());
  STRCMP_EQUAL("1023 B", format_bytes(1023).c_str());
  STRCMP_EQUAL("1.0 KiB", format_bytes(1024).c_str());
  STRCMP_EQUAL("1.5 MiB", format_bytes(1536 * 1024).c_str());
  STRCMP_EQUAL("3.0 GiB", format_bytes(uint64_t{3} << 30).c_str());
}

TEST(Report, TheSampleCheckOfTheseTestsRefusesWhatIsNotASample) {
  CHECK_TRUE(is_sample("braid_x_total{node=\"ab\",peer=\"c\\\"d\"} 12"));
  for (const char* bad : {"braid_x_total 12", "braid_x{node=\"a\"} ", "braid_x{node=\"a\"} 1x",
                          "braid_x{node=a} 1", "other_x{node=\"a\"} 1", "braid_x{=\"a\"} 1"})
    CHECK_FALSE_TEXT(is_sample(bad), bad);
}
