#!/usr/bin/env python3
"""Corpus test: vigil against Debian's ndpiReader 4.2, capture by capture.

For every .pcap/.pcapng under the corpus folder:
  * vigil (the sanitizer build named by $VIGIL) must replay it with exit 0
    and no sanitizer report;
  * ndpiReader -i FILE -C CSV is run on the same file; flows are matched on
    (protocol, unordered address/port pairs) and the application names
    (nDPI's "MASTER.APP" form) compared.
Every disagreement must be listed, with the reason found when it was
investigated, in known-differences.tsv beside this script; an unexplained one
fails the test, and so does a listed one that no longer happens (so the
list stays true). The agreement rate is printed.
"""
import csv, ipaddress, json, os, subprocess, sys, tempfile, shlex

HERE = os.path.dirname(os.path.abspath(__file__))
VIGIL = shlex.split(os.environ.get("VIGIL", "build/asan/vigil"))
ENV = dict(os.environ,
           ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:exitcode=86",
           UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=87")


def norm_ip(a):
    try:
        return ipaddress.ip_address(a).compressed
    except ValueError:
        return a


def key(proto, a, ap, b, bp):
    ends = sorted([(norm_ip(a), int(ap)), (norm_ip(b), int(bp))])
    return (int(proto), ends[0], ends[1])


# EVE's protocol names (Suricata's; eve.c), a number for the rest
PROTO_NUM = {"TCP": 6, "UDP": 17, "ICMP": 1, "IPv6-ICMP": 58, "SCTP": 132,
             "GRE": 47, "ESP": 50, "AH": 51, "IGMP": 2, "RSVP": 46,
             "PIM": 103, "VRRP": 112, "OSPFIGP": 89, "IPv4": 4, "IPv6": 41,
             "L2TP": 115, "EIGRP": 88, "IPIP": 94, "HOPOPT": 0, "EGP": 8,
             "IGP": 9, "RDP": 27, "DCCP": 33, "IPv6-Route": 43,
             "IPv6-Frag": 44, "IPv6-NoNxt": 59, "IPv6-Opts": 60,
             "ETHERIP": 97, "ENCAP": 98, "IPComp": 108, "ISIS": 124,
             "UDPLite": 136, "MPLS-in-IP": 137}


def vigil_flows(path, tmp):
    eve = os.path.join(tmp, "eve.json")
    p = subprocess.run(VIGIL + ["replay", "-q", "--eve", eve, path],
                       capture_output=True, text=True, env=ENV)
    if p.returncode != 0:
        return None, "vigil exit %d: %s" % (p.returncode, p.stderr.strip()[-2000:])
    with open(eve) as f:
        events = [json.loads(line) for line in f]
    stats = [e["stats"] for e in events if e["event_type"] == "stats"]
    flows_ev = [e for e in events
                if e["event_type"] == "flow" and
                e["flow"].get("reason") != "active_timeout"]
    # ndpiReader keeps a flow until the end of the file; vigil ends idle
    # flows, so one ndpiReader flow may be several here: the first one (by
    # start time) carries the classification.
    flows_ev.sort(key=lambda e: e["flow"]["start"])
    flows, seen = {}, set()
    for ev in flows_ev:
        pr = ev["proto"]
        pnum = PROTO_NUM[pr] if pr in PROTO_NUM else int(pr)
        k = key(pnum, ev["src_ip"], ev.get("src_port", 0),
                ev["dest_ip"], ev.get("dest_port", 0))
        vlan = tuple(ev.get("vlan", []))
        if (vlan, k) not in seen:
            seen.add((vlan, k))
            flows.setdefault(k, []).append(ev["ndpi"]["protocol"])
    return (flows, stats[-1] if stats else None), None


def ndpi_flows(path, tmp):
    out = os.path.join(tmp, "ndpi.csv")
    p = subprocess.run(["ndpiReader", "-i", path, "-C", out, "-v", "0"],
                       capture_output=True, text=True, errors="replace")
    flows, unique, unknown = {}, 0, 0
    # The CSV leaves out flows nDPI could not classify: their number comes
    # from the text report ("Unique flows", the "Unknown" protocol row).
    for line in p.stdout.splitlines():
        w = line.split()
        if line.strip().startswith("Unique flows:"):
            unique = int(w[2])
        elif w[:1] == ["Unknown"] and "flows:" in w:
            unknown = int(w[w.index("flows:") + 1])
    if not os.path.exists(out):
        return flows, unique, unknown
    with open(out, newline="") as f:
        rd = csv.reader(f)
        hdr = next(rd, None)
        if not hdr:
            return flows
        hdr[0] = hdr[0].lstrip("#")
        ix = {h: i for i, h in enumerate(hdr)}
        for row in rd:
            if len(row) < len(hdr) or row[0].startswith("#"):
                continue
            k = key(row[ix["protocol"]], row[ix["src_ip"]], row[ix["src_port"]],
                    row[ix["dst_ip"]], row[ix["dst_port"]])
            flows.setdefault(k, []).append(row[ix["ndpi_proto"]])
    return flows, unique, unknown


def fmt_key(k):
    return "%d %s:%d-%s:%d" % (k[0], k[1][0], k[1][1], k[2][0], k[2][1])


def load_known():
    known = {}
    p = os.path.join(HERE, "known-differences.tsv")
    if os.path.exists(p):
        for n, line in enumerate(open(p), 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) < 4:
                sys.exit("%s:%d: expected 4 tab-separated fields" % (p, n))
            known[(parts[0], parts[1], parts[2])] = parts[3]
    return known


def main():
    corpus = sys.argv[1]
    files = sorted(os.path.relpath(os.path.join(r, f), corpus)
                   for r, _, fs in os.walk(corpus) for f in fs
                   if f.endswith((".pcap", ".pcapng")))
    known = load_known()
    used = set()
    failures, explained = [], []
    total_nd = agree_app = 0
    files_flowcount_equal = 0
    for rel in files:
        path = os.path.join(corpus, rel)
        with tempfile.TemporaryDirectory() as tmp:
            res, err = vigil_flows(path, tmp)
            if err:
                failures.append("%s: %s" % (rel, err))
                continue
            vf, stats = res
            nf, nd_unique, nd_unknown = ndpi_flows(path, tmp)
        diffs = []
        v_total = sum(len(a) for a in vf.values())
        v_unknown = sum(a.count("Unknown") for a in vf.values())
        if v_total != nd_unique:
            diffs.append(("flows", "*", "ndpiReader %d flows, vigil %d" % (nd_unique, v_total)))
        if v_unknown != nd_unknown:
            diffs.append(("unknown", "*", "ndpiReader %d Unknown flows, vigil %d"
                          % (nd_unknown, v_unknown)))
        total_nd += nd_unknown
        agree_app += min(nd_unknown, v_unknown)
        for k, apps in nf.items():
            mine = [a for a in vf.get(k, []) if a != "Unknown"]
            for app in apps:
                total_nd += 1
                if app in mine:
                    mine.remove(app)
                    agree_app += 1
                elif k not in vf:
                    diffs.append(("missing", fmt_key(k), "ndpiReader %s, vigil has no such flow" % app))
                else:
                    diffs.append(("app", fmt_key(k), "ndpiReader %s, vigil %s" % (app, vf[k])))
        for k, apps in vf.items():
            if k in nf:
                continue
            for app in apps:
                if app != "Unknown":
                    diffs.append(("extra", fmt_key(k), "vigil %s, ndpiReader has no such flow" % app))
        if v_total == nd_unique:
            files_flowcount_equal += 1
        for kind, fk, what in diffs:
            entry = (rel, kind, fk)
            wild = (rel, kind, "*")
            if entry in known:
                used.add(entry)
                explained.append("%s %s %s: %s -- %s" % (rel, kind, fk, what, known[entry]))
            elif wild in known:
                used.add(wild)
                explained.append("%s %s %s: %s -- %s" % (rel, kind, fk, what, known[wild]))
            else:
                failures.append("%s: %s %s: %s" % (rel, kind, fk, what))
        print("corpus: %-60s ndpiReader %4d flows, vigil %4d flows, %d differences"
              % (rel, nd_unique, len(vf), len(diffs)))
    stale = [k for k in known if k not in used]
    for k in stale:
        failures.append("known-differences.tsv lists %s %s %s but it no longer happens" % k)
    print()
    print("corpus: %d captures; flow count equal to ndpiReader's in %d; "
          "application agreement %d/%d flows (%.1f%%)"
          % (len(files), files_flowcount_equal, agree_app, total_nd,
             100.0 * agree_app / max(total_nd, 1)))
    print("corpus: %d explained differences (known-differences.tsv):" % len(explained))
    for e in explained:
        print("  " + e)
    for f in failures:
        print("FAIL: " + f)
    print("corpus: %d passed, %d failed" % (len(files) - len({f.split(':')[0] for f in failures}), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
