noinst_LIBRARIES += src/common/libcommon.a
src_common_libcommon_a_SOURCES = \
	src/common/bytes.h \
	src/common/clock.h src/common/clock.cc \
	src/common/ev.h src/common/ev.cc \
	src/common/fd.h src/common/fd.cc \
	src/common/hex.h src/common/hex.cc \
	src/common/json.h src/common/json.cc \
	src/common/log.h src/common/log.cc
