# unit tests of src/config
tests_unit_braid_unit_SOURCES += \
	tests/unit/config/fixtures.h \
	tests/unit/config/value_test.cc \
	tests/unit/config/inifile_test.cc \
	tests/unit/config/validate_test.cc \
	tests/unit/config/cmdline_test.cc \
	tests/unit/config/effective_test.cc \
	tests/unit/config/links_test.cc \
	tests/unit/config/routing_test.cc \
	tests/unit/config/operations_test.cc \
	tests/unit/config/reload_test.cc
