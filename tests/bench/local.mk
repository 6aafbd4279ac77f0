# The benchmark is run by hand, as root: `make bench` or
# tests/bench/bench.sh (see doc/performance.md). Not part of `make check`.
EXTRA_DIST += tests/bench/bench.sh doc/performance.md

bench: src/frontend/braid
	BRAID='$(abs_top_builddir)/src/frontend/braid' bash $(srcdir)/tests/bench/bench.sh
