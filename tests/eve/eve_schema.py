"""eve_schema.py - validate vigil's EVE lines against Suricata's own schema.

Suricata validates its EVE output against etc/schema.json in its test
suite; these are the files of branches main-8.0.x and main-7.0.x (see
../shared/suricata/SOURCE.md). Every event must validate against 8.0's
schema (types, enums, required fields, no unknown members) once vigil's
one documented addition, the top-level "vigil" object (docs/eve.md), is
set aside; against 7.0's also "ndpi" is set aside (7.0 has no nDPI
plugin). A failing event is reported with its line, event_type, the JSON
path of the failing member and the schema's message.

Uses Debian's python3-jsonschema (Makefile DEB_PKGS).
"""
import json
import os
import re

ADDITIONS = {"8.0": ("vigil",), "7.0": ("vigil", "ndpi")}
TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d{4}$")


def schema_dir():
    """The folder holding schema-7.0.json and schema-8.0.json, or None."""
    cands = [os.environ.get("VIGIL_SURICATA_SCHEMAS")]
    corpus = os.environ.get("VIGIL_PCAP_CORPUS")
    if corpus:
        cands.append(os.path.join(corpus, "..", "suricata"))
    here = os.path.dirname(os.path.abspath(__file__))
    cands.append(os.path.join(here, "..", "..", "..", "shared", "suricata"))
    for c in cands:
        if c and os.path.isfile(os.path.join(c, "schema-8.0.json")) and \
                os.path.isfile(os.path.join(c, "schema-7.0.json")):
            return os.path.normpath(c)
    return None


def load_validators(folder):
    """{"8.0": validator, "7.0": validator}"""
    import jsonschema
    out = {}
    for ver in ("8.0", "7.0"):
        with open(os.path.join(folder, "schema-%s.json" % ver)) as f:
            schema = json.load(f)
        cls = jsonschema.validators.validator_for(
            schema, default=jsonschema.Draft202012Validator)
        cls.check_schema(schema)
        out[ver] = cls(schema)
    return out


def path_of(err):
    return "." + ".".join(str(p) for p in err.absolute_path) \
        if err.absolute_path else "(event)"


class Result:
    def __init__(self):
        self.events = 0
        self.by_type = {}
        self.failures = []      # "file:line: [ver] type path: message"

    def add(self, other):
        self.events += other.events
        for k, v in other.by_type.items():
            self.by_type[k] = self.by_type.get(k, 0) + v
        self.failures += other.failures


def check_event(ev, validators):
    """Problems of one event (list of "[ver] path: message")."""
    out = []
    if not isinstance(ev, dict):
        return ["(event): not an object"]
    for ver, v in validators.items():
        view = {k: x for k, x in ev.items() if k not in ADDITIONS[ver]}
        for err in sorted(v.iter_errors(view), key=lambda e: list(e.absolute_path)):
            out.append("[%s] %s: %s" % (ver, path_of(err), err.message[:300]))
    # what Suricata's consumers rely on beyond the schema
    # (packet time: captures dated 1970 give 1970 timestamps)
    if not TS_RE.match(str(ev.get("timestamp"))):
        out.append(".timestamp: %r" % ev.get("timestamp"))
    if ev.get("event_type") != "stats" and "src_ip" in ev:
        cid = ev.get("community_id")
        if not isinstance(cid, str) or not re.match(r"^1:[A-Za-z0-9+/]{27}=$", cid):
            out.append(".community_id: %r" % cid)
    for k in ("src_ip", "dest_ip"):
        ip = ev.get(k)
        if isinstance(ip, str) and ":" in ip and \
                not re.match(r"^([0-9a-f]{4}:){7}[0-9a-f]{4}$", ip):
            out.append(".%s: %r is not Suricata's full IPv6 form" % (k, ip))
    return out


def check_file(path, validators, label=None):
    """Validate every line of an EVE file."""
    r = Result()
    label = label or path
    with open(path, "rb") as f:
        for n, raw in enumerate(f, 1):
            try:
                ev = json.loads(raw)
            except ValueError as e:
                r.failures.append("%s:%d: not JSON: %s" % (label, n, e))
                continue
            t = ev.get("event_type") if isinstance(ev, dict) else None
            r.events += 1
            r.by_type[t] = r.by_type.get(t, 0) + 1
            for p in check_event(ev, validators):
                r.failures.append("%s:%d: %s %s" % (label, n, t, p))
    return r


def summary(r):
    return "%d events validated (%s), %d failures" % (
        r.events, ", ".join("%s %d" % (k, v) for k, v in sorted(
            r.by_type.items(), key=lambda kv: str(kv[0]))), len(r.failures))
