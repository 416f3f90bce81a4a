#!/usr/bin/env python3
"""check_default_rules.py - the default rule set on the public pcap corpus.

Every capture under $VIGIL_PCAP_CORPUS (or the folder given as argument) is
replayed with `vigil replay --rules rules/default` by the binary named in
$VIGIL (the ASan+UBSan build, as for compare.py):
  * it must exit 0 without a sanitizer report;
  * the captures listed in BENIGN below (ordinary traffic, judged by
    looking at them with tshark and ndpiReader) must raise no alert at all:
    an alert there is a false positive of the default rule set;
  * for the others the alerts are counted and printed by signature (the
    malware, attack, P2P, tunnel and clear-text captures are expected to
    raise some; the numbers are for reading, not checked).

Usage: check_default_rules.py [CORPUS_DIR]
Environment: VIGIL (default build/asan/vigil), VIGIL_PCAP_CORPUS,
VIGIL_TIMEOUT (seconds per replay, default 600).
Ends with "default-rules: N passed, M failed"; exit 1 on any failure.
Without a corpus it says so and counts nothing.
"""

import collections
import json
import os
import shlex
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
RULES = os.path.join(ROOT, "rules", "default")
VIGIL = shlex.split(os.environ.get("VIGIL") or
                    os.path.join(ROOT, "build", "asan", "vigil"))
ENV = dict(os.environ,
           ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:exitcode=86",
           UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=87")
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   "runtime error:", "SUMMARY: UndefinedBehaviorSanitizer")

# Ordinary traffic: browsing, streaming, QUIC, mobile background traffic,
# conferencing, name resolution (plain, DoT, DoH), time, DHCP, management
# protocols and tunnels/encapsulations carrying the same. Paths relative to
# the corpus folder.
BENIGN = {
    "ndpi/443-firefox.pcap": "Firefox HTTPS session",
    "ndpi/youtube_quic.pcap": "YouTube over QUIC",
    "ndpi/reddit.pcap": "browsing reddit",
    "ndpi/netflix.pcap": "Netflix streaming",
    "ndpi/quic.pcap": "QUIC to YouTube/Google/Gmail",
    "ndpi/quic-29.pcap": "IETF QUIC draft-29 handshake",
    "ndpi/quic046.pcap": "Google QUIC Q046",
    "ndpi/quic-v2.pcapng": "QUIC version 2 handshake",
    "ndpi/android.pcap": "Android phone background traffic",
    "ndpi/alexa-app.pcapng": "Amazon Alexa app",
    "ndpi/instagram.pcap": "Instagram app",
    "ndpi/wechat.pcap": "WeChat app",
    "ndpi/1kxun.pcap": "a LAN's mixed everyday traffic",
    "ndpi/http_ipv6.pcap": "HTTP and TLS over IPv6 (ntop.org, Google)",
    "ndpi/webex.pcap": "Cisco Webex meeting",
    "ndpi/teams.pcap": "Microsoft Teams session",
    "ndpi/stun.pcap": "WebRTC calls (STUN/DTLS/RTP)",
    "ndpi/sip.pcap": "SIP telephony",
    "ndpi/NTPv4.pcap": "one NTP packet",
    "ndpi/dns.pcap": "DNS queries",
    "ndpi/dns_dot.pcap": "DNS over TLS",
    "ndpi/dns_doh.pcap": "DNS over HTTPS",
    "ndpi/dns_fragmented.pcap": "large fragmented DNS answers",
    "ndpi/googledns_android10.pcap": "Android private DNS",
    "ndpi/syslog.pcap": "syslog",
    "ndpi/snmp.pcap": "SNMP",
    "ndpi/netbios.pcap": "NetBIOS name service",
    "ndpi/kerberos.pcap": "Kerberos",
    "ndpi/encrypted_sni.pcap": "TLS with encrypted SNI",
    "ndpi/tls_ech.pcapng": "TLS with Encrypted Client Hello",
    "ndpi/tls_verylong_certificate.pcap": "TLS with a long certificate chain",
    "ndpi/ja3_lots_of_cipher_suites.pcap": "TLS client offering many ciphers",
    "ndpi/http_connect.pcap": "HTTP CONNECT through a proxy",
    "ndpi/4in6tunnel.pcap": "IPv4-in-IPv6",
    "ndpi/6in4tunnel.pcap": "IPv6-in-IPv4 carrying web traffic",
    "ndpi/BGP_redist.pcap": "BGP",
    "ndpi/gre.pcapng": "GRE",
    "ndpi/gtp_c.pcap": "GTP control plane",
    "ndpi/ipv6_in_gtp.pcap": "IPv6 in GTP-U",
    "ndpi/teredo.pcap": "Teredo",
    "ndpi/vxlan.pcap": "VXLAN",
    "ndpi/wireguard.pcap": "WireGuard VPN",
    "tcpdump/dhcp-rfc4388.pcap": "DHCP lease query",
    "tcpdump/802.1ad_QinQ.pcap": "QinQ-tagged traffic",
    "tcpdump/erspan-type-ii-3.pcap": "ERSPAN-mirrored traffic",
    "suricata-verify/bug-4810/pppoe-session-http.pcap": "HTTP over PPPoE",
}


def timeout():
    return float(os.environ.get("VIGIL_TIMEOUT", "600"))


def captures(corpus):
    out = []
    for dirpath, _, files in os.walk(corpus):
        for f in files:
            if f.endswith((".pcap", ".pcapng", ".cap")):
                out.append(os.path.relpath(os.path.join(dirpath, f), corpus))
    return sorted(out)


def replay(path, eve):
    """(problem or None, alert events, flows by id)."""
    try:
        p = subprocess.run(VIGIL + ["replay", "-q", "--rules", RULES,
                                    "--eve", eve, path],
                           capture_output=True, text=True, env=ENV,
                           timeout=timeout(), stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return "timed out after %.0f s" % timeout(), [], {}
    except OSError as e:
        return "cannot run %s: %s" % (" ".join(VIGIL), e), [], {}
    err = p.stderr or ""
    if any(m in err for m in SANITIZER_MARKS):
        return "sanitizer report (exit %d): %s" % (p.returncode,
                                                   err.strip()[-1500:]), [], {}
    if p.returncode != 0:
        return "exit %d: %s" % (p.returncode, err.strip()[-1000:]), [], {}
    alerts, flows = [], {}
    try:
        with open(eve) as f:
            for line in f:
                ev = json.loads(line)
                if ev.get("event_type") == "alert":
                    alerts.append(ev)
                elif ev.get("event_type") == "flow":
                    flows[ev.get("flow_id")] = ev
    except (OSError, ValueError) as e:
        return "unreadable EVE output: %s" % e, [], {}
    return None, alerts, flows


def describe(alert, flows):
    """One line per alert: rule, endpoints and what nDPI saw of the flow."""
    a = alert.get("alert", {})
    f = flows.get(alert.get("flow_id"), {})
    name = (f.get("tls") or {}).get("sni") or \
        (f.get("dns") or {}).get("rrname") or \
        (f.get("http") or {}).get("hostname") or ""
    return "%d:%d %s | %s %s:%s -> %s:%s | %s %s risks=%s" % (
        a.get("gid", 0), a.get("signature_id", 0), a.get("signature"),
        alert.get("proto", ""), alert.get("src_ip"), alert.get("src_port", ""),
        alert.get("dest_ip"), alert.get("dest_port", ""),
        (f.get("ndpi") or {}).get("protocol", ""), name,
        ",".join((f.get("ndpi") or {}).get("risks", [])))


def main():
    corpus = sys.argv[1] if len(sys.argv) > 1 else \
        os.environ.get("VIGIL_PCAP_CORPUS", "")
    if not corpus:
        print("default-rules: VIGIL_PCAP_CORPUS is not set, nothing to do")
        print("default-rules: 0 passed, 0 failed")
        return 0
    passed = failed = 0

    def result(ok, title, details=()):
        nonlocal passed, failed
        if ok:
            passed += 1
            print("ok    %s" % title)
        else:
            failed += 1
            print("FAIL  %s" % title)
            for d in list(details)[:30]:
                print("        %s" % d)
        sys.stdout.flush()

    if not os.path.isdir(corpus):
        result(False, "corpus folder %s exists" % corpus)
        print("default-rules: %d passed, %d failed" % (passed, failed))
        return 1
    if not os.path.isdir(RULES):
        result(False, "rule set %s exists" % RULES)
        print("default-rules: %d passed, %d failed" % (passed, failed))
        return 1
    caps = captures(corpus)
    for name in sorted(BENIGN):
        if name not in caps:
            print("note  %s (listed as benign) is not in the corpus" % name)
    totals = collections.Counter()
    with tempfile.TemporaryDirectory(prefix="vigil-rules-") as tmp:
        eve = os.path.join(tmp, "eve.json")
        for name in caps:
            if os.path.exists(eve):
                os.unlink(eve)
            problem, alerts, flows = replay(os.path.join(corpus, name), eve)
            result(problem is None, "%s: replays with rules/default, exit 0"
                   % name, [problem] if problem else [])
            if problem:
                continue
            if name in BENIGN:
                result(not alerts, "%s: no alert on benign traffic (%s)" %
                       (name, BENIGN[name]),
                       ["%d alert(s):" % len(alerts)] +
                       [describe(a, flows) for a in alerts])
                continue
            by_sig = collections.Counter(
                (a.get("alert", {}).get("signature") or "?") for a in alerts)
            totals.update(by_sig)
            print("      %s: %d alert(s)%s" % (
                name, len(alerts), "".join(
                    "\n        %4d  %s" % (n, s)
                    for s, n in sorted(by_sig.items(),
                                       key=lambda kv: (-kv[1], kv[0])))))
    if totals:
        print("      alerts on the other captures, by signature:")
        for s, n in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])):
            print("        %4d  %s" % (n, s))
    print("default-rules: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
