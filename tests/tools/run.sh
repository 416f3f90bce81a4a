#!/bin/sh
# run.sh - tests of the tools in tools/ that ship to users: tools/flash
# (tests/tools/check_flash.py) on a file standing in for an SD card and, as
# root, on loop devices (without root those checks are skipped with a
# message). Prints "flash: N passed, M failed" last; exits non-zero on any
# failure.

cd "$(dirname "$0")/../.." || exit 1
PY=${PYTHON:-python3}
[ -x /usr/bin/python3 ] && [ -z "$PYTHON" ] && PY=/usr/bin/python3
# losetup hands out loop devices one at a time, but two runs could still
# race for the same one between --find and attaching: one run per machine
if command -v flock >/dev/null 2>&1; then
	exec 9>"${TMPDIR:-/tmp}/vigil-tools-suite.lock"
	flock 9
fi

log=$(mktemp "${TMPDIR:-/tmp}/vigil-tools.XXXXXX") || exit 1
"$PY" tests/tools/check_flash.py 2>&1 | tee "$log"
line=$(grep '^flash: [0-9]* passed, [0-9]* failed$' "$log" | tail -n 1)
rm -f "$log"
if [ -z "$line" ]; then
	echo "FAIL  check_flash.py did not finish"
	echo "flash: 0 passed, 1 failed"
	exit 1
fi
case "$line" in
*" 0 failed") exit 0 ;;
*) exit 1 ;;
esac
