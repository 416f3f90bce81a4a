#!/bin/sh
# run.sh --board BOARD --version V - boot-test the image `make image` built
# (build/images/vigil-BOARD-V.img.xz) under qemu-system-aarch64; see
# check_image.py. Only the qemu-arm64 board can be booted here.
set -eu
board=qemu-arm64 version=
while [ $# -gt 0 ]; do
	case "$1" in
	--board) board=$2; shift 2 ;;
	--version) version=$2; shift 2 ;;
	*) echo "usage: run.sh --board BOARD --version V" >&2; exit 2 ;;
	esac
done
cd "$(dirname "$0")/../.."
[ -n "$version" ] || version=$(cat VERSION)
if [ "$board" != qemu-arm64 ]; then
	echo "test-image: $board cannot be booted here (only qemu-arm64); build it with make image BOARD=$board" >&2
	exit 2
fi
for t in qemu-system-aarch64 bmaptool mtype ssh ssh-keygen sfdisk; do
	command -v "$t" >/dev/null || { echo "test-image: $t is missing (make deps)" >&2; exit 1; }
done
exec python3 tests/image/check_image.py --image "build/images/vigil-$board-$version.img.xz"
