# The mains: only argument handling and wiring of the libraries.
sbin_PROGRAMS += src/frontend/braid
src_frontend_braid_SOURCES = src/frontend/braid.cc src/frontend/pki.h src/frontend/pki.cc
src_frontend_braid_LDADD = $(BRAID_LIBS) $(BRAID_EXTERNAL_LIBS)
# braidctl: the control socket's client (doc/control.md, braidctl(8)).
bin_PROGRAMS += src/frontend/braidctl
src_frontend_braidctl_SOURCES = src/frontend/braidctl.cc
src_frontend_braidctl_LDADD = $(BRAID_LIBS) $(BRAID_EXTERNAL_LIBS)
