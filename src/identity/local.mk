# src/identity: node identities in certificate networks: certificates and
# revocation lists (cert), the address ranges they grant (prefix), their
# text armour (armor), key and certificate files (keyfile) and the set of
# trusted CAs a peer's certificate is checked against (trust).
noinst_LIBRARIES += src/identity/libidentity.a
src_identity_libidentity_a_SOURCES = \
	src/identity/armor.h src/identity/armor.cc \
	src/identity/cert.h src/identity/cert.cc \
	src/identity/keyfile.h src/identity/keyfile.cc \
	src/identity/prefix.h src/identity/prefix.cc \
	src/identity/trust.h src/identity/trust.cc
