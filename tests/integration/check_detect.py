#!/usr/bin/env python3
"""check_detect.py - the detect stage end to end: replay the captures of
tests/detect with their rule sets and compare the alerts with
tests/detect/truth.json (made by tools/gen_detect.py).

For each capture: `vigil replay --rules DIR... --home-net NETS --eve OUT
--db DB CAPTURE` must exit 0 and
  - EVE: exactly the expected alert events (engine, gid, sid, addresses,
    detector, indicator, metadata, ...), stats.detect counting them by
    engine and the suppressed ones;
  - SQLite: table alerts holds one row per (gid, sid, src_ip, dest_ip,
    indicator) with count = the EVE alerts of that row and first/last seen
    their times; alert_flows links each row to the flows of its alerts;
    those flows have alerted = 1 in table flows and "alerted": true in
    EVE, and no other flow has.
Also: `vigil rules check` on the good sets (exit 0, counts per kind) and
on each broken set (exit 1, every expected "file:line: reason");
`vigil replay --rules BAD` exits 2 and writes no output file; rules/default
raises nothing on benign_office.pcap and on every tests/fixtures capture
(except what truth.json's "default_fixtures" lists); two replays give the
same EVE bytes.

Usage: check_detect.py [CAPTURE...]   (default: everything)
Environment: VIGIL (command, may have a qemu/valgrind prefix), VIGIL_TIMEOUT.
Ends with "check_detect: N passed, M failed"; exit 1 on any failure.
"""

import collections
import glob
import json
import os
import re
import sqlite3
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vigil_test as vt  # noqa: E402

DETECT = os.path.join(vt.ROOT, "tests", "detect")
DEFAULT_RULES = "rules/default"
ENGINE_STATS = ("signature", "ioc", "detector")
# captures replayed twice for the determinism check
TWICE = ("sig_buffers.pcap", "sig_threshold.pcap", "ioc_plain.pcap",
         "behav_beacon.pcap", "benign_office.pcap", "suppress.pcap")


def load_truth():
    with open(os.path.join(DETECT, "truth.json")) as f:
        return json.load(f)


def rel(path):
    return os.path.join(vt.ROOT, path)


def rules_of(t):
    r = t["rules"]
    return r if isinstance(r, list) else [r]


def replay(capture, rules, home_net, tmp, tag):
    """Run one replay; returns (process, eve path, db path)."""
    eve = os.path.join(tmp, tag + ".eve.json")
    db = os.path.join(tmp, tag + ".sqlite")
    for p in (eve, db, db + "-wal", db + "-shm"):
        if os.path.exists(p):
            os.unlink(p)
    args = ["replay", "-q"]
    for r in rules:
        args += ["--rules", rel(r)]
    if home_net:
        args += ["--home-net", home_net]
    args += ["--eve", eve, "--db", db, capture]
    return vt.run_vigil(args), eve, db


def read_events(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        return None, [], ["cannot read EVE output: %s" % e]
    events, problems = vt.parse_eve(data)
    return data, events, problems


def ip_or_empty(s):
    return "" if s in (None, "") else vt.norm_ip(s)


IOC_KINDS = {"ip": 1, "domain": 2, "ja3": 3, "ja3s": 4, "cert_sha1": 5}


def ioc_list_sid(lst, kind):
    """The sid of a list's indicators of one kind, from rules/README.md:
    kind * 1000000 + FNV-1a(list file name) mod 1000000."""
    h = 2166136261
    for c in lst.encode():
        h = ((h ^ c) * 16777619) & 0xFFFFFFFF
    return IOC_KINDS[kind] * 1000000 + h % 1000000


def engine_of(ev):
    return (ev.get("vigil") or {}).get("engine")


def alert_view(ev):
    """The fields of an EVE alert event the truth can name. vigil's engine
    and detector are in the top-level "vigil" object, an indicator in
    alert.metadata (docs/eve.md)."""
    a = ev.get("alert") or {}
    vg = ev.get("vigil") or {}
    meta = a.get("metadata") or {}

    def one(k):
        v = meta.get(k)
        return v[0] if isinstance(v, list) and len(v) == 1 else None
    ioc = {k: one("indicator_" + k) for k in ("kind", "list", "description")}
    ioc["indicator"] = one("indicator")
    ioc = {k: v for k, v in ioc.items() if v is not None}
    v = {"engine": vg.get("engine"), "sid": a.get("signature_id"),
         "gid": a.get("gid"), "src_ip": ip_or_empty(ev.get("src_ip")),
         "dest_ip": ip_or_empty(ev.get("dest_ip")),
         "src_port": ev.get("src_port"), "dest_port": ev.get("dest_port"),
         "detector": vg.get("detector"), "rev": a.get("rev"),
         "signature": a.get("signature"), "category": a.get("category"),
         "severity": a.get("severity"),
         "ioc": ioc if vg.get("engine") == "ioc" else None,
         "metadata": meta, "ts": eve_us(ev.get("timestamp")) / 1e6}
    return v


def expected(exp):
    """A truth entry in the terms of today's EVE: an indicator's sid is its
    list's (one per list and kind); a detector's destination is the one of
    the flow that tipped the count, which the truth leaves open ("")."""
    exp = dict(exp)
    if exp.get("engine") == "ioc" and exp.get("ioc"):
        exp["sid"] = ioc_list_sid(exp["ioc"]["list"], exp["ioc"]["kind"])
    if exp.get("engine") == "detector" and exp.get("dest_ip") == "":
        del exp["dest_ip"]
    return exp


def fits(exp, got):
    """Does the EVE alert (alert_view) satisfy the expected entry?"""
    for k, want in exp.items():
        if k in ("classtype", "references", "comment"):
            continue     # checked in SQLite
        if k in ("src_ip", "dest_ip"):
            if ip_or_empty(want) != got[k]:
                return False
        elif k == "ioc":
            have = got["ioc"] or {}
            if any(have.get(x) != y for x, y in want.items()):
                return False
        elif k == "max_ts":
            # decided in time: a full payload window decides the flow's
            # payload rules then, not when the flow ends
            if got["ts"] > want + 1e-6:
                return False
        elif k == "metadata":
            have = got["metadata"]
            for mk, mv in want.items():
                if have.get(mk) != [mv]:
                    return False
        elif got.get(k) != want:
            return False
    return True


def fmt_alert(v):
    s = "%s %s:%s %s -> %s" % (v.get("engine"), v.get("gid"), v.get("sid"),
                               v.get("src_ip") or "-", v.get("dest_ip") or "-")
    if v.get("src_port") is not None or v.get("dest_port") is not None:
        s += " (ports %s -> %s)" % (v.get("src_port"), v.get("dest_port"))
    if v.get("detector"):
        s += " detector %s" % v["detector"]
    if v.get("ioc"):
        s += " ioc %s" % json.dumps(v["ioc"], sort_keys=True)
    if v.get("signature"):
        s += " %r" % v["signature"]
    if v.get("metadata"):
        s += " metadata %s" % json.dumps(v["metadata"], sort_keys=True)
    return s


def match_alerts(expect, got):
    """Pair expected entries with EVE alerts (most specific first).
    Returns problems."""
    views = [alert_view(e) for e in got]
    free = list(range(len(views)))
    out = []
    for exp in sorted((expected(e) for e in expect), key=lambda e: -len(e)):
        hit = next((i for i in free if fits(exp, views[i])), None)
        if hit is None:
            # the nearest alert of the same rule, to say what differs
            near = [views[i] for i in free if views[i]["sid"] == exp["sid"]
                    and views[i]["gid"] == exp["gid"]]
            msg = "missing alert %s" % fmt_alert(exp)
            if near:
                diff = {k: near[0].get(k) for k in exp
                        if k not in ("classtype", "references") and
                        not fits({k: exp[k]}, near[0])}
                msg += "; nearest %s differs in %s" % (
                    fmt_alert(near[0]), json.dumps(diff, sort_keys=True))
            out.append(msg)
        else:
            free.remove(hit)
    for i in free:
        out.append("unexpected alert %s" % fmt_alert(views[i]))
    return out


def alert_flow_ids(ev):
    ids = list((ev.get("vigil") or {}).get("flow_ids") or [])
    if isinstance(ev.get("flow_id"), int) and ev["flow_id"] not in ids:
        ids.append(ev["flow_id"])
    return ids


def check_alert_schema(alerts):
    out = []
    for ev in alerts:
        a = ev.get("alert")
        if not isinstance(a, dict):
            out.append("alert event without 'alert': %s" %
                       json.dumps(ev)[:200])
            continue
        if not vt.TS_RE.match(str(ev.get("timestamp"))):
            out.append("alert timestamp %r" % ev.get("timestamp"))
        for k, typ in (("action", str), ("gid", int), ("signature_id", int),
                       ("rev", int), ("signature", str), ("severity", int)):
            if not isinstance(a.get(k), typ):
                out.append("alert.%s is %r: %s" % (k, a.get(k),
                                                   json.dumps(ev)[:200]))
        if "engine" in a:
            out.append("alert.engine is Suricata 8's (fw/td), not vigil's")
        eng = engine_of(ev)
        meta = a.get("metadata") or {}
        if eng not in ENGINE_STATS:
            out.append("vigil.engine is %r" % eng)
        if eng == "ioc" and not all(isinstance(meta.get(k), list) for k in (
                "indicator", "indicator_kind", "indicator_list")):
            out.append("ioc alert without the indicator in alert.metadata: %s"
                       % json.dumps(ev)[:200])
        if eng == "detector" and not (ev.get("vigil") or {}).get("detector"):
            out.append("detector alert without vigil.detector: %s" %
                       json.dumps(ev)[:200])
        # every alert is about a flow: its 5-tuple, community_id, flow{}
        if not isinstance(ev.get("flow_id"), int):
            out.append("%s alert without flow_id: %s" %
                       (eng, json.dumps(ev)[:200]))
        for k in ("src_ip", "dest_ip", "proto", "community_id"):
            if not isinstance(ev.get(k), str) or not ev.get(k):
                out.append("alert without %s: %s" % (k, json.dumps(ev)[:200]))
        if ev.get("proto") in ("TCP", "UDP", "SCTP") and not (
                isinstance(ev.get("src_port"), int) and
                isinstance(ev.get("dest_port"), int) and ev["src_port"] > 0):
            out.append("alert without the flow's ports: %s" %
                       json.dumps(ev)[:200])
        if not isinstance(vt.dig(ev, "flow.start"), str):
            out.append("alert without flow{}: %s" % json.dumps(ev)[:200])
    return out


def check_stats(events, t, n_alerts, by_engine):
    st = vt.stats_event(events)
    if st is None:
        return ["no stats event"]
    d = vt.dig(st, "stats.detect")
    if not isinstance(d, dict):
        return ["stats.detect missing: %s" % json.dumps(st)[:300]]
    out = []
    if d.get("alerts") != n_alerts:
        out.append("stats.detect.alerts is %r, %d alert events written" %
                   (d.get("alerts"), n_alerts))
    for eng in ENGINE_STATS:
        if d.get(eng) != by_engine.get(eng, 0):
            out.append("stats.detect.%s is %r, %d such alert events" %
                       (eng, d.get(eng), by_engine.get(eng, 0)))
    want = t.get("suppressed", 0)
    if d.get("suppressed") != want:
        out.append("stats.detect.suppressed is %r, expected %d" %
                   (d.get("suppressed"), want))
    return out


def eve_us(ts):
    m = re.match(r"^(.*)\.(\d{6})([+-]\d{4})$", str(ts))
    return vt.iso_to_us(ts) if m else None


def check_sqlite(db, alerts, flows_eve, expect):
    """Aggregated alerts, their flow links and the flows' alerted mark."""
    out = []
    if not os.path.exists(db):
        return ["database %s was not created" % db]
    try:
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
        con.row_factory = sqlite3.Row
        rows = [dict(r) for r in con.execute("SELECT * FROM alerts")]
        links = {}
        for r in con.execute("SELECT alert_id, flow_id FROM alert_flows"):
            links.setdefault(r[0], set()).add(r[1])
        frows = [dict(r) for r in con.execute(
            "SELECT flow_id, alerted, interim FROM flows")]
        con.close()
    except sqlite3.Error as e:
        return ["cannot read the alerts of the database: %s" % e]
    # EVE alerts grouped as the table aggregates them
    groups = collections.OrderedDict()
    for ev in alerts:
        a = ev["alert"]
        key = (a.get("gid"), a.get("signature_id"),
               ip_or_empty(ev.get("src_ip")), ip_or_empty(ev.get("dest_ip")),
               ((a.get("metadata") or {}).get("indicator") or [""])[0])
        groups.setdefault(key, []).append(ev)
    by_key = {}
    for r in rows:
        key = (r["gid"], r["sid"], ip_or_empty(r["src_ip"]),
               ip_or_empty(r["dest_ip"]), r["ioc_indicator"] or "")
        if key in by_key:
            out.append("two rows in alerts for %s" % (key,))
        by_key[key] = r
    for key, evs in groups.items():
        r = by_key.pop(key, None)
        name = "alert %s:%s %s -> %s%s" % (key[0], key[1], key[2] or "-",
                                            key[3] or "-",
                                            " [%s]" % key[4] if key[4] else "")
        if r is None:
            out.append("%s (%d EVE events) has no row in table alerts" %
                       (name, len(evs)))
            continue
        if r["count"] != len(evs):
            out.append("%s: count is %r, %d EVE events" % (name, r["count"],
                                                          len(evs)))
        ts = sorted(eve_us(e.get("timestamp")) for e in evs)
        if r["first_seen_us"] != ts[0] or r["last_seen_us"] != ts[-1]:
            out.append("%s: first/last seen %s/%s, EVE says %s/%s" %
                       (name, r["first_seen_us"], r["last_seen_us"], ts[0],
                        ts[-1]))
        if r["engine"] != engine_of(evs[0]):
            out.append("%s: engine %r, EVE %r" % (name, r["engine"],
                                                  engine_of(evs[0])))
        want = set()
        for e in evs:
            want.update(alert_flow_ids(e))
        have = links.get(r["id"], set())
        if not want <= have:
            out.append("%s: alert_flows lacks flow_id(s) %s (has %s)" %
                       (name, sorted(want - have), sorted(have)))
        for exp in map(expected, expect):
            if (exp["gid"], exp["sid"]) != key[:2] or \
                    ip_or_empty(exp["src_ip"]) != key[2]:
                continue
            if "classtype" in exp and r.get("classtype") != exp["classtype"]:
                out.append("%s: classtype %r, expected %r" %
                           (name, r.get("classtype"), exp["classtype"]))
            for ref in exp.get("references", []):
                if ref not in (r.get("refs") or ""):
                    out.append("%s: refs %r lack %r" % (name, r.get("refs"),
                                                       ref))
    for key, r in by_key.items():
        out.append("row in table alerts without EVE alert: %s (count %s)" %
                   (key, r["count"]))
    # flows marked alerted: those the signature and indicator alerts were
    # raised on, and the flow whose end triggered a detector alert (the
    # EVE flow_id); detectors' earlier flows were written before the alert
    must = set()
    may = set()
    for ev in alerts:
        eng = engine_of(ev)
        ids = alert_flow_ids(ev)
        may.update(ids)
        if eng == "detector":
            if isinstance(ev.get("flow_id"), int):
                must.add(ev["flow_id"])
        else:
            must.update(ids)
    sql_alerted = {r["flow_id"] for r in frows if r["alerted"]}
    eve_alerted = {f["flow_id"] for f in flows_eve
                   if vt.dig(f["final"], "flow.alerted") is True}
    for what, got in (("table flows (alerted = 1)", sql_alerted),
                      ("EVE flow events (\"alerted\": true)", eve_alerted)):
        if must - got:
            out.append("%s: flow_id(s) %s raised alerts but are not marked" %
                       (what, sorted(must - got)))
        if got - may:
            out.append("%s: flow_id(s) %s are marked but no alert names them"
                       % (what, sorted(got - may)))
    return out


def check_capture(res, name, t, tmp, eves):
    capture = os.path.join(DETECT, t.get("file", name))
    rules = rules_of(t)
    title = "%s [%s]:" % (name, ", ".join(os.path.basename(r) for r in rules))
    missing = [r for r in rules if not os.path.isdir(rel(r))]
    if missing:
        res.check("%s rule sets exist" % title,
                  ["rule set directory %s does not exist" % m
                   for m in missing])
        return
    tag = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    p, eve, db = replay(capture, rules, t.get("home_net"), tmp, tag)
    if not res.check("%s replay exits 0" % title, [] if p.returncode == 0
                     else ["exit status %r; stderr: %s" %
                           (p.returncode, vt.short(p.stderr))]):
        return
    data, events, problems = read_events(eve)
    eves[name] = data
    alerts = [e for e in events if e.get("event_type") == "alert"]
    problems += check_alert_schema(alerts)
    if len(alerts) != t["count"]:
        problems.insert(0, "%d alert events, expected %d" % (len(alerts),
                                                             t["count"]))
    if t.get("expect_none") and alerts:
        problems.insert(0, "expected no alert at all")
    problems += match_alerts(t["expect"], alerts)
    res.check("%s EVE alerts (%d expected)" % (title, t["count"]), problems)
    by_engine = collections.Counter(engine_of(e) for e in alerts)
    res.check("%s stats.detect" % title,
              check_stats(events, t, len(alerts), by_engine))
    flows_eve, fp = vt.eve_flow_records(events)
    res.check("%s SQLite alerts, alert_flows and alerted flows" % title,
              fp + check_sqlite(db, alerts, flows_eve, t["expect"]))
    if name in TWICE:
        p2, eve2, _ = replay(capture, rules, t.get("home_net"), tmp,
                             tag + ".again")
        again, _, _ = read_events(eve2)
        res.check("%s second replay gives the same EVE bytes" % title,
                  [] if p2.returncode == 0 and again == data else
                  ["exit %r; the EVE output differs%s" %
                   (p2.returncode, first_diff(data, again))])


def first_diff(a, b):
    la = (a or b"").splitlines()
    lb = (b or b"").splitlines()
    for i, (x, y) in enumerate(zip(la, lb)):
        if x != y:
            return " at line %d:\n  %s\n  %s" % (i + 1, vt.short(x, 300),
                                                 vt.short(y, 300))
    return " in length: %d vs %d lines" % (len(la), len(lb))


SUMMARY_RE = {
    "signatures": r"^signatures:\s+(\d+) from",
    "signature_files": r"^signatures:\s+\d+ from (\d+) file",
    "lists": r"^indicators:\s+\d+ from (\d+) list",
    "ip": r"(\d+) ip\b", "cidr": r"(\d+) cidr\b", "domain": r"(\d+) domain\b",
    "ja3": r"(\d+) ja3\b", "ja3s": r"(\d+) ja3s\b",
    "cert_sha1": r"(\d+) cert_sha1\b", "duplicates": r"\((\d+) duplicates\)",
    "detectors": r"^detectors:\s+(\d+) enabled",
    "suppressions": r"^suppressions:\s+(\d+)",
    "problems": r"^problems:\s+(\d+)",
}


def summary_value(text, key):
    for ln in text.splitlines():
        if key in ("ip", "cidr", "domain", "ja3", "ja3s", "cert_sha1",
                   "duplicates") and not ln.startswith("indicators:"):
            continue
        m = re.search(SUMMARY_RE[key], ln)
        if m:
            return int(m.group(1))
    return None


def problem_lines(text):
    """'file:line: reason' lines -> list of (file, line, reason)."""
    out = []
    for ln in text.splitlines():
        m = re.match(r"^(.+?):(\d+): (.*)$", ln)
        if m:
            out.append((m.group(1), int(m.group(2)), m.group(3)))
    return out


def check_rules_check(res, checks, tmp):
    for d, want in sorted(checks.items()):
        title = "rules check %s:" % d
        if not os.path.isdir(rel(d)):
            res.check("%s directory exists" % title,
                      ["rule set directory %s does not exist" % d])
            continue
        p = vt.run_vigil(["rules", "check", "--home-net",
                          "192.168.10.0/24,2001:db8:10::/48", rel(d)])
        out, err = vt.text(p.stdout), vt.text(p.stderr)
        problems = []
        if p.returncode != want["exit"]:
            problems.append("exit status %r, expected %d; stderr: %s" %
                            (p.returncode, want["exit"], vt.short(err)))
        for k, v in sorted(want.get("summary", {}).items()):
            have = summary_value(out, k)
            if have != v:
                problems.append("summary %s is %r, expected %r (stdout: %s)"
                                % (k, have, v, vt.short(out, 400)))
        if "messages" in want:
            lines = problem_lines(err)
            for m in want["messages"]:
                fm = re.match(r"^(.+?):(\d+): (.*)$", m)
                f, line, reason = fm.group(1), int(fm.group(2)), fm.group(3)
                ok = any((lf == f or lf.endswith("/" + f)) and ll == line and
                         reason.lower() in lr.lower() for lf, ll, lr in lines)
                if not ok:
                    problems.append("no line '%s' (…%s:%d: …%s…) on stderr: "
                                    "%s" % (m, f, line, reason,
                                            vt.short(err, 500)))
            n = summary_value(out, "problems")
            if n != len(want["messages"]):
                problems.append("problems: %r, expected %d (one per broken "
                                "line)" % (n, len(want["messages"])))
            if len(lines) != len(want["messages"]):
                problems.append("%d 'file:line: reason' lines, expected %d: "
                                "%s" % (len(lines), len(want["messages"]),
                                        vt.short(err, 500)))
        res.check("%s exit %d%s" % (title, want["exit"],
                                     ", counts" if want.get("summary") else
                                     ", %d messages" %
                                     len(want.get("messages", []))),
                  problems)
        if want["exit"] != 0:
            eve = os.path.join(tmp, "bad.eve.json")
            db = os.path.join(tmp, "bad.sqlite")
            for q in (eve, db):
                if os.path.exists(q):
                    os.unlink(q)
            p = vt.run_vigil(["replay", "--rules", rel(d), "--eve", eve,
                              "--db", db,
                              os.path.join(DETECT, "sig_header.pcap")])
            problems = []
            if p.returncode != 2:
                problems.append("exit status %r, expected 2; stderr: %s" %
                                (p.returncode, vt.short(p.stderr)))
            for q in (eve, db):
                if os.path.exists(q):
                    problems.append("%s was written" % os.path.basename(q))
            if "rules check" not in vt.text(p.stderr):
                problems.append("stderr does not point at 'vigil rules "
                                "check': %s" % vt.short(p.stderr))
            res.check("replay --rules %s: exit 2, no output" % d, problems)


def check_default_fixtures(res, truth, tmp):
    """rules/default on every fixture: nothing, or what truth lists."""
    if not os.path.isdir(rel(DEFAULT_RULES)):
        res.check("rules/default on tests/fixtures: rule set exists",
                  ["%s does not exist" % DEFAULT_RULES])
        return
    listed = truth.get("default_fixtures", {})
    caps = sorted(glob.glob(os.path.join(vt.FIXTURES, "*.pcap")) +
                  glob.glob(os.path.join(vt.FIXTURES, "*.pcapng")))
    for path in caps:
        name = os.path.basename(path)
        want = listed.get(name, {"expect": []})
        tag = "fixture_" + name
        p, eve, _ = replay(path, [DEFAULT_RULES], None, tmp, tag)
        title = "rules/default on fixtures/%s:" % name
        # some fixtures are broken on purpose: exit 1 is theirs
        if p.returncode not in (0, 1) or not os.path.exists(eve):
            res.check("%s replay" % title,
                      ["exit status %r; stderr: %s" % (p.returncode,
                                                       vt.short(p.stderr))])
            continue
        _, events, problems = read_events(eve)
        alerts = [e for e in events if e.get("event_type") == "alert"]
        problems += match_alerts(want["expect"], alerts)
        res.check("%s %d alert(s) expected" % (title, len(want["expect"])),
                  problems)


def main():
    res = vt.Results("check_detect")
    truth = load_truth()
    captures = [k for k, v in truth.items()
                if isinstance(v, dict) and "expect" in v]
    names = sys.argv[1:] or sorted(captures)
    with tempfile.TemporaryDirectory(prefix="vigil-detect-") as tmp:
        eves = {}
        for name in names:
            if name not in truth:
                res.check("%s: known capture" % name, ["not in truth.json"])
                continue
            check_capture(res, name, truth[name], tmp, eves)
        if not sys.argv[1:]:
            check_rules_check(res, truth.get("rules_check", {}), tmp)
            check_default_fixtures(res, truth, tmp)
    return res.summary()


if __name__ == "__main__":
    sys.exit(main())
