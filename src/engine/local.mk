# src/engine: see the files listed for what each holds.
noinst_LIBRARIES += src/engine/libengine.a
src_engine_libengine_a_SOURCES =
