# All unit tests link into one CppUTest binary; each module's tests are
# listed in the fragment of the matching tests/unit/ directory.
check_PROGRAMS += tests/unit/braid_unit
TESTS += tests/unit/braid_unit
tests_unit_braid_unit_SOURCES = tests/unit/main.cc
tests_unit_braid_unit_CPPFLAGS = $(AM_CPPFLAGS) $(CPPUTEST_CFLAGS) \
	-DBRAID_TESTDATA='"$(abs_top_srcdir)/tests/data"' \
	-DCPPUTEST_MEM_LEAK_DETECTION_DISABLED
tests_unit_braid_unit_LDADD = $(BRAID_LIBS) $(BRAID_EXTERNAL_LIBS) $(CPPUTEST_LIBS)
EXTRA_DIST += tests/data

include tests/unit/common/local.mk
include tests/unit/crypto/local.mk
include tests/unit/identity/local.mk
include tests/unit/config/local.mk
include tests/unit/ipc/local.mk
include tests/unit/priv/local.mk
include tests/unit/engine/local.mk
