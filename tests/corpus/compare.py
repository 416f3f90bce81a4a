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
import csv, json, os, subprocess, sys, tempfile, shlex

HERE = os.path.dirname(os.path.abspath(__file__))
VIGIL = shlex.split(os.environ.get("VIGIL", "build/asan/vigil"))
ENV = dict(os.environ,
           ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:exitcode=86",
           UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=87")


def key(proto, a, ap, b, bp):
    ends = sorted([(a, int(ap)), (b, int(bp))])
    return (int(proto), ends[0], ends[1])


PROTO_NUM = {"TCP": 6, "UDP": 17, "ICMP": 1, "IPv6-ICMP": 58, "SCTP": 132,
             "GRE": 47, "ESP": 50}


def vigil_flows(path, tmp):
    eve = os.path.join(tmp, "eve.json")
    p = subprocess.run(VIGIL + ["replay", "-q", "--eve", eve, path],
                       capture_output=True, text=True, env=ENV)
    if p.returncode != 0:
        return None, "vigil exit %d: %s" % (p.returncode, p.stderr.strip()[-2000:])
    flows, stats = {}, None
    with open(eve) as f:
        for line in f:
            ev = json.loads(line)
            if ev["event_type"] == "stats":
                stats = ev["stats"]
                continue
            if ev["event_type"] != "flow" or ev["flow"].get("interim"):
                continue
            pr = ev["proto"]
            pnum = PROTO_NUM.get(pr, None)
            if pnum is None:
                pnum = int(pr)
            k = key(pnum, ev["src_ip"], ev.get("src_port", 0),
                    ev["dest_ip"], ev.get("dest_port", 0))
            flows.setdefault(k, []).append(ev["ndpi"]["protocol"])
    return (flows, stats), None


def ndpi_flows(path, tmp):
    out = os.path.join(tmp, "ndpi.csv")
    subprocess.run(["ndpiReader", "-q", "-i", path, "-C", out],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    flows = {}
    if not os.path.exists(out):
        return flows
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
    return flows


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
            nf = ndpi_flows(path, tmp)
        diffs = []
        for k, apps in nf.items():
            total_nd += 1
            if k not in vf:
                diffs.append(("missing", fmt_key(k), "ndpiReader %s, vigil has no such flow" % apps[0]))
            elif vf[k][0] != apps[0]:
                diffs.append(("app", fmt_key(k), "ndpiReader %s, vigil %s" % (apps[0], vf[k][0])))
            else:
                agree_app += 1
        for k, apps in vf.items():
            if k not in nf:
                diffs.append(("extra", fmt_key(k), "vigil %s, ndpiReader has no such flow" % apps[0]))
        if len(vf) == len(nf):
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
              % (rel, len(nf), len(vf), len(diffs)))
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
