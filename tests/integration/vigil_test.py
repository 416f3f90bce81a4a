"""vigil_test.py - shared helpers for the end-to-end checks of the vigil
binary (python3 standard library only).

VIGIL (environment) is the command that runs vigil, split like a shell
would (it may carry a qemu or valgrind prefix); default build/vigil.
VIGIL_TIMEOUT: seconds one vigil run may take (default 600).
"""

import datetime
import ipaddress
import json
import os
import re
import shlex
import sqlite3
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")

# EVE names the protocol; for others than these a number (as a string) or
# a name is accepted
PROTO_NUM = {"TCP": 6, "UDP": 17, "ICMP": 1, "IPv6-ICMP": 58, "SCTP": 132,
             "GRE": 47}
NUM_PROTO = {v: k for k, v in PROTO_NUM.items()}
COUNTERS = ("pkts_toserver", "pkts_toclient", "bytes_toserver",
            "bytes_toclient")
# truth key -> SQLite column (required ones first)
SQL_APP_COLS = {"app_proto": "app_proto", "ndpi.protocol": "ndpi_protocol",
                "tls.sni": "tls_sni", "dns.rrname": "dns_rrname",
                "http.hostname": "http_host"}
SQL_OPT_COLS = {"http.http_user_agent": ("http_user_agent", "http_ua",
                                         "user_agent"),
                "tls.ja3.hash": ("ja3", "tls_ja3"),
                "tls.ja3s.hash": ("ja3s", "tls_ja3s")}
NON_EVE_KEYS = set(COUNTERS) | {"src_ip", "src_port", "dest_ip", "dest_port",
                                "proto", "start", "end", "state", "vlan",
                                "interim"}


def vigil_cmd():
    cmd = os.environ.get("VIGIL") or os.path.join(ROOT, "build", "vigil")
    return shlex.split(cmd)


def timeout():
    return float(os.environ.get("VIGIL_TIMEOUT", "600"))


def run_vigil(args, **kw):
    """Run vigil with args; returns CompletedProcess with text output.
    A timeout is reported as returncode None."""
    try:
        return subprocess.run(vigil_cmd() + list(args), capture_output=True,
                              timeout=timeout(), stdin=subprocess.DEVNULL,
                              **kw)
    except subprocess.TimeoutExpired as e:
        return subprocess.CompletedProcess(e.cmd, None, e.stdout or b"",
                                           (e.stderr or b"") +
                                           b"\n[timed out]")
    except OSError as e:
        return subprocess.CompletedProcess(vigil_cmd(), None, b"",
                                           ("[cannot run: %s]" % e).encode())


def text(b):
    return b.decode("utf-8", "replace") if isinstance(b, bytes) else (b or "")


def lines_of(b):
    return [ln for ln in text(b).splitlines() if ln.strip()]


def short(b, n=600):
    t = text(b).strip()
    return t if len(t) <= n else t[:n] + "...[%d more chars]" % (len(t) - n)


class Results:
    """Counts checks; prints one line per check, details under failures."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0

    def check(self, title, problems):
        """problems: list of strings (empty = pass)."""
        if problems:
            self.failed += 1
            print("FAIL  %s" % title)
            for p in problems[:25]:
                for i, ln in enumerate(str(p).splitlines() or [""]):
                    print("        %s%s" % ("" if i == 0 else "  ", ln))
            if len(problems) > 25:
                print("        ... and %d more" % (len(problems) - 25))
        else:
            self.passed += 1
            print("ok    %s" % title)
        sys.stdout.flush()
        return not problems

    def summary(self):
        print("%s: %d passed, %d failed" % (self.name, self.passed,
                                            self.failed))
        return 1 if self.failed else 0


def load_truth():
    with open(os.path.join(FIXTURES, "truth.json")) as f:
        return json.load(f)


def parse_eve(data):
    """EVE text -> (events, problems)."""
    events, problems = [], []
    for i, ln in enumerate(text(data).splitlines(), 1):
        if not ln.strip():
            problems.append("line %d is empty" % i)
            continue
        try:
            ev = json.loads(ln)
        except ValueError as e:
            problems.append("line %d is not JSON (%s): %s" % (i, e, ln[:200]))
            continue
        if not isinstance(ev, dict) or "event_type" not in ev:
            problems.append("line %d has no event_type: %s" % (i, ln[:200]))
            continue
        events.append(ev)
    return events, problems


def stats_view(ev):
    """The stats event with vigil's own counters (the top-level "vigil"
    object) merged into Suricata's "stats" tree, and Suricata's names
    mapped to the ones the checks use: decoder.invalid is errors_total,
    detect.alert alerts, detect.alerts_suppressed suppressed. The layout
    itself is checked against Suricata's schema (tests/eve)."""
    if ev is None:
        return None
    merged = json.loads(json.dumps(ev.get("stats") or {}))
    for sect, vals in (ev.get("vigil") or {}).items():
        if isinstance(vals, dict):
            merged.setdefault(sect, {}).update(vals)
        else:
            merged[sect] = vals
    dec, det = merged.get("decoder", {}), merged.get("detect", {})
    if "invalid" in dec:
        dec["errors_total"] = dec["invalid"]
    if "alert" in det:
        det["alerts"] = det["alert"]
    if "alerts_suppressed" in det:
        det["suppressed"] = det["alerts_suppressed"]
    out = dict(ev)
    out["stats"] = merged
    return out


def stats_event(events):
    """The last stats event, as stats_view gives it."""
    st = [e for e in events if e.get("event_type") == "stats"]
    return stats_view(st[-1]) if st else None


def dig(obj, path):
    """obj['a']['b'] for path 'a.b'; None if absent."""
    for part in path.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return None
        obj = obj[part]
    return obj


def norm_ip(s):
    try:
        return str(ipaddress.ip_address(str(s)))
    except ValueError:
        return "?%s" % s


def norm_proto(p):
    if isinstance(p, int) or (isinstance(p, str) and p.isdigit()):
        return NUM_PROTO.get(int(p), str(p))
    return p


def flow_key(f):
    proto = norm_proto(f.get("proto"))
    noports = proto not in ("TCP", "UDP", "SCTP")
    return (proto, norm_ip(f.get("src_ip")),
            None if noports else f.get("src_port"),
            norm_ip(f.get("dest_ip")),
            None if noports else f.get("dest_port"))


def rev_key(k):
    return (k[0], k[3], k[4], k[1], k[2])


def fmt_key(k):
    def ep(ip, port):
        ip = "[%s]" % ip if ":" in ip else ip
        return ip if port is None else "%s:%s" % (ip, port)
    return "%s %s -> %s" % (k[0], ep(k[1], k[2]), ep(k[3], k[4]))


def eve_flow_records(events):
    """Group flow events by flow_id, sum interim + final counters.
    Returns (flows, problems); each flow is a dict like a truth entry plus
    'final' (the final event) and 'interim' (number of interim records)."""
    groups, order, problems = {}, [], []
    for e in events:
        if e.get("event_type") != "flow":
            continue
        fid = e.get("flow_id")
        if not isinstance(fid, int):
            problems.append("flow event without integer flow_id: %s" %
                            json.dumps(e)[:200])
        if fid not in groups:
            groups[fid] = []
            order.append(fid)
        groups[fid].append(e)
    flows = []
    for fid in order:
        recs = groups[fid]
        finals = [r for r in recs if dig(r, "flow.reason") != "active_timeout"]
        keys = set(flow_key(r) for r in recs)
        if len(keys) > 1:
            problems.append("flow_id %s is used by different flows: %s" %
                            (fid, ", ".join(sorted(map(fmt_key, keys)))))
        if len(finals) != 1:
            problems.append("flow_id %s (%s) has %d final records and %d "
                            "interim" % (fid, fmt_key(flow_key(recs[0])),
                                         len(finals),
                                         len(recs) - len(finals)))
        final = finals[-1] if finals else recs[-1]
        f = {k: final.get(k) for k in ("src_ip", "src_port", "dest_ip",
                                       "dest_port", "proto")}
        # every record holds the flow's totals so far (Suricata's model):
        # the last one is the flow's, and they never go down
        for c in COUNTERS:
            vals = [dig(r, "flow." + c) for r in recs]
            f[c] = vals[-1] if all(isinstance(v, int) for v in vals) else vals
            if all(isinstance(v, int) for v in vals) and vals != sorted(vals):
                problems.append("flow_id %s: flow.%s goes down across its "
                                "records: %s" % (fid, c, vals))
        starts = [dig(r, "flow.start") for r in recs if dig(r, "flow.start")]
        ends = [dig(r, "flow.end") for r in recs if dig(r, "flow.end")]
        f["start"] = min(starts) if starts else None
        f["end"] = max(ends) if ends else None
        f["state"] = dig(final, "flow.state")
        f["interim"] = len(recs) - len(finals)
        f["vlan"] = final.get("vlan")
        f["final"] = final
        f["flow_id"] = fid
        flows.append(f)
    return flows, problems


def match_flows(expect, got):
    """Pair truth entries with reported flows by 5-tuple (in start order when
    a 5-tuple is used more than once). Returns (pairs, problems)."""
    by_key = {}
    for g in got:
        by_key.setdefault(flow_key(g), []).append(g)
    for v in by_key.values():
        v.sort(key=lambda g: str(g.get("start")))
    pairs, missing = [], []
    for e in sorted(expect, key=lambda e: e.get("start", "")):
        k = flow_key(e)
        if by_key.get(k):
            pairs.append((e, by_key[k].pop(0)))
        else:
            missing.append(e)
    problems = []
    for e in missing:
        k = flow_key(e)
        if by_key.get(rev_key(k)):
            g = by_key[rev_key(k)].pop(0)
            problems.append("flow %s reported the wrong way round, as %s "
                            "(client must be the initiator)" %
                            (fmt_key(k), fmt_key(flow_key(g))))
        else:
            problems.append("flow %s (start %s) not reported" %
                            (fmt_key(k), e.get("start")))
    for k, rest in sorted(by_key.items(), key=lambda kv: str(kv[0])):
        for g in rest:
            problems.append("unexpected flow %s (start %s, %s/%s pkts)" %
                            (fmt_key(k), g.get("start"),
                             g.get("pkts_toserver"), g.get("pkts_toclient")))
    return pairs, problems


def compare_eve_flow(e, g):
    """Differences between a truth entry and a grouped EVE flow."""
    out = []
    name = fmt_key(flow_key(e))
    for c in COUNTERS:
        if g.get(c) != e[c]:
            out.append("%s: %s is %s, expected %s" % (name, c, g.get(c), e[c]))
    for k in ("start", "end", "state"):
        if k in e and g.get(k) != e[k]:
            out.append("%s: flow.%s is %r, expected %r" % (name, k, g.get(k),
                                                           e[k]))
    if "vlan" in e:
        v = g.get("vlan")
        if not isinstance(v, list) or e["vlan"] not in v:
            out.append("%s: vlan is %r, expected a list holding %d" %
                       (name, v, e["vlan"]))
    if "interim" in e and g.get("interim") != e["interim"]:
        out.append("%s: %s interim records, expected %d" %
                   (name, g.get("interim"), e["interim"]))
    for k, want in sorted(e.items()):
        if k in NON_EVE_KEYS:
            continue
        have = dig(g["final"], k)
        if have != want:
            out.append("%s: %s is %r, expected %r" % (name, k, have, want))
    return out


FLOW_STATES = ("new", "established", "closed")
FLOW_REASONS = ("timeout", "shutdown", "evicted", "active_timeout")
STATS_KEYS = {"stats.decoder": ("pkts", "bytes", "invalid", "ipv4", "ipv6",
                                "tcp", "udp", "vlan", "pppoe", "mpls"),
              "stats.capture": ("kernel_packets", "kernel_drops"),
              "stats.flow": ("total", "active"),
              "stats.detect": ("alert", "alerts_suppressed"),
              "vigil.decoder": ("icmp", "tunneled", "fragments", "errors"),
              "vigil.flow": ("ended", "evicted", "interim", "peak"),
              "vigil.capture": ("files",),
              "vigil.output": ("db_flows_lost", "db_alerts_lost", "db_failures",
                               "eve_alerts_lost")}


def check_schema(events):
    """The EVE layout: Suricata's field names and types (see run.sh)."""
    out = []

    def bad(e, msg):
        out.append("%s (flow_id %s): %s" % (msg, e.get("flow_id"),
                                             json.dumps(e)[:160]))
    for e in events:
        et = e.get("event_type")
        if not TS_RE.match(str(e.get("timestamp"))):
            bad(e, "timestamp %r not like 2024-01-01T00:00:05.123456+0000"
                % e.get("timestamp"))
        if et == "stats":
            for sect, keys in STATS_KEYS.items():
                miss = [k for k in keys if dig(e, "%s.%s" % (sect, k))
                        is None]
                if miss:
                    bad(e, "%s lacks %s" % (sect, ", ".join(miss)))
            if not isinstance(dig(e, "stats.uptime"), int):
                bad(e, "stats.uptime missing")
            continue
        if et != "flow":
            continue
        fl = e.get("flow") or {}
        interim = fl.get("reason") == "active_timeout"
        if "interim" in fl:
            bad(e, "flow.interim is not in Suricata's schema")
        if not isinstance(e.get("flow_id"), int) or e["flow_id"] < 0 or \
                e["flow_id"] >= 2 ** 53:
            bad(e, "flow_id is not an integer in [0, 2^53)")
        for k in ("src_ip", "dest_ip", "proto", "community_id"):
            if not isinstance(e.get(k), str) or not e.get(k):
                bad(e, "%s missing or not a string" % k)
        # Suricata writes no app_proto when nothing was recognised
        if "app_proto" in e and (not isinstance(e["app_proto"], str) or
                                 e["app_proto"] in ("", "unknown")):
            bad(e, "app_proto is %r" % e["app_proto"])
        if e.get("proto") in ("TCP", "UDP", "SCTP"):
            for k in ("src_port", "dest_port"):
                if not isinstance(e.get(k), int):
                    bad(e, "%s missing or not an integer" % k)
        for k in COUNTERS + ("age",):
            if not isinstance(fl.get(k), int) or fl.get(k) < 0:
                bad(e, "flow.%s missing or not a count" % k)
        for k in ("start", "end"):
            if not TS_RE.match(str(fl.get(k))):
                bad(e, "flow.%s is %r" % (k, fl.get(k)))
        if fl.get("state") not in FLOW_STATES:
            bad(e, "flow.state is %r" % fl.get("state"))
        if fl.get("reason") not in FLOW_REASONS:
            bad(e, "flow.reason is %r, expected one of %s" %
                (fl.get("reason"), "/".join(FLOW_REASONS)))
        if not isinstance(fl.get("alerted"), bool):
            bad(e, "flow.alerted is %r, expected true or false" %
                fl.get("alerted"))
        nd = e.get("ndpi")
        if not isinstance(nd, dict) or not isinstance(nd.get("protocol"),
                                                      str):
            bad(e, "ndpi.protocol missing")
        elif not isinstance(nd.get("risks"), list):
            bad(e, "ndpi.risks is not a list")
        elif not interim and not all(isinstance(nd.get(k), str)
                                     for k in ("category", "confidence")):
            bad(e, "ndpi.category/confidence missing in a final record")
        if "vlan" in e and not (isinstance(e["vlan"], list) and e["vlan"]):
            bad(e, "vlan is %r, expected a non-empty list" % e["vlan"])
    return out


def check_stats(st, truth, files, n_final):
    """Differences between the stats event and the truth of a replay."""
    out = []
    if st is None:
        return ["no stats event"]
    dec = dig(st, "stats.decoder") or {}
    if dec.get("pkts") != truth.get("decoder_pkts"):
        out.append("stats.decoder.pkts is %r, expected %r" %
                   (dec.get("pkts"), truth.get("decoder_pkts")))
    if "decoder_bytes" in truth and dec.get("bytes") != truth["decoder_bytes"]:
        out.append("stats.decoder.bytes is %r, expected %r (wire bytes)" %
                   (dec.get("bytes"), truth["decoder_bytes"]))
    errs = dec.get("errors")
    if not isinstance(errs, dict):
        out.append("stats.decoder.errors is %r, expected an object" % errs)
        errs = {}
    nonzero = {k: v for k, v in errs.items() if v}
    want = dict(truth.get("decode_errors", {}))
    # Frames that are not IP (ARP, LLDP...) may be counted apart from the
    # errors, as stats.decoder.not_ip: either way is right.
    if want.get("not_ip") and not nonzero.get("not_ip") and \
            dec.get("not_ip") == want["not_ip"]:
        del want["not_ip"]
    for r in sorted(set(nonzero) | set(want)):
        if nonzero.get(r, 0) != want.get(r, 0):
            out.append("decode error %s: %s, expected %s" %
                       (r, nonzero.get(r, 0), want.get(r, 0)))
    if dec.get("errors_total") != sum(want.values()):
        out.append("stats.decoder.errors_total is %r, expected %d" %
                   (dec.get("errors_total"), sum(want.values())))
    for k, v in sorted(truth.get("stats_decoder", {}).items()):
        if dec.get(k) != v:
            out.append("stats.decoder.%s is %r, expected %r" %
                       (k, dec.get(k), v))
    fl = dig(st, "stats.flow") or {}
    if fl.get("total") != n_final:
        out.append("stats.flow.total is %r but %d flows were reported" %
                   (fl.get("total"), n_final))
    if fl.get("ended") != n_final:
        out.append("stats.flow.ended is %r but %d flows were reported" %
                   (fl.get("ended"), n_final))
    n_interim = sum(e.get("interim", 0) for e in truth.get("expect", []))
    if fl.get("interim") != n_interim:
        out.append("stats.flow.interim is %r, expected %d" %
                   (fl.get("interim"), n_interim))
    if dig(st, "stats.capture.files") != files:
        out.append("stats.capture.files is %r, expected %d" %
                   (dig(st, "stats.capture.files"), files))
    return out


def sqlite_flows(path):
    """Flows from the SQLite store, interim rows summed per flow_id.
    Returns (flows, columns, problems)."""
    problems = []
    if not os.path.exists(path):
        return [], [], ["database %s was not created" % path]
    try:
        db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
        db.row_factory = sqlite3.Row
        cols = [r[1] for r in db.execute("PRAGMA table_info(flows)")]
        if not cols:
            return [], [], ["database has no table 'flows'"]
        rows = [dict(r) for r in db.execute("SELECT * FROM flows")]
        db.close()
    except sqlite3.Error as e:
        return [], [], ["cannot read database: %s" % e]
    need = ["src_ip", "src_port", "dest_ip", "dest_port"] + list(COUNTERS)
    miss = [c for c in need if c not in cols]
    if miss:
        return [], cols, ["table flows lacks columns: %s (has: %s)" %
                          (", ".join(miss), ", ".join(cols))]
    has_interim = "interim" in cols
    groups, order = {}, []
    if "flow_id" in cols:
        for r in rows:
            if r["flow_id"] not in groups:
                order.append(r["flow_id"])
            groups.setdefault(r["flow_id"], []).append(r)
    else:
        if has_interim and any(r["interim"] for r in rows):
            problems.append("table flows has interim rows but no flow_id "
                            "column to sum them by")
        for i, r in enumerate(rows):
            if not (has_interim and r["interim"]):
                groups[i] = [r]
                order.append(i)
    flows = []
    for fid in order:
        recs = groups[fid]
        finals = [r for r in recs if not (has_interim and r["interim"])]
        if len(finals) != 1:
            problems.append("flow_id %s has %d final rows" % (fid,
                                                              len(finals)))
        final = finals[-1] if finals else recs[-1]
        f = {k: final.get(k) for k in ("src_ip", "src_port", "dest_ip",
                                       "dest_port")}
        f["proto"] = final.get("proto", final.get("ip_proto"))
        for c in COUNTERS:
            f[c] = sum(r[c] or 0 for r in recs)
        f["row"] = final
        f["interim"] = len(recs) - len(finals)
        if "start_us" in cols:
            f["start_us"] = min(r["start_us"] for r in recs)
        if "end_us" in cols:
            f["end_us"] = max(r["end_us"] for r in recs)
        f["start"] = f.get("start_us")
        flows.append(f)
    return flows, cols, problems


def compare_sql_flow(e, g, cols):
    out = []
    name = fmt_key(flow_key(e))
    for c in COUNTERS:
        if g.get(c) != e[c]:
            out.append("%s: %s is %s, expected %s" % (name, c, g.get(c), e[c]))
    for k in ("start", "end"):
        col = k + "_us"
        if k in e and col in cols and g.get(col) != iso_to_us(e[k]):
            out.append("%s: %s is %s (%s), expected %s (%s)" %
                       (name, col, g.get(col), us_to_iso(g.get(col)),
                        iso_to_us(e[k]), e[k]))
    if "interim" in e and "interim" in cols and g["interim"] != e["interim"]:
        out.append("%s: %s interim rows, expected %d" % (name, g["interim"],
                                                         e["interim"]))
    for k in ("state", "vlan"):
        if k in e and k in cols and g["row"].get(k) != e[k]:
            out.append("%s: column %s is %r, expected %r" %
                       (name, k, g["row"].get(k), e[k]))
    for k, col in SQL_APP_COLS.items():
        if k in e and (g["row"].get(col) if col in cols else "<no column>") \
                != e[k]:
            out.append("%s: column %s is %r, expected %r" %
                       (name, col, g["row"].get(col, "<no column>"), e[k]))
    for k, alts in SQL_OPT_COLS.items():
        col = next((a for a in alts if a in cols), None)
        if k in e and col and g["row"].get(col) != e[k]:
            out.append("%s: column %s is %r, expected %r" %
                       (name, col, g["row"].get(col), e[k]))
    return out


def match_sql(expect, got):
    """Like match_flows, but SQLite rows may lack a usable start time or
    proto: fall back to matching without proto when the column is absent."""
    for g in got:
        if g.get("proto") is None:
            # no proto column: take it from the truth entry with that tuple
            for e in expect:
                k = flow_key(e)
                if (norm_ip(g["src_ip"]), g["src_port"], norm_ip(g["dest_ip"]),
                        g["dest_port"]) == (k[1], k[2], k[3], k[4]) or \
                        (k[2] is None and
                         (norm_ip(g["src_ip"]), norm_ip(g["dest_ip"])) ==
                         (k[1], k[3])):
                    g["proto"] = k[0]
                    break
    got = sorted(got, key=lambda g: str(g.get("start")))
    return match_flows(expect, got)


def iso_to_us(s):
    """'2024-01-01T00:00:05.123456+0000' -> microseconds since the epoch."""
    m = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})\+0000$", s)
    if not m:
        return None
    dt = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")
    dt = dt.replace(tzinfo=datetime.timezone.utc)
    return int(dt.timestamp()) * 1000000 + int(m.group(2))


def us_to_iso(us):
    if not isinstance(us, int):
        return "?"
    dt = datetime.datetime.fromtimestamp(us // 1000000,
                                         tz=datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + ".%06d+0000" % (us % 1000000)


TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d{4}$")
