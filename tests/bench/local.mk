# The benchmark is run by hand, as root: `make bench` or
# tests/bench/bench.sh (see doc/performance.md). Not part of `make check`.
EXTRA_DIST += tests/bench/bench.sh doc/performance.md tests/bench/multilink_bench.sh

bench: src/frontend/braid
	BRAID='$(abs_top_builddir)/src/frontend/braid' bash $(srcdir)/tests/bench/bench.sh

# What one core does per second on each path of a handshake initiation
# (complete certificate handshakes, bad-mac1 drops, cookie replies); run by
# hand: `make bench-handshake` (see doc/performance.md).
noinst_PROGRAMS += tests/bench/handshake_bench
tests_bench_handshake_bench_SOURCES = tests/bench/handshake_bench.cc
tests_bench_handshake_bench_LDADD = $(BRAID_LIBS) $(BRAID_EXTERNAL_LIBS)

bench-handshake: tests/bench/handshake_bench
	tests/bench/handshake_bench

# Management traffic of an idle mesh of 10, 100 and 1000 simulated nodes
# (keepalives, handshakes, control messages per node); run by hand:
# `make bench-mesh` (see doc/performance.md). 1000 nodes take many CPU
# minutes and several GiB of memory.
noinst_PROGRAMS += tests/bench/mesh_bench
tests_bench_mesh_bench_SOURCES = tests/bench/mesh_bench.cc
tests_bench_mesh_bench_LDADD = $(BRAID_LIBS) $(BRAID_EXTERNAL_LIBS)

bench-mesh: tests/bench/mesh_bench
	tests/bench/mesh_bench

# Routing at scale: 200 simulated nodes with max_peers 8 converge, a
# random 30% are knocked out, and every pair of survivors the remaining
# tunnels connect must deliver again; next hops are checked for loops
# every simulated second. Run by hand: `make bench-routing` (see
# doc/performance.md, "Routing at scale"); exits non-zero on a loop or a
# pair that never delivers.
bench-routing: tests/bench/mesh_bench
	tests/bench/mesh_bench 200 --max-peers 8 --kill 30

# Multi-link: aggregation, wrong weights and bandwidths, failover stalls,
# ping under load and a lossy second link, over two tbf-shaped links; run
# by hand as root: `make bench-multilink` (see doc/performance.md).
bench-multilink: src/frontend/braid tests/netns/braid-impair
	BRAID='$(abs_top_builddir)/src/frontend/braid' \
	BRAID_IMPAIR='$(abs_top_builddir)/tests/netns/braid-impair' \
	bash $(srcdir)/tests/bench/multilink_bench.sh

# Relaying: throughput and round trips through one relay against the
# direct way and the bare underlay, and the stall when the direct way is
# cut under traffic; run by hand as root: `make bench-relay` (see
# doc/performance.md).
EXTRA_DIST += tests/bench/relay_bench.sh
bench-relay: src/frontend/braid tests/netns/braid-capture
	BRAID='$(abs_top_builddir)/src/frontend/braid' \
	BRAID_CAPTURE='$(abs_top_builddir)/tests/netns/braid-capture' \
	bash $(srcdir)/tests/bench/relay_bench.sh
