# unit tests of src/ipc
tests_unit_braid_unit_SOURCES += \
	tests/unit/ipc/proto_test.cc \
	tests/unit/ipc/messages_test.cc \
	tests/unit/ipc/channel_test.cc
