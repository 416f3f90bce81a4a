#!/bin/sh
# run.sh - [rules_sync] against a real web server
# (tests/rules_sync/check_rules_sync.py): lighttpd with mod_mbedtls serving
# signed rule bundles, certificates and signing keys made with openssl;
# all on loopback ports the test picks.
#
# VIGIL: the command that runs vigil (default build/vigil). Prints
# "rules_sync: N passed, M failed" last and exits non-zero on any failure.

exec "$(dirname "$0")/../run-py-suite.sh" rules_sync tests/rules_sync/check_rules_sync.py
