# src/engine: the unprivileged engine, one file per stage of the data path:
# udp (batched socket I/O) -> node (dispatch) -> handshake / data (sessions,
# seal/open, replay) -> forward (which peers) -> the device; timers.cc runs
# every protocol timer; engine.cc is the process and its event loop.
noinst_LIBRARIES += src/engine/libengine.a
src_engine_libengine_a_SOURCES = \
	src/engine/authz.h src/engine/authz.cc \
	src/engine/credentials.cc \
	src/engine/checksum.h src/engine/checksum.cc \
	src/engine/control.h src/engine/control.cc \
	src/engine/control_proto.h src/engine/control_proto.cc \
	src/engine/cookie.h src/engine/cookie.cc \
	src/engine/counters.h \
	src/engine/data.cc \
	src/engine/endpoint.h src/engine/endpoint.cc \
	src/engine/exchange.h src/engine/exchange.cc \
	src/engine/mesh.cc \
	src/engine/known_peers.h src/engine/known_peers.cc \
	src/engine/engine.h src/engine/engine.cc \
	src/engine/forward.h src/engine/forward.cc \
	src/engine/switch.h src/engine/switch.cc \
	src/engine/router.h src/engine/router.cc \
	src/engine/claims.h src/engine/claims.cc \
	src/engine/handshake.cc \
	src/engine/node.h src/engine/node.cc \
	src/engine/offload.h src/engine/offload.cc \
	src/engine/peer.h \
	src/engine/pool.h src/engine/pool.cc \
	src/engine/ratelimit.h src/engine/ratelimit.cc \
	src/engine/relay.cc \
	src/engine/replay.h src/engine/replay.cc \
	src/engine/report.h src/engine/report.cc \
	src/engine/route_table.h src/engine/route_table.cc \
	src/engine/routing.cc \
	src/engine/timers.h src/engine/timers.cc \
	src/engine/tunnels.cc \
	src/engine/udp.h src/engine/udp.cc \
	src/engine/wire.h src/engine/wire.cc
src_engine_libengine_a_SOURCES += src/engine/statefile.h src/engine/statefile.cc
src_engine_libengine_a_SOURCES += src/engine/beacon.h src/engine/beacon.cc
src_engine_libengine_a_SOURCES += src/engine/portmap.h src/engine/portmap.cc
src_engine_libengine_a_SOURCES += src/engine/local_addrs.h src/engine/local_addrs.cc
src_engine_libengine_a_SOURCES += src/engine/pacer.h src/engine/pacer.cc
src_engine_libengine_a_SOURCES += src/engine/path.h src/engine/path.cc
src_engine_libengine_a_SOURCES += src/engine/link.h src/engine/link.cc
src_engine_libengine_a_SOURCES += src/engine/multipath.cc
src_engine_libengine_a_SOURCES += src/engine/priority.h src/engine/priority.cc
src_engine_libengine_a_SOURCES += src/engine/reorder.h src/engine/reorder.cc
