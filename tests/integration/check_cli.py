#!/usr/bin/env python3
"""check_cli.py - how `vigil replay` behaves as a command: help, errors and
exit codes, stdout output, determinism, the flow bound, quiet mode, many
files, broken input files.

Environment: VIGIL (command, may have a qemu/valgrind prefix), VIGIL_TIMEOUT.
Ends with "check_cli: N passed, M failed"; exit 1 on any failure.
"""

import os
import re
import shlex
import shutil
import sqlite3
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vigil_test as vt  # noqa: E402


def fx(name):
    return os.path.join(vt.FIXTURES, name)


def exit_is(p, code):
    if p.returncode == code:
        return []
    return ["exit status %r, expected %d; stderr: %s" %
            (p.returncode, code, vt.short(p.stderr))]


def read_eve(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        return None, [], ["no EVE output: %s" % e]
    events, problems = vt.parse_eve(data)
    return data, events, problems


def one_line_naming(p, word, only=True):
    """stderr names word on its first line (the reason, one line); with
    only, nothing else is printed."""
    out = []
    lines = vt.lines_of(p.stderr)
    if only and len(lines) != 1:
        out.append("stderr has %d lines, expected one: %s" %
                   (len(lines), vt.short(p.stderr)))
    if not lines or word not in lines[0]:
        out.append("the first line of stderr does not name %r: %s" %
                   (word, vt.short(p.stderr)))
    elif len([ln for ln in lines if word in ln]) != 1:
        out.append("the reason takes more than one line: %s" %
                   vt.short(p.stderr))
    return out


def sql_dump(path):
    """Every row of table flows, in order, or None."""
    try:
        db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
        rows = db.execute("SELECT * FROM flows ORDER BY 1").fetchall()
        db.close()
        return rows
    except sqlite3.Error:
        return None


def pcap_records(path):
    """(offset, caplen) of each record of a classic pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    off, recs = 24, []
    while off + 16 <= len(data):
        caplen = struct.unpack("<I", data[off + 8:off + 12])[0]
        recs.append((off, caplen))
        off += 16 + caplen
    return data, recs


def drops_pcap(path, n_udp, n_frag, n_orphan):
    """A classic pcap (Ethernet) that fills vigil's bounded tables:
    n_udp one-packet UDP flows from distinct sources to port 9999, n_frag
    first fragments with distinct IP ids (the fragment table holds 4096)
    and n_orphan later fragments whose first never came, all within 20 s."""
    def ip4(src, dst, proto, ipid, frag, payload):
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ipid, frag, 64,
                          proto, 0, src, dst)
        s = sum(struct.unpack("!10H", hdr))
        s = (s >> 16) + (s & 0xFFFF)
        s += s >> 16
        hdr = hdr[:10] + struct.pack("!H", ~s & 0xFFFF) + hdr[12:]
        return b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00" + hdr + payload
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    t = 1700000000 * 1000000
    dst = bytes([192, 0, 2, 1])

    def rec(frame):
        nonlocal t
        t += 200
        out.append(struct.pack("<IIII", t // 1000000, t % 1000000, len(frame), len(frame)) + frame)
    for i in range(n_udp):
        src = bytes([10, 64 + (i >> 16), (i >> 8) & 255, i & 255])
        rec(ip4(src, dst, 17, 1, 0, struct.pack("!HHHH", 40000, 9999, 12, 0) + b"ping"))
    for i in range(n_frag):
        udp = struct.pack("!HHHH", 5000, 53, 108, 0) + b"x" * 16
        rec(ip4(bytes([10, 9, 9, 9]), dst, 17, i, 0x2000, udp))
    for i in range(n_orphan):
        rec(ip4(bytes([10, 8, 8, 8]), dst, 17, 60000 + i, 3, b"y" * 16))
    with open(path, "wb") as f:
        f.write(b"".join(out))


def main():
    res = vt.Results("check_cli")
    truth = vt.load_truth()
    tmpdir = tempfile.mkdtemp(prefix="vigil-cli-")
    t = lambda n: os.path.join(tmpdir, n)  # noqa: E731
    try:
        # --help
        p = vt.run_vigil(["replay", "--help"])
        out = vt.text(p.stdout) + vt.text(p.stderr)
        probs = exit_is(p, 0)
        if "usage" not in out.lower():
            probs.append("no usage text: %s" % vt.short(out))
        if "--eve" not in out:
            probs.append("usage does not mention --eve")
        res.check("replay --help exits 0 and prints usage", probs)

        # unknown option
        p = vt.run_vigil(["replay", "--no-such-option", fx("icmp.pcap")])
        res.check("unknown option exits 2 with a one-line message",
                  exit_is(p, 2) + one_line_naming(p, "no-such-option"))

        # missing file
        missing = t("no-such-file.pcap")
        p = vt.run_vigil(["replay", "--eve", t("m.json"), "--db",
                          t("m.sqlite"), missing])
        res.check("missing file exits 1 with a one-line reason naming it",
                  exit_is(p, 1) + one_line_naming(p, "no-such-file.pcap",
                                                  only=False))

        # --eve - writes the same events to stdout
        p1 = vt.run_vigil(["replay", "--eve", t("f.json"), "--db",
                           t("f.sqlite"), fx("vlan.pcap")])
        p2 = vt.run_vigil(["replay", "--eve", "-", "--db", t("s.sqlite"),
                           fx("vlan.pcap")])
        probs = exit_is(p1, 0) + exit_is(p2, 0)
        data, events, pp = read_eve(t("f.json"))
        sev, sp = vt.parse_eve(p2.stdout)
        probs += ["stdout: " + x for x in sp]
        if not [e for e in sev if e.get("event_type") == "flow"]:
            probs.append("no flow events on stdout: %s" % vt.short(p2.stdout))
        if data is not None and p2.stdout != data:
            probs.append("stdout differs from the --eve FILE output")
        res.check("--eve - writes EVE to stdout", probs)

        # determinism: the flow and fragment hashes take a random seed
        # per run; nothing written may depend on it (flows end in list
        # order, evictions pick by activity, ids hash the key and time)
        runs = []
        inputs = [fx("demo.pcap"), fx("ipv4_frag.pcap"), fx("ipv6_ext.pcap"),
                  fx("tcp_timeouts.pcap"),
                  os.path.join(vt.ROOT, "tests", "detect", "benign_office.pcap"),
                  os.path.join(vt.ROOT, "tests", "detect", "behav_portscan.pcap")]
        for i in (1, 2):
            p = vt.run_vigil(["replay", "-v", "-v", "--max-flows", "16", "--rules",
                              os.path.join(vt.ROOT, "rules", "default"),
                              "--eve", t("d%d.json" % i), "--db", t("d%d.sqlite" % i)]
                             + inputs)
            runs.append((p, read_eve(t("d%d.json" % i))[0]))
        probs = exit_is(runs[0][0], 0) + exit_is(runs[1][0], 0)
        seeds = [re.findall(r"hash seeds: flow table ([0-9a-f]{16}), fragment table "
                            r"([0-9a-f]{16})", vt.text(r[0].stderr)) for r in runs]
        if not seeds[0] or not seeds[1]:
            probs.append("no 'hash seeds' debug line: %s" % vt.short(runs[0][0].stderr))
        elif seeds[0][0][0] == seeds[1][0][0] or seeds[0][0][1] == seeds[1][0][1]:
            probs.append("the seeds did not change between runs: %s, %s" % (seeds[0], seeds[1]))
        if runs[0][1] is None or runs[0][1] != runs[1][1]:
            a = (runs[0][1] or b"").splitlines()
            b = (runs[1][1] or b"").splitlines()
            diff = [i for i in range(min(len(a), len(b))) if a[i] != b[i]]
            probs.append("two replays differ (%d vs %d lines%s)"
                         % (len(a), len(b), ", first difference at line %d:"
                            "\n%s\n%s" % (diff[0] + 1, a[diff[0]][:300],
                                          b[diff[0]][:300]) if diff else ""))
        evicted = vt.dig(vt.stats_event(vt.parse_eve(runs[0][1] or b"")[0]), "stats.flow.evicted")
        if not evicted:
            probs.append("no flow was evicted: the run does not exercise eviction order")
        res.check("two replays (6 captures, rules, evictions) with different hash seeds "
                  "give byte-identical EVE (%s evictions)" % evicted, probs)
        dumps = [sql_dump(t("d%d.sqlite" % i)) for i in (1, 2)]
        probs = []
        if dumps[0] is None or dumps[0] != dumps[1]:
            probs.append("the flows tables of two replays differ (%s vs %s "
                         "rows)" % tuple(len(d) if d is not None else "no"
                                         for d in dumps))
        res.check("two replays with different hash seeds store the same flows", probs)

        # drops of the bounded tables reach the stats event: the
        # threshold table (65536 keys), a detector table (max_tracked 16),
        # the fragment table (4096 entries) and fragments without a first
        rules = t("drop_rules")
        os.makedirs(rules)
        with open(os.path.join(rules, "t.rules"), "w") as f:
            f.write('alert udp any any -> any 9999 (msg:"drops"; threshold: type threshold, '
                    'track by_src, count 1000, seconds 600; sid:9300001; rev:1;)\n')
        with open(os.path.join(rules, "detectors.conf"), "w") as f:
            f.write("[hostsweep]\nmax_tracked = 16\n")
        drops_pcap(t("drops.pcap"), 66000, 10000, 5)
        p = vt.run_vigil(["replay", "--rules", rules, "--eve", t("drops.json"),
                          t("drops.pcap")])
        probs = exit_is(p, 0)
        st = vt.stats_event(read_eve(t("drops.json"))[1]) or {}
        got = {k: vt.dig(st, "stats." + k) for k in (
            "decoder.frag_overwritten", "decoder.frag_orphans",
            "decoder.errors.fragment_without_first", "flow.alloc_failed",
            "detect.threshold_evicted", "detect.detector_dropped")}
        want = {"decoder.frag_orphans": 5, "decoder.errors.fragment_without_first": 5,
                "flow.alloc_failed": 0, "detect.threshold_evicted": 66000 - 65536,
                # 66000 sources and the fragments' one, 16 tracked
                "detect.detector_dropped": 66000 + 1 - 16}
        for k, v in want.items():
            if got[k] != v:
                probs.append("stats.%s is %r, expected %d" % (k, got[k], v))
        if not isinstance(got["decoder.frag_overwritten"], int) or \
                got["decoder.frag_overwritten"] < 10000 - 4096:
            probs.append("stats.decoder.frag_overwritten is %r, expected at least %d"
                         % (got["decoder.frag_overwritten"], 10000 - 4096))
        res.check("drops of the threshold, detector and fragment tables reach the EVE "
                  "stats event (%s)" % ", ".join("%s %s" % (k.split(".")[-1], v)
                                                 for k, v in sorted(got.items())), probs)

        # --max-flows 5: evictions, every flow still reported
        p = vt.run_vigil(["replay", "--max-flows", "5", "--eve", t("e.json"),
                          "--db", t("e.sqlite"), fx("demo.pcap")])
        probs = exit_is(p, 0)
        data, events, pp = read_eve(t("e.json"))
        probs += pp
        flows, fp = vt.eve_flow_records(events)
        probs += fp
        st = vt.stats_event(events)
        evicted = vt.dig(st, "stats.flow.evicted")
        total = vt.dig(st, "stats.flow.total")
        if not isinstance(evicted, int) or evicted <= 0:
            probs.append("stats.flow.evicted is %r, expected > 0" % evicted)
        if total != len(flows):
            probs.append("stats.flow.total is %r but %d flows were reported"
                         % (total, len(flows)))
        n_ev = len([f for f in flows
                    if vt.dig(f["final"], "flow.reason") == "evicted"])
        if n_ev != evicted:
            probs.append("%d flow records with reason \"evicted\", stats say"
                         " %r" % (n_ev, evicted))
        want = sum(e["pkts_toserver"] + e["pkts_toclient"]
                   for e in truth["demo.pcap"]["expect"])
        got = sum(f["pkts_toserver"] + f["pkts_toclient"] for f in flows
                  if isinstance(f["pkts_toserver"], int))
        if got != want:
            probs.append("flows account for %d packets, the capture has %d"
                         % (got, want))
        peak = vt.dig(st, "stats.flow.peak")
        if not isinstance(peak, int) or peak > 5:
            probs.append("stats.flow.peak is %r, expected <= 5" % peak)
        res.check("--max-flows 5 evicts and still reports every packet",
                  probs)

        # -q: nothing on stderr for a clean replay
        p = vt.run_vigil(["replay", "-q", "--eve", t("q.json"), "--db",
                          t("q.sqlite"), fx("vlan.pcap")])
        probs = exit_is(p, 0)
        if vt.text(p.stderr).strip():
            probs.append("stderr is not empty: %s" % vt.short(p.stderr))
        res.check("-q prints nothing on stderr for a clean replay", probs)

        # a directory of captures through a shell glob (names in time order)
        gdir = t("glob")
        os.mkdir(gdir)
        picked = ["vlan.pcap", "sctp.pcap", "icmp.pcap"]
        for i, n in enumerate(picked):
            shutil.copy(fx(n), os.path.join(gdir, "%02d-%s" % (i, n)))
        cmd = "%s replay --eve %s --db %s %s/*.pcap" % (
            " ".join(shlex.quote(a) for a in vt.vigil_cmd()),
            shlex.quote(t("g.json")), shlex.quote(t("g.sqlite")),
            shlex.quote(gdir))
        try:
            p = subprocess.run(["sh", "-c", cmd], capture_output=True,
                               timeout=vt.timeout(), stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            p = subprocess.CompletedProcess(cmd, None, b"", b"[timed out]")
        probs = exit_is(p, 0)
        data, events, pp = read_eve(t("g.json"))
        probs += pp
        flows, fp = vt.eve_flow_records(events)
        probs += fp
        expect = [e for n in picked for e in truth[n]["expect"]]
        pairs, mp = vt.match_flows(expect, flows)
        probs += mp
        for e, g in pairs:
            probs += vt.compare_eve_flow(e, g)
        files = vt.dig(vt.stats_event(events), "stats.capture.files")
        if files != len(picked):
            probs.append("stats.capture.files is %r, expected %d" %
                         (files, len(picked)))
        res.check("a directory of captures via shell glob", probs)

        # empty file and a file that is not a capture
        empty = t("empty.pcap")
        open(empty, "wb").close()
        p = vt.run_vigil(["replay", "--eve", t("z.json"), "--db",
                          t("z.sqlite"), empty])
        probs = exit_is(p, 1) + one_line_naming(p, "empty.pcap", only=False)
        res.check("empty (0-byte) file exits 1 with a reason", probs)

        notpcap = t("notes.pcap")
        with open(notpcap, "w") as f:
            f.write("this is not a packet capture\n" * 20)
        p = vt.run_vigil(["replay", "--eve", t("n.json"), "--db",
                          t("n.sqlite"), notpcap])
        probs = exit_is(p, 1) + one_line_naming(p, "notes.pcap", only=False)
        res.check("non-pcap file exits 1 with a reason", probs)

        # truncated capture: flows decoded so far are written, exit 1
        data, recs = pcap_records(fx("demo.pcap"))
        k = len(recs) // 2
        off, caplen = recs[k]
        cut = t("cut.pcap")
        with open(cut, "wb") as f:
            f.write(data[:off + 16 + caplen // 2])
        p = vt.run_vigil(["replay", "--eve", t("c.json"), "--db",
                          t("c.sqlite"), cut])
        probs = exit_is(p, 1)
        if not vt.text(p.stderr).strip():
            probs.append("nothing on stderr about the truncated file")
        elif "cut.pcap" not in vt.text(p.stderr):
            probs.append("stderr does not name the file: %s" %
                         vt.short(p.stderr))
        data, events, pp = read_eve(t("c.json"))
        probs += pp
        flows, fp = vt.eve_flow_records(events)
        if not flows:
            probs.append("no flow events written for the packets before "
                         "the cut")
        st = vt.stats_event(events)
        if st is None:
            probs.append("no stats event")
        elif vt.dig(st, "stats.decoder.pkts") != k:
            probs.append("stats.decoder.pkts is %r, the file holds %d whole "
                         "packets" % (vt.dig(st, "stats.decoder.pkts"), k))
        got = sum(f["pkts_toserver"] + f["pkts_toclient"] for f in flows
                  if isinstance(f["pkts_toserver"], int))
        if got != k:
            probs.append("flows account for %d packets, the file holds %d "
                         "whole packets" % (got, k))
        res.check("truncated capture: exit 1, reason, flows still written",
                  probs)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    return res.summary()


if __name__ == "__main__":
    sys.exit(main())
