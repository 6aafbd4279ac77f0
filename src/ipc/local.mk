# src/ipc: the privileged interface between parent and engine.
# proto: frame, message types, rule table and the frame check;
# messages: typed payloads and their codecs; channel: the libevent end.
noinst_LIBRARIES += src/ipc/libipc.a
src_ipc_libipc_a_SOURCES = \
	src/ipc/proto.h src/ipc/proto.cc \
	src/ipc/messages.h src/ipc/messages.cc \
	src/ipc/channel.h src/ipc/channel.cc
