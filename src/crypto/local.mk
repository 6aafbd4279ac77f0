# src/crypto: see the files listed for what each holds.
noinst_LIBRARIES += src/crypto/libbraidcrypto.a
src_crypto_libbraidcrypto_a_SOURCES =
