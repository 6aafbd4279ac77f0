// What braidctl shows, rendered from two nodes on the fake network: each
// view names the peer, JSON carries the same facts, every counter is
// shown, and Prometheus text has the exposition format's shape.
#include "engine/report.h"

#include <algorithm>
#include <regex>
#include <sstream>

#include "common/hex.h"
#include "fakenet.h"

#include <CppUTest/TestHarness.h>

using namespace braid;
using namespace braid::engine;
using namespace braid::engine::test;

namespace {

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
}

TEST(Report, RoutesListTheNeighbourAsItsOwnNextHop) {
  std::string text = show(ControlCommand::kRoutes, ControlFormat::kText);
  std::string id = short_id(b->node().id());
  CHECK_TRUE_TEXT(std::regex_search(text, std::regex("\n" + id + " +" + id + " +64 ")),
                  text.c_str());
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
  std::regex sample(R"(^braid_[a-z_]+\{[a-z]+="[^"]*"(,[a-z]+="[^"]*")*\} [0-9]+$)");
  std::regex comment(R"(^# (HELP|TYPE) braid_[a-z_]+ .+$)");
  std::istringstream in(text);
  std::string line;
  size_t samples = 0;
  while (std::getline(in, line)) {
    bool ok = std::regex_match(line, sample) || std::regex_match(line, comment);
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
