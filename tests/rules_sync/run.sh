#!/bin/sh
# run.sh - [rules_sync] against a real web server
# (tests/rules_sync/check_rules_sync.py): lighttpd with mod_mbedtls serving
# signed rule bundles, certificates and signing keys made with openssl;
# all on loopback ports the test picks.
#
# VIGIL: the command that runs vigil (default build/vigil). Prints
# "rules_sync: N passed, M failed" last and exits non-zero on any failure.

cd "$(dirname "$0")/../.." || exit 1
: "${VIGIL:=$(pwd)/build/vigil}"
export VIGIL
PY=${PYTHON:-python3}
[ -x /usr/bin/python3 ] && [ -z "$PYTHON" ] && PY=/usr/bin/python3
log=$(mktemp "${TMPDIR:-/tmp}/vigil-rules_sync.XXXXXX") || exit 1
trap 'rm -f "$log"' EXIT INT TERM
"$PY" tests/rules_sync/check_rules_sync.py 2>&1 | tee "$log"
line=$(grep "^rules_sync: [0-9]* passed, [0-9]* failed\$" "$log" | tail -n 1)
if [ -z "$line" ]; then
	echo "FAIL  check_rules_sync.py did not finish"
	echo "rules_sync: 0 passed, 1 failed"
	exit 1
fi
case "$line" in
*" 0 failed") exit 0 ;;
*) exit 1 ;;
esac
