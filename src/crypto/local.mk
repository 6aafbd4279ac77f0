# src/crypto: the Noise layer (noise, pattern, hash), the transport AEAD
# (aead), key stretching for shared-key networks (psk) and libsodium
# start-up (sodium).
noinst_LIBRARIES += src/crypto/libbraidcrypto.a
src_crypto_libbraidcrypto_a_SOURCES = \
	src/crypto/aead.h src/crypto/aead.cc \
	src/crypto/hash.h src/crypto/hash.cc \
	src/crypto/noise.h src/crypto/noise.cc \
	src/crypto/pattern.h src/crypto/pattern.cc \
	src/crypto/psk.h src/crypto/psk.cc \
	src/crypto/sodium.h src/crypto/sodium.cc
