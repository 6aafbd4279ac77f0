#!/usr/bin/env bash
# The bash completions of braid and braidctl (contrib/bash-completion):
# loaded into bash-completion as an interactive shell would, then asked
# for completions of given command lines. Every option `braid --help`
# lists must be offered. Skipped (77) without bash-completion.
set -u

src=${srcdir:-$(dirname "$0")/..}
braid=${BRAID:-./src/frontend/braid}
braidctl=$(dirname "$braid")/braidctl
main=${BASH_COMPLETION_MAIN:-/usr/share/bash-completion/bash_completion}
if [[ ! -r $main ]]; then
    echo "SKIP: bash-completion is not installed ($main)"
    exit 77
fi
# shellcheck disable=SC1090
. "$main"
# shellcheck disable=SC1091
. "$src/contrib/bash-completion/braid"
# shellcheck disable=SC1091
. "$src/contrib/bash-completion/braidctl"

failed=0
fail() {
    echo "FAIL: $*"
    failed=1
}

# complete FUNCTION WORD... — the completions of the last word (the one
# being typed), one per line, sorted.
complete_words() {
    local fn=$1
    shift
    COMP_WORDS=("$@")
    COMP_CWORD=$(($# - 1))
    COMP_LINE="$*"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    "$fn" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]:-}"
    printf '%s\n' "${COMPREPLY[@]}" | sort
}

# expect WANTED FUNCTION WORD...: the completions are exactly WANTED
# (space-separated).
expect() {
    local wanted got
    wanted=$(tr ' ' '\n' <<<"$1" | sort)
    shift
    got=$(complete_words "$@")
    [[ $got == "$wanted" ]] || fail "'$*': got [${got//$'\n'/ }], wanted [${wanted//$'\n'/ }]"
}

# contains WORD FUNCTION WORD...: WORD is among the completions.
contains() {
    local word=$1
    shift
    complete_words "$@" | grep -qx -- "$word" || fail "'$*' does not offer $word"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# braid: choices, files and options.
expect "tun tap" _braid braid -t ""
expect "tap" _braid braid --type ta
expect "normal hub switch router" _braid braid --mode ""
expect "chacha20 aes256 plain" _braid braid --crypto ""
expect "text json prometheus" _braid braid --stats-format ""
expect "--no-port-forwarding" _braid braid --no-p
expect "keygen ca cert" _braid braid ""
expect "init sign revoke --help" _braid braid ca ""
expect "show verify --help" _braid braid cert ""
contains "--not-after" _braid braid ca sign --no
touch "$tmp/node.conf" "$tmp/other.conf"
mkdir "$tmp/dir"
expect "$tmp/node.conf" _braid braid --config "$tmp/no"
expect "$tmp/dir" _braid braid --state-dir "$tmp/d"
expect "$tmp/node.conf" _braid braid --config="$tmp/no"
expect "" _braid braid --peer-timeout ""

# Every option braid --help lists is offered.
if [[ -x $braid ]]; then
    all=$(complete_words _braid braid --)
    for option in $("$braid" --help | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
        grep -qx -- "$option" <<<"$all" || fail "braid $option is not completed"
    done
    for option in $all; do
        "$braid" --help | grep -q -- "$option\b" || fail "braid --help has no $option"
    done
else
    echo "note: $braid not built; options not compared with braid --help"
fi

# braidctl: commands, options and the names of /etc/braid/*.conf.
expect "status peers links paths routes table stats reload" _braidctl braidctl ""
expect "status stats" _braidctl braidctl st
expect "-n --name --socket --json --prometheus --help --version" _braidctl braidctl -
expect "routes reload" _braidctl braidctl -n x r
expect "" _braidctl braidctl status ""
_braidctl_config_dir=$tmp
expect "node other" _braidctl braidctl -n ""
expect "node other" _braidctl braidctl --name ""
expect "other" _braidctl braidctl --json -n o
expect "$tmp/node.conf" _braidctl braidctl --socket "$tmp/no"

# Every option and command braidctl --help lists is offered.
if [[ -x $braidctl ]]; then
    all=$(complete_words _braidctl braidctl --)
    for option in $("$braidctl" --help | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
        grep -qx -- "$option" <<<"$all" || fail "braidctl $option is not completed"
    done
    all=$(complete_words _braidctl braidctl "")
    for command in $("$braidctl" --help | sed -n '/^commands:/,/^$/p' | awk 'NF > 1 {print $1}'); do
        grep -qx -- "$command" <<<"$all" || fail "braidctl $command is not completed"
    done
else
    echo "note: $braidctl not built; not compared with braidctl --help"
fi

exit $failed
