# Debian packaging, shipped in the release tarball so that the package can
# be built from it (dpkg-buildpackage; see debian/rules).
EXTRA_DIST += debian/changelog debian/control debian/copyright debian/rules \
	debian/source/format debian/braid.postinst debian/braid.postrm debian/braid.dirs \
	debian/braid.docs debian/braid@.service
