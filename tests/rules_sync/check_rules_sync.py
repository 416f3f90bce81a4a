"""check_rules_sync.py - [rules_sync] against a real web server (python3
standard library plus Debian's lighttpd, lighttpd-mod-mbedtls, openssl).

The test makes a CA and server certificates with openssl (good, expired,
for another host name; tests/uplink's make_pki) and two P-256 signing keys,
signs rule bundles with `vigil rules sign`, and serves them from its own
lighttpd with mod_mbedtls on loopback ports (one per server certificate),
its access log recording every request's status. It drives `vigil rules
sign/verify` and `vigil run` with [rules_sync] (a looping replay, so that
a rule from a bundle shows by its alerts):

- a good bundle is applied: its version on /api/system, its rule fires;
- the next polls are answered 304 and the tar is not downloaded again;
- tampered, wrongly keyed, unsigned (no .sig, and a .sig that is not
  one), oversized, rule-error and older (rollback) bundles are refused,
  the reason on /api/system and in the log (file:line for rule errors),
  and the rules in force keep firing;
- a newer good bundle replaces the set in force;
- after a restart the set in force is loaded again; an expired server
  certificate and one for another host name are refused by name;
- the summaries' health part names the rule-set version;
- a bare HTTP/1.0 server without validators or Content-Length (openssl
  s_server -WWW) serves a bundle too.

Every wait is on a condition (a field of /api/system, a line in a log, an
alert in eve.json) with a generous deadline, never a fixed sleep. Prints
"rules_sync: N passed, M failed" last and exits non-zero on any failure.
"""

import json
import os
import re
import shutil
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, os.path.join(HERE, "..", "daemon"))
sys.path.insert(0, os.path.join(HERE, "..", "uplink"))
import vigil_test as vt  # noqa: E402
import check_daemon as cd  # noqa: E402
import check_uplink as cu  # noqa: E402

ROOT = vt.ROOT
RULES = os.path.join(ROOT, "rules", "default")
R = vt.Results("rules_sync")
SLOW = float(os.environ.get("VIGIL_UPLINK_SLOW", "1"))
PATIENCE = 60 * SLOW
MAX_SIZE = 256 * 1024
LIGHTTPD = shutil.which("lighttpd") or "/usr/sbin/lighttpd"


def wait_for(cond, timeout=PATIENCE, step=0.1):
    end = time.time() + timeout
    while time.time() < end:
        v = cond()
        if v:
            return v
        time.sleep(step)
    return cond()


def vigil(*args):
    return subprocess.run(vt.vigil_cmd() + list(args), capture_output=True, text=True,
                          timeout=120 * SLOW, stdin=subprocess.DEVNULL)


# ---- traffic: a new TCP flow every 0.25 s, so a rule shows when it fires ---------

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def tcp_packet(src, dst, sport, dport, flags, seq, ack, payload=b""):
    s, d = socket.inet_aton(src), socket.inet_aton(dst)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    c = csum(s + d + struct.pack("!BBH", 0, 6, len(tcp)) + tcp)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, s, d)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
    return eth + ip + tcp

def flows_pcap(path, n, gap=0.25, t0=1700000000.0):
    """n TCP connections from 10.1.0.5 to 192.0.2.10:8080, one every gap
    seconds, each complete (handshake, 5 bytes, FIN both ways)."""
    S, A, P, F = 0x02, 0x10, 0x08, 0x01
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i in range(n):
            sp, t = 20000 + i, t0 + i * gap
            c, sv = ("10.1.0.5", "192.0.2.10"), ("192.0.2.10", "10.1.0.5")
            seq = [(c, sp, 8080, S, 1, 0, b""), (sv, 8080, sp, S | A, 100, 2, b""),
                   (c, sp, 8080, A, 2, 101, b""), (c, sp, 8080, P | A, 2, 101, b"hello"),
                   (sv, 8080, sp, F | A, 101, 7, b""), (c, sp, 8080, F | A, 7, 102, b""),
                   (sv, 8080, sp, A, 102, 8, b"")]
            for k, (ends, a, b, fl, sq, ak, pl) in enumerate(seq):
                pkt = tcp_packet(ends[0], ends[1], a, b, fl, sq, ak, pl)
                ts = t + k * 0.001
                f.write(struct.pack("<IIII", int(ts), int((ts % 1) * 1e6), len(pkt), len(pkt)))
                f.write(pkt)


# ---- the web server -------------------------------------------------------------

class Web:
    """lighttpd with mod_mbedtls: the good certificate on one port, the
    expired one and the one for another host name on two more; one
    document root; an access log with each request's status and bytes."""

    def __init__(self, d, pki):
        self.d = d
        self.www = os.path.join(d, "www")
        os.makedirs(self.www)
        self.ports = {"good": cd.free_port(), "expired": cd.free_port(),
                      "wrong": cd.free_port()}
        self.access = os.path.join(d, "access.log")
        conf = os.path.join(d, "lighttpd.conf")

        def tls(name):
            return ('ssl.engine = "enable"\nssl.pemfile = "%s.pem"\nssl.privkey = "%s.key"\n'
                    % (pki[name], pki[name]))
        with open(conf, "w") as f:
            f.write('server.modules = ("mod_mbedtls", "mod_accesslog")\n'
                    'server.document-root = "%s"\nserver.bind = "127.0.0.1"\n'
                    'server.port = %d\nserver.errorlog = "%s/error.log"\n'
                    'accesslog.filename = "%s"\naccesslog.format = "%%r %%s %%b"\n'
                    'mimetype.assign = ("" => "application/octet-stream")\n%s'
                    % (self.www, self.ports["good"], d, self.access, tls("srv")))
            for name, cert in (("expired", "expired"), ("wrong", "wrong")):
                f.write('$SERVER["socket"] == "127.0.0.1:%d" {\n%s}\n'
                        % (self.ports[name], tls(cert)))
        self.p = subprocess.Popen([LIGHTTPD, "-D", "-f", conf], stdin=subprocess.DEVNULL,
                                  stdout=open(os.path.join(d, "lighttpd.out"), "wb"),
                                  stderr=subprocess.STDOUT)
        if not wait_for(lambda: all(cu.port_open(p) for p in self.ports.values()), 30):
            raise RuntimeError("lighttpd did not start: %s" % self.errors())

    def errors(self):
        out = ""
        for n in ("lighttpd.out", "error.log"):
            try:
                out += open(os.path.join(self.d, n)).read()[-1500:]
            except OSError:
                pass
        return out

    def url(self, which="good"):
        return "https://localhost:%d/bundle.tar" % self.ports[which]

    def publish(self, tar, sig):
        """tar and sig (paths, or None to remove) as bundle.tar and
        bundle.tar.sig, each replaced in one rename (new inode, new ETag)."""
        for src, name in ((tar, "bundle.tar"), (sig, "bundle.tar.sig")):
            dst = os.path.join(self.www, name)
            if src is None:
                if os.path.exists(dst):
                    os.unlink(dst)
                continue
            shutil.copyfile(src, dst + ".new")
            os.rename(dst + ".new", dst)

    def requests(self, path):
        """[(status, bytes)] of the GETs of path so far."""
        try:
            lines = open(self.access).read().splitlines()
        except OSError:
            return []
        out = []
        for ln in lines:
            m = re.match(r"GET (\S+) HTTP/1\.\d (\d+) (\S+)$", ln)
            if m and m.group(1) == path:
                out.append((int(m.group(2)), m.group(3)))
        return out

    def stop(self):
        self.p.terminate()
        try:
            self.p.wait(20)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


# ---- bundles ----------------------------------------------------------------------

def make_keys(d):
    keys = {}
    for name in ("sign", "other"):
        key, pub = os.path.join(d, name + ".pem"), os.path.join(d, name + ".pub")
        cu.openssl("ecparam", "-genkey", "-name", "prime256v1", "-noout", "-out", key, cwd=d)
        cu.openssl("ec", "-in", key, "-pubout", "-out", pub, cwd=d)
        keys[name] = (key, pub)
    return keys


def rule(sid, msg):
    return ('alert tcp any any -> any any (msg:"%s"; sid:%d; rev:1;)\n' % (msg, sid))


def bundle(d, name, version, key, rules_text, extra=None):
    """A rule-set directory d/name with sync.rules, signed: (tar, sig)."""
    src = os.path.join(d, name)
    os.makedirs(src)
    with open(os.path.join(src, "sync.rules"), "w") as f:
        f.write(rules_text)
    for fname, data in (extra or {}).items():
        with open(os.path.join(src, fname), "w") as f:
            f.write(data)
    tar = os.path.join(d, name + ".tar")
    r = vigil("rules", "sign", "--key", key, "--version", version, "--output", tar, src)
    if r.returncode != 0:
        raise RuntimeError("rules sign %s: %s %s" % (name, r.stdout, r.stderr))
    return tar, tar + ".sig"


def next_second():
    """Wait for the wall clock's next second: two bundles signed on either
    side of it have different signing times (a second's resolution)."""
    now = int(time.time())
    while int(time.time()) == now:
        time.sleep(0.05)


# ---- the CLI -------------------------------------------------------------------------

def test_cli(tmp, keys):
    title = "vigil rules sign/verify: good, wrong key, tampered, non-P-256 key, broken set"
    problems = []
    d = os.path.join(tmp, "cli")
    os.makedirs(d)
    tar, sig = bundle(d, "good", "cli-1", keys["sign"][0], rule(9100001, "VIGIL SYNC cli"))
    r = vigil("rules", "verify", "--pubkey", keys["sign"][1], tar)
    if r.returncode != 0 or "signature good" not in r.stdout or "cli-1" not in r.stdout:
        problems.append("good bundle: rc %d %s %s" % (r.returncode, r.stdout, r.stderr))
    r = vigil("rules", "verify", "--pubkey", keys["other"][1], tar)
    if r.returncode != 1 or "not with the configured key" not in r.stderr:
        problems.append("wrong key: rc %d %s" % (r.returncode, r.stderr))
    data = bytearray(open(tar, "rb").read())
    i = data.find(b"VIGIL SYNC cli")
    data[i] = ord("X")
    bad = os.path.join(d, "tampered.tar")
    open(bad, "wb").write(data)
    shutil.copyfile(sig, bad + ".sig")
    r = vigil("rules", "verify", "--pubkey", keys["sign"][1], bad)
    if r.returncode != 1 or "does not match its signature" not in r.stderr:
        problems.append("tampered: rc %d %s" % (r.returncode, r.stderr))
    rsa = os.path.join(d, "rsa.pem")
    cu.openssl("genrsa", "-out", rsa, "2048", cwd=d)
    r = vigil("rules", "sign", "--key", rsa, os.path.join(d, "good"))
    if r.returncode != 1 or "not an EC P-256" not in r.stderr:
        problems.append("RSA key: rc %d %s" % (r.returncode, r.stderr))
    broken = os.path.join(d, "broken")
    os.makedirs(broken)
    open(os.path.join(broken, "x.rules"), "w").write("alert tcp any any -> any any (msg:\"x\";\n")
    r = vigil("rules", "sign", "--key", keys["sign"][0], "--output",
              os.path.join(d, "broken.tar"), broken)
    if r.returncode != 1 or "x.rules:1:" not in r.stderr or os.path.exists(
            os.path.join(d, "broken.tar.sig")):
        problems.append("a set with problems was signed or not reported by file:line: rc %d %s"
                        % (r.returncode, r.stderr))
    return R.check(title, problems)


# ---- the daemon ------------------------------------------------------------------------

def sections(w, pki, keys, url, web_port, dead_port):
    sec = cd.base_sections(w, source="pcap:" + os.path.join(os.path.dirname(w), "flows.pcap"),
                           replay_speed="recorded", loop="yes")
    sec["detect"] = {"rules": RULES}
    sec["store"]["flow_max_age"] = "3650d"
    sec["web"] = {"listen": "127.0.0.1:%d" % web_port}
    sec["rules_sync"] = {"url": url, "ca": pki["ca"] + ".pem", "public_key": keys["sign"][1],
                         "interval": "1s", "timeout": "20s", "max_size": "256K"}
    # an uplink nobody answers: its outbox keeps the summaries to read
    sec["uplink"] = {"url": "relp+tls://127.0.0.1:%d" % dead_port, "ca": pki["ca"] + ".pem",
                     "summary_interval": "10s"}
    return sec


class Run:
    """A daemon, its web API, its eve.json."""

    def __init__(self, w, sec, web_port):
        self.w = w
        first = not os.path.exists(os.path.join(w, "vigil.sqlite"))
        self.d = cd.Daemon(w, sec)
        self.api = cd.signed_in_api(self.d, w, web_port) if first else self.login(web_port)

    def login(self, port):
        """The account the first run made."""
        api = cd.Api(port)
        if not wait_for(lambda: cu.port_open(port) or not self.d.alive()) or not self.d.alive():
            raise RuntimeError("the daemon's web did not start:\n" + cd.tail(self.d))
        st, me = api.req("POST", "/api/login", {"username": "admin",
                                                "password": "correct horse battery"})
        if st != 200:
            raise RuntimeError("login %s %s" % (st, me))
        api.csrf = me.get("csrf")
        return api

    def sync(self):
        st, s = self.api.req("GET", "/api/system")
        return (s or {}).get("rules_sync") or {} if st == 200 else {}

    def rulesets(self):
        st, s = self.api.req("GET", "/api/system")
        return (s or {}).get("rulesets") or [] if st == 200 else []

    def alerts(self, sid):
        return sum(1 for e in cd.eve_events(os.path.join(self.w, "eve.json"))
                   if e.get("event_type") == "alert" and e["alert"].get("signature_id") == sid)

    def wait_check(self, pattern, after):
        """The rules_sync state once a check after `after` checks ended with
        last_error matching pattern (None: no error)."""
        def ok():
            s = self.sync()
            if s.get("checks", 0) <= after or s.get("last_result") in (None, ""):
                return None
            err = s.get("last_error") or ""
            if pattern is None:
                return s if not err else None
            return s if re.search(pattern, err) else None
        return wait_for(ok)

    def stop(self):
        return self.d.stop()


def refused(run, web, title, tar, sig, pattern, version, sid, log_re=None):
    """Publish a bad bundle: refused with pattern, version stays, sid still fires."""
    problems = []
    before = run.sync().get("checks", 0)
    web.publish(tar, sig)
    s = run.wait_check(pattern, before + 1)
    if not s:
        problems.append("not refused with /%s/: %r; log:\n%s" % (pattern, run.sync(),
                                                                 cd.tail(run.d)))
    else:
        if s.get("state") != "refused" or s.get("version") != version:
            problems.append("state %r, version %r (want refused, %s)" % (
                s.get("state"), s.get("version"), version))
    if log_re and not re.search(log_re, run.d.log()):
        problems.append("no log line /%s/; log:\n%s" % (log_re, cd.tail(run.d)))
    n = run.alerts(sid)
    if not wait_for(lambda: run.alerts(sid) > n):
        problems.append("the rules in force (sid %d) stopped firing" % sid)
    return R.check(title, problems)


def summaries_name(w, version):
    """Some summary in the uplink's outbox has health.rules_version."""
    try:
        rows = cd.db_rows(os.path.join(w, "outbox.sqlite"),
                          "SELECT body FROM outbox WHERE kind = 1")
    except sqlite3.Error:
        return False
    for (body,) in rows:
        try:
            e = json.loads(body)
        except (ValueError, TypeError):
            continue
        if e.get("summary", {}).get("health", {}).get("rules_version") == version:
            return True
    return False


def test_daemon(tmp, pki, keys, web):
    w = os.path.join(tmp, "run")
    b = os.path.join(tmp, "bundles")
    os.makedirs(w)
    os.makedirs(b)
    web_port, dead = cd.free_port(), cd.free_port()
    sign, other = keys["sign"][0], keys["other"][0]
    v1 = bundle(b, "v1", "v1", sign, rule(9100001, "VIGIL SYNC one"))
    web.publish(*v1)
    run = Run(w, sections(w, pki, keys, web.url(), web_port, dead), web_port)
    try:
        # 1. applied
        title = "a signed bundle is applied: its version shown, its rule fires"
        problems = []
        s = wait_for(lambda: run.sync().get("version") == "v1" and run.sync())
        if not s or s.get("state") != "current" or not s.get("etag") or not s.get("applied_us"):
            problems.append("/api/system rules_sync: %r; log:\n%s" % (run.sync(), cd.tail(run.d)))
        if not any("rules-sync/set-" in r.get("dir", "") and r.get("signatures") == 1
                   for r in run.rulesets()):
            problems.append("rulesets do not list the synced set: %r" % run.rulesets())
        if not wait_for(lambda: run.alerts(9100001) > 0):
            problems.append("no alert of sid 9100001 from the bundle; log:\n" + cd.tail(run.d))
        if not run.d.wait_log(r"rules_sync: version v1 .* in force", 5):
            problems.append("no log line for the new version")
        R.check(title, problems)

        # 2. 304, no second download
        title = "the next polls are answered 304 and the tar is not downloaded again"
        problems = []
        c0 = run.sync().get("checks", 0)
        if not wait_for(lambda: run.sync().get("checks", 0) >= c0 + 3):
            problems.append("no further checks: %r" % run.sync())
        wait_for(lambda: len(web.requests("/bundle.tar.sig")) >= 4)
        sig_reqs = web.requests("/bundle.tar.sig")
        tar_reqs = web.requests("/bundle.tar")
        if [st for st, _ in tar_reqs] != [200]:
            problems.append("GETs of the tar: %r (want one 200)" % tar_reqs)
        if len(sig_reqs) < 4 or sig_reqs[0][0] != 200 or any(st != 304 for st, _ in sig_reqs[1:]):
            problems.append("GETs of the .sig: %r (want 200, then 304s)" % sig_reqs)
        s = run.sync()
        if s.get("downloads") != 1 or s.get("last_result") != "unchanged":
            problems.append("rules_sync: %r" % s)
        print("      (%d polls: .sig %s bytes then 304s; tar downloaded once, %s bytes)"
              % (len(sig_reqs), sig_reqs[0][1] if sig_reqs else "?",
                 tar_reqs[0][1] if tar_reqs else "?"))
        R.check(title, problems)

        # 3. refusals: the old set keeps running
        tar, sig = bundle(b, "v2", "v2", sign, rule(9100002, "VIGIL SYNC two"))
        data = bytearray(open(tar, "rb").read())
        data[data.find(b"VIGIL SYNC two")] = ord("X")
        open(tar, "wb").write(data)
        refused(run, web, "tampered bundle refused, the old rules kept",
                tar, sig, r"SHA-256 does not match", "v1", 9100001,
                r"rules_sync: bundle refused.*SHA-256 does not match")
        refused(run, web, "bundle signed with another key refused, the old rules kept",
                *bundle(b, "v3", "v3", other, rule(9100003, "VIGIL SYNC three")),
                r"signed with key [0-9a-f]{16}, not with the configured key", "v1", 9100001)
        v4 = bundle(b, "v4", "v4", sign, rule(9100004, "VIGIL SYNC four"))
        refused(run, web, "unsigned bundle (no .sig) refused, the old rules kept",
                v4[0], None, r"not found \(HTTP 404\): an unsigned bundle is never used", "v1",
                9100001)
        junk = os.path.join(b, "junk.sig")
        open(junk, "w").write("hello\n")
        refused(run, web, "a .sig that is no signature refused, the old rules kept",
                v4[0], junk, r"not a vigil rule bundle signature", "v1", 9100001)
        refused(run, web, "oversized bundle refused before its download, the old rules kept",
                *bundle(b, "big", "big", sign, rule(9100005, "VIGIL SYNC big"),
                        {"padding.rules": "# padding\n" * (MAX_SIZE // 10)}),
                r"over max_size", "v1", 9100001)
        tars = len(web.requests("/bundle.tar"))
        refused(run, web, "bundle whose rules clash with the configured set refused "
                "(file:line in the log and on /api/system), the old rules kept",
                *bundle(b, "dup", "dup", sign, rule(2100001, "VIGIL SYNC duplicate")),
                r"problem.*sync\.rules:1: .*duplicate sid 2100001", "v1", 9100001,
                r"rules_sync: \S*sync\.rules:1: .*duplicate sid 2100001")
        title = ("a refused bundle is judged once: later polls get 304, no new download, "
                 "no new log line")
        problems = []
        # lighttpd writes its access log about once a second: wait for it
        wait_for(lambda: len(web.requests("/bundle.tar")) > tars)
        tars2 = len(web.requests("/bundle.tar"))
        if tars2 != tars + 1:
            problems.append("the rule-clash bundle was downloaded %d times" % (tars2 - tars))
        c0 = run.sync().get("checks", 0)
        sigs = len(web.requests("/bundle.tar.sig"))
        if not wait_for(lambda: run.sync().get("checks", 0) >= c0 + 3):
            problems.append("no further checks: %r" % run.sync())
        wait_for(lambda: len(web.requests("/bundle.tar.sig")) >= sigs + 3)
        later = web.requests("/bundle.tar.sig")[sigs:]
        if len(later) < 3 or any(st != 304 for st, _ in later[1:]):
            problems.append(".sig answers after the refusal: %r (want 304s)" % later)
        if len(web.requests("/bundle.tar")) != tars2:
            problems.append("the refused tar was downloaded again")
        n = len(re.findall(r"bundle refused.*duplicate sid 2100001", run.d.log()))
        if n != 1:
            problems.append("the refusal was logged %d times" % n)
        s = run.sync()
        if s.get("state") != "refused" or "duplicate sid" not in (s.get("last_error") or ""):
            problems.append("the refusal is no longer shown: %r" % s)
        R.check(title, problems)
        sets = os.listdir(os.path.join(w, "state", "rules-sync"))
        R.check("refused bundles leave nothing behind in rules-sync/",
                [] if len(sets) == 2 else ["rules-sync holds %r" % sets])

        # 4. a newer bundle replaces the set
        title = "a newer bundle replaces the set in force (its rule fires, the old one stops)"
        problems = []
        next_second()
        v5 = bundle(b, "v5", "v5", sign, rule(9100006, "VIGIL SYNC five"))
        web.publish(*v5)
        if not wait_for(lambda: run.sync().get("version") == "v5"):
            problems.append("v5 not applied: %r; log:\n%s" % (run.sync(), cd.tail(run.d)))
        if not wait_for(lambda: run.alerts(9100006) > 0):
            problems.append("no alert of sid 9100006")
        n1 = run.alerts(9100001)
        n6 = run.alerts(9100006)
        wait_for(lambda: run.alerts(9100006) > n6 + 8)
        if run.alerts(9100001) > n1 + 1:    # a flow being decided at the swap
            problems.append("sid 9100001 still fires after v5: %d -> %d"
                            % (n1, run.alerts(9100001)))
        sets = sorted(os.listdir(os.path.join(w, "state", "rules-sync")))
        if len(sets) != 2 or "state" not in sets:
            problems.append("rules-sync holds %r (want the state and one set)" % sets)
        R.check(title, problems)

        # 5. rollback refused
        refused(run, web, "an older bundle (signed before the one in force) refused",
                *v1, r"before the set in force .*not going back", "v5", 9100006)

        R.check("the summaries' health part names the rule-set version",
                [] if wait_for(lambda: summaries_name(w, "v5")) else
                ["no summary in the outbox with health.rules_version v5"])
    finally:
        rc = run.stop()
    R.check("the daemon stops cleanly", [] if rc == 0 else ["exit %s:\n%s" % (rc, cd.tail(run.d))])

    # 6. restart: the set in force comes back; bad servers are named
    for which, pattern in (("expired", r"server certificate expired"),
                           ("wrong", r"server certificate is not for host name localhost")):
        title = ("restart with a server whose certificate is %s: refused by name, the set "
                 "in force (v5) loaded again" % ("expired" if which == "expired"
                                                 else "for another host name"))
        problems = []
        run = Run(w, sections(w, pki, keys, web.url(which), web_port, dead), web_port)
        try:
            s = run.wait_check(pattern, 0)
            if not s or s.get("state") != "unreachable" or s.get("version") != "v5":
                problems.append("rules_sync: %r; log:\n%s" % (run.sync(), cd.tail(run.d)))
            if not wait_for(lambda: run.alerts(9100006) > 0):
                problems.append("sid 9100006 (v5) does not fire after the restart")
        finally:
            run.stop()
        R.check(title, problems)


def test_plain_server(tmp, pki, keys):
    """A server with neither validators nor Content-Length (openssl s_server
    -WWW: HTTP/1.0, the body ends with the connection): the bundle is
    applied, and later polls find it unchanged without fetching the tar."""
    title = "a bare HTTP/1.0 server (openssl s_server -WWW): applied, the tar fetched once"
    problems = []
    w = os.path.join(tmp, "plain")
    www = os.path.join(w, "www")
    os.makedirs(www)
    tar, sig = bundle(w, "p1", "p1", keys["sign"][0], rule(9100007, "VIGIL SYNC plain"))
    shutil.copyfile(tar, os.path.join(www, "bundle.tar"))
    shutil.copyfile(sig, os.path.join(www, "bundle.tar.sig"))
    port, web_port, dead = cd.free_port(), cd.free_port(), cd.free_port()
    srv = subprocess.Popen(["openssl", "s_server", "-accept", "127.0.0.1:%d" % port,
                            "-cert", pki["srv"] + ".pem", "-key", pki["srv"] + ".key", "-WWW",
                            "-quiet"], cwd=www, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run = None
    try:
        if not wait_for(lambda: cu.port_open(port), 30):
            return R.check(title, ["openssl s_server did not start"])
        url = "https://localhost:%d/bundle.tar" % port
        run = Run(w, sections(w, pki, keys, url, web_port, dead), web_port)
        s = wait_for(lambda: run.sync().get("version") == "p1" and run.sync())
        if not s:
            problems.append("not applied: %r; log:\n%s" % (run.sync(), cd.tail(run.d)))
        c0 = run.sync().get("checks", 0)
        if not wait_for(lambda: run.sync().get("checks", 0) >= c0 + 2):
            problems.append("no further checks")
        s = run.sync()
        if s.get("downloads") != 1 or s.get("last_result") != "unchanged":
            problems.append("later polls: %r" % s)
        if not wait_for(lambda: run.alerts(9100007) > 0):
            problems.append("no alert of sid 9100007")
    finally:
        if run:
            run.stop()
        srv.terminate()
        srv.wait(20)
    return R.check(title, problems)


def main():
    for tool in (LIGHTTPD, "openssl"):
        if not shutil.which(tool) and not os.path.exists(tool):
            print("FAIL  %s is not installed (make deps)" % tool)
            print("rules_sync: 0 passed, 1 failed")
            return 1
    if not os.path.exists("/usr/lib/lighttpd/mod_mbedtls.so"):
        print("FAIL  lighttpd-mod-mbedtls is not installed (make deps)")
        print("rules_sync: 0 passed, 1 failed")
        return 1
    tmp = tempfile.mkdtemp(prefix="vigil-rules-sync.")
    web = None
    try:
        pki = cu.make_pki(tmp)
        keys = make_keys(tmp)
        flows_pcap(os.path.join(tmp, "flows.pcap"), 2400)   # 10 minutes, then again
        test_cli(tmp, keys)
        web = Web(tmp, pki)
        test_daemon(tmp, pki, keys, web)
        test_plain_server(tmp, pki, keys)
    except (OSError, RuntimeError, subprocess.SubprocessError) as e:
        R.check("rules_sync test setup", [str(e)])
    finally:
        if web:
            web.stop()
        if os.environ.get("VIGIL_KEEP"):
            print("kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return R.summary()


if __name__ == "__main__":
    sys.exit(main())
