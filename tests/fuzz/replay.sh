#!/bin/sh
# replay.sh RUNNER DIR - replay the fuzz inputs kept in the tree through the
# harnesses of a regular build (DIR = BUILD/harness, made with replay_main.c:
# gcc, gcc with ASan/UBSan, arm64 under qemu = RUNNER). make test-unit runs it.
# Inputs: tests/fuzz/regressions/<h> (every finding so far) and the
# hand-written seeds tests/fuzz/seeds/<h>. Prints a total; exit 1 on failure.
runner=$1; dir=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
pass=0; fail=0
for bin in "$dir"/fuzz_*; do
	h=${bin##*/fuzz_}
	[ -x "$bin" ] && [ "$h" = "${h%.o}" ] || continue
	inputs=""
	for d in tests/fuzz/regressions/$h tests/fuzz/seeds/$h; do
		[ -d "$d" ] && inputs="$inputs $d"
	done
	[ -n "$inputs" ] || continue
	tmp=$(mktemp -d) || exit 2
	# shellcheck disable=SC2086
	if TMPDIR=$tmp $runner "$dir/fuzz_$h" $inputs >"$tmp.log" 2>&1; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAILED: fuzz_$h replay:"
		tail -20 "$tmp.log" | sed 's/^/  /'
	fi
	rm -rf "$tmp" "$tmp.log"
done
echo "fuzz replay: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
