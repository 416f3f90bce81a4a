#!/bin/sh
# run.sh --board BOARD --version V - test the image `make image` built
# (build/images/vigil-BOARD-V.img.xz): what can be checked without booting
# it (check_board_image.py: partitions, boot files, boot loader, root file
# system), then, for qemu-arm64, boot it under qemu-system-aarch64
# (check_image.py). The Raspberry Pi and ROCK Pi E images cannot boot here.
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
image=build/images/vigil-$board-$version.img.xz
for t in bmaptool mtype sfdisk debugfs sha256sum; do
	command -v "$t" >/dev/null || { echo "test-image: $t is missing (make deps)" >&2; exit 1; }
done
status=0
python3 tests/image/check_board_image.py --board "$board" --image "$image" || status=1
if [ "$board" = qemu-arm64 ]; then
	for t in qemu-system-aarch64 ssh ssh-keygen; do
		command -v "$t" >/dev/null || { echo "test-image: $t is missing (make deps)" >&2; exit 1; }
	done
	python3 tests/image/check_image.py --image "$image" || status=1
else
	echo "test-image: $board is checked, not booted (no board here)"
fi
exit $status
