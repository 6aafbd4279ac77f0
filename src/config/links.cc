// [link NAME] sections: the header, the key table of a link section, the
// checks of the links together and their effective-config text.
#include "config/links.h"

#include <cctype>

namespace braid::config {
namespace {

using Values = std::vector<std::string>;

bool set_bind(std::string_view value, LinkSpec* link, ValueError* err) {
  if (canonical_ip(value, &link->bind)) return true;
  err->expected = "expected an IPv4 or IPv6 address (without brackets)";
  return false;
}

bool set_device(std::string_view value, LinkSpec* link, ValueError* err) {
  if (!valid_ifname(value)) {
    err->expected = "expected an interface name of at most 15 characters without '/', ':' or "
                    "spaces";
    return false;
  }
  link->device = value;
  return true;
}

bool set_port(std::string_view value, LinkSpec* link, ValueError* err) {
  uint32_t port;
  if (!parse_number(value, 1, 65535, &port, err)) return false;
  link->port = static_cast<uint16_t>(port);
  return true;
}

bool add_peer(std::string_view value, LinkSpec* link, ValueError* err) {
  PeerSpec peer;
  if (!parse_peer(value, &peer, err)) return false;
  link->peers.push_back(std::move(peer));
  return true;
}

bool set_bandwidth(std::string_view value, LinkSpec* link, ValueError* err) {
  return parse_bandwidth(value, &link->bandwidth, err);
}

bool set_weight(std::string_view value, LinkSpec* link, ValueError* err) {
  return parse_number(value, 1, kMaxLinkWeight, &link->weight, err);
}

bool set_fallback_only(std::string_view value, LinkSpec* link, ValueError* err) {
  return parse_bool(value, &link->fallback_only, err);
}

bool set_loss_tolerance(std::string_view value, LinkSpec* link, ValueError* err) {
  uint32_t percent;
  if (!parse_percent(value, 0, 100, &percent, err)) return false;
  link->loss_tolerance = static_cast<int>(percent);
  return true;
}

bool set_latency_tolerance(std::string_view value, LinkSpec* link, ValueError* err) {
  uint32_t ms;
  if (!parse_millis(value, 0, kMaxLatencyTolerance, &ms, err)) return false;
  link->latency_tolerance_ms = static_cast<int>(ms);
  return true;
}

Values get_bind(const LinkSpec& l) { return l.bind.empty() ? Values{} : Values{l.bind}; }
Values get_device(const LinkSpec& l) { return l.device.empty() ? Values{} : Values{l.device}; }
Values get_port(const LinkSpec& l) {
  return l.port == 0 ? Values{} : Values{std::to_string(l.port)};
}
Values get_peers(const LinkSpec& l) {
  Values out;
  for (const PeerSpec& peer : l.peers) out.push_back(format_peer(peer));
  return out;
}
Values get_bandwidth(const LinkSpec& l) {
  return l.bandwidth == 0 ? Values{} : Values{format_bandwidth(l.bandwidth)};
}
Values get_weight(const LinkSpec& l) { return {std::to_string(l.weight)}; }
Values get_fallback_only(const LinkSpec& l) { return {l.fallback_only ? "yes" : "no"}; }
Values get_loss_tolerance(const LinkSpec& l) {
  return l.loss_tolerance < 0 ? Values{} : Values{std::to_string(l.loss_tolerance) + "%"};
}
Values get_latency_tolerance(const LinkSpec& l) {
  return l.latency_tolerance_ms < 0 ? Values{}
                                    : Values{std::to_string(l.latency_tolerance_ms) + "ms"};
}

// In the order effective_config prints them.
const LinkKey kLinkKeys[] = {
    {"bind", KeyKind::kScalar, set_bind, get_bind},
    {"device", KeyKind::kScalar, set_device, get_device},
    {"port", KeyKind::kScalar, set_port, get_port},
    {"peers", KeyKind::kList, add_peer, get_peers},
    {"bandwidth", KeyKind::kScalar, set_bandwidth, get_bandwidth},
    {"weight", KeyKind::kScalar, set_weight, get_weight},
    {"fallback_only", KeyKind::kScalar, set_fallback_only, get_fallback_only},
    {"loss_tolerance", KeyKind::kScalar, set_loss_tolerance, get_loss_tolerance},
    {"latency_tolerance", KeyKind::kScalar, set_latency_tolerance, get_latency_tolerance},
};

std::string quoted(const LinkSpec& link) { return "link \"" + link.name + "\""; }

// What makes one link wrong by itself; "" when nothing does.
std::string check_link(const LinkSpec& link) {
  std::string canonical;
  if (!valid_link_name(link.name))
    return quoted(link) + ": a link name is 1 to " + std::to_string(kMaxLinkName) +
           " letters, digits, '_', '.' or '-'";
  if (!link.bind.empty() && !canonical_ip(link.bind, &canonical))
    return quoted(link) + ": bad value '" + link.bind + "' for bind: expected an IP address";
  if (!link.device.empty() && !valid_ifname(link.device))
    return quoted(link) + ": bad value '" + link.device + "' for device: expected an interface "
           "name";
  if (link.bind.empty() && link.device.empty())
    return quoted(link) + ": needs bind or device (the address or the interface it sends from)";
  if (link.bandwidth != 0 && (link.bandwidth < kMinBandwidth || link.bandwidth > kMaxBandwidth))
    return quoted(link) + ": bandwidth " + format_bandwidth(link.bandwidth) +
           " is out of range: expected 8kbit to 100gbit";
  if (link.weight < 1 || link.weight > kMaxLinkWeight)
    return quoted(link) + ": weight " + std::to_string(link.weight) +
           " is out of range: expected a number between 1 and " + std::to_string(kMaxLinkWeight);
  if (link.loss_tolerance < -1 || link.loss_tolerance > 100)
    return quoted(link) + ": loss_tolerance " + std::to_string(link.loss_tolerance) +
           " is out of range: expected 0 to 100 percent";
  if (link.latency_tolerance_ms < -1 ||
      link.latency_tolerance_ms > static_cast<int>(kMaxLatencyTolerance))
    return quoted(link) + ": latency_tolerance " + std::to_string(link.latency_tolerance_ms) +
           " is out of range: expected 0 to " + std::to_string(kMaxLatencyTolerance) + " ms";
  for (const PeerSpec& peer : link.peers) {
    if (!valid_host(peer.host) || peer.port == 0)
      return quoted(link) + ": bad value '" + format_peer(peer) +
             "' for peers: expected HOST:PORT with a port number between 1 and 65535";
  }
  return "";
}

// The address a link binds to, compared by value ("" for none).
std::string bind_key(const LinkSpec& link) {
  std::string canonical;
  return canonical_ip(link.bind, &canonical) ? canonical : link.bind;
}

// Whether the kernel would refuse the second of two sockets on one port:
// their addresses overlap (the same, or either on all addresses) and no
// two different devices keep them apart.
bool sockets_overlap(const LinkSpec& a, const LinkSpec& b) {
  bool same_address = a.bind.empty() || b.bind.empty() || bind_key(a) == bind_key(b);
  bool same_device = a.device.empty() || b.device.empty() || a.device == b.device;
  return same_address && same_device;
}

}  // namespace

LinkHeader parse_link_header(std::string_view section, std::string* name) {
  section = trim(section);
  if (!section.starts_with("link")) return LinkHeader::kNotALink;
  std::string_view rest = section.substr(4);
  if (!rest.empty() && !isspace(static_cast<unsigned char>(rest[0]))) return LinkHeader::kNotALink;
  rest = trim(rest);
  if (rest.size() >= 2 && rest.front() == '"' && rest.back() == '"')
    rest = rest.substr(1, rest.size() - 2);
  if (!valid_link_name(rest)) return LinkHeader::kBadName;
  *name = rest;
  return LinkHeader::kLink;
}

std::span<const LinkKey> link_keys() { return kLinkKeys; }

const LinkKey* find_link_key(std::string_view name) {
  for (const LinkKey& key : kLinkKeys)
    if (key.name == name) return &key;
  return nullptr;
}

std::string check_links(const Config& cfg, size_t* at) {
  const std::vector<LinkSpec>& links = cfg.links;
  if (links.size() > kMaxLinks) {
    *at = kMaxLinks;
    return "too many [link] sections (" + std::to_string(links.size()) + "): at most " +
           std::to_string(kMaxLinks);
  }
  for (size_t i = 0; i < links.size(); ++i) {
    *at = i;
    std::string why = check_link(links[i]);
    if (!why.empty()) return why;
    uint16_t port = links[i].port != 0 ? links[i].port : cfg.port;
    for (size_t j = 0; j < i; ++j) {
      if (links[j].name == links[i].name)
        return quoted(links[i]) + " is defined twice: link names must be unique";
      uint16_t other_port = links[j].port != 0 ? links[j].port : cfg.port;
      if (other_port == port && sockets_overlap(links[i], links[j]))
        return quoted(links[i]) + ": port " + std::to_string(port) + " is taken by " +
               quoted(links[j]) + " (two links share a port only with different bind "
               "addresses or different devices): give one of them another port";
    }
  }
  bool all_fallback = !links.empty();
  for (const LinkSpec& link : links) all_fallback = all_fallback && link.fallback_only;
  if (all_fallback) {
    *at = links.size() - 1;
    return "every link is fallback_only: at least one link must be used when all are up";
  }
  return "";
}

std::string format_links(const Config& cfg) {
  std::string out;
  for (const LinkSpec& link : cfg.links) {
    out += "\n[link \"" + link.name + "\"]\n";
    for (const LinkKey& key : kLinkKeys) {
      for (const std::string& value : key.get(link))
        out += std::string(key.name) + " = " + encode_value(value) + "\n";
    }
    // What the link inherits, for the reader; comments to the parser.
    if (link.port == 0) out += "; port = " + std::to_string(cfg.port) + " (from [network])\n";
    if (link.loss_tolerance < 0)
      out += "; loss_tolerance = " + std::to_string(cfg.loss_tolerance) + "% (from [network])\n";
    if (link.latency_tolerance_ms < 0)
      out += "; latency_tolerance = " + std::to_string(cfg.latency_tolerance_ms) +
             "ms (from [network])\n";
  }
  return out;
}

}  // namespace braid::config
