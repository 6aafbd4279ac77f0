# libFuzzer targets, one per parser; built with --enable-fuzzing (clang).
# CI runs each for a bounded time: tests/fuzz/run.sh.
EXTRA_DIST += tests/fuzz/run.sh
if ENABLE_FUZZING
FUZZ_TARGETS = tests/fuzz/packet_fuzz tests/fuzz/handshake_fuzz \
	tests/fuzz/ipc_frame_fuzz tests/fuzz/config_fuzz
FUZZ_TARGETS += tests/fuzz/offload_fuzz
FUZZ_TARGETS += tests/fuzz/cert_fuzz
FUZZ_TARGETS += tests/fuzz/exchange_fuzz
FUZZ_TARGETS += tests/fuzz/claims_fuzz
FUZZ_TARGETS += tests/fuzz/beacon_fuzz
FUZZ_TARGETS += tests/fuzz/state_fuzz
FUZZ_TARGETS += tests/fuzz/priority_fuzz
FUZZ_TARGETS += tests/fuzz/reorder_fuzz
FUZZ_TARGETS += tests/fuzz/control_fuzz
noinst_PROGRAMS += $(FUZZ_TARGETS)
FUZZ_LDADD = $(BRAID_LIBS) $(BRAID_EXTERNAL_LIBS)
FUZZ_LINK_FLAGS = -fsanitize=fuzzer

tests_fuzz_control_fuzz_SOURCES = tests/fuzz/control_fuzz.cc
tests_fuzz_control_fuzz_LDADD = $(FUZZ_LDADD)
tests_fuzz_control_fuzz_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)

tests_fuzz_packet_fuzz_SOURCES = tests/fuzz/packet_fuzz.cc
tests_fuzz_packet_fuzz_LDADD = $(FUZZ_LDADD)
tests_fuzz_packet_fuzz_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)

tests_fuzz_handshake_fuzz_SOURCES = tests/fuzz/handshake_fuzz.cc
tests_fuzz_handshake_fuzz_LDADD = $(FUZZ_LDADD)
tests_fuzz_handshake_fuzz_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)

tests_fuzz_ipc_frame_fuzz_SOURCES = tests/fuzz/ipc_frame_fuzz.cc
tests_fuzz_ipc_frame_fuzz_LDADD = $(FUZZ_LDADD)
tests_fuzz_ipc_frame_fuzz_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)

tests_fuzz_config_fuzz_SOURCES = tests/fuzz/config_fuzz.cc
tests_fuzz_config_fuzz_LDADD = $(FUZZ_LDADD)
tests_fuzz_config_fuzz_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)

tests_fuzz_offload_fuzz_SOURCES = tests/fuzz/offload_fuzz.cc
tests_fuzz_offload_fuzz_LDADD = $(FUZZ_LDADD)
tests_fuzz_offload_fuzz_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)

tests_fuzz_cert_fuzz_SOURCES = tests/fuzz/cert_fuzz.cc
tests_fuzz_cert_fuzz_LDADD = $(FUZZ_LDADD)
tests_fuzz_cert_fuzz_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)

tests_fuzz_exchange_fuzz_SOURCES = tests/fuzz/exchange_fuzz.cc
tests_fuzz_exchange_fuzz_LDADD = $(FUZZ_LDADD)
tests_fuzz_exchange_fuzz_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)

tests_fuzz_claims_fuzz_SOURCES = tests/fuzz/claims_fuzz.cc
tests_fuzz_claims_fuzz_LDADD = $(FUZZ_LDADD)
tests_fuzz_claims_fuzz_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)

tests_fuzz_beacon_fuzz_SOURCES = tests/fuzz/beacon_fuzz.cc
tests_fuzz_beacon_fuzz_LDADD = $(FUZZ_LDADD)
tests_fuzz_beacon_fuzz_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)

tests_fuzz_state_fuzz_SOURCES = tests/fuzz/state_fuzz.cc
tests_fuzz_state_fuzz_LDADD = $(FUZZ_LDADD)
tests_fuzz_state_fuzz_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
tests_fuzz_priority_fuzz_SOURCES = tests/fuzz/priority_fuzz.cc
tests_fuzz_priority_fuzz_LDADD = $(FUZZ_LDADD)
tests_fuzz_priority_fuzz_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
tests_fuzz_reorder_fuzz_SOURCES = tests/fuzz/reorder_fuzz.cc
tests_fuzz_reorder_fuzz_LDADD = $(FUZZ_LDADD)
tests_fuzz_reorder_fuzz_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
else
EXTRA_DIST += tests/fuzz/offload_fuzz.cc
EXTRA_DIST += tests/fuzz/cert_fuzz.cc
EXTRA_DIST += tests/fuzz/exchange_fuzz.cc
EXTRA_DIST += tests/fuzz/claims_fuzz.cc
EXTRA_DIST += tests/fuzz/beacon_fuzz.cc
EXTRA_DIST += tests/fuzz/state_fuzz.cc
EXTRA_DIST += tests/fuzz/priority_fuzz.cc
EXTRA_DIST += tests/fuzz/reorder_fuzz.cc
EXTRA_DIST += tests/fuzz/control_fuzz.cc
EXTRA_DIST += tests/fuzz/packet_fuzz.cc tests/fuzz/handshake_fuzz.cc \
	tests/fuzz/ipc_frame_fuzz.cc tests/fuzz/config_fuzz.cc
endif
