tests_unit_braid_unit_SOURCES += \
	tests/unit/priv/control_socket_test.cc \
	tests/unit/priv/device_test.cc \
	tests/unit/priv/hooks_test.cc \
	tests/unit/priv/hook_output.h \
	tests/unit/priv/identity_files_test.cc \
	tests/unit/priv/network_test.cc \
	tests/unit/priv/notify_test.cc \
	tests/unit/priv/sandbox_test.cc \
	tests/unit/priv/status_hook_test.cc
