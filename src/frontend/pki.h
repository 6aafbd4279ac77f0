// The PKI commands of braid: `braid keygen`, `braid ca init|sign|revoke`
// and `braid cert show|verify`, which make and inspect the keys,
// certificates and revocation lists of a certificate network.
#pragma once

namespace braid::frontend {

// argv[0] is the program, argv[1] one of "keygen", "ca", "cert". Returns
// the exit status: 0 done, 1 failed (message on stderr), 2 usage error.
int run_pki(int argc, char** argv);

// True when argv[1] names one of the commands above.
bool is_pki_command(int argc, char** argv);

}  // namespace braid::frontend
