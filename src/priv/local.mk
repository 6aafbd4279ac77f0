# src/priv: the privileged parent (parent.cc), what it alone may do —
# device, hooks (and the status hook's queue), network set-up and name
# resolution — and the sandbox the engine enters (sandbox.cc).
noinst_LIBRARIES += src/priv/libpriv.a
src_priv_libpriv_a_SOURCES = \
	src/priv/control_socket.h src/priv/control_socket.cc \
	src/priv/device.h src/priv/device.cc \
	src/priv/hooks.h src/priv/hooks.cc \
	src/priv/identity_files.h src/priv/identity_files.cc \
	src/priv/network.h src/priv/network.cc \
	src/priv/notify.h src/priv/notify.cc \
	src/priv/parent.h src/priv/parent.cc src/priv/parent_process.h \
	src/priv/parent_reload.cc \
	src/priv/sandbox.h src/priv/sandbox.cc \
	src/priv/status_hook.h src/priv/status_hook.cc
