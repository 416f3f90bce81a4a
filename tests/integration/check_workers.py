#!/usr/bin/env python3
"""check_workers.py - `vigil replay --workers N` gives the same results
with 1, 2 and 4 workers, and the same output twice for a fixed N.

For each capture of tests/detect (with its rule sets and home networks,
truth.json) and for all behavioural captures replayed as one timeline
(every detector's table at work at once), with --workers 1, 2 and 4:
  - the alerts, as (engine, gid, sid, src_ip, dest_ip) -> count, are the
    same; detector alerts also carry the same metadata;
  - the flow records, as (flow_id, interim, packets, bytes, alerted,
    app_proto), are the same;
  - the final stats event counts the same packets, flows and alerts by
    engine (the workers' counters summed).
Every tests/fixtures capture as one timeline without rules: the same
flows and stats with 1, 2 and 4 workers.
For --workers 2 and 4, two replays give the same EVE lines (sorted: the
order of lines written by several workers is not fixed) and the same
SQLite rows (flows, alerts).
Nothing here depends on the machine's speed: the workers' outputs are
compared, never timed.

Environment: VIGIL (command, may have a qemu/valgrind prefix),
VIGIL_TIMEOUT. Ends with "check_workers: N passed, M failed".
"""

import collections
import glob
import json
import os
import sqlite3
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vigil_test as vt  # noqa: E402

DETECT = os.path.join(vt.ROOT, "tests", "detect")
FIXTURES = os.path.join(vt.ROOT, "tests", "fixtures")
WORKERS = (1, 2, 4)
# signature thresholds (threshold:, detection_filter:) count across flows
# in the order the workers reach the shared rule set
ORDERED_BY_WORKER = ("sig_threshold.pcap", "sig_threshold_neg.pcap")


def replay(captures, rules, home_net, tmp, tag, workers):
    eve = os.path.join(tmp, tag + ".eve.json")
    db = os.path.join(tmp, tag + ".sqlite")
    for p in (eve, db, db + "-wal", db + "-shm"):
        if os.path.exists(p):
            os.unlink(p)
    args = ["replay", "-q", "--workers", str(workers)]
    for r in rules:
        args += ["--rules", os.path.join(vt.ROOT, r)]
    if home_net:
        args += ["--home-net", home_net]
    args += ["--eve", eve, "--db", db] + list(captures)
    p = vt.run_vigil(args)
    lines = []
    if os.path.exists(eve):
        with open(eve, "rb") as f:
            lines = [ln for ln in f.read().decode("utf-8", "replace").splitlines() if ln]
    return p, lines, db


def first_ts(path):
    """The first packet's time of a pcap file (for a timeline's order)."""
    import struct
    with open(path, "rb") as f:
        head = f.read(32)
    order = "<" if head[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    return struct.unpack(order + "I", head[24:28])[0]


def view(lines):
    """What must not depend on the number of workers."""
    alerts = collections.Counter()
    meta = set()
    flows = collections.Counter()
    stats = {}
    for ln in lines:
        ev = json.loads(ln)
        t = ev.get("event_type")
        if t == "alert":
            a = ev["alert"]
            eng = vt.dig(ev, "vigil.engine") or ""
            key = (eng, a.get("gid"), a.get("signature_id"), ev.get("src_ip"),
                   ev.get("dest_ip"))
            alerts[key] += 1
            if eng == "detector":
                meta.add((key, ev.get("flow_id"), json.dumps(a.get("metadata"), sort_keys=True),
                          json.dumps(vt.dig(ev, "vigil.flow_ids"))))
        elif t == "flow":
            f = ev["flow"]
            flows[(ev.get("flow_id"), bool(vt.dig(ev, "vigil.interim")),
                   f.get("pkts_toserver"), f.get("pkts_toclient"),
                   f.get("bytes_toserver"), f.get("bytes_toclient"),
                   f.get("alerted"), ev.get("app_proto"))] += 1
        elif t == "stats":
            s = ev["stats"]
            stats = {
                "packets": vt.dig(s, "decoder.pkts"),
                "flows": vt.dig(s, "flow.total"),
                "alerts": vt.dig(s, "detect.alert"),
                "engines": [vt.dig(ev, "vigil.detect." + k) for k in
                            ("signature", "ioc", "detector")],
            }
    return alerts, meta, flows, stats


def diff(what, a, b, na, nb):
    out = []
    if a != b:
        if isinstance(a, collections.Counter):
            for k in sorted(set(a) | set(b), key=repr):
                if a[k] != b[k]:
                    out.append("%s %r: %d with %d worker(s), %d with %d" %
                               (what, k, a[k], na, b[k], nb))
        else:
            out.append("%s: %r with %d worker(s), %r with %d" % (what, a, na, b, nb))
    return out


def sql_rows(db):
    if not os.path.exists(db):
        return None
    con = sqlite3.connect(db)
    try:
        out = {}
        for table, order in (("flows", "flow_id, interim, end_us"),
                             ("alerts", "gid, sid, src_ip, dest_ip")):
            cols = [r[1] for r in con.execute("PRAGMA table_info(%s)" % table)]
            keep = [c for c in cols if c not in ("id", "rowid")]
            out[table] = sorted(repr(r) for r in con.execute(
                "SELECT %s FROM %s" % (", ".join(keep), table)))
        return out
    finally:
        con.close()


def consistent(res, title, captures, rules, home_net, tmp, twice=False):
    views = {}
    for n in WORKERS:
        p, lines, db = replay(captures, rules, home_net, tmp, "w%d" % n, n)
        probs = []
        if p.returncode != 0:
            probs.append("exit %s: %s" % (p.returncode, vt.short(p.stderr)))
        elif not lines:
            probs.append("no EVE output")
        views[n] = view(lines) if lines else None
        if not probs and twice and n > 1:
            p2, lines2, db2 = replay(captures, rules, home_net, tmp, "w%d-again" % n, n)
            if p2.returncode != 0:
                probs.append("second run: exit %s" % p2.returncode)
            elif sorted(lines) != sorted(lines2):
                a, b = set(lines), set(lines2)
                probs.append("two runs with %d workers differ: %d line(s) only in the "
                             "first, %d only in the second, e.g. %s" %
                             (n, len(a - b), len(b - a), vt.short(sorted(a - b or b - a)[0], 300)))
            elif sql_rows(db) != sql_rows(db2):
                probs.append("two runs with %d workers: the database rows differ" % n)
        res.check("%s: --workers %d runs%s" % (title, n, " (twice, same output)" if
                                              twice and n > 1 else ""), probs)
    base = views[1]
    for n in WORKERS[1:]:
        probs = []
        if base is None or views[n] is None:
            probs.append("a run failed")
        else:
            for what, a, b in zip(("alert", "detector metadata", "flow record", "stats"),
                                  base, views[n]):
                probs += diff(what, a, b, 1, n)
        res.check("%s: --workers %d gives what --workers 1 gives (%d alert(s), %d flow "
                  "record(s))" % (title, n, sum(base[0].values()) if base else 0,
                                  sum(base[2].values()) if base else 0), probs)
    return views


def main():
    res = vt.Results("check_workers")
    with open(os.path.join(DETECT, "truth.json")) as f:
        truth = json.load(f)
    with tempfile.TemporaryDirectory(prefix="vigil-workers-") as tmp:
        behav = []
        home = None
        for name in sorted(truth):
            t = truth[name]
            if not isinstance(t, dict) or "rules" not in t:
                continue
            cap = os.path.join(DETECT, name)
            if not os.path.exists(cap):
                continue
            rules = t["rules"] if isinstance(t["rules"], list) else [t["rules"]]
            if name.startswith("behav_"):
                behav.append(cap)
                home = t.get("home_net")
                behav_rules = rules
            if name in ORDERED_BY_WORKER:
                # thresholds count alerts across flows in the order the
                # workers reach the rule set (README: workers): the runs
                # must work; which flows alert may differ
                for n in WORKERS:
                    p, lines, _ = replay([cap], rules, t.get("home_net"), tmp, "t%d" % n, n)
                    res.check("%s: --workers %d runs" % (name, n),
                              [] if p.returncode == 0 and lines else
                              ["exit %s: %s" % (p.returncode, vt.short(p.stderr))])
                continue
            views = consistent(res, name, [cap], rules, t.get("home_net"), tmp,
                               twice=name.startswith("behav_") or name == "benign_office.pcap")
            if name.startswith("behav_") and not name.endswith("_neg.pcap"):
                got = sum(v for k, v in views[1][0].items() if k[0] == "detector") \
                    if views[1] else 0
                res.check("%s: the detector alerts (%d)" % (name, got),
                          [] if got == t.get("count", got) and got > 0 else
                          ["expected %s detector alert(s), got %d" % (t.get("count"), got)])
        # every detector at once: the behavioural captures as one timeline
        behav.sort(key=first_ts)
        views = consistent(res, "all behavioural captures in one replay", behav,
                           behav_rules, home, tmp, twice=True)
        n = sum(v for k, v in views[1][0].items() if k[0] == "detector") if views[1] else 0
        dets = {k[2] for k in views[1][0] if k[0] == "detector"} if views[1] else set()
        res.check("all behavioural captures in one replay: every detector alerts "
                  "(%d alert(s))" % n,
                  [] if len(dets) == 6 else ["detectors that alerted (sid): %s" % sorted(dets)])
        fixtures = sorted(glob.glob(os.path.join(FIXTURES, "*.pcap")) +
                          glob.glob(os.path.join(FIXTURES, "*.pcapng")))
        fixtures = [f for f in fixtures if "malformed" not in os.path.basename(f)]
        consistent(res, "tests/fixtures as one timeline (%d files)" % len(fixtures),
                   fixtures, [], None, tmp, twice=True)
        p = vt.run_vigil(["replay", "-q", "--workers", "0", fixtures[0]])
        res.check("--workers 0 is refused (exit 2, says why)",
                  [] if p.returncode == 2 and b"--workers" in p.stderr else
                  ["exit %s: %s" % (p.returncode, vt.short(p.stderr))])
    return res.summary()


if __name__ == "__main__":
    sys.exit(main())
