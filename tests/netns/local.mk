# End-to-end tests: real braid daemons in network namespaces joined by a
# bridge. They need root, ip netns, /dev/net/tun and iperf3, and exit 77
# (skipped) without them or with BRAID_SKIP_NETNS=1; check_config.sh needs
# none of that. `make check-netns` runs only these; `make demo` shows a
# three-node mesh to a newcomer.
NETNS_TESTS = tests/netns/check_config.sh tests/netns/tun_mesh.sh \
	tests/netns/control.sh tests/netns/reload.sh \
	tests/netns/tap_mesh.sh tests/netns/ipv6_underlay.sh \
	tests/netns/wrong_key.sh tests/netns/late_peer.sh \
	tests/netns/privsep.sh tests/netns/engine_death.sh \
	tests/netns/shutdown.sh tests/netns/peer_restart.sh \
	tests/netns/parent_death.sh tests/netns/daemon.sh \
	tests/netns/cert_mesh.sh tests/netns/flood.sh
NETNS_TESTS += tests/netns/mesh_router.sh
NETNS_TESTS += tests/netns/mesh_switch.sh
NETNS_TESTS += tests/netns/nat_traversal.sh
NETNS_TESTS += tests/netns/lan_discovery.sh
NETNS_TESTS += tests/netns/reload_live.sh
NETNS_TESTS += tests/netns/reload_key.sh
# Slow (minutes): skipped unless BRAID_SLOW_TESTS=1.
NETNS_TESTS += tests/netns/idle_pair.sh
TESTS += $(NETNS_TESTS)
EXTRA_DIST += $(NETNS_TESTS) tests/netns/lib.sh tests/netns/demo.sh

TEST_EXTENSIONS = .sh
SH_LOG_COMPILER = bash
AM_TESTS_ENVIRONMENT = BRAID='$(abs_top_builddir)/src/frontend/braid'; \
	export BRAID; \
	BRAIDCTL='$(abs_top_builddir)/src/frontend/braidctl'; \
	export BRAIDCTL; \
	BRAID_FLOOD='$(abs_top_builddir)/tests/netns/braid-flood'; \
	export BRAID_FLOOD;

# The handshake flood tool the DoS tests run (root only; see flood.cc).
check_PROGRAMS += tests/netns/braid-flood
tests_netns_braid_flood_SOURCES = tests/netns/flood.cc
tests_netns_braid_flood_LDADD = $(BRAID_LIBS) $(BRAID_EXTERNAL_LIBS)

check-netns: src/frontend/braid src/frontend/braidctl tests/netns/braid-flood
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(NETNS_TESTS)'

demo: src/frontend/braid
	BRAID='$(abs_top_builddir)/src/frontend/braid' bash $(srcdir)/tests/netns/demo.sh

# The LAN beacon probe: beacons over real links without a daemon (see
# beacon_probe.cc).
check_PROGRAMS += tests/netns/braid-beacon-probe
tests_netns_braid_beacon_probe_SOURCES = tests/netns/beacon_probe.cc
tests_netns_braid_beacon_probe_LDADD = $(BRAID_LIBS) $(BRAID_EXTERNAL_LIBS)
NETNS_TESTS += tests/netns/lan_beacon_probe.sh
AM_TESTS_ENVIRONMENT += BRAID_BEACON_PROBE='$(abs_top_builddir)/tests/netns/braid-beacon-probe'; \
	export BRAID_BEACON_PROBE;
NETNS_TESTS += tests/netns/port_forward.sh

# The impairment relay of the multi-link tests: delay, jitter, loss and
# reordering on a UDP path, as this kernel has no netem (see impair.cc).
check_PROGRAMS += tests/netns/braid-impair
tests_netns_braid_impair_SOURCES = tests/netns/impair.cc
AM_TESTS_ENVIRONMENT += BRAID_IMPAIR='$(abs_top_builddir)/tests/netns/braid-impair'; \
	export BRAID_IMPAIR;
NETNS_TESTS += tests/netns/impair.sh
# Multi-link (two tbf-shaped links between two nodes; see lib.sh).
NETNS_TESTS += tests/netns/multilink_aggregate.sh \
	tests/netns/multilink_failover.sh \
	tests/netns/multilink_priority.sh \
	tests/netns/multilink_impair.sh \
	tests/netns/multilink_readdress.sh
# Relaying and routing: a line A-B-C with A-C blocked, a triangle whose
# direct side is cut mid-stream, two nodes behind symmetric NATs.
# braid-capture counts a device's frames holding a byte pattern (see
# capture.cc): the relay never sees the plaintext.
check_PROGRAMS += tests/netns/braid-capture
tests_netns_braid_capture_SOURCES = tests/netns/capture.cc
AM_TESTS_ENVIRONMENT += BRAID_CAPTURE='$(abs_top_builddir)/tests/netns/braid-capture'; \
	export BRAID_CAPTURE;
NETNS_TESTS += tests/netns/relay_line.sh tests/netns/relay_triangle.sh \
	tests/netns/relay_nat.sh
