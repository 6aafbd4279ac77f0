tests_unit_braid_unit_SOURCES += \
	tests/unit/common/bytes_test.cc \
	tests/unit/common/hex_test.cc \
	tests/unit/common/json_test.cc \
	tests/unit/common/log_test.cc
