#!/bin/sh
# repeat.sh N SUITE... - run the given make test suites (web, daemon,
# browser, ...) N times in a row, one after the other, and report each run.
#
# The suites' verdicts must not depend on how fast or how busy the machine
# is; running them again and again (while other work loads the machine) is
# how that is checked. Each run's output goes to
# build/test-repeat/<run>-<suite>.log; a table of every run's summary line
# (e.g. "daemon: 14 passed, 0 failed") and time comes last. Exits 1 when
# any run of any suite failed.
#
# Used by `make test-repeat N=5` (suites: web daemon browser).
n=${1:-5}
shift
[ $# -gt 0 ] || set -- web daemon browser
case "$n" in
''|*[!0-9]*|0) echo "usage: tests/repeat.sh N SUITE..." >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.." || exit 1
MAKE=${MAKE:-make}
out=build/test-repeat
mkdir -p "$out"
table=$out/summary.txt
: >"$table"
failed=0
i=1
while [ "$i" -le "$n" ]; do
	for s in "$@"; do
		log=$out/$i-$s.log
		t0=$(date +%s)
		$MAKE --no-print-directory "test-$s" >"$log" 2>&1
		rc=$?
		t=$(($(date +%s) - t0))
		line=$(grep -E '^[a-z0-9-]+: [0-9]+ passed, [0-9]+ failed$' "$log" | paste -s -d ';' - | sed 's/;/; /g')
		[ -n "$line" ] || line="(no summary line)"
		if [ "$rc" -eq 0 ]; then verdict=ok; else verdict=FAIL; failed=$((failed + 1)); fi
		row=$(printf 'run %d/%d  %-8s %-4s %5ds  %s' "$i" "$n" "$s" "$verdict" "$t" "$line")
		echo "$row" | tee -a "$table"
		if [ "$rc" -ne 0 ]; then
			grep -E '^(FAIL|not ok)' "$log" | head -n 10 | sed 's/^/        /' | tee -a "$table"
		fi
	done
	i=$((i + 1))
done
echo "test-repeat: $n run(s) of $*: $failed failed suite run(s); logs in $out/"
[ "$failed" -eq 0 ]
