#!/usr/bin/env python3
"""bench_uplink.py - the uplink's figures on loopback with TLS (make bench).

For each transport (relp+tls to rsyslog's imrelp, syslog+tls to its imtcp
with gtls): `vigil replay --uplink ... --uplink-send alerts,summaries,flows`
of a capture with a few thousand flows, against the same replay without an
uplink. Prints events per second through the transport (events / the extra
wall time the delivery took), CPU per event (the extra user+system time /
events), and bytes on the wire (TCP payload client -> server, TLS records
included, from tcpdump on lo; with and without the handshake) per alert and
per summary message, plus what a day of summaries costs on a 64 kbit/s link.

Usage: tools/bench_uplink.py [--vigil build/vigil] [--copies 40]
Needs rsyslog, rsyslog-relp, rsyslog-gnutls, openssl, tcpdump, mergecap and
tcprewrite (make deps); tcpdump needs root (without it the byte figures are
the message sizes only).
"""

import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "uplink"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, os.path.join(ROOT, "tests", "daemon"))
import check_uplink as cu  # noqa: E402

RULES = os.path.join(ROOT, "rules", "default")


def build_capture(work, copies):
    out = os.path.join(work, "uplink.pcap")
    if os.path.exists(out):
        return out
    base = [os.path.join(ROOT, "tests", "fixtures", "demo.pcap")] + cu.ALERT_PCAPS
    merged = os.path.join(work, "uplink-base.pcap")
    subprocess.run(["mergecap", "-a", "-F", "pcap", "-w", merged] + base, check=True)
    reps = []
    for i in range(1, copies + 1):
        r = os.path.join(work, "uplink-rep-%03d.pcap" % i)
        subprocess.run(["tcprewrite", "--seed=%d" % i, "--infile=" + merged, "--outfile=" + r],
                       check=True, stderr=subprocess.DEVNULL)
        reps.append(r)
    subprocess.run(["mergecap", "-a", "-F", "pcap", "-w", out] + reps, check=True)
    for r in reps:
        os.unlink(r)
    return out


def timed(cmd):
    """(wall s, cpu s, CompletedProcess) of cmd."""
    t0 = time.monotonic()
    r0 = os.times()
    p = subprocess.run(cmd, capture_output=True)
    r1 = os.times()
    wall = time.monotonic() - t0
    cpu = (r1.children_user - r0.children_user) + (r1.children_system - r0.children_system)
    return wall, cpu, p


def tcp_payload(pcap, port):
    """Bytes of TCP payload sent to port, and the number of connections."""
    total, syns = 0, 0
    with open(pcap, "rb") as f:
        gh = f.read(24)
        if len(gh) < 24:
            return 0, 0
        endian = "<" if gh[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        linktype = struct.unpack(endian + "I", gh[20:24])[0]
        while True:
            h = f.read(16)
            if len(h) < 16:
                break
            incl = struct.unpack(endian + "IIII", h)[2]
            data = f.read(incl)
            off = 14 if linktype == 1 else 16 if linktype == 113 else 0
            if linktype == 276:
                off = 20
            ip = data[off:]
            if len(ip) < 20:
                continue
            if ip[0] >> 4 == 4:
                ihl = (ip[0] & 15) * 4
                tot = struct.unpack("!H", ip[2:4])[0]
                if ip[9] != 6:
                    continue
                tcp = ip[ihl:]
                plen = tot - ihl
            else:
                if ip[6] != 6:
                    continue
                tcp = ip[40:]
                plen = struct.unpack("!H", ip[4:6])[0]
            if len(tcp) < 20:
                continue
            dport = struct.unpack("!H", tcp[2:4])[0]
            if dport != port:
                continue
            thl = (tcp[12] >> 4) * 4
            if tcp[13] & 0x02:
                syns += 1
            total += max(0, plen - thl)
    return total, syns


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vigil", default=os.path.join(ROOT, "build", "vigil"))
    ap.add_argument("--copies", type=int, default=40)
    args = ap.parse_args()
    vigil = os.path.abspath(args.vigil)
    for t in ("rsyslogd", "openssl", "mergecap", "tcprewrite"):
        if not shutil.which(t):
            print("bench_uplink: %s missing (make deps)" % t)
            return 1
    work = os.path.join(ROOT, "build", "bench")
    os.makedirs(work, exist_ok=True)
    cap = build_capture(work, args.copies)
    tmp = tempfile.mkdtemp(prefix="vigil-bench-uplink.")
    rs = None
    try:
        pki = cu.make_pki(tmp)
        rs = cu.Rsyslog(tmp, pki)
        rs.start()
        base_cmd = [vigil, "replay", "-q", "--rules", RULES, cap]
        wall0, cpu0, p = timed(base_cmd)
        if p.returncode != 0:
            print("bench_uplink: replay failed: %s" % p.stderr.decode(errors="replace"))
            return 1
        print("uplink bench: %s (%d copies of the demo and alert captures)" % (cap, args.copies))
        print("  replay without uplink: %.2f s wall, %.2f s CPU" % (wall0, cpu0))
        can_dump = shutil.which("tcpdump") and os.geteuid() == 0
        for kind, scheme in (("relp", "relp+tls"), ("tls", "syslog+tls")):
            rs.truncate()
            port = rs.ports[kind]
            dump = os.path.join(tmp, "wire-%s.pcap" % kind)
            td = None
            if can_dump:
                td = subprocess.Popen(["tcpdump", "-i", "lo", "-s", "128", "-U", "-w", dump,
                                       "tcp dst port %d" % port], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
                cu.wait_for(lambda: os.path.exists(dump), 10)
                time.sleep(0.5)   # tcpdump's filter is attached once the file exists
            cmd = [vigil, "replay", "-q", "--rules", RULES, "--uplink-send",
                   "alerts,summaries,flows", "--uplink-timeout", "900",
                   "--summary-interval", "60"] + cu.uplink_args(
                       pki, "%s://localhost:%d" % (scheme, port)) + [cap]
            wall, cpu, p = timed(cmd)
            if p.returncode != 0:
                print("  %s: replay --uplink failed (%d): %s" % (scheme, p.returncode,
                                                                 p.stderr.decode(errors="replace")))
                continue
            lines = rs.lines(kind)
            cu.wait_for(lambda: len(rs.lines(kind)) >= len(lines), 5)
            lines = rs.lines(kind)
            events, _ = cu.parse_msgs(lines)
            n = len(events)
            by = {}
            for ln, e in zip(lines, events):
                by.setdefault(e["event_type"], []).append(len(ln.encode()))
            extra = max(wall - wall0, 1e-3)
            # syslog+tls waits syslog_grace (5 s) before the last rows count as delivered
            grace = 5.0 if kind == "tls" else 0.0
            print("  %s: %d events (%s) delivered in %.2f s more than the replay alone "
                  "(%.2f s of it the syslog grace)" % (
                      scheme, n, ", ".join("%d %s" % (len(v), k) for k, v in sorted(by.items())),
                      extra, grace))
            print("    %.0f events/s, %.1f us CPU per event (sender, writer, TLS, SQLite)" % (
                n / max(extra - grace, 1e-3), (cpu - cpu0) / max(n, 1) * 1e6))
            for k in ("alert", "summary", "flow"):
                if by.get(k):
                    v = by[k]
                    print("    %s: %d bytes per message on average (RFC 5424 with its SD, "
                          "max %d)" % (k, sum(v) / len(v), max(v)))
            if td:
                time.sleep(0.5)
                td.terminate()
                td.wait()
                total, conns = tcp_payload(dump, port)
                msg = sum(sum(v) for v in by.values())
                print("    on the wire: %d bytes of TLS to the peer over %d connection(s); "
                      "%.0f bytes per event, %.1f%% above the messages' own bytes" % (
                          total, conns, total / max(n, 1),
                          100.0 * (total - msg) / max(msg, 1)))
        if by.get("summary"):
            per = max(by["summary"])
            day = per * 288
            print("  a day of 5-minute summaries at the largest size seen (%d bytes): %.0f KB, "
                  "%.2f%% of a 64 kbit/s link" % (per, day / 1000, 100.0 * day * 8 / (64000 * 86400)))
    finally:
        if rs:
            try:
                rs.stop()
            except RuntimeError:
                pass
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
