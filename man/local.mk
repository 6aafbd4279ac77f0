# Manual pages. The .ronn files are the sources; the generated pages are
# committed and distributed too, so a build without ronn still installs
# them. With ronn, a page is regenerated into the source tree (as automake
# does for other distributed generated files) whenever its .ronn is newer:
# commit the .ronn and the regenerated page together.
dist_man_MANS = man/braid.8 man/braid.conf.5 man/braid-ca.8 man/braidctl.8
EXTRA_DIST += man/braid.8.ronn man/braid.conf.5.ronn man/braid-ca.8.ronn \
	man/braidctl.8.ronn

# Fixed date and organization, so the same source gives the same page on
# every machine. Update the date when a release changes the pages.
BRAID_MAN_DATE = 2026-11-22
RONN_FLAGS = --roff --pipe --manual="braid manual" \
	--organization="braid $(PACKAGE_VERSION)" --date=$(BRAID_MAN_DATE)

if HAVE_RONN
# The page is written through a temporary file so that a failed or
# concurrent run never leaves a truncated page behind.
man/braid.8: man/braid.8.ronn
	$(AM_V_GEN)$(RONN) $(RONN_FLAGS) $(srcdir)/man/braid.8.ronn \
		> $(srcdir)/man/braid.8.tmp$$$$ && \
		mv -f $(srcdir)/man/braid.8.tmp$$$$ $(srcdir)/man/braid.8

man/braid.conf.5: man/braid.conf.5.ronn
	$(AM_V_GEN)$(RONN) $(RONN_FLAGS) $(srcdir)/man/braid.conf.5.ronn \
		> $(srcdir)/man/braid.conf.5.tmp$$$$ && \
		mv -f $(srcdir)/man/braid.conf.5.tmp$$$$ $(srcdir)/man/braid.conf.5

man/braid-ca.8: man/braid-ca.8.ronn
	$(AM_V_GEN)$(RONN) $(RONN_FLAGS) $(srcdir)/man/braid-ca.8.ronn \
		> $(srcdir)/man/braid-ca.8.tmp$$$$ && \
		mv -f $(srcdir)/man/braid-ca.8.tmp$$$$ $(srcdir)/man/braid-ca.8

man/braidctl.8: man/braidctl.8.ronn
	$(AM_V_GEN)$(RONN) $(RONN_FLAGS) $(srcdir)/man/braidctl.8.ronn \
		> $(srcdir)/man/braidctl.8.tmp$$$$ && \
		mv -f $(srcdir)/man/braidctl.8.tmp$$$$ $(srcdir)/man/braidctl.8

# Regenerates every page unconditionally, e.g. after changing RONN_FLAGS.
update-man:
	$(AM_V_GEN)for page in braid.8 braid.conf.5 braid-ca.8 braidctl.8; do \
		$(RONN) $(RONN_FLAGS) $(srcdir)/man/$$page.ronn \
			> $(srcdir)/man/$$page.tmp$$$$ && \
		mv -f $(srcdir)/man/$$page.tmp$$$$ $(srcdir)/man/$$page || exit 1; \
	done
.PHONY: update-man
endif
