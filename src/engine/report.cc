// The control socket's and the stats file's views of the node (report.h).
#include "engine/report.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "common/hex.h"
#include "common/json.h"

namespace braid::engine {
namespace {

// Every counter, named as the stats and metrics show it. A counter missing
// here is invisible to operators: add each new one.
struct CounterField {
  const char* name;
  uint64_t Counters::*field;
  const char* help;
};

constexpr CounterField kCounters[] = {
    {"rx_packets", &Counters::rx_packets, "UDP datagrams received"},
    {"tx_packets", &Counters::tx_packets, "UDP datagrams sent"},
    {"device_rx", &Counters::device_rx, "packets read from the device"},
    {"device_tx", &Counters::device_tx, "packets written to the device"},
    {"drop_foreign", &Counters::drop_foreign, "datagrams too short or of another network"},
    {"drop_malformed", &Counters::drop_malformed, "datagrams of bad length or unknown type"},
    {"drop_unknown_index", &Counters::drop_unknown_index, "no session with that index"},
    {"drop_auth", &Counters::drop_auth, "failed authentication"},
    {"drop_replay", &Counters::drop_replay, "replayed or too old"},
    {"drop_expired", &Counters::drop_expired, "keys past their lifetime"},
    {"drop_no_peer", &Counters::drop_no_peer, "device packets with no peer to go to"},
    {"drop_no_buffer", &Counters::drop_no_buffer, "buffer pool exhausted"},
    {"drop_send_error", &Counters::drop_send_error, "datagrams the kernel refused"},
    {"drop_rate_limited", &Counters::drop_rate_limited, "handshake initiations over the limit"},
    {"drop_device_error", &Counters::drop_device_error, "device writes that failed"},
    {"drop_mac", &Counters::drop_mac, "initiations without a valid mac1"},
    {"drop_unauthorized", &Counters::drop_unauthorized,
     "source addresses outside the sender's certificate"},
    {"cookie_sent", &Counters::cookie_sent, "cookie replies sent under load"},
    {"cookie_received", &Counters::cookie_received, "cookie replies accepted"},
    {"handshake_refused", &Counters::handshake_refused, "certificates refused"},
    {"handshake_init_rx", &Counters::handshake_init_rx, "handshake initiations received"},
    {"handshake_ok", &Counters::handshake_ok, "handshakes completed"},
    {"handshake_failed", &Counters::handshake_failed, "handshakes failed"},
    {"drop_no_route", &Counters::drop_no_route, "router mode: no peer claims the destination"},
    {"drop_control", &Counters::drop_control, "control messages malformed or unknown"},
    {"claims_refused", &Counters::claims_refused, "claims outside the sender's certificate"},
    {"control_tx", &Counters::control_tx, "control messages sent"},
    {"control_rx", &Counters::control_rx, "control messages received"},
    {"control_bytes_tx", &Counters::control_bytes_tx, "bytes of control messages sent"},
    {"peers_learnt", &Counters::peers_learnt, "nodes first heard of"},
    {"beacons_rx", &Counters::beacons_rx, "LAN beacons of other nodes"},
    {"stashed", &Counters::stashed, "packets held while keys were renewed"},
    {"drop_stash", &Counters::drop_stash, "held packets dropped"},
    {"drop_link_queue", &Counters::drop_link_queue, "bulk packets dropped at a full link queue"},
    {"path_changes", &Counters::path_changes, "paths going up, degraded or down"},
    {"relayed_tx", &Counters::relayed_tx, "our packets sent through relays"},
    {"relayed_rx", &Counters::relayed_rx, "packets for us that came through relays"},
    {"forwarded", &Counters::forwarded, "other nodes' packets relayed on"},
    {"forwarded_bytes", &Counters::forwarded_bytes, "bytes of other nodes' packets relayed on"},
    {"drop_relay", &Counters::drop_relay, "relayed packets refused"},
    {"drop_hop_limit", &Counters::drop_hop_limit, "relayed packets out of hops"},
    {"route_changes", &Counters::route_changes, "selected routes that changed"},
};

// The engine's own counters, after the node's.
struct EngineCounter {
  const char* name;
  uint64_t EngineStatus::*field;
  const char* help;
};

constexpr EngineCounter kEngineCounters[] = {
    {"udp_sent", &EngineStatus::udp_sent, "datagrams the sockets sent"},
    {"udp_send_errors", &EngineStatus::udp_send_errors, "datagrams the sockets failed to send"},
    {"udp_truncated", &EngineStatus::udp_truncated, "datagrams received truncated"},
    {"device_errors", &EngineStatus::device_errors, "device read errors"},
    {"device_malformed", &EngineStatus::device_malformed, "malformed device packets"},
    {"control_requests", &EngineStatus::control_requests, "control socket requests"},
};

uint64_t age_s(uint64_t now, uint64_t then) { return then == 0 || then > now ? 0 : (now - then) / kNsPerSec; }

std::string full_id(const NodeId& id) { return to_hex(std::span<const uint8_t>(id)); }

// A peer's name in certificate networks, else "".
std::string cert_name(const Peer& p) { return p.cert ? p.cert->name : std::string(); }

// A trusted CA's name, or the key id in hex of one not (or no longer)
// trusted.
std::string ca_name(const identity::TrustStore& trust, const identity::KeyId& id) {
  for (const auto& ca : trust.cas())
    if (ca.id == id) return ca.cert.name;
  return to_hex(id);
}

// How a peer's traffic goes: "direct", "via <id>", or "lost" when neither.
std::string way(const Node& node, const Peer& p) {
  if (p.direct() && p.hello.lost_ns == 0) return "direct";
  std::optional<NodeId> hop = node.routes().next_hop(p.id());
  if (!hop && p.relayed_via) hop = p.relayed_via;
  if (hop) return "via " + short_id(*hop);
  return p.direct() ? "direct" : "none";
}

// Columns padded to their widest cell, two spaces apart.
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void print(std::string* out) const {
    std::vector<size_t> w;
    for (const auto& r : rows_)
      for (size_t i = 0; i < r.size(); ++i) {
        if (w.size() <= i) w.push_back(0);
        w[i] = std::max(w[i], r[i].size());
      }
    for (const auto& r : rows_) {
      std::string line;
      for (size_t i = 0; i < r.size(); ++i) {
        line += r[i];
        if (i + 1 < r.size()) line.append(w[i] - r[i].size() + 2, ' ');
      }
      *out += line + "\n";
    }
  }

 private:
  std::vector<std::vector<std::string>> rows_;
};

std::string ms3(uint64_t ns) {
  char buf[32];
  snprintf(buf, sizeof buf, "%" PRIu64 ".%03" PRIu64 " ms", ns / kNsPerMs, ns / 1000 % 1000);
  return buf;
}

std::string count(uint64_t v) { return std::to_string(v); }

size_t relayed_peers(const Node& node) {
  size_t n = 0;
  for (const Peer* p : node.peers()) n += (p->direct() && p->hello.lost_ns == 0) ? 0 : 1;
  return n;
}

// ---- status ----

void status_text(const Node& node, const EngineStatus& st, uint64_t now, std::string* out) {
  size_t up = 0;
  for (const Link& l : node.links()) up += l.up ? 1 : 0;
  std::vector<const Peer*> peers = node.peers();
  size_t relayed = relayed_peers(node);
  std::string ports;
  for (uint16_t p : st.ports) ports += (ports.empty() ? "" : ", ") + std::to_string(p);
  *out += "node       " + full_id(node.id()) + "\n";
  *out += "version    " + st.version + "\n";
  *out += "interface  " + st.interface + " (" + (st.tap ? "tap" : "tun") + ", mtu " +
          std::to_string(st.mtu) + ")\n";
  *out += "mode       " + st.mode + ", " + st.security + ", " + st.crypto + "\n";
  *out += "udp port   " + ports + "\n";
  *out += "uptime     " + format_duration(age_s(now, st.started_ns)) + "\n";
  *out += "peers      " + std::to_string(peers.size()) + " (" +
          std::to_string(peers.size() - relayed) + " direct, " + std::to_string(relayed) +
          " through relays), " + std::to_string(node.candidates().size()) + " heard of\n";
  *out += "routes     " + std::to_string(node.routes().size()) + " destinations\n";
  *out += "links      " + std::to_string(node.links().size()) + " (" + std::to_string(up) +
          " up)\n";
  const Counters& c = node.counters();
  *out += "traffic    udp rx " + count(c.rx_packets) + " tx " + count(st.udp_sent) +
          ", device rx " + count(c.device_rx) + " tx " + count(c.device_tx) + ", relayed for others " +
          count(c.forwarded) + "\n";
}

void status_json(const Node& node, const EngineStatus& st, uint64_t now, JsonWriter& j) {
  size_t up = 0;
  for (const Link& l : node.links()) up += l.up ? 1 : 0;
  size_t total = node.peers().size(), relayed = relayed_peers(node);
  j.begin_object();
  j.key("node").value(full_id(node.id()));
  j.key("version").value(st.version);
  j.key("interface").value(st.interface);
  j.key("device").value(st.tap ? "tap" : "tun");
  j.key("mtu").value(st.mtu);
  j.key("mode").value(st.mode);
  j.key("security").value(st.security);
  j.key("crypto").value(st.crypto);
  j.key("ports").begin_array();
  for (uint16_t p : st.ports) j.value(static_cast<uint64_t>(p));
  j.end_array();
  j.key("uptime_s").value(age_s(now, st.started_ns));
  j.key("peers").value(static_cast<uint64_t>(total));
  j.key("direct_peers").value(static_cast<uint64_t>(total - relayed));
  j.key("relayed_peers").value(static_cast<uint64_t>(relayed));
  j.key("heard_of").value(static_cast<uint64_t>(node.candidates().size()));
  j.key("routes").value(static_cast<uint64_t>(node.routes().size()));
  j.key("links").value(static_cast<uint64_t>(node.links().size()));
  j.key("links_up").value(static_cast<uint64_t>(up));
  j.end_object();
}

// ---- peers ----

void peers_text(const Node& node, uint64_t now, std::string* out) {
  TextTable t({"NODE", "NAME", "ADDRESS", "WAY", "RTT", "SESSION", "HANDSHAKE", "RX", "TX"});
  for (const Peer* p : node.peers()) {
    std::string name = cert_name(*p);
    t.add({short_id(p->id()), name.empty() ? "-" : name, p->direct() ? p->endpoint.str() : "-",
           way(node, *p), p->hello.srtt_ns ? ms3(p->hello.srtt_ns) : "-",
           format_duration(age_s(now, p->connected_ns)),
           format_duration(age_s(now, p->last_handshake_ns)) + " ago",
           format_bytes(p->stats.rx_bytes), format_bytes(p->stats.tx_bytes)});
  }
  t.print(out);
}

void peers_json(const Node& node, uint64_t now, JsonWriter& j) {
  j.begin_array();
  for (const Peer* p : node.peers()) {
    j.begin_object();
    j.key("node").value(full_id(p->id()));
    j.key("name").value(cert_name(*p));
    j.key("address");
    if (p->direct()) j.value(p->endpoint.str()); else j.null();
    j.key("way").value(way(node, *p));
    j.key("direct").value(p->direct() && p->hello.lost_ns == 0);
    j.key("rtt_ms").fixed(p->hello.srtt_ns / 1000, 3);
    j.key("session_s").value(age_s(now, p->connected_ns));
    j.key("last_handshake_s").value(age_s(now, p->last_handshake_ns));
    j.key("last_received_s").value(age_s(now, p->last_received_ns));
    j.key("rx_packets").value(p->stats.rx_packets);
    j.key("rx_bytes").value(p->stats.rx_bytes);
    j.key("tx_packets").value(p->stats.tx_packets);
    j.key("tx_bytes").value(p->stats.tx_bytes);
    j.key("handshakes").value(p->stats.handshakes);
    j.key("relayed_rx").value(p->stats.relayed_rx);
    j.key("relayed_tx").value(p->stats.relayed_tx);
    j.key("forwarded").value(p->stats.forwarded);
    j.key("paths").value(static_cast<uint64_t>(p->paths.size()));
    j.key("claims").begin_array();
    for (const identity::IpPrefix& c : p->claims) j.value(format_prefix(c));
    j.end_array();
    // What a CA rotation or a renewal has reached: the certificate the
    // peer last showed, its CA and its end.
    j.key("certificate");
    if (p->cert) {
      j.begin_object();
      j.key("ca").value(ca_name(node.trust(), p->cert->issuer));
      j.key("not_after").value(p->cert->not_after);
      j.end_object();
    } else {
      j.null();
    }
    j.end_object();
  }
  j.end_array();
}

// ---- links and paths ----

void links_text(const Node& node, std::string* out) {
  TextTable t({"LINK", "STATE", "RATE", "TX", "RX", "QUEUE", "DROPPED"});
  for (const Link& l : node.links())
    t.add({l.name(), l.up ? "up" : "down",
           l.rate() ? std::to_string(l.rate() * 8 / 1000) + " kbit/s" : "unpaced",
           format_bytes(l.stats.tx_bytes), format_bytes(l.stats.rx_bytes),
           std::to_string(l.queued()), count(l.stats.drop_queue)});
  t.print(out);
}

void links_json(const Node& node, JsonWriter& j) {
  j.begin_array();
  for (const Link& l : node.links()) {
    j.begin_object();
    j.key("name").value(l.name());
    j.key("up").value(l.up);
    j.key("rate_bps").value(l.rate() * 8);
    j.key("weight").value(l.config().weight);
    j.key("fallback_only").value(l.config().fallback_only);
    j.key("tx_packets").value(l.stats.tx_packets);
    j.key("tx_bytes").value(l.stats.tx_bytes);
    j.key("rx_packets").value(l.stats.rx_packets);
    j.key("rx_bytes").value(l.stats.rx_bytes);
    j.key("queued").value(static_cast<uint64_t>(l.queued()));
    j.key("dropped").value(l.stats.drop_queue);
    j.end_object();
  }
  j.end_array();
}

const char* link_name(const Node& node, uint8_t link) {
  return link < node.links().size() ? node.links()[link].name().c_str() : "?";
}

// A peer with one path keeps it implicit (its endpoint): shown as one.
void paths_text(const Node& node, uint64_t now, std::string* out) {
  TextTable t({"NODE", "LINK", "REMOTE", "STATE", "FOR", "RTT", "VAR", "LOSS", "TX", "RX"});
  for (const Peer* p : node.peers()) {
    for (const Path& path : p->paths) {
      uint64_t since = std::max(path.monitor.last_change_ns(), path.created_ns);
      char loss[16];
      snprintf(loss, sizeof loss, "%u.%u%%", path.monitor.loss_permille() / 10,
               path.monitor.loss_permille() % 10);
      t.add({short_id(p->id()), link_name(node, path.link), path.remote.str(),
             path_state_name(path.monitor.state()), format_duration(age_s(now, since)),
             ms3(path.monitor.srtt_ns()), ms3(path.monitor.rttvar_ns()), loss,
             format_bytes(path.tx_bytes), format_bytes(path.rx_bytes)});
    }
    if (p->paths.empty() && p->direct())
      t.add({short_id(p->id()), link_name(node, p->link), p->endpoint.str(),
             p->hello.lost_ns ? "down" : "up", format_duration(age_s(now, p->connected_ns)),
             p->hello.srtt_ns ? ms3(p->hello.srtt_ns) : "-", "-", "-",
             format_bytes(p->stats.tx_bytes), format_bytes(p->stats.rx_bytes)});
  }
  t.print(out);
}

void paths_json(const Node& node, uint64_t now, JsonWriter& j) {
  j.begin_array();
  for (const Peer* p : node.peers()) {
    for (const Path& path : p->paths) {
      j.begin_object();
      j.key("node").value(full_id(p->id()));
      j.key("link").value(link_name(node, path.link));
      j.key("remote").value(path.remote.str());
      j.key("state").value(path_state_name(path.monitor.state()));
      j.key("since_s").value(age_s(now, std::max(path.monitor.last_change_ns(), path.created_ns)));
      j.key("rtt_ms").fixed(path.monitor.srtt_ns() / 1000, 3);
      j.key("rttvar_ms").fixed(path.monitor.rttvar_ns() / 1000, 3);
      j.key("loss_percent").fixed(path.monitor.loss_permille(), 1);
      j.key("tx_packets").value(path.tx_packets);
      j.key("tx_bytes").value(path.tx_bytes);
      j.key("rx_packets").value(path.rx_packets);
      j.key("rx_bytes").value(path.rx_bytes);
      j.end_object();
    }
    // One implicit path, as the text view shows it.
    if (p->paths.empty() && p->direct()) {
      j.begin_object();
      j.key("node").value(full_id(p->id()));
      j.key("link").value(link_name(node, p->link));
      j.key("remote").value(p->endpoint.str());
      j.key("state").value(p->hello.lost_ns ? "down" : "up");
      j.key("since_s").value(age_s(now, p->connected_ns));
      j.key("rtt_ms").fixed(p->hello.srtt_ns / 1000, 3);
      j.key("rttvar_ms").null();
      j.key("loss_percent").null();
      j.key("tx_packets").value(p->stats.tx_packets);
      j.key("tx_bytes").value(p->stats.tx_bytes);
      j.key("rx_packets").value(p->stats.rx_packets);
      j.key("rx_bytes").value(p->stats.rx_bytes);
      j.end_object();
    }
  }
  j.end_array();
}

// ---- routes ----

void routes_text(const Node& node, uint64_t now, std::string* out) {
  TextTable t({"DESTINATION", "NEXT HOP", "METRIC", "SEQNO", "AGE", "ANNOUNCERS"});
  for (const RouteTable::Row& r : node.routes().rows(now)) {
    bool reach = r.metric != kMetricInfinity;
    t.add({short_id(r.dest), reach ? short_id(r.next_hop) : "unreachable",
           reach ? std::to_string(r.metric) : "-", std::to_string(r.seqno),
           format_duration(r.age_ns / kNsPerSec), std::to_string(r.routes)});
  }
  t.print(out);
}

void routes_json(const Node& node, uint64_t now, JsonWriter& j) {
  j.begin_array();
  for (const RouteTable::Row& r : node.routes().rows(now)) {
    bool reach = r.metric != kMetricInfinity;
    j.begin_object();
    j.key("destination").value(full_id(r.dest));
    j.key("next_hop");
    if (reach) j.value(full_id(r.next_hop)); else j.null();
    j.key("metric");
    if (reach) j.value(static_cast<uint64_t>(r.metric)); else j.null();
    j.key("seqno").value(static_cast<uint64_t>(r.seqno));
    j.key("age_s").value(r.age_ns / kNsPerSec);
    j.key("announcers").value(static_cast<uint64_t>(r.routes));
    j.end_object();
  }
  j.end_array();
}

// ---- table: what the forwarding mode decides by ----

std::string mac_text(uint64_t mac) {
  char buf[18];
  snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", static_cast<unsigned>(mac >> 40 & 0xff),
           static_cast<unsigned>(mac >> 32 & 0xff), static_cast<unsigned>(mac >> 24 & 0xff),
           static_cast<unsigned>(mac >> 16 & 0xff), static_cast<unsigned>(mac >> 8 & 0xff),
           static_cast<unsigned>(mac & 0xff));
  return buf;
}

void table_text(const Node& node, const EngineStatus& st, uint64_t now, std::string* out) {
  if (st.mode == "router") {
    TextTable t({"SUBNET", "NODE"});
    for (const Peer* p : node.peers())
      for (const identity::IpPrefix& c : p->claims) t.add({format_prefix(c), short_id(p->id())});
    t.print(out);
  } else if (st.mode == "switch") {
    TextTable t({"ADDRESS", "VLAN", "NODE", "AGE"});
    for (const LearntAddress& e : node.learnt_addresses())
      t.add({mac_text(e.mac), e.vlan ? std::to_string(e.vlan) : "-", short_id(e.peer->id()),
             format_duration(age_s(now, e.last_seen_ns))});
    t.print(out);
  } else {
    *out += "hub mode: every packet goes to every peer; there is no table\n";
  }
}

void table_json(const Node& node, const EngineStatus& st, uint64_t now, JsonWriter& j) {
  j.begin_object();
  j.key("mode").value(st.mode);
  j.key("entries").begin_array();
  if (st.mode == "router") {
    for (const Peer* p : node.peers())
      for (const identity::IpPrefix& c : p->claims) {
        j.begin_object();
        j.key("subnet").value(format_prefix(c));
        j.key("node").value(full_id(p->id()));
        j.end_object();
      }
  } else if (st.mode == "switch") {
    for (const LearntAddress& e : node.learnt_addresses()) {
      j.begin_object();
      j.key("address").value(mac_text(e.mac));
      j.key("vlan").value(static_cast<uint64_t>(e.vlan));
      j.key("node").value(full_id(e.peer->id()));
      j.key("age_s").value(age_s(now, e.last_seen_ns));
      j.end_object();
    }
  }
  j.end_array();
  j.end_object();
}

// ---- stats ----

void stats_text(const Node& node, const EngineStatus& st, std::string* out) {
  TextTable t({"COUNTER", "VALUE"});
  for (const CounterField& f : kCounters) t.add({f.name, count(node.counters().*f.field)});
  for (const EngineCounter& f : kEngineCounters) t.add({f.name, count(st.*f.field)});
  t.print(out);
}

void stats_json(const Node& node, const EngineStatus& st, JsonWriter& j) {
  j.begin_object();
  for (const CounterField& f : kCounters) j.key(f.name).value(node.counters().*f.field);
  for (const EngineCounter& f : kEngineCounters) j.key(f.name).value(st.*f.field);
  j.end_object();
}

// A label value as the exposition format escapes it: backslash, quote
// and newline; other control bytes do not belong in a name and go.
std::string prom_label(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) {
      out += c;
    }
  }
  return out;
}

// Prometheus text exposition format 0.0.4: counters end in _total; the
// node is a label so several instances can be scraped into one view.
void metric(std::string* out, const std::string& name, const char* type, const char* help) {
  *out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void stats_prometheus(const Node& node, const EngineStatus& st, uint64_t now, std::string* out) {
  std::string label = "{node=\"" + full_id(node.id()) + "\",interface=\"" +
                      prom_label(st.interface) + "\"}";
  for (const CounterField& f : kCounters) {
    std::string name = std::string("braid_") + f.name + "_total";
    metric(out, name, "counter", f.help);
    *out += name + label + " " + count(node.counters().*f.field) + "\n";
  }
  for (const EngineCounter& f : kEngineCounters) {
    std::string name = std::string("braid_") + f.name + "_total";
    metric(out, name, "counter", f.help);
    *out += name + label + " " + count(st.*f.field) + "\n";
  }
  size_t relayed = relayed_peers(node);
  size_t total = node.peers().size();
  metric(out, "braid_uptime_seconds", "gauge", "time since the engine started");
  *out += "braid_uptime_seconds" + label + " " + count(age_s(now, st.started_ns)) + "\n";
  metric(out, "braid_peers", "gauge", "peers with a session");
  *out += "braid_peers" + label + " " + count(total) + "\n";
  metric(out, "braid_direct_peers", "gauge", "peers reached directly");
  *out += "braid_direct_peers" + label + " " + count(total - relayed) + "\n";
  metric(out, "braid_routes", "gauge", "destinations in the route table");
  *out += "braid_routes" + label + " " + count(node.routes().size()) + "\n";
  // Per peer and per link: what a dashboard graphs.
  std::string base = "node=\"" + full_id(node.id()) + "\",";
  metric(out, "braid_peer_rx_bytes_total", "counter", "bytes received from a peer");
  for (const Peer* p : node.peers())
    *out += "braid_peer_rx_bytes_total{" + base + "peer=\"" + full_id(p->id()) + "\"} " +
            count(p->stats.rx_bytes) + "\n";
  metric(out, "braid_peer_tx_bytes_total", "counter", "bytes sent to a peer");
  for (const Peer* p : node.peers())
    *out += "braid_peer_tx_bytes_total{" + base + "peer=\"" + full_id(p->id()) + "\"} " +
            count(p->stats.tx_bytes) + "\n";
  metric(out, "braid_link_up", "gauge", "1 when some path over the link answers");
  for (const Link& l : node.links())
    *out += "braid_link_up{" + base + "link=\"" + prom_label(l.name()) + "\"} " + (l.up ? "1" : "0") + "\n";
  metric(out, "braid_link_tx_bytes_total", "counter", "bytes sent over a link");
  for (const Link& l : node.links())
    *out += "braid_link_tx_bytes_total{" + base + "link=\"" + prom_label(l.name()) + "\"} " +
            count(l.stats.tx_bytes) + "\n";
  metric(out, "braid_link_rx_bytes_total", "counter", "bytes received over a link");
  for (const Link& l : node.links())
    *out += "braid_link_rx_bytes_total{" + base + "link=\"" + prom_label(l.name()) + "\"} " +
            count(l.stats.rx_bytes) + "\n";
}

}  // namespace

std::string format_duration(uint64_t s) {
  char buf[48];
  if (s >= 86400)
    snprintf(buf, sizeof buf, "%" PRIu64 "d %02" PRIu64 "h %02" PRIu64 "m", s / 86400,
             s / 3600 % 24, s / 60 % 60);
  else if (s >= 3600)
    snprintf(buf, sizeof buf, "%" PRIu64 "h %02" PRIu64 "m %02" PRIu64 "s", s / 3600,
             s / 60 % 60, s % 60);
  else if (s >= 60)
    snprintf(buf, sizeof buf, "%" PRIu64 "m %02" PRIu64 "s", s / 60, s % 60);
  else
    snprintf(buf, sizeof buf, "%" PRIu64 "s", s);
  return buf;
}

std::string format_bytes(uint64_t b) {
  static const char* const kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  if (b < 1024) return std::to_string(b) + " B";
  // Tenths, in integers: exact and locale-free.
  uint64_t scaled = b * 10 / 1024;
  size_t unit = 0;
  while (scaled >= 10240 && unit + 1 < std::size(kUnits)) {
    scaled /= 1024;
    ++unit;
  }
  return std::to_string(scaled / 10) + "." + std::to_string(scaled % 10) + " " + kUnits[unit];
}

bool render(ControlCommand cmd, ControlFormat fmt, const Node& node, const EngineStatus& st,
            uint64_t now, std::string* out, std::string* error) {
  if (fmt == ControlFormat::kPrometheus) {
    if (cmd != ControlCommand::kStats) {
      *error = "the prometheus format is for stats only";
      return false;
    }
    stats_prometheus(node, st, now, out);
    return true;
  }
  if (fmt == ControlFormat::kText) {
    switch (cmd) {
      case ControlCommand::kStatus: status_text(node, st, now, out); return true;
      case ControlCommand::kPeers: peers_text(node, now, out); return true;
      case ControlCommand::kLinks: links_text(node, out); return true;
      case ControlCommand::kPaths: paths_text(node, now, out); return true;
      case ControlCommand::kRoutes: routes_text(node, now, out); return true;
      case ControlCommand::kTable: table_text(node, st, now, out); return true;
      case ControlCommand::kStats: stats_text(node, st, out); return true;
      case ControlCommand::kReload: break;
    }
    *error = "nothing to show for reload";
    return false;
  }
  JsonWriter j(out);
  switch (cmd) {
    case ControlCommand::kStatus: status_json(node, st, now, j); break;
    case ControlCommand::kPeers: peers_json(node, now, j); break;
    case ControlCommand::kLinks: links_json(node, j); break;
    case ControlCommand::kPaths: paths_json(node, now, j); break;
    case ControlCommand::kRoutes: routes_json(node, now, j); break;
    case ControlCommand::kTable: table_json(node, st, now, j); break;
    case ControlCommand::kStats: stats_json(node, st, j); break;
    case ControlCommand::kReload:
      *error = "nothing to show for reload";
      return false;
  }
  *out += '\n';
  return true;
}

std::string render_stats_file(ControlFormat fmt, const Node& node, const EngineStatus& st,
                              uint64_t now) {
  std::string out;
  if (fmt == ControlFormat::kPrometheus) {
    stats_prometheus(node, st, now, &out);
  } else if (fmt == ControlFormat::kJson) {
    JsonWriter j(&out);
    j.begin_object();
    j.key("status");
    status_json(node, st, now, j);
    j.key("peers");
    peers_json(node, now, j);
    j.key("routes");
    routes_json(node, now, j);
    j.key("links");
    links_json(node, j);
    j.key("counters");
    stats_json(node, st, j);
    j.end_object();
    out += '\n';
  } else {
    status_text(node, st, now, &out);
    out += "\n";
    peers_text(node, now, &out);
    out += "\n";
    routes_text(node, now, &out);
    out += "\n";
    links_text(node, &out);
    out += "\n";
    stats_text(node, st, &out);
  }
  return out;
}

}  // namespace braid::engine
