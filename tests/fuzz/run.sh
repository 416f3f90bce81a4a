#!/bin/sh
# run.sh BUILD SECONDS|short [HARNESS...] - fuzz each harness for SECONDS
# (make fuzz) or for the short pass of make test (make test-fuzz). BUILD
# holds the libFuzzer build (build/fuzz); HARNESS defaults to all of them.
#
# The short pass is a fixed amount of work, not of time: each harness runs
# a set number of inputs (short_runs below, about 3 s each on a loaded
# 2-core machine) from the seeds alone with a fixed -seed, so every machine
# tries the same mutations (the module's random hash seeds and the server's
# threads aside) and a slow machine only takes longer. SHORT_CAP seconds
# per harness bound the wall time all the same: a harness cut by it is
# reported as such, never as a failure. Only a finding fails.
#
# For each harness: its regression inputs (tests/fuzz/regressions/<h>) are
# replayed first, then libFuzzer runs for SECONDS on the corpus
# BUILD/corpus/<h> (kept between runs, so campaigns add up; VIGIL_FUZZ_CORPUS
# =fresh starts from the seeds only, as make test does) and the seeds made
# from the fixtures (tests/fuzz/mkseeds.py, made afresh for each run). A finding
# stops that harness; its input is kept in BUILD/findings/<h>/ and the way
# to reproduce it is printed. Exit status 1 if any harness found anything.
set -u
build=$1; secs=$2; shift 2
short=0
if [ "$secs" = short ]; then
	short=1
	secs=${SHORT_CAP:-30}
	VIGIL_FUZZ_CORPUS=fresh
fi
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
[ $# -gt 0 ] || set -- $(ls tests/fuzz/fuzz_*.c | sed 's|.*/fuzz_||; s|\.c$||' | grep -vx util)

# this run's own seeds: runs side by side (two harnesses on two cores) must
# not replace each other's
seeds=$build/seeds-$$
trap 'rm -rf "$seeds"' EXIT
python3 tests/fuzz/mkseeds.py "$seeds" >/dev/null || exit 2
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_stack_use_after_return=1"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
# llvm-14 (make deps) has the symbolizer under its own name only
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ] && ! command -v llvm-symbolizer >/dev/null &&
   [ -x /usr/lib/llvm-14/bin/llvm-symbolizer ]; then
	export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
fi

# per harness: the largest input, and whether libFuzzer's own per-input
# leak check suits it (not with writer or server threads: those harnesses
# look for leaks themselves, between batches)
max_len() {
	case $1 in
	decode|json) echo 4096 ;;
	rules|ioc|json_parse) echo 16384 ;;
	*) echo 8192 ;;
	esac
}
# per harness: the inputs of the short pass (about 3 s each here)
short_runs() {
	case $1 in
	json_parse) echo 100000 ;;
	decode|json) echo 50000 ;;
	rules) echo 2000 ;;
	config|ioc) echo 1200 ;;
	suppress|detectors) echo 1000 ;;
	web) echo 800 ;;
	pipeline) echo 800 ;;
	*) echo 1000 ;;
	esac
}
count_findings() {
	ls "$1" | grep -c -E '^(crash|leak|timeout|oom)-'
}
leaks() {
	case $1 in pipeline|web) echo 0 ;; *) echo 1 ;; esac
}

failed=""
summary=""
for h in "$@"; do
	bin=$build/harness/fuzz_$h
	if [ ! -x "$bin" ]; then
		echo "fuzz: no $bin (make fuzz builds it)" >&2
		exit 2
	fi
	if [ "${VIGIL_FUZZ_CORPUS:-}" = fresh ]; then
		corpus=$build/corpus-fresh/$h
		rm -rf "$corpus"
	else
		corpus=$build/corpus/$h
	fi
	findings=$build/findings/$h
	tmp=$build/tmp/$h
	log=$build/logs/$h.log
	mkdir -p "$corpus" "$findings" "$build/logs"
	rm -rf "$tmp"
	mkdir -p "$tmp"
	dict=""
	[ -f "tests/fuzz/dict/$h.dict" ] && dict="-dict=tests/fuzz/dict/$h.dict"

	regress=""
	if [ -d "tests/fuzz/regressions/$h" ]; then
		regress=$(find "tests/fuzz/regressions/$h" -type f ! -name '*.md' | sort)
	fi
	if [ -n "$regress" ]; then
		# shellcheck disable=SC2086
		if ! TMPDIR=$tmp VIGIL_FUZZ_BATCH=1 "$bin" -detect_leaks="$(leaks "$h")" $regress >"$log" 2>&1; then
			echo "fuzz_$h: a regression input fails again:"
			grep -E "FINDING|ERROR|SUMMARY|Running:" "$log" | tail -5 | sed 's/^/  /'
			echo "  full output: $log"
			failed="$failed $h"
			summary="$summary$(printf '\n  %-10s %12s %9s %8s %6s  %s' "$h" "-" "-" "-" "-" "REGRESSION")"
			continue
		fi
	fi

	# findings: crash-, leak-, timeout-, oom- files (slow-unit- ones only
	# say an input took long, which on a loaded machine means little)
	before=$(count_findings "$findings")
	work=""
	[ "$short" -eq 1 ] && work="-runs=$(short_runs "$h") -seed=1"
	start=$(date +%s)
	# shellcheck disable=SC2086
	TMPDIR=$tmp "$bin" -max_total_time="$secs" -timeout=60 -max_len="$(max_len "$h")" \
		-detect_leaks="$(leaks "$h")" -print_final_stats=1 -artifact_prefix="$findings/" \
		$work $dict "$corpus" "$seeds/$h" >"$log" 2>&1
	rc=$?
	took=$(( $(date +%s) - start ))
	rm -rf "$tmp"
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	units=$(ls "$corpus" | wc -l)
	if [ "$rc" -ne 0 ] || [ "$(count_findings "$findings")" -ne "$before" ]; then
		failed="$failed $h"
		result=FINDING
		echo "fuzz_$h: FINDING after ${execs:-?} executions:"
		grep -E "FINDING|ERROR: |SUMMARY|^==[0-9]+==.*(READ|WRITE)" "$log" | head -5 | sed 's/^/  /'
		for f in $(ls -t "$findings" | grep -v '^slow-unit-' | head -3); do
			echo "  input kept: $findings/$f"
			echo "  reproduce:  VIGIL_FUZZ_BATCH=1 $bin $findings/$f"
			echo "  regression: cp $findings/$f tests/fuzz/regressions/$h/<what-it-is>"
		done
		echo "  full output: $log"
	elif [ "$short" -eq 1 ] && [ "${execs:-0}" -lt "$(short_runs "$h")" ]; then
		result="ok (cut at $secs s)"
	else
		result=ok
	fi
	summary="$summary$(printf '\n  %-10s %12s %9s %8s %6s  %s' "$h" "${execs:-?}" "${rate:-?}" "$units" "$took" "$result")"
done

if [ "$short" -eq 1 ]; then
	printf '\nfuzz: short pass (a fixed number of inputs per harness, -seed=1)\n'
else
	printf '\nfuzz: %s s per harness\n' "$secs"
fi
printf '  %-10s %12s %9s %8s %6s  %s%s\n' harness executions "exec/s" corpus "s" result "$summary"
if [ -n "$failed" ]; then
	echo "fuzz: findings in:$failed (tests/fuzz/README.md: how to turn one into a regression test)"
	exit 1
fi
echo "fuzz: no findings"
