# src/config: the configuration file, the command line and check mode.
noinst_LIBRARIES += src/config/libconfig.a
src_config_libconfig_a_SOURCES = \
	src/config/settings.h \
	src/config/keys.h src/config/keys.cc \
	src/config/links.h src/config/links.cc \
	src/config/value.h src/config/value.cc \
	src/config/textfile.h src/config/textfile.cc \
	src/config/inifile.cc \
	src/config/cmdline.cc \
	src/config/validate.cc \
	src/config/effective.cc \
	src/config/reload.h src/config/reload.cc
