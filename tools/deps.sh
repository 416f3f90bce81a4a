#!/bin/sh
# deps.sh - check or install the Debian packages vigil needs.
#   deps.sh check PKG...          exit 1 if any is missing
#   deps.sh install PKG...        apt-get install what is missing
#   deps.sh install-arm64 PKG...  same, after enabling the arm64 architecture
set -eu
mode=$1; shift
missing() {
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
	done
}
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
case "$mode" in
check)
	m=$(missing "$@")
	[ -z "$m" ] && exit 0
	echo "missing Debian packages: $(echo $m)" >&2
	exit 1 ;;
install|install-arm64)
	if [ "$mode" = install-arm64 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
		$sudo dpkg --add-architecture arm64
	fi
	m=$(missing "$@")
	[ -z "$m" ] && exit 0
	echo "installing: $(echo $m)"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $m ;;
*)
	echo "usage: deps.sh check|install|install-arm64 PKG..." >&2; exit 2 ;;
esac
