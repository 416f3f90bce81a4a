#!/usr/bin/env python3
"""check_eve_schema.py - vigil's EVE on the public pcap corpus against
Suricata's own schemas.

Every capture under $VIGIL_PCAP_CORPUS (or the folder given) is replayed
with `vigil replay --rules rules/default` by $VIGIL (default the ASan+UBSan
build) and every EVE line is validated against Suricata 8.0's and 7.0's
etc/schema.json (tests/eve/eve_schema.py: what is set aside and why; the
schemas from VIGIL_SURICATA_SCHEMAS or the corpus's ../suricata) and its
community_id recomputed (tests/eve/community_id.py). Prints the events
validated per event_type; a failing event is printed with its capture,
line and JSON path.

Ends with "eve-schema: N passed, M failed"; exit 1 on any failure.
"""
import glob
import json
import os
import shlex
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "eve"))
import eve_schema as es  # noqa: E402
import community_id as cid  # noqa: E402

VIGIL = shlex.split(os.environ.get("VIGIL") or os.path.join(ROOT, "build", "asan", "vigil"))
PROTO_NUMBERS = {"IGMP": 2, "GRE": 47, "ESP": 50, "AH": 51, "RSVP": 46,
                 "PIM": 103, "VRRP": 112, "OSPFIGP": 89, "IPv4": 4,
                 "IPv6": 41, "L2TP": 115, "EIGRP": 88, "IPIP": 94}


def main():
    corpus = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("VIGIL_PCAP_CORPUS")
    if not corpus or not os.path.isdir(corpus):
        print("eve-schema: no corpus (VIGIL_PCAP_CORPUS): nothing checked")
        print("eve-schema: 0 passed, 0 failed")
        return 0
    os.environ.setdefault("VIGIL_PCAP_CORPUS", corpus)
    folder = es.schema_dir()
    if not folder:
        print("eve-schema: Suricata's schemas not found (VIGIL_SURICATA_SCHEMAS, "
              "%s/../suricata)" % corpus)
        print("eve-schema: 0 passed, 1 failed")
        return 1
    validators = es.load_validators(folder)
    caps = sorted(p for p in glob.glob(os.path.join(corpus, "**", "*"), recursive=True)
                  if p.endswith((".pcap", ".pcapng", ".cap")))
    total = es.Result()
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="vigil-eve-corpus-") as tmp:
        for i, cap in enumerate(caps):
            name = os.path.relpath(cap, corpus)
            eve = os.path.join(tmp, "%d.json" % i)
            r = subprocess.run(VIGIL + ["replay", "-q", "--rules", os.path.join(ROOT, "rules", "default"),
                                        "--eve", eve, cap], capture_output=True,
                               stdin=subprocess.DEVNULL,
                               timeout=float(os.environ.get("VIGIL_TIMEOUT", "600")))
            probs = []
            if r.returncode not in (0, 1) or not os.path.exists(eve):
                probs.append("exit %s: %s" % (r.returncode, r.stderr.decode("utf-8", "replace")[-400:]))
            else:
                one = es.check_file(eve, validators, name)
                total.add(one)
                probs += one.failures
                with open(eve, "rb") as f:
                    for n, ln in enumerate(f, 1):
                        ev = json.loads(ln)
                        want = cid.of_event(ev, PROTO_NUMBERS)
                        if "src_ip" in ev and ev.get("community_id") != want:
                            probs.append("%s:%d: community_id %r, the specification gives %r"
                                         % (name, n, ev.get("community_id"), want))
            if probs:
                failed += 1
                print("FAIL  %s" % name)
                for p in probs[:20]:
                    print("        %s" % p)
            else:
                passed += 1
                print("ok    %s" % name)
            os.unlink(eve) if os.path.exists(eve) else None
    print("schema: %d captures, %s" % (len(caps), es.summary(total)))
    print("eve-schema: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
