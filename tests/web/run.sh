#!/bin/sh
# run.sh - the web API's end-to-end tests (tests/web/test_api.py) against a
# real `vigil serve`: on 127.0.0.1 and on a UNIX socket.
#
#   tests/web/run.sh              the whole suite with VIGIL (default build/vigil)
#   tests/web/run.sh --quick      a short subset
#   tests/web/run.sh --valgrind   the short subset under valgrind memcheck: any
#                                 error or definite leak until the server stops
#                                 fails the run
#
# VIGIL: the command that runs vigil, possibly with a prefix, e.g.
#   VIGIL="qemu-aarch64 -L / $PWD/build/arm64/vigil" tests/web/run.sh
#   VIGIL=$PWD/build/asan/vigil tests/web/run.sh
# Prints "web-api: N passed, M failed" last; exits non-zero on any failure.

cd "$(dirname "$0")/../.." || exit 1
: "${VIGIL:=$(pwd)/build/vigil}"
PY=${PYTHON:-python3}
[ -x /usr/bin/python3 ] && [ -z "$PYTHON" ] && PY=/usr/bin/python3

args=
case "${1:-}" in
--quick) args=--quick ;;
--valgrind)
	command -v valgrind >/dev/null 2>&1 || { echo "FAIL  valgrind is not installed"; echo "web-api: 0 passed, 1 failed"; exit 1; }
	VIGIL="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite $VIGIL"
	: "${VIGIL_TIMEOUT:=300}"
	export VIGIL_TIMEOUT
	args=--quick ;;
"") ;;
*) echo "usage: tests/web/run.sh [--quick|--valgrind]" >&2; exit 2 ;;
esac
export VIGIL
exec "$PY" tests/web/test_api.py $args
