#!/bin/sh
# run-py-suite.sh - run one Python suite that prints "NAME: N passed, M
# failed" as its last count line, from the top of the source tree, with
# VIGIL (default build/vigil) and Debian's python3 (or PYTHON).
#
#   tests/run-py-suite.sh NAME SCRIPT [ARG...]
#
# A suite that stops before its count line fails ("NAME: 0 passed, 1
# failed"); exits non-zero on any failure. The uplink and rules_sync
# suites' run.sh are this.

[ $# -ge 2 ] || { echo "usage: tests/run-py-suite.sh NAME SCRIPT [ARG...]" >&2; exit 2; }
name=$1 script=$2
shift 2
cd "$(dirname "$0")/.." || exit 1
: "${VIGIL:=$(pwd)/build/vigil}"
export VIGIL
PY=${PYTHON:-python3}
[ -x /usr/bin/python3 ] && [ -z "$PYTHON" ] && PY=/usr/bin/python3
log=$(mktemp "${TMPDIR:-/tmp}/vigil-$name.XXXXXX") || exit 1
trap 'rm -f "$log"' EXIT INT TERM
"$PY" "$script" "$@" 2>&1 | tee "$log"
line=$(grep "^$name: [0-9]* passed, [0-9]* failed\$" "$log" | tail -n 1)
if [ -z "$line" ]; then
	echo "FAIL  $(basename "$script") did not finish"
	echo "$name: 0 passed, 1 failed"
	exit 1
fi
case "$line" in
*" 0 failed") exit 0 ;;
*) exit 1 ;;
esac
