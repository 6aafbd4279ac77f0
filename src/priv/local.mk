# src/priv: see the files listed for what each holds.
noinst_LIBRARIES += src/priv/libpriv.a
src_priv_libpriv_a_SOURCES =
