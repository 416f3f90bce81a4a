#!/usr/bin/env python3
"""writer_bytes.py VIGIL [VIGIL_B] PCAP - bytes written to the disk per flow
stored in SQLite, the WAL and its checkpoints included, for one capture:
through `vigil replay --db` and through the daemon (`vigil run`, the capture
as a pcap source read fast, exit_when_done), plus the writer's records/s.

Bytes written: the process's write_bytes (the kernel's count of bytes it
dirtied in the page cache for files, i.e. what goes to the card), taken
from getrusage's block outputs (512-byte units) of the child. Records/s:
flows (rows in the flows table) over the run's wall time. With two
binaries the runs alternate A/B/A/B so the ratio is measured in one run
on a shared machine. Prints; never fails on a figure.
"""
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time


def run_measured(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd), r.returncode, r.stderr[-500:]))
    return (after.ru_oublock - before.ru_oublock) * 512, wall


def flows_in(db):
    c = sqlite3.connect(db)
    try:
        return c.execute("SELECT count(*) FROM flows").fetchone()[0]
    finally:
        c.close()


def fresh(d):
    for f in os.listdir(d):
        p = os.path.join(d, f)
        if os.path.isfile(p):
            os.unlink(p)


def replay(vigil, pcap, d):
    fresh(d)
    db = os.path.join(d, "r.sqlite")
    written, wall = run_measured([vigil, "replay", "-q", "--db", db, pcap])
    return written, wall, flows_in(db)


def daemon(vigil, pcap, d):
    fresh(d)
    db = os.path.join(d, "d.sqlite")
    conf = os.path.join(d, "vigil.conf")
    with open(conf, "w") as f:
        f.write("[capture]\nsource = pcap:%s\nreplay_speed = fast\nexit_when_done = yes\n\n"
                "[store]\ndatabase = %s\n\n[daemon]\nstate_dir = %s\nlog_level = warning\n"
                % (pcap, db, os.path.join(d, "state")))
    written, wall = run_measured([vigil, "run", "-c", conf])
    return written, wall, flows_in(db)


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    bins, pcap = sys.argv[1:-1], sys.argv[-1]
    rounds = 2
    res = {}
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as d:
        for _ in range(rounds):
            for i, b in enumerate(bins):
                for kind, fn in (("replay", replay), ("daemon", daemon)):
                    res.setdefault((i, kind), []).append(fn(b, pcap, d))
    print("SQLite writer, %s (load %s)" % (os.path.basename(pcap),
                                          open("/proc/loadavg").read().split()[0]))
    print("%-8s %-7s %10s %14s %12s" % ("binary", "path", "flows", "bytes/flow", "records/s"))
    for (i, kind), runs in sorted(res.items()):
        w = sorted(runs, key=lambda r: r[0] / max(r[2], 1))[len(runs) // 2]
        best = min(runs, key=lambda r: r[1])
        print("%-8s %-7s %10d %14.0f %12.0f" % ("AB"[i], kind, w[2], w[0] / max(w[2], 1),
                                                best[2] / best[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
