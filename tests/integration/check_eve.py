#!/usr/bin/env python3
"""check_eve.py - vigil's EVE as Suricata's consumers read it.

Replays every capture the project ships (tests/fixtures, tests/detect) with
the default rules, and the detection captures with their own rule sets
(truth.json) so indicator and detector alerts appear too, all with packet
evidence on (alerts carry vigil.evidence, stats vigil.evidence), then:
  - validates every EVE line against Suricata 8.0's and 7.0's own schema
    (etc/schema.json; tests/eve/eve_schema.py says what is set aside) and
    prints the number of events validated per event_type; a failing event
    is printed with its line and the JSON path that fails. The schemas
    are read from VIGIL_SURICATA_SCHEMAS, $VIGIL_PCAP_CORPUS/../suricata or
    ../shared/suricata; without them this part is skipped (said so);
  - recomputes the community_id of every event from its tuple with an
    independent implementation (tests/eve/community_id.py);
  - checks that every flow that carried DNS, TLS, HTTP or SSH has its
    protocol event, and that protocol events name a flow that exists;
  - with the Community ID specification's captures at hand
    (VIGIL_COMMUNITY_ID_DIR, $VIGIL_PCAP_CORPUS/../community-id or
    ../shared/community-id), every flow's community_id is one the
    specification's baseline gives for that tuple;
  - a replay that fails before any packet dates its stats event now.

Ends with "check_eve: N passed, M failed".
"""
import glob
import json
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "eve"))
import vigil_test as vt  # noqa: E402
import eve_schema as es  # noqa: E402
import community_id as cid  # noqa: E402

# eve.c's protocol names beyond community_id.PROTO
PROTO_NUMBERS = {"IGMP": 2, "GRE": 47, "ESP": 50, "AH": 51, "RSVP": 46,
                 "PIM": 103, "VRRP": 112, "OSPFIGP": 89, "IPv4": 4,
                 "IPv6": 41, "L2TP": 115, "EIGRP": 88, "IPIP": 94}
APP_EVENTS = {"dns": "dns", "tls": "tls", "http": "http", "ssh": "ssh"}


def replay(args, eve):
    r = vt.run_vigil(["replay", "-q", "--eve", eve] + args)
    return r


def events_of(path):
    with open(path, "rb") as f:
        return [json.loads(ln) for ln in f if ln.strip()]


def check_ids(events):
    out = []
    for ev in events:
        want = cid.of_event(ev, PROTO_NUMBERS)
        if want is None:
            if "src_ip" in ev:
                out.append("cannot recompute community_id of %s" % json.dumps(ev)[:200])
            continue
        if ev.get("community_id") != want:
            out.append("%s flow_id %s: community_id %r, the specification "
                       "gives %r" % (ev.get("event_type"), ev.get("flow_id"),
                                     ev.get("community_id"), want))
    return out


def check_app_events(events):
    """Every flow whose record has a protocol object has the protocol
    event, with the same tuple; no protocol event without its flow."""
    out = []
    flows = {e["flow_id"]: e for e in events if e.get("event_type") == "flow"}
    app = {}
    for e in events:
        if e.get("event_type") in APP_EVENTS:
            app.setdefault((e["flow_id"], e["event_type"]), []).append(e)
            f = flows.get(e["flow_id"])
            if f is None:
                out.append("%s event of flow_id %s without its flow" %
                           (e["event_type"], e["flow_id"]))
            elif any(f.get(k) != e.get(k) for k in
                     ("src_ip", "dest_ip", "src_port", "dest_port", "proto",
                      "community_id")):
                out.append("%s event of flow_id %s has another tuple than "
                           "its flow" % (e["event_type"], e["flow_id"]))
    for fid, f in flows.items():
        for t in APP_EVENTS:
            if t in f and (fid, t) not in app:
                out.append("flow_id %s carries %s{} but no %s event" %
                           (fid, t, t))
    return out


def main():
    res = vt.Results("check_eve")
    folder = es.schema_dir()
    validators = None
    if folder:
        validators = es.load_validators(folder)
    else:
        print("note  Suricata's schemas not found (VIGIL_SURICATA_SCHEMAS, "
              "../shared/suricata): schema validation skipped")
    truth = json.load(open(os.path.join(vt.ROOT, "tests", "detect", "truth.json")))
    runs = []
    for p in sorted(glob.glob(os.path.join(vt.ROOT, "tests", "fixtures", "*.pcap*")) +
                    glob.glob(os.path.join(vt.ROOT, "tests", "detect", "*.pcap"))):
        runs.append(("%s [default]" % os.path.basename(p),
                     ["--rules", "rules/default", p]))
    for name, t in sorted(truth.items()):
        if not isinstance(t, dict) or "rules" not in t:
            continue
        rules = t["rules"] if isinstance(t["rules"], list) else [t["rules"]]
        args = []
        for r in rules:
            args += ["--rules", r]
        if t.get("home_net"):
            args += ["--home-net", t["home_net"]]
        runs.append(("%s [%s]" % (name, ", ".join(os.path.basename(r) for r in rules)),
                     args + [os.path.join(vt.ROOT, "tests", "detect", t.get("file", name))]))
    total = es.Result()
    with tempfile.TemporaryDirectory(prefix="vigil-eve-") as tmp:
        for i, (title, args) in enumerate(runs):
            eve = os.path.join(tmp, "%d.json" % i)
            # with evidence: alerts carry vigil.evidence, stats vigil.evidence
            r = replay(["--evidence", os.path.join(tmp, "%d.evidence" % i)] + args, eve)
            if r.returncode != 0 or not os.path.exists(eve):
                res.check("%s: replay" % title, ["exit %s: %s" % (r.returncode, vt.short(r.stderr))])
                continue
            evs = events_of(eve)
            probs = check_ids(evs) + check_app_events(evs)
            if validators:
                one = es.check_file(eve, validators, title)
                total.add(one)
                probs += one.failures
            res.check("%s: %d events, Suricata's schemas, community_id, "
                      "protocol events" % (title, len(evs)), probs)

        # the specification's own captures: IDs as its baseline gives them
        cdir = None
        for c in (os.environ.get("VIGIL_COMMUNITY_ID_DIR"),
                  os.environ.get("VIGIL_PCAP_CORPUS") and
                  os.path.join(os.environ["VIGIL_PCAP_CORPUS"], "..", "community-id"),
                  os.path.join(vt.ROOT, "..", "shared", "community-id")):
            if c and os.path.isfile(os.path.join(c, "baseline_deflt.json")):
                cdir = c
                break
        if cdir:
            base = {}
            for b in json.load(open(os.path.join(cdir, "baseline_deflt.json"))):
                key = (b["proto"], vt.norm_ip(b["saddr"]), vt.norm_ip(b["daddr"]))
                base.setdefault(key, set()).add(b["communityid"])
            n = 0
            probs = []
            for p in sorted(glob.glob(os.path.join(cdir, "*.pcap"))):
                eve = os.path.join(tmp, "cid-" + os.path.basename(p) + ".json")
                r = replay([p], eve)
                if r.returncode != 0:
                    probs.append("%s: exit %s" % (p, r.returncode))
                    continue
                if validators:
                    one = es.check_file(eve, validators, os.path.basename(p))
                    total.add(one)
                    probs += one.failures
                for ev in events_of(eve):
                    if ev.get("event_type") != "flow":
                        continue
                    num = cid.PROTO.get(ev["proto"]) or PROTO_NUMBERS.get(ev["proto"])
                    key = (num, vt.norm_ip(ev["src_ip"]), vt.norm_ip(ev["dest_ip"]))
                    want = base.get(key, set()) | base.get((key[0], key[2], key[1]), set())
                    if not want:
                        probs.append("%s: no baseline tuple for %s" % (os.path.basename(p), key))
                    elif ev.get("community_id") not in want:
                        probs.append("%s: %s community_id %s, baseline %s" % (
                            os.path.basename(p), key, ev.get("community_id"), sorted(want)))
                    n += 1
            res.check("Community ID specification captures: %d flows carry the "
                      "baseline's IDs" % n, probs if n else probs + ["no flow"])
        else:
            print("note  Community ID baseline not found (VIGIL_COMMUNITY_ID_DIR, "
                  "../shared/community-id): its captures skipped")

        # a replay that reads no packet: its stats event is dated now
        eve = os.path.join(tmp, "failed.json")
        r = replay([os.path.join(tmp, "no-such.pcap")], eve)
        probs = [] if r.returncode == 1 else ["exit %s, expected 1" % r.returncode]
        st = [e for e in events_of(eve) if e.get("event_type") == "stats"] \
            if os.path.exists(eve) else []
        if len(st) != 1:
            probs.append("%d stats events" % len(st))
        else:
            year = time.gmtime().tm_year
            if not str(st[0].get("timestamp", "")).startswith(str(year)) and \
                    not str(st[0].get("timestamp", "")).startswith(str(year - 1)):
                probs.append("stats timestamp %r, expected this year" % st[0].get("timestamp"))
            if validators:
                probs += es.check_file(eve, validators, "failed replay").failures
        res.check("a replay that fails before any packet dates its stats event now", probs)

    if validators:
        print("schema: " + es.summary(total))
        res.check("every EVE event validates against Suricata 8.0 and 7.0 (%d events)"
                  % total.events, total.failures[:50])
    return res.summary()


if __name__ == "__main__":
    sys.exit(main())
