#!/bin/sh
# run.sh - the uplink against real peers (tests/uplink/check_uplink.py):
# rsyslog (imrelp over TLS, imtcp with gtls), tinyproxy, certificates made
# with openssl; all on loopback ports the test picks.
#
# VIGIL: the command that runs vigil (default build/vigil). Prints
# "uplink: N passed, M failed" last and exits non-zero on any failure.

exec "$(dirname "$0")/../run-py-suite.sh" uplink tests/uplink/check_uplink.py
