// The tun/tap device and the underlay facts the parent needs to set it up.
#pragma once

#include <cstdint>
#include <string>

#include "common/fd.h"

namespace braid::priv {

// Opens a tun (IP) or tap (Ethernet) device through `path` (normally
// /dev/net/tun). `name` may contain %d, which the kernel replaces with the
// first free number. On success *ifname holds the real name. A tun device
// is opened with a virtio-net header and TCP segmentation offloads, so the
// engine moves up to 64 KiB per system call; `offload` = false (or a
// kernel that refuses) gives one packet per read and write.
UniqueFd open_device(const std::string& path, bool tap, const std::string& name,
                     std::string* ifname, std::string* error, bool offload = true);

bool set_device_mtu(const std::string& ifname, uint32_t mtu, std::string* error);

// The smallest MTU among the host's up, non-loopback interfaces other than
// `except` (our own device), or 1500 when there is none: an estimate of
// the underlay's MTU for "mtu = auto".
uint32_t underlay_mtu(const std::string& except);

// braid's per-packet overhead on the underlay, worst case (IPv6).
uint32_t tunnel_overhead(bool tap);

}  // namespace braid::priv
