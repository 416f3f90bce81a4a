#!/bin/sh
# test-deb.sh DEB - the vigil package: its fields, its files (dpkg-deb -c),
# its maintainer scripts and lintian (no error allowed; warnings printed).
# The image test (tests/image/check_image.py) installs the arm64 package
# for real.
# Last line: "deb: N passed, M failed".
set -u
deb=${1:?usage: test-deb.sh DEB}
passed=0 failed=0
check() { # name, then a command that must succeed
	name=$1; shift
	if "$@" >/dev/null 2>&1; then
		passed=$((passed + 1)); echo "ok    $name"
	else
		failed=$((failed + 1)); echo "FAIL  $name"
	fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

dpkg-deb -f "$deb" > "$tmp/fields"
dpkg-deb -c "$deb" | awk '{ print $1, $2, $6 }' | sed 's| \./| /|' > "$tmp/contents"
dpkg-deb -e "$deb" "$tmp/DEBIAN"
field() { sed -n "s/^$1: //p" "$tmp/fields"; }
has() { grep -q " $1\$" "$tmp/contents"; }
mode() { grep -q "^$1 root/root $2\$" "$tmp/contents"; }

check "Package: vigil" test "$(field Package)" = vigil
check "Version is the tree's VERSION" test "$(field Version)" = "$(cat "$(dirname "$0")/../../VERSION")"
check "Architecture matches the file name" sh -c "case '$deb' in *_$(field Architecture).deb) exit 0;; esac; exit 1"
for dep in libc6 libpcap0.8 libsqlite3-0 libndpi4.2 libmicrohttpd12 lighttpd lighttpd-mod-mbedtls adduser openssl; do
	check "Depends names $dep" sh -c "dpkg-deb -f '$deb' Depends | tr ',' '\n' | grep -q '^ *$dep\\b'"
done
check "Depends has versions from dpkg-shlibdeps" sh -c "dpkg-deb -f '$deb' Depends | grep -q 'libsqlite3-0 (>= '"

for f in /usr/bin/vigil /lib/systemd/system/vigil.service /lib/systemd/system/vigil-lighttpd.service \
	/usr/lib/vigil/vigil-tls-init /etc/vigil/vigil.conf /etc/vigil/lighttpd/vigil-lighttpd.conf \
	/etc/vigil/lighttpd/vigil-site.conf /usr/share/man/man8/vigil.8.gz /usr/share/man/man5/vigil.conf.5.gz \
	/usr/share/doc/vigil/copyright /usr/share/doc/vigil/changelog.gz /usr/share/vigil/web/index.html \
	/usr/share/vigil/rules/default/vigil-default.rules /usr/share/vigil/rules/default/detectors.conf \
	/usr/share/vigil/empty/; do
	check "contains $f" has "$f"
done
check "the page's assets are in" grep -q ' /usr/share/vigil/web/assets/index-.*\.js$' "$tmp/contents"
check "vigil is 0755 root" mode -rwxr-xr-x /usr/bin/vigil
check "nothing is owned by anyone but root" sh -c "! grep -v ' root/root ' '$tmp/contents'"
check "nothing in /usr/local, /home or /var/lib" sh -c "! grep -E ' /(usr/local|home|var/lib)/' '$tmp/contents'"
check "no build paths or test files" sh -c "! grep -E 'build/|tests/|\\.o\$|node_modules' '$tmp/contents'"
check "the binary is stripped" sh -c "dpkg-deb --fsys-tarfile '$deb' | tar -xO ./usr/bin/vigil > '$tmp/vigil' && chmod 0755 '$tmp/vigil' && ! file '$tmp/vigil' | grep -q 'not stripped'"
check "the binary is built with RELRO and BIND_NOW" sh -c "readelf -d '$tmp/vigil' | grep -q BIND_NOW && readelf -l '$tmp/vigil' | grep -q GNU_RELRO"
if [ "$(field Architecture)" = "$(dpkg --print-architecture)" ]; then
	check "the packaged binary runs (vigil --version)" sh -c "'$tmp/vigil' --version | grep -q '$(field Version)'"
fi

check "conffiles: vigil.conf and the lighttpd files" sh -c "grep -qx /etc/vigil/vigil.conf '$tmp/DEBIAN/conffiles' && grep -qx /etc/vigil/lighttpd/vigil-site.conf '$tmp/DEBIAN/conffiles'"
for s in postinst prerm postrm; do
	check "$s is a valid shell script" sh -n "$tmp/DEBIAN/$s"
done
check "postinst makes the vigil system user" grep -q 'adduser --system' "$tmp/DEBIAN/postinst"
check "postinst puts www-data (lighttpd) in vigil-web" grep -q 'adduser --quiet www-data vigil-web' "$tmp/DEBIAN/postinst"
check "md5sums cover every file" sh -c "test \$(wc -l < '$tmp/DEBIAN/md5sums') -eq \$(grep -vc '/\$' '$tmp/contents')"

lintian --tag-display-limit 0 "$deb" > "$tmp/lintian" 2>&1
grep -v -e 'running with root privileges' "$tmp/lintian" | sed 's/^/  lintian: /'
check "lintian: no errors" sh -c "! grep -q '^E: ' '$tmp/lintian'"

echo "deb: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
