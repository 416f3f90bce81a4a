#!/usr/bin/env python3
"""check_replay.py - replay every fixture through vigil and compare what it
reports (EVE flow and stats events, SQLite flows) with
tests/fixtures/truth.json.

Usage: check_replay.py [FIXTURE...]   (default: every capture in truth.json)
Environment: VIGIL (command, may have a qemu/valgrind prefix), VIGIL_TIMEOUT.
Ends with "check_replay: N passed, M failed"; exit 1 on any failure.
"""

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vigil_test as vt  # noqa: E402


def replay_fixture(res, name, truth, tmp):
    files = truth.get("files", [name])
    paths = [os.path.join(vt.FIXTURES, f) for f in files]
    tag = name.replace("+", "_")
    eve = os.path.join(tmp, tag + ".eve.json")
    db = os.path.join(tmp, tag + ".sqlite")
    p = vt.run_vigil(["replay", "--eve", eve, "--db", db] + paths)
    title = "%s:" % name
    if not res.check("%s replay exits 0" % title, [] if p.returncode == 0 else
                     ["exit status %r; stderr: %s" % (p.returncode,
                                                      vt.short(p.stderr))]):
        if not os.path.exists(eve):
            res.check("%s EVE flows" % title, ["no EVE output written"])
            return
    try:
        with open(eve, "rb") as f:
            data = f.read()
    except OSError as e:
        res.check("%s EVE flows" % title, ["cannot read EVE output: %s" % e])
        return
    events, problems = vt.parse_eve(data)
    if events and events[-1].get("event_type") != "stats":
        problems.append("last EVE line is a %r event, not stats" %
                        events[-1].get("event_type"))
    problems += vt.check_schema(events)
    flows, fp = vt.eve_flow_records(events)
    problems += fp
    expect = truth["expect"]
    if len(flows) != truth["flows"]:
        problems.append("%d flows reported, expected %d" % (len(flows),
                                                           truth["flows"]))
    pairs, mp = vt.match_flows(expect, flows)
    problems += mp
    for e, g in pairs:
        problems += vt.compare_eve_flow(e, g)
    res.check("%s EVE flows (%d expected)" % (title, truth["flows"]),
              problems)

    res.check("%s EVE stats" % title,
              vt.check_stats(vt.stats_event(events), truth, len(files),
                             len(flows)))

    sflows, cols, problems = vt.sqlite_flows(db)
    if cols and not problems:
        if len(sflows) != truth["flows"]:
            problems.append("%d flows in table flows, expected %d" %
                            (len(sflows), truth["flows"]))
        pairs, mp = vt.match_sql(expect, sflows)
        problems += mp
        for e, g in pairs:
            problems += vt.compare_sql_flow(e, g, cols)
    res.check("%s SQLite flows" % title, problems)


def main():
    res = vt.Results("check_replay")
    truth = vt.load_truth()
    names = sys.argv[1:] or sorted(n for n, t in truth.items()
                                   if "expect" in t)
    with tempfile.TemporaryDirectory(prefix="vigil-it-") as tmp:
        for name in names:
            if name not in truth or "expect" not in truth[name]:
                res.check("%s: known fixture" % name, ["not in truth.json"])
                continue
            replay_fixture(res, name, truth[name], tmp)
    return res.summary()


if __name__ == "__main__":
    sys.exit(main())
