// tun/tap creation with TUNSETIFF, MTU with SIOCSIFMTU.
#include "priv/device.h"

#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/wire.h"

namespace braid::priv {

UniqueFd open_device(const std::string& path, bool tap, const std::string& name,
                     std::string* ifname, std::string* error, bool offload) {
  if (name.empty() || name.size() >= IFNAMSIZ) {
    *error = "device name '" + name + "' must be 1 to " + std::to_string(IFNAMSIZ - 1) +
             " characters";
    return UniqueFd();
  }
  UniqueFd fd(open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (!fd) {
    *error = "cannot open " + path + ": " + strerror(errno);
    return UniqueFd();
  }
  ifreq ifr{};
  // Offloads only for tun: segmentation works on IP packets, and a tap
  // carries Ethernet frames of any protocol.
  offload = offload && !tap;
  ifr.ifr_flags = static_cast<short>((tap ? IFF_TAP : IFF_TUN) | IFF_NO_PI |
                                     (offload ? IFF_VNET_HDR : 0));
  memcpy(ifr.ifr_name, name.data(), name.size());
  if (ioctl(fd.get(), TUNSETIFF, &ifr) != 0) {
    *error = std::string("cannot create ") + (tap ? "tap" : "tun") + " device '" + name +
             "': " + strerror(errno);
    return UniqueFd();
  }
  ifr.ifr_name[IFNAMSIZ - 1] = '\0';
  *ifname = ifr.ifr_name;
  if (offload) {
    // The header is struct virtio_net_hdr (10 bytes, the engine's
    // kVnetHdrLen); checksums may be left to us and TCP sent unsegmented.
    int hdr = 10;
    unsigned flags = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
    if (ioctl(fd.get(), TUNSETVNETHDRSZ, &hdr) != 0 ||
        ioctl(fd.get(), TUNSETOFFLOAD, flags) != 0) {
      // Still a working device, but every read and write then carries a
      // header the engine must expect; start again without.
      fd.reset();
      return open_device(path, tap, *ifname, ifname, error, false);
    }
  }
  return fd;
}

bool set_device_mtu(const std::string& ifname, uint32_t mtu, std::string* error) {
  UniqueFd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ifreq ifr{};
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname.c_str());
  ifr.ifr_mtu = static_cast<int>(mtu);
  if (!sock || ioctl(sock.get(), SIOCSIFMTU, &ifr) != 0) {
    *error = "cannot set MTU " + std::to_string(mtu) + " on " + ifname + ": " + strerror(errno);
    return false;
  }
  return true;
}

uint32_t underlay_mtu(const std::string& except) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return 1500;
  UniqueFd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  uint32_t best = 0;
  for (ifaddrs* a = list; a; a = a->ifa_next) {
    if (!(a->ifa_flags & IFF_UP) || (a->ifa_flags & IFF_LOOPBACK) || except == a->ifa_name)
      continue;
    ifreq ifr{};
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", a->ifa_name);
    if (!sock || ioctl(sock.get(), SIOCGIFMTU, &ifr) != 0) continue;
    uint32_t mtu = static_cast<uint32_t>(ifr.ifr_mtu);
    // Tunnels of other software can be tiny; 1280 is the IPv6 minimum an
    // underlay must carry.
    if (mtu >= 1280 && (best == 0 || mtu < best)) best = mtu;
  }
  freeifaddrs(list);
  return best ? best : 1500;
}

uint32_t tunnel_overhead(bool tap) {
  return static_cast<uint32_t>(engine::kUnderlayHeaderLen + engine::kTransportOverhead +
                               (tap ? engine::kEthernetHeaderLen : 0));
}

}  // namespace braid::priv
