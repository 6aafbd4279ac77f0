# The mains: only argument handling and wiring of the libraries.
sbin_PROGRAMS += src/frontend/braid
src_frontend_braid_SOURCES = src/frontend/braid.cc src/frontend/pki.h src/frontend/pki.cc
src_frontend_braid_LDADD = $(BRAID_LIBS) $(BRAID_EXTERNAL_LIBS)
