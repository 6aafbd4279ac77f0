#!/bin/bash
# Runs every libFuzzer target of a fuzzing build for a bounded time and
# fails if any of them finds a crash, a leak or a timeout.
#   tests/fuzz/run.sh BUILDDIR SECONDS
# BUILDDIR was configured with CXX=clang++ .../configure --enable-fuzzing
# and built with make. Each target starts from a fresh corpus in a
# temporary directory (seeded from tests/fuzz/corpus/NAME/ when that
# exists); a crashing input is copied to BUILDDIR/fuzz-artifacts/.
set -euo pipefail

usage() { echo "usage: $0 BUILDDIR SECONDS" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
builddir=$1 seconds=$2
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || usage
[[ -d $builddir ]] || { echo "$0: no directory $builddir" >&2; exit 2; }
srcdir=$(cd "$(dirname "$0")" && pwd)

shopt -s nullglob
targets=("$builddir"/tests/fuzz/*_fuzz "$builddir"/*_fuzz)
runnable=()
for t in "${targets[@]}"; do
  [[ -f $t && -x $t ]] && runnable+=("$t")
done
if [[ ${#runnable[@]} -eq 0 ]]; then
  echo "$0: no *_fuzz binaries under $builddir/tests/fuzz" \
       "(configure with CXX=clang++ --enable-fuzzing, then make)" >&2
  exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/braid-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

failed=()
for t in "${runnable[@]}"; do
  name=${t##*/}
  corpus=$work/$name/corpus
  mkdir -p "$corpus" "$work/$name/artifacts"
  if [[ -d $srcdir/corpus/$name ]]; then
    cp -r "$srcdir/corpus/$name/." "$corpus/"
  fi
  echo "== $name: ${seconds}s"
  rc=0
  # -timeout: an input that takes a second is a bug here (every parser is
  # linear); -rss_limit_mb keeps a runaway allocation from taking the host.
  "$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -print_final_stats=1 \
       -artifact_prefix="$work/$name/artifacts/" \
       "$corpus" >"$work/$name/log" 2>&1 || rc=$?
  grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|Done [0-9]+ runs)' \
       "$work/$name/log" | sed 's/^/   /' || true
  if [[ $rc -ne 0 ]]; then
    echo "   FAILED with status $rc; last lines of its output:"
    tail -n 30 "$work/$name/log" | sed 's/^/   /'
    mkdir -p "$builddir/fuzz-artifacts"
    for a in "$work/$name/artifacts"/*; do
      cp "$a" "$builddir/fuzz-artifacts/$name-${a##*/}"
      echo "   input kept: $builddir/fuzz-artifacts/$name-${a##*/}"
    done
    failed+=("$name")
  else
    echo "   ok ($(find "$corpus" -type f | wc -l) corpus entries)"
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzzing found problems in: ${failed[*]}" >&2
  exit 1
fi
echo "all ${#runnable[@]} fuzz targets ran ${seconds}s without a crash"
