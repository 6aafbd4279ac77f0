# unit tests of src/identity and of the PKI commands (src/frontend/pki.cc,
# which the daemon's main links but no library holds)
tests_unit_braid_unit_SOURCES += \
	tests/unit/identity/fixtures.h \
	tests/unit/identity/prefix_test.cc \
	tests/unit/identity/cert_test.cc \
	tests/unit/identity/armor_test.cc \
	tests/unit/identity/keyfile_test.cc \
	tests/unit/identity/trust_test.cc \
	tests/unit/identity/pki_test.cc \
	src/frontend/pki.cc
