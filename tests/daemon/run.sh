#!/bin/sh
# run.sh - end-to-end tests of the daemon (`vigil run`): replayed and live
# capture, reloads, SIGTERM without loss, retention, `vigil run -n`, the
# privilege drop and the systemd notifications (tests/daemon/check_daemon.py);
# the status LED and the watchdog report (tests/daemon/check_board.py).
#
# VIGIL: the command that runs vigil (default build/vigil). Live capture
# needs root (a network namespace with a veth pair); without it those
# checks are skipped with a message. Prints "daemon: N passed, M failed"
# last and exits non-zero on any failure.

cd "$(dirname "$0")/../.." || exit 1
: "${VIGIL:=$(pwd)/build/vigil}"
export VIGIL
PY=${PYTHON:-python3}
[ -x /usr/bin/python3 ] && [ -z "$PYTHON" ] && PY=/usr/bin/python3
# One run at a time on a machine: the live checks use a fixed veth pair
# (veth-v0, 10.123.0.0/24) in the root namespace, so two checkouts
# running this suite at once would pull it from under each other.
if command -v flock >/dev/null 2>&1; then
	exec 9>"${TMPDIR:-/tmp}/vigil-daemon-suite.lock"
	flock 9
fi
# the namespace the checks make; removed whatever happens to them
VIGIL_NETNS=vigiltest$$
export VIGIL_NETNS
cleanup() {
	if [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null 2>&1; then
		ip link del veth-v0 2>/dev/null
		ip link del veth-v2 2>/dev/null
		ip netns del "$VIGIL_NETNS" 2>/dev/null
	fi
	return 0
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM

# check_daemon.py, then the status LED and watchdog report (check_board.py)
rc=0
for suite in daemon board; do
	log=$(mktemp "${TMPDIR:-/tmp}/vigil-daemon.XXXXXX") || exit 1
	"$PY" tests/daemon/check_$suite.py 2>&1 | tee "$log"
	line=$(grep "^$suite: [0-9]* passed, [0-9]* failed\$" "$log" | tail -n 1)
	rm -f "$log"
	if [ -z "$line" ]; then
		echo "FAIL  check_$suite.py did not finish"
		echo "$suite: 0 passed, 1 failed"
		rc=1
		continue
	fi
	case "$line" in
	*" 0 failed") ;;
	*) rc=1 ;;
	esac
done
exit $rc
