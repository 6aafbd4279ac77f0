# unit tests of src/engine
tests_unit_braid_unit_SOURCES += \
	tests/unit/engine/fakenet.h tests/unit/engine/fakenet.cc \
	tests/unit/engine/node_test.cc \
	tests/unit/engine/mesh_test.cc \
	tests/unit/engine/exchange_test.cc \
	tests/unit/engine/node_cert_test.cc \
	tests/unit/engine/node_mesh_test.cc \
	tests/unit/engine/node_timers_test.cc \
	tests/unit/engine/pool_test.cc \
	tests/unit/engine/control_proto_test.cc \
	tests/unit/engine/control_test.cc \
	tests/unit/engine/report_test.cc \
	tests/unit/engine/tunnels_test.cc \
	tests/unit/engine/replay_test.cc \
	tests/unit/engine/wire_test.cc
tests_unit_braid_unit_SOURCES += \
	tests/unit/engine/authz_test.cc \
	tests/unit/engine/checksum_test.cc \
	tests/unit/engine/cookie_test.cc \
	tests/unit/engine/offload_test.cc \
	tests/unit/engine/udp_test.cc \
	tests/unit/engine/switch_test.cc \
	tests/unit/engine/router_test.cc \
	tests/unit/engine/claims_test.cc \
	tests/unit/engine/ratelimit_test.cc
tests_unit_braid_unit_SOURCES += tests/unit/engine/statefile_test.cc
tests_unit_braid_unit_SOURCES += tests/unit/engine/beacon_test.cc tests/unit/engine/iflist.h
tests_unit_braid_unit_SOURCES += tests/unit/engine/local_addrs_test.cc
tests_unit_braid_unit_SOURCES += tests/unit/engine/portmap_test.cc
tests_unit_braid_unit_SOURCES += tests/unit/engine/pacer_test.cc
tests_unit_braid_unit_SOURCES += tests/unit/engine/path_test.cc
tests_unit_braid_unit_SOURCES += tests/unit/engine/link_test.cc
tests_unit_braid_unit_SOURCES += tests/unit/engine/node_multilink_test.cc
tests_unit_braid_unit_SOURCES += tests/unit/engine/priority_test.cc
tests_unit_braid_unit_SOURCES += tests/unit/engine/reorder_test.cc
tests_unit_braid_unit_SOURCES += tests/unit/engine/route_table_test.cc
tests_unit_braid_unit_SOURCES += tests/unit/engine/node_relay_test.cc
tests_unit_braid_unit_SOURCES += tests/unit/engine/mesh_routing_test.cc
