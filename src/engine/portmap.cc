// Port forwarding through the home gateway: the default-route lookup over
// rtnetlink, the NAT-PMP and UPnP IGD clients (libnatpmp, libminiupnpc),
// and the worker thread that maps, renews and removes the mapping.
#include "engine/portmap.h"

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <mutex>
#include <utility>

#define ENABLE_STRNATPMPERR
#include <natpmp.h>
#include <miniupnpc/miniupnpc.h>
#include <miniupnpc/upnpcommands.h>
#include <miniupnpc/upnperrors.h>

#include "common/fd.h"
#include "common/log.h"

namespace braid::engine {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// NAT-PMP answers within milliseconds on a LAN; libnatpmp resends after
// 250 ms, 500 ms, 1 s: three tries fit, then UPnP gets its turn.
constexpr milliseconds kNatPmpBudget{1800};
// Removal runs inside the engine's exit grace period.
constexpr milliseconds kNatPmpDeleteBudget{1000};
// SSDP discovery: replies are collected this long (libminiupnpc's delay).
constexpr int kUpnpDiscoverMs = 2000;
// Long enough for any default route dump of a host.
constexpr size_t kNetlinkBuffer = 32768;
constexpr const char* kUpnpDescription = "braid";
// UPnP error: the IGD only supports permanent leases (lease 0).
constexpr int kUpnpOnlyPermanentLeases = 725;

std::string ipv4_text(in_addr a) {
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, buf, sizeof buf);
  return buf;
}

// --- default route over rtnetlink ----------------------------------------

struct RouteCandidate {
  in_addr gateway{};
  uint32_t metric = 0;
};

// One RTM_NEWROUTE: a default IPv4 unicast route of the main table with a
// gateway, or nothing.
std::optional<RouteCandidate> parse_default_route(const nlmsghdr* nh) {
  if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(rtmsg))) return std::nullopt;
  const auto* rt = static_cast<const rtmsg*>(NLMSG_DATA(nh));
  if (rt->rtm_family != AF_INET || rt->rtm_dst_len != 0 || rt->rtm_type != RTN_UNICAST)
    return std::nullopt;
  uint32_t table = rt->rtm_table;
  RouteCandidate c;
  bool has_gateway = false;
  int len = static_cast<int>(RTM_PAYLOAD(nh));
  for (const rtattr* a = RTM_RTA(rt); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    size_t n = RTA_PAYLOAD(a);
    switch (a->rta_type) {
      case RTA_TABLE:
        if (n >= 4) memcpy(&table, RTA_DATA(a), 4);
        break;
      case RTA_PRIORITY:
        if (n >= 4) memcpy(&c.metric, RTA_DATA(a), 4);
        break;
      case RTA_GATEWAY:
        if (n >= 4) {
          memcpy(&c.gateway, RTA_DATA(a), 4);
          has_gateway = true;
        }
        break;
      case RTA_MULTIPATH: {
        // An ECMP default route: its first next hop with a gateway.
        if (has_gateway || n < sizeof(rtnexthop)) break;
        const auto* nhop = static_cast<const rtnexthop*>(RTA_DATA(a));
        if (nhop->rtnh_len < sizeof(rtnexthop) || nhop->rtnh_len > n) break;
        int alen = nhop->rtnh_len - static_cast<int>(sizeof(rtnexthop));
        for (const rtattr* na = RTNH_DATA(nhop); RTA_OK(na, alen); na = RTA_NEXT(na, alen)) {
          if (na->rta_type == RTA_GATEWAY && RTA_PAYLOAD(na) >= 4) {
            memcpy(&c.gateway, RTA_DATA(na), 4);
            has_gateway = true;
            break;
          }
        }
        break;
      }
      default:
        break;
    }
  }
  if (table != RT_TABLE_MAIN || !has_gateway) return std::nullopt;
  return c;
}

}  // namespace

std::optional<in_addr> default_gateway() {
  UniqueFd fd(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!fd) return std::nullopt;
  // The kernel answers at once; the bound only guards against a surprise.
  timeval tv{1, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  struct {
    nlmsghdr nh;
    rtmsg rt;
  } req{};
  constexpr uint32_t kSeq = 1;
  req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(rtmsg));
  req.nh.nlmsg_type = RTM_GETROUTE;
  req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.nh.nlmsg_seq = kSeq;
  req.rt.rtm_family = AF_INET;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd.get(), &req, req.nh.nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel),
             sizeof kernel) < 0)
    return std::nullopt;

  auto buf = std::make_unique<nlmsghdr[]>(kNetlinkBuffer / sizeof(nlmsghdr));
  std::optional<RouteCandidate> best;
  for (;;) {
    sockaddr_nl from{};
    socklen_t fromlen = sizeof from;
    ssize_t n = recvfrom(fd.get(), buf.get(), kNetlinkBuffer, 0,
                         reinterpret_cast<sockaddr*>(&from), &fromlen);
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::nullopt;
    }
    if (from.nl_pid != 0) continue;  // only the kernel speaks here
    // NLMSG_OK and NLMSG_NEXT by hand: the macros mix signed and unsigned.
    const auto* bytes = reinterpret_cast<const uint8_t*>(buf.get());
    size_t got = static_cast<size_t>(n);
    for (size_t off = 0; off + sizeof(nlmsghdr) <= got;) {
      const auto* nh = reinterpret_cast<const nlmsghdr*>(bytes + off);
      if (nh->nlmsg_len < sizeof(nlmsghdr) || nh->nlmsg_len > got - off) break;
      off += NLMSG_ALIGN(nh->nlmsg_len);
      if (nh->nlmsg_seq != kSeq) continue;
      if (nh->nlmsg_type == NLMSG_DONE) {
        if (!best) return std::nullopt;
        return best->gateway;
      }
      if (nh->nlmsg_type == NLMSG_ERROR) return std::nullopt;
      if (nh->nlmsg_type != RTM_NEWROUTE) continue;
      auto c = parse_default_route(nh);
      if (c && (!best || c->metric < best->metric)) best = c;
    }
    if (n == 0) return std::nullopt;
  }
}

namespace {

// --- NAT-PMP ---------------------------------------------------------------

// One NAT-PMP exchange with a gateway; the socket closes with the object.
class NatPmpClient {
 public:
  explicit NatPmpClient(in_addr gateway) {
    // forcegw: libnatpmp would otherwise read /proc/net/route.
    ok_ = initnatpmp(&n_, 1, gateway.s_addr) == 0;
  }
  ~NatPmpClient() {
    if (ok_) closenatpmp(&n_);
  }
  NatPmpClient(const NatPmpClient&) = delete;
  NatPmpClient& operator=(const NatPmpClient&) = delete;

  bool ok() const { return ok_; }

  // Sends the request `send` makes, then waits for the answer, resending on
  // libnatpmp's schedule. 0 on an answer in *resp, else a NATPMP_ERR_*
  // code or NATPMP_TRYAGAIN when the budget ran out or `stopping` is set.
  template <typename Send>
  int exchange(Send send, milliseconds budget, const std::atomic<bool>* stopping,
               natpmpresp_t* resp) {
    int r = send(&n_);
    if (r < 0) return r;
    auto deadline = steady_clock::now() + budget;
    for (;;) {
      r = readnatpmpresponseorretry(&n_, resp);
      if (r != NATPMP_TRYAGAIN) return r;
      if (stopping != nullptr && stopping->load()) return NATPMP_TRYAGAIN;
      auto left = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
      if (left.count() <= 0) return NATPMP_TRYAGAIN;
      timeval tv{};
      getnatpmprequesttimeout(&n_, &tv);
      long ms = tv.tv_sec * 1000 + tv.tv_usec / 1000 + 1;
      // Short slices so a stop request is seen promptly.
      ms = std::clamp<long>(ms, 1, std::min<long>(100, left.count()));
      pollfd p{n_.s, POLLIN, 0};
      poll(&p, 1, static_cast<int>(ms));
    }
  }

 private:
  natpmp_t n_{};
  bool ok_ = false;
};

// r: what NatPmpClient::exchange returned; >= 0 is an answer of the
// wrong type.
std::string natpmp_error(int r) {
  if (r >= 0) return "unexpected answer";
  if (r == NATPMP_TRYAGAIN) return "no answer";
  const char* s = strnatpmperr(r);
  return s != nullptr ? s : "error " + std::to_string(r);
}

bool natpmp_map(in_addr gateway, uint16_t port, uint32_t lease_s,
                const std::atomic<bool>& stopping, PortMapping* out, std::string* why) {
  NatPmpClient c(gateway);
  if (!c.ok()) {
    *why = "NAT-PMP: cannot open a socket towards " + ipv4_text(gateway);
    return false;
  }
  natpmpresp_t resp{};
  int r = c.exchange([](natpmp_t* n) { return sendpublicaddressrequest(n); }, kNatPmpBudget,
                     &stopping, &resp);
  if (r < 0 || resp.type != NATPMP_RESPTYPE_PUBLICADDRESS) {
    *why = "NAT-PMP: gateway " + ipv4_text(gateway) + ": " + natpmp_error(r);
    return false;
  }
  std::string external = ipv4_text(resp.pnu.publicaddress.addr);
  r = c.exchange(
      [&](natpmp_t* n) {
        return sendnewportmappingrequest(n, NATPMP_PROTOCOL_UDP, port, port, lease_s);
      },
      kNatPmpBudget, &stopping, &resp);
  if (r < 0 || resp.type != NATPMP_RESPTYPE_UDPPORTMAPPING ||
      resp.pnu.newportmapping.privateport != port) {
    *why = "NAT-PMP: gateway " + ipv4_text(gateway) + " refused UDP " + std::to_string(port) +
           ": " + natpmp_error(r);
    return false;
  }
  out->method = PortMapping::Method::kNatPmp;
  out->gateway = ipv4_text(gateway);
  out->external = external;
  out->external_port = resp.pnu.newportmapping.mappedpublicport;
  out->lifetime_s = resp.pnu.newportmapping.lifetime;
  return true;
}

void natpmp_unmap(in_addr gateway, uint16_t port) {
  NatPmpClient c(gateway);
  if (!c.ok()) return;
  natpmpresp_t resp{};
  // Lifetime 0 with external port 0 deletes the mapping (RFC 6886 3.4).
  int r = c.exchange(
      [&](natpmp_t* n) { return sendnewportmappingrequest(n, NATPMP_PROTOCOL_UDP, port, 0, 0); },
      kNatPmpDeleteBudget, nullptr, &resp);
  if (r < 0)
    log_warnx("port forwarding: removing UDP %u at gateway %s (NAT-PMP): %s", port,
              ipv4_text(gateway).c_str(), natpmp_error(r).c_str());
}

// --- UPnP IGD --------------------------------------------------------------

// The host part of an http://HOST:PORT/... URL, for logs.
std::string url_host(const char* url) {
  if (url == nullptr) return "?";
  std::string s(url);
  size_t b = s.find("://");
  b = b == std::string::npos ? 0 : b + 3;
  size_t e = s.find_first_of(":/", b);
  return s.substr(b, e == std::string::npos ? std::string::npos : e - b);
}

std::string upnp_error(int r) {
  const char* s = strupnperror(r);
  return std::to_string(r) + (s != nullptr ? std::string(" ") + s : std::string());
}

// The IGD found by discovery, kept for renewals and the removal.
class UpnpClient {
 public:
  UpnpClient() = default;
  ~UpnpClient() { forget(); }
  UpnpClient(const UpnpClient&) = delete;
  UpnpClient& operator=(const UpnpClient&) = delete;

  bool discover(std::string* why) {
    forget();
    // Every search type goes out at once and replies are collected for one
    // delay (searchalltypes): searching them in turn would wait a delay
    // per type when no IGD answers. No minissdpd: its socket is outside
    // the chroot.
    static const char* const kTypes[] = {
        "urn:schemas-upnp-org:device:InternetGatewayDevice:1",
        "urn:schemas-upnp-org:service:WANIPConnection:1",
        "urn:schemas-upnp-org:service:WANPPPConnection:1",
        nullptr,
    };
    int err = 0;
    UPNPDev* devs = upnpDiscoverDevices(kTypes, kUpnpDiscoverMs, nullptr, nullptr,
                                        UPNP_LOCAL_PORT_ANY, 0, 2, &err, 1);
    if (devs == nullptr) {
      *why = "UPnP: no IGD answered";
      return false;
    }
#if MINIUPNPC_API_VERSION >= 18
    char wan[64] = "";
    int r = UPNP_GetValidIGD(devs, &urls_, &data_, lan_, sizeof lan_, wan, sizeof wan);
#else
    int r = UPNP_GetValidIGD(devs, &urls_, &data_, lan_, sizeof lan_);
#endif
    freeUPNPDevlist(devs);
    if (r == 0) {
      *why = "UPnP: no IGD answered";
      return false;
    }
    have_urls_ = true;
    if (r != 1) {
      *why = "UPnP: the IGD at " + url_host(urls_.controlURL) + " is not connected";
      forget();
      return false;
    }
    return true;
  }

  bool add(uint16_t port, uint32_t lease_s, PortMapping* out, std::string* why) {
    std::string p = std::to_string(port);
    std::string lease = std::to_string(lease_s);
    int r = UPNP_AddPortMapping(urls_.controlURL, data_.first.servicetype, p.c_str(), p.c_str(),
                                lan_, kUpnpDescription, "UDP", nullptr, lease.c_str());
    if (r == kUpnpOnlyPermanentLeases) {
      lease_s = 0;
      r = UPNP_AddPortMapping(urls_.controlURL, data_.first.servicetype, p.c_str(), p.c_str(),
                              lan_, kUpnpDescription, "UDP", nullptr, "0");
    }
    if (r != 0) {
      *why = "UPnP: gateway " + url_host(urls_.controlURL) + " refused UDP " + p + ": " +
             upnp_error(r);
      return false;
    }
    char ext[40] = "";
    if (UPNP_GetExternalIPAddress(urls_.controlURL, data_.first.servicetype, ext) != 0)
      ext[0] = '\0';
    out->method = PortMapping::Method::kUpnp;
    out->gateway = url_host(urls_.controlURL);
    out->external = ext;
    out->external_port = port;
    out->lifetime_s = lease_s;
    return true;
  }

  void remove(uint16_t port) {
    if (!have_urls_) return;
    std::string p = std::to_string(port);
    int r = UPNP_DeletePortMapping(urls_.controlURL, data_.first.servicetype, p.c_str(), "UDP",
                                   nullptr);
    if (r != 0)
      log_warnx("port forwarding: removing UDP %u at gateway %s (UPnP): %s", port,
                url_host(urls_.controlURL).c_str(), upnp_error(r).c_str());
  }

  bool ready() const { return have_urls_; }

 private:
  void forget() {
    if (have_urls_) FreeUPNPUrls(&urls_);
    have_urls_ = false;
    urls_ = {};
    data_ = {};
    lan_[0] = '\0';
  }

  UPNPUrls urls_{};
  IGDdatas data_{};
  char lan_[64] = "";  // our address on the interface towards the IGD
  bool have_urls_ = false;
};

// --- the real backend --------------------------------------------------------

class GatewayBackend final : public PortMapBackend {
 public:
  bool map(uint16_t port, uint32_t lease_s, const std::atomic<bool>& stopping,
           PortMapping* out, std::string* why) override {
    // Without an IPv4 default route there is no gateway to ask, and SSDP's
    // multicast would have no way out either.
    std::optional<in_addr> gw = default_gateway();
    if (!gw) {
      *why = "no IPv4 default route";
      return false;
    }
    std::string natpmp_why;
    if (natpmp_map(*gw, port, lease_s, stopping, out, &natpmp_why)) {
      natpmp_gateway_ = *gw;
      return true;
    }
    if (stopping) {
      *why = natpmp_why;
      return false;
    }
    std::string upnp_why;
    if (upnp_.discover(&upnp_why) && upnp_.add(port, lease_s, out, &upnp_why)) return true;
    *why = natpmp_why + "; " + upnp_why;
    return false;
  }

  bool renew(uint16_t port, uint32_t lease_s, const std::atomic<bool>& stopping, PortMapping* m,
             std::string* why) override {
    if (m->method == PortMapping::Method::kNatPmp)
      return natpmp_map(natpmp_gateway_, port, lease_s, stopping, m, why);
    return upnp_.ready() && upnp_.add(port, lease_s, m, why);
  }

  void unmap(uint16_t port, const PortMapping& m) override {
    if (m.method == PortMapping::Method::kNatPmp)
      natpmp_unmap(natpmp_gateway_, port);
    else
      upnp_.remove(port);
  }

 private:
  in_addr natpmp_gateway_{};
  UpnpClient upnp_;
};

const char* method_name(PortMapping::Method m) {
  return m == PortMapping::Method::kNatPmp ? "NAT-PMP" : "UPnP";
}

}  // namespace

std::unique_ptr<PortMapBackend> make_gateway_backend() {
  return std::make_unique<GatewayBackend>();
}

// --- the worker --------------------------------------------------------------

struct PortMapper::State {
  uint16_t port = 0;
  Schedule schedule;
  std::unique_ptr<PortMapBackend> backend;
  std::atomic<bool> stopping{false};
  mutable std::mutex mu;
  std::condition_variable cv;  // stop requests one way, `done` the other
  bool done = false;           // under mu
  Status status;               // under mu

  // Sleeps until `d` has passed or a stop is requested.
  void wait(milliseconds d) {
    std::unique_lock lk(mu);
    cv.wait_for(lk, d, [this] { return stopping.load(); });
  }

  void publish(const std::optional<PortMapping>& m) {
    Status s;
    if (m) {
      s.method = m->method == PortMapping::Method::kNatPmp ? "natpmp" : "upnp";
      s.external = m->external;
      s.external_port = m->external_port;
    }
    std::lock_guard lk(mu);
    status = std::move(s);
  }

  void log_mapped(const PortMapping& m) const {
    std::string what = "UDP " + std::to_string(m.external_port);
    if (m.external_port != port) what += " to " + std::to_string(port);
    std::string ext = m.external.empty() ? "" : ", external address " + m.external;
    log_info("port forwarding: gateway %s forwards %s (%s)%s", m.gateway.c_str(), what.c_str(),
             method_name(m.method), ext.c_str());
  }

  milliseconds renew_after(const PortMapping& m) const {
    milliseconds d = schedule.renew;
    if (m.lifetime_s != 0) d = std::min(d, milliseconds(uint64_t{m.lifetime_s} * 1000 / 2));
    return std::max(d, milliseconds(1));
  }

  void run() {
    std::optional<PortMapping> mapped;
    std::string logged;  // the outcome last logged, so each is logged once
    while (!stopping) {
      PortMapping m;
      std::string why;
      bool ok;
      if (mapped) {
        m = *mapped;
        ok = backend->renew(port, schedule.lease_s, stopping, &m, &why);
        if (!ok && !stopping) {
          log_info("port forwarding: renewal at gateway %s failed (%s); searching again",
                   mapped->gateway.c_str(), why.c_str());
          mapped.reset();
          logged.clear();
          ok = backend->map(port, schedule.lease_s, stopping, &m, &why);
        }
      } else {
        ok = backend->map(port, schedule.lease_s, stopping, &m, &why);
      }
      if (ok) {
        mapped = m;
        publish(mapped);
        std::string key = m.gateway + " " + m.external + " " + std::to_string(m.external_port) +
                          " " + method_name(m.method);
        if (key != logged) log_mapped(m);
        else log_debug("port forwarding: renewed at gateway %s", m.gateway.c_str());
        logged = key;
        if (!stopping) wait(renew_after(m));
        continue;
      }
      if (stopping) break;
      mapped.reset();
      publish(mapped);
      long minutes = static_cast<long>(
          std::chrono::duration_cast<std::chrono::minutes>(schedule.retry).count());
      if (logged != "none")
        log_info("port forwarding: no UPnP or NAT-PMP gateway found (%s); not retried for %ld "
                 "minutes", why.c_str(), minutes);
      else
        log_debug("port forwarding: still no gateway (%s)", why.c_str());
      logged = "none";
      wait(schedule.retry);
    }
    if (mapped) {
      backend->unmap(port, *mapped);
      log_info("port forwarding: UDP %u no longer forwarded by gateway %s", mapped->external_port,
               mapped->gateway.c_str());
      publish(std::nullopt);
    }
  }
};

namespace {

// The thread's body: nothing may escape a thread.
void work(const std::shared_ptr<PortMapper::State>& s) {
  try {
    s->run();
  } catch (const std::exception& e) {
    log_warnx("port forwarding stopped: %s", e.what());
  } catch (...) {
    log_warnx("port forwarding stopped");
  }
  {
    std::lock_guard lk(s->mu);
    s->done = true;
  }
  s->cv.notify_all();
}

}  // namespace

PortMapper::PortMapper(uint16_t port)
    : PortMapper(port, make_gateway_backend(), Schedule{}) {}

PortMapper::PortMapper(uint16_t port, std::unique_ptr<PortMapBackend> backend, Schedule schedule)
    : state_(std::make_shared<State>()) {
  state_->port = port;
  state_->schedule = schedule;
  state_->backend = std::move(backend);
  try {
    thread_ = std::thread(work, state_);
  } catch (const std::exception& e) {
    // The node works without it; only the gateway will not forward.
    log_warnx("port forwarding: cannot start its thread: %s", e.what());
    state_->done = true;
  }
}

PortMapper::~PortMapper() {
  {
    std::lock_guard lk(state_->mu);
    state_->stopping = true;
  }
  state_->cv.notify_all();
  if (!thread_.joinable()) return;
  bool finished;
  {
    std::unique_lock lk(state_->mu);
    finished = state_->cv.wait_for(lk, state_->schedule.stop_budget,
                                   [this] { return state_->done; });
  }
  if (finished) {
    thread_.join();
    return;
  }
  // A gateway that stopped answering must not hold up the exit: the worker
  // keeps its own reference to the state and ends with the process.
  log_warnx("port forwarding: the gateway did not answer in time; its mapping ends with the lease");
  thread_.detach();
}

PortMapper::Status PortMapper::status() const {
  std::lock_guard lk(state_->mu);
  return state_->status;
}

}  // namespace braid::engine
