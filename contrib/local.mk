# Bash completions of braid and braidctl, installed where bash-completion
# loads them on demand (bashcompdir: see configure.ac), and their test.
dist_bashcomp_DATA = contrib/bash-completion/braid contrib/bash-completion/braidctl
TESTS += tests/completion.sh
EXTRA_DIST += tests/completion.sh
