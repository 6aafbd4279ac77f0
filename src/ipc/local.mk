# src/ipc: see the files listed for what each holds.
noinst_LIBRARIES += src/ipc/libipc.a
src_ipc_libipc_a_SOURCES =
