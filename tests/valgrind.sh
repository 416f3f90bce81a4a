#!/bin/sh
# valgrind.sh VIGIL - memcheck on real replays: every error, every definite
# leak and every use of uninitialised memory fails the run.
set -eu
vigil=${1:?usage: valgrind.sh VIGIL}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
for f in demo.pcap malformed.pcap gre.pcap pppoe_pfc.pcap ipv4_frag.pcap tcp_timeouts.pcap; do
	[ -f "tests/fixtures/$f" ] || continue
	if valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
		--show-leak-kinds=definite "$vigil" replay -q --eve "$tmp/e.json" --db "$tmp/d.sqlite" \
		"tests/fixtures/$f" 2> "$tmp/log"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1)); echo "valgrind: $f:"; cat "$tmp/log"
	fi
	rm -f "$tmp"/d.sqlite*
done
# detection: every engine, with the test rule sets and the default set,
# and the packet evidence of their alerts
for spec in "sig_header.pcap rules/default" "ioc_plain.pcap tests/detect/rulesets/ioc" \
	    "behav_portscan.pcap tests/detect/rulesets/behav" "suppress.pcap tests/detect/rulesets/suppress_rules" \
	    "sig_payload.pcap tests/detect/rulesets/sig" "default_payload.pcap rules/default"; do
	set -- $spec
	[ -f "tests/detect/$1" ] && [ -d "$2" ] || continue
	if valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
		--show-leak-kinds=definite "$vigil" replay -q --rules "$2" --eve "$tmp/e.json" \
		--db "$tmp/d.sqlite" --evidence "$tmp/evidence" "tests/detect/$1" 2> "$tmp/log"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1)); echo "valgrind: $1 with $2:"; cat "$tmp/log"
	fi
	rm -f "$tmp"/d.sqlite*
done
# rule bundles: sign the default set (libarchive, mbedTLS), verify it, and
# refuse it under another key
if command -v openssl >/dev/null; then
	for k in a b; do
		openssl ecparam -genkey -name prime256v1 -noout -out "$tmp/$k.pem" 2>/dev/null
		openssl ec -in "$tmp/$k.pem" -pubout -out "$tmp/$k.pub" 2>/dev/null
	done
	for step in "sign --key $tmp/a.pem --output $tmp/b.tar rules/default" \
		    "verify --pubkey $tmp/a.pub $tmp/b.tar" "!verify --pubkey $tmp/b.pub $tmp/b.tar"; do
		want=0
		case "$step" in !*) want=1; step=${step#!} ;; esac
		rc=0
		valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
			--show-leak-kinds=definite "$vigil" rules $step >/dev/null 2> "$tmp/log" || rc=$?
		if [ "$rc" -eq "$want" ]; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1)); echo "valgrind: rules $step (exit $rc, want $want):"; cat "$tmp/log"
		fi
	done
fi
echo "valgrind: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
