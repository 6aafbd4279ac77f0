# unit tests of src/crypto
tests_unit_braid_unit_SOURCES += \
	tests/unit/crypto/aead_test.cc \
	tests/unit/crypto/hash_test.cc \
	tests/unit/crypto/noise_test.cc \
	tests/unit/crypto/noise_vectors_test.cc \
	tests/unit/crypto/psk_test.cc
