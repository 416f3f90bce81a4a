#!/bin/bash
# Browser tests of vigil's web page: the analyst's scenario (scenario.mjs) in
# Debian's Chromium, twice:
#   direct  `vigil serve` on http://127.0.0.1:PORT
#   https   lighttpd + mod_mbedtls on https://127.0.0.1:PORT (self-signed
#           certificate) in front of `vigil serve` on a UNIX socket, plus
#           checks of the front itself (HTTP -> HTTPS redirect, HSTS, no
#           Server header, X-Forwarded-For)
#   volume  `vigil serve` on 500 alerts over 200 signatures and 20,000
#           flows (volume.mjs): time to first render, rows that fit on
#           1366x900, sort, grouping, severity cards, no overflow at 390 px
#   daemon  `vigil run` on lo and a missing interface: the System page
#           shows both with their states (root only: live capture)
#   diskfull  as root, the System page of `vigil run` whose disk is full
#           (diskfull.mjs)
#   evidence  `vigil serve --evidence`: the pcap download buttons (evidence.mjs)
# Screenshots: build/test-artifacts/browser/{direct,https}-NN-step.png
#
# env: VIGIL          the vigil binary (default build/vigil)
#      VIGIL_WEB_OUT  the built page (default build/web; built when missing
#                     or older than firmware/web/)
#      CHROMIUM       default /usr/bin/chromium
#      VIGIL_HTTPS_PORT, VIGIL_HTTP_PORT  lighttpd's ports (default: free
#                     ports, so runs on one machine do not collide)
#      VIGIL_BROWSER_ARTIFACTS  where the screenshots go
#      VIGIL_MOCK=1   use tests/browser/mock-api.mjs instead of `vigil serve`
#                     (working on the page without the C side)
# Last line: "browser: N passed, M failed"; exit status 1 on any failure.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"

VIGIL=${VIGIL:-$ROOT/build/vigil}
OUT=${VIGIL_WEB_OUT:-$ROOT/build/web}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
ART=${VIGIL_BROWSER_ARTIFACTS:-$ROOT/build/test-artifacts/browser}
HTTPS_PORT=${VIGIL_HTTPS_PORT:-}
export VIGIL_TEST_PASSWORD='correct horse battery staple'
PASSED=0
FAILED=0
PIDS=()

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vigil-browser.XXXXXX")
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	mountpoint -q "$TMP/fs" 2>/dev/null && umount -l "$TMP/fs"
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pass() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
fail() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }
finish() {
	echo "browser: $PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
	exit $?
}
die() { fail "$*"; finish; }

free_port() {
	node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# How long to wait for a server to come up: only a hang takes this long
# (the loops end as soon as it answers), whatever the machine's speed.
PATIENCE=${VIGIL_TIMEOUT:-120}
TRIES=$((PATIENCE * 5))

# wait_http URL [curl options]: until it answers (any status), PATIENCE s at most
wait_http() {
	local url=$1; shift
	local i
	for i in $(seq 1 "$TRIES"); do
		curl -s -o /dev/null --max-time 2 "$@" "$url" && return 0
		sleep 0.2
	done
	return 1
}

# ---- prerequisites ---------------------------------------------------------
command -v node >/dev/null || die "node is not installed"
[ -x "$CHROMIUM" ] || die "no Chromium at $CHROMIUM (apt-get install chromium)"
if [ "${VIGIL_MOCK:-0}" != 1 ]; then
	[ -x "$VIGIL" ] || die "no vigil binary at $VIGIL (make)"
	"$VIGIL" serve --help >/dev/null 2>&1 || die "$VIGIL has no 'serve' command"
fi

# the page, built when missing or older than its sources
if [ ! -f "$OUT/index.html" ] || [ -n "$(find firmware/web -path firmware/web/node_modules -prune -o -newer "$OUT/index.html" -type f -print | head -1)" ]; then
	echo "# building the page into $OUT"
	# built aside, then swapped in: a server of another run may be serving
	# $OUT; under make web's lock (npm ci replaces node_modules in place)
	mkdir -p "$(dirname "$OUT")"
	exec 9>"$(dirname "$OUT")/.web.lock" && flock 9
	( cd firmware/web && { [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund; } \
		&& VIGIL_WEB_OUT="$OUT.new.$$" npm run build ) >"$TMP/web-build.log" 2>&1 \
		|| { rm -rf "$OUT.new.$$"; tail -20 "$TMP/web-build.log"; die "the page does not build"; }
	rm -rf "$OUT.old.$$"
	[ -d "$OUT" ] && mv "$OUT" "$OUT.old.$$"
	mv "$OUT.new.$$" "$OUT" && rm -rf "$OUT.old.$$"
	exec 9>&-
fi
[ -f "$OUT/index.html" ] || die "no $OUT/index.html"

if [ ! -d "$HERE/node_modules/playwright-core" ] || [ ! -d "$HERE/node_modules/axe-core" ] \
	|| [ "$HERE/package-lock.json" -nt "$HERE/node_modules/.package-lock.json" ]; then
	( cd "$HERE" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund ) >"$TMP/npm.log" 2>&1 \
		|| { tail -20 "$TMP/npm.log"; die "npm ci in tests/browser failed"; }
fi

mkdir -p "$ART"
rm -f "$ART"/direct-*.png "$ART"/https-*.png "$ART"/volume-*.png

# ---- the demo database -----------------------------------------------------
DEMO="$TMP/demo.sqlite"
if [ "${VIGIL_MOCK:-0}" = 1 ] && [ ! -x "$VIGIL" ]; then
	die "the mock needs a database made by $VIGIL replay"
fi
"$VIGIL" replay -q --rules rules/default --db "$DEMO" --evidence "$TMP/evidence" \
	tests/fixtures/demo.pcap tests/detect/sig_header.pcap \
	tests/detect/behav_portscan.pcap tests/detect/behav_bruteforce.pcap \
	|| die "vigil replay could not make the demo database"

# ---- 0. the page's words for the API's codes, in node (format.mjs) ---------
node "$HERE/format.mjs" >"$TMP/format.log" 2>&1
grep -E '^(not )?ok - ' "$TMP/format.log"
PASSED=$((PASSED + $(grep -c '^ok - ' "$TMP/format.log")))
FAILED=$((FAILED + $(grep -c '^not ok - ' "$TMP/format.log")))
grep -q '^format format: ' "$TMP/format.log" || fail "format.mjs stopped early: $(tail -3 "$TMP/format.log" | tr '\n' ' ')"

# start_serve NAME LISTEN [extra options]: a fresh copy of the database and
# state directory; sets SERVE_PID, STATE
start_serve() {
	local name=$1 listen=$2; shift 2
	STATE="$TMP/$name-state"
	mkdir -p "$STATE"
	cp "$DEMO" "$TMP/$name.sqlite"
	if [ "${VIGIL_MOCK:-0}" = 1 ]; then
		node "$HERE/mock-api.mjs" --db "$TMP/$name.sqlite" --listen "$listen" \
			--state-dir "$STATE" --static "$OUT" "$@" >"$TMP/$name-serve.log" 2>&1 &
	else
		"$VIGIL" serve --db "$TMP/$name.sqlite" --listen "$listen" \
			--state-dir "$STATE" --static "$OUT" "$@" >"$TMP/$name-serve.log" 2>&1 &
	fi
	SERVE_PID=$!
	PIDS+=("$SERVE_PID")
}

# the one-time setup token: state-dir/setup-token, else the server's log
setup_token() {
	local name=$1 i t
	for i in $(seq 1 "$TRIES"); do
		if [ -s "$STATE/setup-token" ]; then tr -d ' \n\r' <"$STATE/setup-token"; return 0; fi
		t=$(grep -oiE 'setup[ -]token[^0-9a-zA-Z]*[0-9a-zA-Z_-]{16,}' "$TMP/$name-serve.log" | grep -oE '[0-9a-zA-Z_-]{16,}$' | head -1)
		if [ -n "$t" ]; then echo "$t"; return 0; fi
		sleep 0.2
	done
	return 1
}

run_scenario() {
	local name=$1 base=$2 token=$3 out
	out="$TMP/$name-scenario.log"
	# the sensor (vigil run) replays the FTP capture into the served
	# database once more: the FTP alert the scenario acknowledged fires
	# again and recurs ([store] recur, default acknowledged)
	mkdir -p "$TMP/$name-recur"
	cat >"$TMP/$name-recur/vigil.conf" <<EOF
[capture]
source = pcap:$ROOT/tests/detect/sig_header.pcap
replay_speed = fast
exit_when_done = yes
[detect]
rules = $ROOT/rules/default
[store]
database = $TMP/$name.sqlite
eve = $TMP/$name-recur/eve.json
[daemon]
state_dir = $TMP/$name-recur/state
EOF
	INJECT_CMD="'$VIGIL' replay -q --rules rules/default --db '$TMP/$name.sqlite' tests/detect/behav_beacon.pcap" \
	RECUR_CMD="'$VIGIL' run -c '$TMP/$name-recur/vigil.conf' >'$TMP/$name-recur/log' 2>&1 || { tail -5 '$TMP/$name-recur/log'; exit 1; }" \
	BASE_URL="$base" SETUP_TOKEN="$token" NAME="$name" ARTIFACTS="$ART" CHROMIUM="$CHROMIUM" \
		timeout 600 node "$HERE/scenario.mjs" >"$out" 2>&1
	grep -E '^(not )?ok - |^# ' "$out"
	local p f
	p=$(grep -c '^ok - ' "$out")
	f=$(grep -c '^not ok - ' "$out")
	PASSED=$((PASSED + p))
	FAILED=$((FAILED + f))
	if ! grep -q "^scenario $name: " "$out"; then
		fail "$name: the scenario stopped early"
		tail -20 "$out" | sed 's/^/# /'
	fi
}

# check_xff NAME BASE [curl options]: sign in with a made-up X-Forwarded-For;
# the audit log's sign-in entry must name the real client (127.0.0.1), not
# the address the client claimed
check_xff() {
	local name=$1 base=$2; shift 2
	local jar="$TMP/$name-xff.jar" code target
	code=$(curl -s "$@" -o /dev/null -w '%{http_code}' -c "$jar" -X POST "$base/api/login" \
		-H 'Content-Type: application/json' -H 'X-Forwarded-For: 6.6.6.6' -H 'Forwarded: for=6.6.6.6' \
		-d "{\"username\":\"admin\",\"password\":\"$VIGIL_TEST_PASSWORD\"}")
	if [ "$code" != 200 ]; then fail "$name: sign-in with curl gave $code"; return; fi
	target=$(curl -s "$@" -b "$jar" "$base/api/audit?limit=20" | node -e '
		let s = ""; process.stdin.on("data", (d) => s += d).on("end", () => {
			const e = (JSON.parse(s).entries || []).find((x) => x.action === "login");
			console.log(e ? String(e.target) + " " + String(e.detail) : "none");
		});')
	case "$target" in
	*6.6.6.6*) fail "$name: the daemon believed a forged X-Forwarded-For (audit: $target)" ;;
	none) fail "$name: no login entry in the audit log" ;;
	*) pass "$name: a forged X-Forwarded-For is not believed (audit log: ${target% *})" ;;
	esac
}

# check_json_only NAME BASE [curl options]: a sign-in whose JSON body is sent
# as text/plain (what a cross-site form can send) is refused with 415 and
# sets no cookie; the page's own requests (application/json) work, as the
# scenario shows
check_json_only() {
	local name=$1 base=$2; shift 2
	local out code
	out=$(curl -s "$@" -D - -o /dev/null -X POST "$base/api/login" -H 'Content-Type: text/plain' \
		-d "{\"username\":\"admin\",\"password\":\"$VIGIL_TEST_PASSWORD\"}")
	code=$(echo "$out" | head -1 | awk '{print $2}')
	if [ "$code" = 415 ] && ! echo "$out" | grep -qi '^set-cookie:'; then
		pass "$name: a text/plain sign-in (cross-site form) is refused with 415"
	else
		fail "$name: a text/plain sign-in gave $code $(echo "$out" | grep -i '^set-cookie:' | head -1)"
	fi
}

show_log() { echo "# --- $1 (last lines)"; tail -15 "$2" 2>/dev/null | sed 's/^/# /'; }

# ---- 1. direct -------------------------------------------------------------
PORT=$(free_port)
start_serve direct "127.0.0.1:$PORT"
if wait_http "http://127.0.0.1:$PORT/api/setup"; then
	pass "direct: vigil serve answers on 127.0.0.1:$PORT"
	if TOKEN=$(setup_token direct); then
		run_scenario direct "http://127.0.0.1:$PORT" "$TOKEN"
		check_xff direct "http://127.0.0.1:$PORT"
		check_json_only direct "http://127.0.0.1:$PORT"
	else
		fail "direct: no setup token in $STATE/setup-token or the log"
	fi
else
	fail "direct: vigil serve does not answer on 127.0.0.1:$PORT"
	show_log "vigil serve" "$TMP/direct-serve.log"
fi
kill "$SERVE_PID" 2>/dev/null; wait "$SERVE_PID" 2>/dev/null

# ---- 1b. packet evidence: the pcap downloads (evidence.mjs) -----------------
if [ "${VIGIL_MOCK:-0}" != 1 ]; then
	PORT=$(free_port)
	start_serve evidence "127.0.0.1:$PORT" --evidence "$TMP/evidence"
	if wait_http "http://127.0.0.1:$PORT/api/setup" && TOKEN=$(setup_token evidence); then
		# rotation: the files' flows ended long ago; a replay with max_age 1h deletes them
		ROTATE_CMD="touch -d 2000-01-01 '$TMP'/evidence/*.pcap && '$VIGIL' replay -q --rules rules/default --evidence '$TMP/evidence' --evidence-max-age 1h tests/detect/benign_office.pcap" \
		BASE_URL="http://127.0.0.1:$PORT" SETUP_TOKEN="$TOKEN" NAME=evidence ARTIFACTS="$ART" CHROMIUM="$CHROMIUM" \
			timeout 300 node "$HERE/evidence.mjs" >"$TMP/evidence.log" 2>&1
		grep -E '^(not )?ok - ' "$TMP/evidence.log"
		PASSED=$((PASSED + $(grep -c '^ok - ' "$TMP/evidence.log")))
		FAILED=$((FAILED + $(grep -c '^not ok - ' "$TMP/evidence.log")))
		grep -q '^evidence evidence: ' "$TMP/evidence.log" || { fail "evidence: evidence.mjs stopped early"; tail -5 "$TMP/evidence.log" | sed 's/^/# /'; }
	else
		fail "evidence: vigil serve --evidence does not answer on 127.0.0.1:$PORT"
		show_log "vigil serve" "$TMP/evidence-serve.log"
	fi
	kill "$SERVE_PID" 2>/dev/null; wait "$SERVE_PID" 2>/dev/null
fi

# ---- 1c. volume: 500 alerts over 200 signatures, 20,000 flows --------------
# tools/bench_api.py's builder (vigil's schema from a replay, rows in bulk)
VOL="$TMP/volume-base.sqlite"
if [ "${VIGIL_MOCK:-0}" = 1 ]; then
	echo "# volume: skipped with VIGIL_MOCK"
elif python3 -c "import sys; sys.path.insert(0, 'tools'); import bench_api; bench_api.build(['$VIGIL'], '$VOL', 20000, 500)" >"$TMP/volume-build.log" 2>&1 &&
	# an indicator alert whose signature carries a long certificate hash (no
	# break opportunity): it must wrap or shorten, not widen a phone's page
	python3 - "$VOL" >>"$TMP/volume-build.log" 2>&1 <<'PY'
import sqlite3, sys
h = "9f2c4b7d1e0a3f5c8b6d2e4f1a3c5e7d9b0f2a4c6e8d0b2f4a6c8e0d2b4f6a8c"
con = sqlite3.connect(sys.argv[1])
con.execute("INSERT INTO alerts (engine, gid, sid, rev, signature, category, severity, ioc_kind,"
            " ioc_indicator, ioc_list, src_ip, dest_ip, proto, src_port, dest_port, app_proto,"
            " first_seen_us, last_seen_us, count, status) VALUES ('ioc', 9100, 6, 1, ?,"
            " 'A Network Trojan was detected', 1, 'tls_cert_sha256', ?, 'sslbl.csv', '10.0.0.77',"
            " '198.18.0.77', 6, 49152, 443, 'tls', 1736294400000000, 1736294400000000, 1, 'new')",
            ("vigil IOC TLS certificate SHA-256 " + h + " (sslbl.csv)", h))
con.commit()
PY
then
	cp "$VOL" "$TMP/volume.sqlite"
	STATE="$TMP/volume-state"
	mkdir -p "$STATE"
	PORT=$(free_port)
	"$VIGIL" serve --db "$TMP/volume.sqlite" --listen "127.0.0.1:$PORT" --state-dir "$STATE" \
		--static "$OUT" >"$TMP/volume-serve.log" 2>&1 &
	SERVE_PID=$!
	PIDS+=("$SERVE_PID")
	if wait_http "http://127.0.0.1:$PORT/api/setup" && TOKEN=$(setup_token volume) &&
	   [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/api/setup" -H 'Content-Type: application/json' \
		-d "{\"token\":\"$TOKEN\",\"username\":\"admin\",\"password\":\"$VIGIL_TEST_PASSWORD\"}")" = 201 ]; then
		BASE_URL="http://127.0.0.1:$PORT" NAME=volume ARTIFACTS="$ART" CHROMIUM="$CHROMIUM" \
			timeout 600 node "$HERE/volume.mjs" >"$TMP/volume.log" 2>&1
		grep -E '^(not )?ok - |^# ' "$TMP/volume.log"
		PASSED=$((PASSED + $(grep -c '^ok - ' "$TMP/volume.log")))
		FAILED=$((FAILED + $(grep -c '^not ok - ' "$TMP/volume.log")))
		grep -q '^volume volume: ' "$TMP/volume.log" || { fail "volume: volume.mjs stopped early"; tail -5 "$TMP/volume.log" | sed 's/^/# /'; }
	else
		fail "volume: vigil serve did not come up or setup failed"
		show_log "vigil serve" "$TMP/volume-serve.log"
	fi
	kill "$SERVE_PID" 2>/dev/null; wait "$SERVE_PID" 2>/dev/null
else
	fail "volume: the database could not be built"
	show_log "build" "$TMP/volume-build.log"
fi

# ---- 2. through lighttpd over HTTPS ----------------------------------------
LIGHTTPD=$(command -v lighttpd || echo /usr/sbin/lighttpd)
if [ ! -x "$LIGHTTPD" ] || [ ! -f /usr/lib/lighttpd/mod_mbedtls.so ]; then
	fail "https: lighttpd with mod_mbedtls is not installed (apt-get install lighttpd lighttpd-mod-mbedtls)"
	finish
fi
if [ -z "$HTTPS_PORT" ]; then
	HTTPS_PORT=$(free_port)
elif curl -sk -o /dev/null --max-time 2 "https://127.0.0.1:$HTTPS_PORT/" || curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$HTTPS_PORT/"; then
	fail "https: something already listens on 127.0.0.1:$HTTPS_PORT"
	finish
fi
HTTP_PORT=${VIGIL_HTTP_PORT:-$(free_port)}
SOCK="$TMP/web.sock"
mkdir -p "$TMP/tls" "$TMP/empty"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
	-keyout "$TMP/tls/key.pem" -out "$TMP/tls/cert.pem" >"$TMP/openssl.log" 2>&1 \
	|| die "openssl could not make a test certificate"
cat "$TMP/tls/cert.pem" "$TMP/tls/key.pem" >"$TMP/tls/vigil.pem"
sed -e "s|@BIND@|127.0.0.1|" -e "s|@HTTP_PORT@|$HTTP_PORT|" -e "s|@HTTPS_PORT@|$HTTPS_PORT|" \
	-e "s|@PEMFILE@|$TMP/tls/vigil.pem|" -e "s|@SOCKET@|$SOCK|" -e "s|@DOCROOT@|$TMP/empty|" \
	-e "s|@ERRORLOG@|$TMP/lighttpd-error.log|" -e "s|@SITE_CONF@|$ROOT/firmware/lighttpd/vigil-site.conf|" \
	firmware/lighttpd/vigil-lighttpd-local.conf.in >"$TMP/lighttpd.conf"

if "$LIGHTTPD" -tt -f "$TMP/lighttpd.conf" >"$TMP/lighttpd-check.log" 2>&1; then
	pass "https: the lighttpd configuration loads (lighttpd -tt)"
else
	fail "https: lighttpd -tt refuses the configuration"
	show_log "lighttpd -tt" "$TMP/lighttpd-check.log"
	show_log "lighttpd error log" "$TMP/lighttpd-error.log"
	finish
fi

start_serve https "unix:$SOCK" --secure-cookies
for i in $(seq 1 "$TRIES"); do [ -S "$SOCK" ] && break; sleep 0.2; done
"$LIGHTTPD" -D -f "$TMP/lighttpd.conf" >"$TMP/lighttpd.log" 2>&1 &
LPID=$!
PIDS+=("$LPID")
BASE="https://127.0.0.1:$HTTPS_PORT"

if [ -S "$SOCK" ] && wait_http "$BASE/api/setup" -k && kill -0 "$LPID" 2>/dev/null; then
	pass "https: lighttpd serves vigil on $BASE"

	H=$(curl -sk -D - -o /dev/null "$BASE/api/setup")
	echo "$H" | grep -qi '^strict-transport-security: max-age=[1-9]' \
		&& pass "https: HSTS header" || fail "https: no Strict-Transport-Security header"
	echo "$H" | grep -qi '^server:' \
		&& fail "https: a Server header is sent ($(echo "$H" | grep -i '^server:' | tr -d '\r'))" || pass "https: no Server header (server.tag)"

	R=$(curl -s -D - -o /dev/null "http://127.0.0.1:$HTTP_PORT/some/path?x=1")
	if echo "$R" | head -1 | grep -qE ' 30[178] ' && echo "$R" | grep -qi "^location: https://127.0.0.1:$HTTPS_PORT/some/path?x=1"; then
		pass "https: HTTP on $HTTP_PORT redirects to $BASE"
	else
		fail "https: HTTP does not redirect to HTTPS: $(echo "$R" | head -3 | tr -d '\r' | tr '\n' ' ')"
	fi

	L=$(curl -sk -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' x)" "$BASE/api/setup")
	[ "$L" = 431 ] && pass "https: request headers over 8 KiB: 431 (server.max-request-field-size)" \
		|| fail "https: request headers over 8 KiB gave $L, not 431"
	grep -q 'max-connections' "$TMP/lighttpd-error.log" 2>/dev/null \
		&& fail "https: lighttpd lowered server.max-connections: $(grep 'max-connections' "$TMP/lighttpd-error.log" | head -1)" \
		|| pass "https: lighttpd runs with server.max-connections as configured"
	# slow and idle clients (firmware/lighttpd/vigil-site.conf)
	HOST=127.0.0.1 HTTP_PORT=$HTTP_PORT BASE=$BASE COUNT=600 timeout 300 node "$HERE/slow-clients.mjs" \
		>"$TMP/slow-clients.log" 2>&1
	grep -E '^(not )?ok - ' "$TMP/slow-clients.log"
	PASSED=$((PASSED + $(grep -c '^ok - ' "$TMP/slow-clients.log")))
	FAILED=$((FAILED + $(grep -c '^not ok - ' "$TMP/slow-clients.log")))
	grep -q '^slow-clients: ' "$TMP/slow-clients.log" || { fail "https: slow-clients.mjs stopped early"; tail -5 "$TMP/slow-clients.log" | sed 's/^/# /'; }

	L=$(curl -sk -o /dev/null -w '%{http_code}' "$BASE/assets/")
	B=$(curl -sk "$BASE/assets/" | head -c 2000)
	if echo "$B" | grep -qiE 'index of|<a href=.*\.js'; then
		fail "https: /assets/ lists the directory"
	else
		pass "https: no directory listing (/assets/ -> $L)"
	fi

	if TOKEN=$(setup_token https); then
		run_scenario https "$BASE" "$TOKEN"
		check_xff https "$BASE" -k
		check_json_only https "$BASE" -k
	else
		fail "https: no setup token in $STATE/setup-token or the log"
	fi

else
	fail "https: no answer from lighttpd on $BASE"
	show_log "lighttpd" "$TMP/lighttpd.log"
	show_log "lighttpd error log" "$TMP/lighttpd-error.log"
	show_log "vigil serve" "$TMP/https-serve.log"
fi

# ---- 3. the System page of a running daemon --------------------------------
# `vigil run` on lo and an interface that does not exist: the page shows
# both with their states, and an uplink to a port nobody listens on with
# its reason. Live capture needs root (CAP_NET_RAW).
if [ "${VIGIL_MOCK:-0}" = 1 ]; then
	echo "# skipped: the System page of vigil run (VIGIL_MOCK=1)"
elif [ "$(id -u)" -ne 0 ]; then
	echo "# skipped: the System page of vigil run (live capture needs root)"
else
	DPORT=$(free_port)
	UPORT=$(free_port)
	mkdir -p "$TMP/daemon-state"
	cat >"$TMP/daemon.conf" <<EOF
[capture]
interface = lo, vglmissing0
[store]
database = $TMP/daemon.sqlite
[web]
listen = 127.0.0.1:$DPORT
static_dir = $OUT
[daemon]
state_dir = $TMP/daemon-state
[uplink]
url = relp+tls://127.0.0.1:$UPORT
ca = $TMP/tls/cert.pem
EOF
	"$VIGIL" run -c "$TMP/daemon.conf" >"$TMP/daemon-serve.log" 2>&1 &
	DPID=$!
	PIDS+=("$DPID")
	STATE="$TMP/daemon-state"
	if wait_http "http://127.0.0.1:$DPORT/api/setup" && TOKEN=$(setup_token daemon); then
		out="$TMP/daemon-system.log"
		BASE_URL="http://127.0.0.1:$DPORT" SETUP_TOKEN="$TOKEN" NAME=daemon ARTIFACTS="$ART" \
			CHROMIUM="$CHROMIUM" UP_IF=lo MISSING_IF=vglmissing0 UPLINK_URL="relp+tls://127.0.0.1:$UPORT" \
			timeout 300 node "$HERE/system.mjs" >"$out" 2>&1
		grep -E '^(not )?ok - ' "$out"
		PASSED=$((PASSED + $(grep -c '^ok - ' "$out")))
		FAILED=$((FAILED + $(grep -c '^not ok - ' "$out")))
		grep -q '^system daemon: ' "$out" || { fail "daemon: the System page check stopped early"; tail -20 "$out" | sed 's/^/# /'; }
	else
		fail "daemon: vigil run does not answer on 127.0.0.1:$DPORT"
		show_log "vigil run" "$TMP/daemon-serve.log"
	fi
	kill "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null
fi

# ---- 4. the System page while the daemon's disk is full (root) -------------
# `vigil run` replays captures in a loop into a database on a small tmpfs;
# once the page is set up and open, diskfull.mjs fills the file system, and
# the page must say that database writes fail, why, and what is lost.
diskfull() {
	local fs="$TMP/fs" port dpid i token base
	mkdir -p "$fs" && mount -t tmpfs -o size=64m tmpfs "$fs" || { fail "disk full: cannot mount a tmpfs"; return; }
	port=$(free_port)
	base="http://127.0.0.1:$port"
	cat >"$TMP/diskfull.conf" <<CONF
[capture]
source = pcap:$ROOT/tests/detect/behav_portscan.pcap, $ROOT/tests/detect/sig_header.pcap, $ROOT/tests/detect/benign_office.pcap
replay_speed = fast
loop = yes
[detect]
rules = $ROOT/tests/detect/rulesets/sig
[store]
database = $fs/vigil.sqlite
eve =
max_size = 2M
retention_interval = 1s
[evidence]
dir = $TMP/diskfull-evidence
[daemon]
state_dir = $TMP/diskfull-state
log_level = info
[web]
listen = 127.0.0.1:$port
static_dir = $OUT
CONF
	"$VIGIL" run -c "$TMP/diskfull.conf" >"$TMP/diskfull.log" 2>&1 &
	dpid=$!
	PIDS+=("$dpid")
	if wait_http "$base/api/setup" && token=$(tr -d ' \n' <"$TMP/diskfull-state/setup-token" 2>/dev/null) &&
	   [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$base/api/setup" -H 'Content-Type: application/json' \
		-d "{\"token\":\"$token\",\"username\":\"admin\",\"password\":\"$VIGIL_TEST_PASSWORD\"}")" = 201 ]; then
		BASE_URL=$base FILL="$fs/filler" ARTIFACTS="$ART" CHROMIUM="$CHROMIUM" \
			timeout 600 node "$HERE/diskfull.mjs" >"$TMP/diskfull-node.log" 2>&1
		if grep -q '^ok - ' "$TMP/diskfull-node.log"; then
			pass "$(sed -n 's/^ok - //p' "$TMP/diskfull-node.log")"
		else
			grep -q '^not ok - ' "$TMP/diskfull-node.log" || echo "not ok - disk full: $(tail -3 "$TMP/diskfull-node.log" | tr '\n' ' ')" >>"$TMP/diskfull-node.log"
			fail "$(sed -n 's/^not ok - //p' "$TMP/diskfull-node.log" | head -1)"
			show_log "vigil run" "$TMP/diskfull.log"
		fi
	else
		fail "disk full: the daemon did not come up or setup failed"
		show_log "vigil run" "$TMP/diskfull.log"
	fi
	rm -f "$fs/filler"
	kill "$dpid" 2>/dev/null; wait "$dpid" 2>/dev/null
	umount -l "$fs"
}
if [ "${VIGIL_MOCK:-0}" = 1 ]; then
	echo "# disk full: skipped with VIGIL_MOCK"
elif [ "$(id -u)" -ne 0 ]; then
	echo "# skip disk full: mounting a small file system needs root"
else
	diskfull
fi

if [ "$FAILED" -ne 0 ]; then
	show_log "vigil run" "$TMP/daemon-serve.log"
	show_log "vigil serve (direct)" "$TMP/direct-serve.log"
	show_log "vigil serve (https)" "$TMP/https-serve.log"
	show_log "lighttpd error log" "$TMP/lighttpd-error.log"
fi
echo "# screenshots: $ART"
finish
