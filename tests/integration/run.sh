#!/bin/sh
# run.sh - end-to-end tests: drive the vigil binary the way a user does and
# compare its output with the fixtures' ground truth (tests/fixtures).
#
# VIGIL: the command that runs vigil, possibly with a prefix, e.g.
#   VIGIL="qemu-aarch64 -L / $PWD/build/arm64/vigil" tests/integration/run.sh
# (default: build/vigil). Extra arguments are fixture names for
# check_replay.py (default: all, then check_cli.py and check_detect.py).
# Prints "integration: N passed, M failed" last and exits non-zero on any
# failure.

cd "$(dirname "$0")/../.." || exit 1
: "${VIGIL:=$(pwd)/build/vigil}"
export VIGIL
PY=${PYTHON:-python3}
# Debian's python3 has what we need (standard library only).
[ -x /usr/bin/python3 ] && [ -z "$PYTHON" ] && PY=/usr/bin/python3

pass=0
fail=0
log=$(mktemp "${TMPDIR:-/tmp}/vigil-it.XXXXXX") || exit 1
trap 'rm -f "$log"' EXIT INT TERM

vigil_bin=$(printf '%s\n' "$VIGIL" | awk '{print $NF}')
if [ ! -x "$vigil_bin" ] && ! command -v "$vigil_bin" >/dev/null 2>&1; then
	echo "FAIL  vigil binary not found: $vigil_bin (VIGIL=$VIGIL)"
	echo "integration: 0 passed, 1 failed"
	exit 1
fi

# run_check NAME SCRIPT [ARGS]: run one checker, add its totals.
run_check() {
	name=$1
	shift
	"$PY" "$@" >"$log" 2>&1
	rc=$?
	cat "$log"
	line=$(grep "^$name: [0-9]* passed, [0-9]* failed\$" "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "FAIL  $name did not finish (exit status $rc)"
		fail=$((fail + 1))
		return
	fi
	p=$(printf '%s\n' "$line" | sed 's/^[^:]*: \([0-9]*\) passed.*/\1/')
	f=$(printf '%s\n' "$line" | sed 's/.* \([0-9]*\) failed$/\1/')
	pass=$((pass + p))
	fail=$((fail + f))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL  $name exited $rc"
		fail=$((fail + 1))
	fi
}

run_check check_replay tests/integration/check_replay.py "$@"
if [ $# -eq 0 ]; then
	run_check check_cli tests/integration/check_cli.py
	# detection: tests/detect captures and rule sets (tools/gen_detect.py)
	run_check check_detect tests/integration/check_detect.py
	# --workers 1, 2, 4: the same alerts, flows and stats (real replays)
	run_check check_workers tests/integration/check_workers.py
	# EVE against Suricata's schemas, community_id, protocol events
	run_check check_eve tests/integration/check_eve.py
	# packet evidence per alert: pcap files, limits, rotation (tcpdump, tshark)
	run_check check_evidence tests/integration/check_evidence.py
	# rule set and configuration files that are not regular files or too large
	run_check check_files tests/integration/check_files.py
fi

echo "integration: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
