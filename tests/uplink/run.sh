#!/bin/sh
# run.sh - the uplink against real peers (tests/uplink/check_uplink.py):
# rsyslog (imrelp over TLS, imtcp with gtls), tinyproxy, certificates made
# with openssl; all on loopback ports the test picks.
#
# VIGIL: the command that runs vigil (default build/vigil). Prints
# "uplink: N passed, M failed" last and exits non-zero on any failure.

cd "$(dirname "$0")/../.." || exit 1
: "${VIGIL:=$(pwd)/build/vigil}"
export VIGIL
PY=${PYTHON:-python3}
[ -x /usr/bin/python3 ] && [ -z "$PYTHON" ] && PY=/usr/bin/python3
log=$(mktemp "${TMPDIR:-/tmp}/vigil-uplink.XXXXXX") || exit 1
trap 'rm -f "$log"' EXIT INT TERM
"$PY" tests/uplink/check_uplink.py 2>&1 | tee "$log"
line=$(grep "^uplink: [0-9]* passed, [0-9]* failed\$" "$log" | tail -n 1)
if [ -z "$line" ]; then
	echo "FAIL  check_uplink.py did not finish"
	echo "uplink: 0 passed, 1 failed"
	exit 1
fi
case "$line" in
*" 0 failed") exit 0 ;;
*) exit 1 ;;
esac
