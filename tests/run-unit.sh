#!/bin/sh
# run-unit.sh RUNNER BIN... - run cmocka unit test binaries, print a total.
runner=$1; shift
pass=0; fail=0
for t in "$@"; do
	if $runner "$t"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAILED: $t"; fi
done
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
