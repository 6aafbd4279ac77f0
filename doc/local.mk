# Documentation installed with the program. The example configuration goes
# to the examples directory, not to /etc: a live file there would start a
# network with placeholder values.
docexamplesdir = $(docdir)/examples
dist_docexamples_DATA = doc/braid.conf.example

# The design documents travel with the source.
EXTRA_DIST += doc/protocol.md doc/ipc.md doc/control.md
