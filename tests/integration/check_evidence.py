#!/usr/bin/env python3
"""check_evidence.py - packet evidence per alert, through `vigil replay
--evidence DIR`, read back with tcpdump (and tshark when installed).

  - The detection captures (tests/detect, truth.json's rule sets): every
    file an EVE alert names under vigil.evidence exists, tcpdump reads it,
    and its packets are exactly the source capture's packets of that flow
    (all of them when the flow has at most 16 packets and 32 KiB; its
    first 16 and then a subsequence otherwise); no file is written for a
    flow that did not alert; signature and indicator alerts always have
    their flow's evidence.
  - Generated captures (written here, deterministic) for the limits: the
    packet hold (--evidence-hold-packets), the per-flow cap (cut there,
    counted), pool pressure (the oldest undecided flow loses its packets,
    counted; the newest keeps them), rotation by size (the directory stays
    within --evidence-max-size, oldest files first, counted) and by age
    (files older than --evidence-max-age in packet time go).

Ends with "check_evidence: N passed, M failed".
"""
import glob
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vigil_test as vt  # noqa: E402

DETECT = os.path.join(vt.ROOT, "tests", "detect")


# ---- pcap files -------------------------------------------------------------

def read_pcap(path):
    """[(ts_us, wirelen, bytes)] and the link type of a classic pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise ValueError("%s: not a pcap file" % path)
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(e + "I", data[20:24])[0]
    out, off = [], 24
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
        off += 16
        out.append((sec * 1000000 + (frac // 1000 if nano else frac), orig,
                    data[off:off + incl]))
        off += incl
    return out, linktype


def write_pcap(path, packets, linktype=1):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, linktype))
        for ts, frame in packets:
            f.write(struct.pack("<IIII", ts // 1000000, ts % 1000000, len(frame), len(frame)))
            f.write(frame)


def tuple_of(frame, linktype):
    """(proto, addr a, port a, addr b, port b) sorted, or None."""
    if linktype != 1 or len(frame) < 14:
        return None
    et, off = struct.unpack(">H", frame[12:14])[0], 14
    while et in (0x8100, 0x88a8) and len(frame) >= off + 4:
        et, off = struct.unpack(">H", frame[off + 2:off + 4])[0], off + 4
    if et == 0x0800 and len(frame) >= off + 20:
        ihl = (frame[off] & 15) * 4
        proto = frame[off + 9]
        src, dst = frame[off + 12:off + 16], frame[off + 16:off + 20]
        frag = struct.unpack(">H", frame[off + 6:off + 8])[0] & 0x3fff
        if frag:
            return None
        l4 = off + ihl
    elif et == 0x86dd and len(frame) >= off + 40:
        proto = frame[off + 6]
        src, dst = frame[off + 8:off + 24], frame[off + 24:off + 40]
        l4 = off + 40
    else:
        return None
    sp = dp = 0
    if proto in (6, 17, 132) and len(frame) >= l4 + 4:
        sp, dp = struct.unpack(">HH", frame[l4:l4 + 4])
    a, b = (src, sp), (dst, dp)
    return (proto,) + (a + b if a <= b else b + a)


def ip_bytes(s):
    import ipaddress
    return ipaddress.ip_address(s).packed


def flow_packets(src_pkts, linktype, flow):
    """The source packets of an EVE flow event's flow."""
    a = (ip_bytes(flow["src_ip"]), flow.get("src_port", 0))
    b = (ip_bytes(flow["dest_ip"]), flow.get("dest_port", 0))
    protos = {"TCP": 6, "UDP": 17, "SCTP": 132, "ICMP": 1, "IPv6-ICMP": 58}
    key = (protos.get(flow["proto"], -1),) + (a + b if a <= b else b + a)
    start, end = vt.iso_to_us(flow["flow"]["start"]), vt.iso_to_us(flow["flow"]["end"])
    return [p for p in src_pkts
            if start <= p[0] <= end and tuple_of(p[2], linktype) == key]


def tcpdump_count(path):
    r = subprocess.run(["tcpdump", "-nn", "-r", path], capture_output=True)
    if r.returncode != 0:
        return None, vt.short(r.stderr)
    return len(vt.lines_of(r.stdout)), ""


def tshark_count(path):
    """Packets tshark reads (None without tshark): Wireshark opens it."""
    if not shutil.which("tshark"):
        return None
    r = subprocess.run(["tshark", "-n", "-r", path], capture_output=True)
    return len(vt.lines_of(r.stdout)) if r.returncode == 0 else -1


# ---- one replay ---------------------------------------------------------------

def replay(capture, rules, tmp, tag, extra=(), home_net=None):
    """Run a replay with --evidence; returns (problems, events, evidence dir)."""
    evdir = os.path.join(tmp, tag + ".evidence")
    eve = os.path.join(tmp, tag + ".json")
    args = ["replay", "-q", "--eve", eve, "--evidence", evdir]
    for r in rules:
        args += ["--rules", r]
    if home_net:
        args += ["--home-net", home_net]
    args += list(extra) + [capture]
    r = vt.run_vigil(args)
    if r.returncode != 0:
        return ["exit %s: %s" % (r.returncode, vt.short(r.stderr))], [], evdir
    evs = [json.loads(ln) for ln in open(eve) if ln.strip()]
    return [], evs, evdir


def stats_of(evs):
    st = [e for e in evs if e.get("event_type") == "stats"]
    return st[-1].get("vigil", {}).get("evidence", {}) if st else {}


def check_files(evs, evdir, capture, hold_pkts=16, hold_bytes=32768, cap=1 << 20,
                need_all=True):
    """Every alert's evidence against the source capture. Returns
    (problems, files checked, packets compared)."""
    probs = []
    src, lt = read_pcap(capture)
    flows = {e["flow_id"]: e for e in evs
             if e.get("event_type") == "flow" and "flow" in e}
    named = set()
    nfiles = npkts = 0
    for a in (e for e in evs if e.get("event_type") == "alert"):
        v = a.get("vigil", {})
        ids = v.get("flow_ids") or [a.get("flow_id")]
        files = v.get("evidence", [])
        if need_all and v.get("engine") in ("signature", "ioc") and \
                files != ["flow-%d.pcap" % a["flow_id"]]:
            probs.append("alert %s (%s): evidence %r, expected its flow's file" % (
                a["alert"]["signature_id"], v.get("engine"), files))
        for name in files:
            fid = int(name[len("flow-"):-len(".pcap")])
            if fid not in ids:
                probs.append("%s: not one of the alert's flows" % name)
            named.add(name)
    for k, name in enumerate(sorted(named)):
        path = os.path.join(evdir, name)
        fid = int(name[len("flow-"):-len(".pcap")])
        if not os.path.exists(path):
            probs.append("%s: named by an alert, missing" % name)
            continue
        got, glt = read_pcap(path)
        if glt != lt:
            probs.append("%s: link type %d, capture has %d" % (name, glt, lt))
        n, err = tcpdump_count(path)
        if n != len(got):
            probs.append("%s: tcpdump read %s packets (%s), the file has %d" % (
                name, n, err, len(got)))
        ts = tshark_count(path) if k == 0 else None
        if ts is not None and ts != len(got):
            probs.append("%s: tshark read %s packets, the file has %d" % (name, ts, len(got)))
        if fid not in flows:
            probs.append("%s: no EVE flow event for flow %d" % (name, fid))
            continue
        want = flow_packets(src, lt, flows[fid])
        held, size = 0, 0
        for p in want:
            if held == hold_pkts or size + len(p[2]) > hold_bytes:
                break
            held += 1
            size += len(p[2])
        small = held == len(want)
        if small and got != want:
            probs.append("%s: %d packets, the flow has %d (%s)" % (
                name, len(got), len(want), "differ" if len(got) == len(want) else "count"))
        if got[:held] != want[:held]:
            probs.append("%s: its first %d packets are not the flow's first" % (name, held))
        it = iter(want)
        if not all(any(g == w for w in it) for g in got):
            probs.append("%s: packets that are not the flow's, or out of order" % name)
        if sum(len(g[2]) for g in got) > cap:
            probs.append("%s: %d bytes, above the per-flow cap %d" % (
                name, sum(len(g[2]) for g in got), cap))
        nfiles += 1
        npkts += len(got)
    on_disk = set(os.listdir(evdir)) if os.path.isdir(evdir) else set()
    if on_disk - named:
        probs.append("files no alert names: %s" % sorted(on_disk - named)[:5])
    return probs, nfiles, npkts


# ---- generated captures -------------------------------------------------------

def csum(b):
    s = sum(struct.unpack(">%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff


def tcp_frame(src, dst, sp, dp, flags, seq, ack, payload=b""):
    tcp = struct.pack(">HHIIBBHHH", sp, dp, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0,
                     bytes(src), bytes(dst))
    ip = ip[:10] + struct.pack(">H", csum(ip)) + ip[12:]
    return b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00" + ip + tcp


def tcp_flow(cli, srv, sp, dp, n_data, size, t0, step=1000):
    """A TCP connection: handshake, n_data client segments of size bytes
    (each acknowledged), FIN both ways. [(ts, frame)]"""
    out, t = [], t0
    cs, ss = 1000, 5000

    def add(frame):
        nonlocal t
        out.append((t, frame))
        t += step
    add(tcp_frame(cli, srv, sp, dp, 0x02, cs, 0))
    add(tcp_frame(srv, cli, dp, sp, 0x12, ss, cs + 1))
    add(tcp_frame(cli, srv, sp, dp, 0x10, cs + 1, ss + 1))
    seq = cs + 1
    for i in range(n_data):
        pay = bytes((i + j) & 0xff for j in range(size))
        add(tcp_frame(cli, srv, sp, dp, 0x18, seq, ss + 1, pay))
        seq += size
        add(tcp_frame(srv, cli, dp, sp, 0x10, ss + 1, seq))
    add(tcp_frame(cli, srv, sp, dp, 0x11, seq, ss + 1))
    add(tcp_frame(srv, cli, dp, sp, 0x11, ss + 1, seq + 1))
    add(tcp_frame(cli, srv, sp, dp, 0x10, seq + 1, ss + 2))
    return out


CLI, SRV = [10, 1, 1, 10], [198, 51, 100, 7]
T0 = 1700000000 * 1000000


def rules_dir(tmp, ports):
    d = os.path.join(tmp, "rules-%s" % "-".join(map(str, ports)))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "evidence.rules"), "w") as f:
        for i, p in enumerate(ports):
            f.write('alert tcp any any -> any %d (msg:"evidence test port %d"; '
                    'sid:%d; rev:1;)\n' % (p, p, 9900001 + i))
    return d


def alert_for(evs, port):
    return [e for e in evs if e.get("event_type") == "alert" and e.get("dest_port") == port]


def main():
    res = vt.Results("check_evidence")
    with tempfile.TemporaryDirectory(prefix="vigil-evidence-") as tmp:
        # 1. the detection captures with their rule sets
        truth = json.load(open(os.path.join(DETECT, "truth.json")))
        for name, t in sorted(truth.items()):
            if not isinstance(t, dict) or "rules" not in t:
                continue
            rules = t["rules"] if isinstance(t["rules"], list) else [t["rules"]]
            cap = os.path.join(DETECT, t.get("file", name))
            probs, evs, evdir = replay(cap, [os.path.join(vt.ROOT, r) for r in rules],
                                       tmp, name, home_net=t.get("home_net"))
            n = 0
            if not probs:
                p2, n, npk = check_files(evs, evdir, cap)
                probs += p2
                alerts = [e for e in evs if e.get("event_type") == "alert"]
                if alerts and not n:
                    probs.append("%d alerts, no evidence file" % len(alerts))
            res.check("%s: %d evidence file(s) valid, read by tcpdump, exactly the "
                      "flow's packets" % (name, n), probs)

        # 2. a long flow: the hold, then the following packets, the cap
        cap = os.path.join(tmp, "long.pcap")
        write_pcap(cap, tcp_flow(CLI, SRV, 40000, 4444, 200, 1400, T0))
        rd = rules_dir(tmp, [4444])
        probs, evs, evdir = replay(cap, [rd], tmp, "long")
        if not probs:
            p2, n, npk = check_files(evs, evdir, cap)
            probs += p2
            if n != 1 or npk <= 16:
                probs.append("%d files, %d packets: expected one file with the held "
                             "and the following packets" % (n, npk))
            st = stats_of(evs)
            if st.get("flows") != 1 or st.get("cap_reached") != 0 or st.get("packets") != npk:
                probs.append("stats %r" % st)
        res.check("a long alerting flow: its first 16 packets, then its following ones", probs)

        probs, evs, evdir = replay(cap, [rd], tmp, "hold4", ["--evidence-hold-packets", "4"])
        if not probs:
            p2, n, npk = check_files(evs, evdir, cap, hold_pkts=4)
            probs += p2
            got, _ = read_pcap(os.path.join(evdir, "flow-%d.pcap" % alert_for(evs, 4444)[0]["flow_id"]))
            src, _ = read_pcap(cap)
            if got[:4] != src[:4] or (len(got) > 4 and got[4] == src[4]):
                probs.append("expected exactly the first 4 packets held, then a gap "
                             "until the alert")
        res.check("--evidence-hold-packets 4: the flow holds its first 4 packets", probs)

        probs, evs, evdir = replay(cap, [rd], tmp, "cap", ["--evidence-per-flow-cap", "20000"])
        if not probs:
            p2, n, npk = check_files(evs, evdir, cap, cap=20000)
            probs += p2
            st = stats_of(evs)
            got, _ = read_pcap(os.path.join(evdir, "flow-%d.pcap" % alert_for(evs, 4444)[0]["flow_id"]))
            total = sum(len(g[2]) for g in got)
            if not 20000 - 1500 < total <= 20000:
                probs.append("%d packet bytes recorded, expected just under 20000" % total)
            if st.get("cap_reached") != 1:
                probs.append("stats cap_reached %r, expected 1" % st.get("cap_reached"))
        res.check("--evidence-per-flow-cap 20000: the flow's file stops there, counted", probs)

        # 3. pool pressure: port 5000 opens first (oldest) and waits; 39
        # flows fill the pool; 5000 then finishes. Its alert has no
        # evidence, the newest flow's (5039) has.
        pk = tcp_flow(CLI, SRV, 41000, 5000, 16, 1400, T0)
        pk = pk[:1] + [(T0 + 10 * 1000000 + i, f) for i, (t, f) in enumerate(pk[1:])]
        rounds = [tcp_flow(CLI, SRV, 41000 + i, 5000 + i, 16, 1400, T0 + 1000 + i * 10, step=40000)
                  for i in range(1, 40)]
        for i in range(max(len(r) for r in rounds)):
            for r in rounds:
                if i < len(r):
                    pk.append(r[i])
        pk.sort(key=lambda p: p[0])
        cap = os.path.join(tmp, "pressure.pcap")
        write_pcap(cap, pk)
        rd = rules_dir(tmp, [5000, 5039])
        probs, evs, evdir = replay(cap, [rd], tmp, "pressure", ["--evidence-pool", "256K"])
        if not probs:
            p2, n, npk = check_files(evs, evdir, cap, need_all=False)
            probs += p2
            st = stats_of(evs)
            old, new = alert_for(evs, 5000), alert_for(evs, 5039)
            if len(old) != 1 or len(new) != 1:
                probs.append("alerts: %d on 5000, %d on 5039, expected one each" % (len(old), len(new)))
            else:
                if old[0]["vigil"].get("evidence"):
                    probs.append("the oldest flow kept evidence: %r" % old[0]["vigil"]["evidence"])
                if not new[0]["vigil"].get("evidence"):
                    probs.append("the newest flow lost its evidence")
            if not st.get("pressure_dropped_flows") or not st.get("pressure_dropped_packets"):
                probs.append("pressure drops not counted: %r" % st)
            if not st.get("pool_peak") or st.get("pool_peak") > st.get("pool_limit", 0):
                probs.append("pool peak %r above its limit %r" % (st.get("pool_peak"),
                                                                   st.get("pool_limit")))
        res.check("pool pressure: the oldest undecided flow loses its packets first, "
                  "counted; the pool stays within --evidence-pool", probs)

        # 4. rotation by size: 30 alerting flows of about 20 KiB each
        pk = []
        for i in range(30):
            pk += tcp_flow(CLI, SRV, 42000 + i, 4444, 12, 1400, T0 + i * 1000000)
        cap = os.path.join(tmp, "many.pcap")
        write_pcap(cap, sorted(pk, key=lambda p: p[0]))
        rd = rules_dir(tmp, [4444])
        probs, evs, evdir = replay(cap, [rd], tmp, "size", ["--evidence-max-size", "100K"])
        if not probs:
            files = sorted(os.listdir(evdir))
            total = sum(os.path.getsize(os.path.join(evdir, f)) for f in files)
            st = stats_of(evs)
            if total > 100 * 1024:
                probs.append("%d bytes left, limit 100K" % total)
            if not st.get("rotated") or st.get("files") != 30:
                probs.append("stats files %r rotated %r, expected 30 and some" % (
                    st.get("files"), st.get("rotated")))
            if len(files) + st.get("rotated", 0) != 30:
                probs.append("%d files left + %r rotated != 30" % (len(files), st.get("rotated")))
            # the newest flows stay
            newest = ["flow-%d.pcap" % a["flow_id"] for a in alert_for(evs, 4444)][-len(files):]
            if sorted(newest) != files:
                probs.append("kept %s, expected the newest %s" % (files, sorted(newest)))
            for f in files:
                n, err = tcpdump_count(os.path.join(evdir, f))
                if n is None:
                    probs.append("%s: tcpdump: %s" % (f, err))
        res.check("--evidence-max-size 100K: the oldest files go, the newest stay, counted",
                  probs)

        # 5. rotation by age (packet time): an old file and a recent one
        evdir = os.path.join(tmp, "age.evidence")
        os.makedirs(evdir)
        one = os.path.join(tmp, "size.evidence", sorted(os.listdir(os.path.join(tmp, "size.evidence")))[0])
        for name, age in (("flow-1.pcap", 2 * 86400), ("flow-2.pcap", 3600)):
            shutil.copy(one, os.path.join(evdir, name))
            t = T0 // 1000000 - age
            os.utime(os.path.join(evdir, name), (t, t))
        with open(os.path.join(evdir, "README"), "w") as f:
            f.write("not evidence\n")
        probs, evs, _ = replay(cap, [rd], tmp, "age", ["--evidence-max-age", "1d"])
        if not probs:
            left = set(os.listdir(evdir))
            if "flow-1.pcap" in left:
                probs.append("a file 2 days older than the packets was kept")
            if "flow-2.pcap" not in left or "README" not in left:
                probs.append("deleted what is not too old or not evidence: left %s" %
                             sorted(left)[:5])
            if stats_of(evs).get("rotated", 0) < 1:
                probs.append("stats rotated %r" % stats_of(evs).get("rotated"))
        res.check("--evidence-max-age 1d: files older than that in packet time go, "
                  "others stay", probs)

        # 6. option errors
        r = vt.run_vigil(["replay", "--evidence", os.path.join(tmp, "x"), cap])
        probs = [] if r.returncode == 2 and b"--rules" in r.stderr else \
            ["exit %s: %s" % (r.returncode, vt.short(r.stderr))]
        r = vt.run_vigil(["replay", "--rules", rd, "--evidence", os.path.join(tmp, "y"),
                          "--evidence-pool", "lots", cap])
        if r.returncode != 2 or b"--evidence-pool" not in r.stderr:
            probs.append("bad size: exit %s: %s" % (r.returncode, vt.short(r.stderr)))
        res.check("--evidence without --rules and a bad size are usage errors", probs)
    return res.summary()


if __name__ == "__main__":
    sys.exit(main())
