#!/usr/bin/env bash
# The whole test suite, as CI runs it (README.md, "Quick start"): build and
# `make check` (unit tests, and the network-namespace tests when run as
# root), `make distcheck`, the unit tests again under AddressSanitizer and
# UndefinedBehaviorSanitizer, every fuzz target for a bounded time, and the
# Debian package. The last line says how many stages passed and failed.
#
# Environment: FUZZ_SECONDS (default 20) per fuzz target; JOBS (default:
# the number of CPUs). Build directories go under build-ci/.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=${JOBS:-$(nproc)}
fuzz_seconds=${FUZZ_SECONDS:-20}
out=$top/build-ci
mkdir -p "$out"
passed=0
failed=0
failures=()

stage() {
  local name=$1
  shift
  local log="$out/$name.log"
  local start=$SECONDS
  printf '== %s ... ' "$name"
  if "$@" >"$log" 2>&1; then
    passed=$((passed + 1))
    printf 'ok (%ds)\n' $((SECONDS - start))
  else
    failed=$((failed + 1))
    failures+=("$name")
    printf 'FAILED (%ds)\n' $((SECONDS - start))
    # The test-suite logs say what failed; show them and the tail of ours.
    find "$out" "$top" -maxdepth 4 -name 'test-suite.log' -newer "$log.start" \
      -exec sh -c 'echo "--- $1"; cat "$1"' _ {} \; 2>/dev/null | tail -200
    tail -60 "$log"
  fi
}

# In-tree build: the same tree `./configure && make` gives a user.
build_and_check() {
  [ -x configure ] || ./autogen.sh || return 1
  [ -f Makefile ] || ./configure --enable-werror || return 1
  make -j"$jobs" || return 1
  make -j"$jobs" check
}

# The release tarball builds and passes its unit tests from a clean copy.
distcheck() {
  rm -f braid-*.tar.gz
  BRAID_SKIP_NETNS=1 make -j"$jobs" distcheck || return 1
  cp braid-*.tar.gz "$out/"
}

# Builds from the tarball in a fresh directory with extra configure flags.
from_tarball() {
  local dir=$1
  shift
  rm -rf "$out/$dir"
  mkdir -p "$out/$dir"
  tar -C "$out/$dir" --strip-components=1 -xzf "$out"/braid-*.tar.gz || return 1
  (cd "$out/$dir" && "$@")
}

sanitizers() {
  from_tarball asan sh -c "./configure --enable-werror --enable-sanitizers &&
    make -j$jobs && BRAID_SKIP_NETNS=1 ASAN_OPTIONS=detect_leaks=1 make -j$jobs check"
}

fuzz() {
  from_tarball fuzz sh -c "CXX=clang++ ./configure --enable-fuzzing &&
    make -j$jobs && bash tests/fuzz/run.sh tests/fuzz $fuzz_seconds"
}

# The Debian package: built from the tarball; lintian finds no error or
# warning (a warning that stays is overridden, with the reason, in
# debian/braid.lintian-overrides); its systemd unit runs two instances
# under a real systemd in a container (tests/package/systemd_unit.sh);
# installed here, it runs from the installed files, its unit passes
# systemd-analyze verify, and purging it leaves neither /etc/braid nor
# /var/lib/braid behind.
package() {
  rm -f "$out"/braid_*.deb "$out"/braid-dbgsym_*.deb "$out"/braid_*.changes \
    "$out"/braid_*.buildinfo
  from_tarball deb sh -c "DEB_BUILD_OPTIONS='nocheck parallel=$jobs' dpkg-buildpackage -us -uc -b" ||
    return 1
  local deb version left
  deb=$(ls "$out"/braid_*.deb) || return 1
  version=$(dpkg-deb -f "$deb" Version)
  dpkg-deb -c "$deb" | grep 'usr/sbin/braid$' >/dev/null || return 1
  lintian --fail-on error,warning --display-info "$out"/braid_*.changes || return 1
  # The unit under a real systemd, in a container of its own.
  tests/package/systemd_unit.sh "$deb" || return 1
  apt-get install -y --no-install-recommends "$deb" || return 1
  package_installed "$version"
  local status=$?
  dpkg --purge braid || return 1
  for left in /etc/braid /var/lib/braid /run/braid /usr/sbin/braid; do
    if [ -e "$left" ]; then
      echo "purged, but $left is still there"
      status=1
    fi
  done
  return $status
}

# What the installed package must do; it is purged afterwards either way.
package_installed() {
  local version=$1
  [ "$(/usr/sbin/braid --version)" = "braid $version" ] ||
    { echo "braid --version does not say braid $version"; return 1; }
  # braidctl is checked once its source is in the tree.
  if [ -f src/frontend/braidctl.cc ]; then
    [ "$(command -v braidctl)" = /usr/bin/braidctl ] ||
      { echo "braidctl is not installed as /usr/bin/braidctl"; return 1; }
    /usr/bin/braidctl --help || return 1
    [ -f /usr/share/man/man8/braidctl.8.gz ] || { echo "braidctl(8) is not installed"; return 1; }
  fi
  for f in /usr/share/man/man8/braid.8.gz /usr/share/man/man5/braid.conf.5.gz \
    /usr/share/man/man8/braid-ca.8.gz \
    /usr/share/doc/braid/examples/braid.conf \
    /usr/share/bash-completion/completions/braid \
    /usr/share/bash-completion/completions/braidctl; do
    [ -f "$f" ] || { echo "$f is not installed"; return 1; }
  done
  getent passwd braid >/dev/null || { echo "no braid user"; return 1; }
  # systemd-analyze verify checks an instance of the template; the unit's
  # binary and manual pages exist now.
  local unit_dir
  unit_dir=$(mktemp -d) || return 1
  cp /lib/systemd/system/braid@.service "$unit_dir/braid@test.service"
  systemd-analyze verify "$unit_dir/braid@test.service"
  local status=$?
  rm -rf "$unit_dir"
  return $status
}

for s in build_and_check distcheck sanitizers fuzz package; do
  touch "$out/$s.log.start"
  stage "$s" "$s"
  # Everything after the first stage builds from the tarball.
  if [ "$s" = distcheck ] && [ ! -f "$out"/braid-*.tar.gz ]; then
    echo "no tarball: skipping the remaining stages"
    failed=$((failed + 3))
    break
  fi
done

# Unit and end-to-end test counts from the in-tree run, for the record.
if [ -f tests/unit/braid_unit.log ]; then
  grep -h '^OK (' tests/unit/braid_unit.log | sed 's/^/unit tests: /'
fi
[ -f test-suite.log ] && grep -E '^# (TOTAL|PASS|SKIP|FAIL|ERROR):' test-suite.log | tr '\n' ' ' && echo
[ ${#failures[@]} -gt 0 ] && echo "failed stages: ${failures[*]}"
echo "stages: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
