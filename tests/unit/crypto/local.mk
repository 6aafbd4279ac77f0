# unit tests of src/crypto
tests_unit_braid_unit_SOURCES += \
	tests/unit/crypto/noise_vectors_test.cc
