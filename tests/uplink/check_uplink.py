"""check_uplink.py - the uplink against real peers (python3 standard library
plus Debian's rsyslog, rsyslog-relp, rsyslog-gnutls, tinyproxy, openssl).

The test makes a CA, server and client certificates with openssl (and a
second CA, a certificate for another host name and an expired one), starts
its own rsyslogd on loopback ports (imrelp with tls="on" and
tls.authMode="certvalid"; imtcp with the gtls driver in x509/certvalid
mode), and drives `vigil replay --uplink` and `vigil run` against it:
delivery and content, refused peers (nothing gets through, the reason in
words), a peer that never answers, a proxy, the peer stopped and restarted
(at once, and after a full minute away),
kill -9 with a full outbox, and the outbox at its limit.

Every wait is on a condition (a line in a file, a count in the outbox)
with a generous deadline, never a fixed sleep. Prints "uplink: N passed, M
failed" last and exits non-zero on any failure.
"""

import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, os.path.join(HERE, "..", "daemon"))
import vigil_test as vt  # noqa: E402
import check_daemon as cd  # noqa: E402

ROOT = vt.ROOT
DETECT = os.path.join(ROOT, "tests", "detect")
DEMO = os.path.join(ROOT, "tests", "fixtures", "demo.pcap")
RULES = os.path.join(ROOT, "rules", "default")
ALERT_PCAPS = [os.path.join(DETECT, "sig_header.pcap"),
               os.path.join(DETECT, "behav_portscan.pcap"),
               os.path.join(DETECT, "behav_bruteforce.pcap")]
R = vt.Results("uplink")
SLOW = float(os.environ.get("VIGIL_UPLINK_SLOW", "1"))   # qemu: wait longer


def wait_for(cond, timeout, step=0.05):
    """True once cond() is true, False after timeout seconds."""
    end = time.time() + timeout * SLOW
    while time.time() < end:
        if cond():
            return True
        time.sleep(step)
    return bool(cond())


# ---- certificates ------------------------------------------------------------

def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_pki(d):
    """CA, other CA; server certificates for localhost (good, expired,
    wrong name); client certificates from each CA."""
    for ca in ("ca", "ca2"):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", ca + ".key", "-out", ca + ".pem", "-days", "30",
                "-subj", "/CN=vigil test " + ca, cwd=d)
    with open(os.path.join(d, "ca.cnf"), "w") as f:
        f.write("[ca]\ndefault_ca = t\n[t]\ndatabase = index.txt\nnew_certs_dir = .\n"
                "serial = serial\ndefault_md = sha256\npolicy = p\ncopy_extensions = copy\n"
                "unique_subject = no\n[p]\ncommonName = supplied\n")
    open(os.path.join(d, "index.txt"), "w").close()
    with open(os.path.join(d, "serial"), "w") as f:
        f.write("1000\n")

    def cert(name, cn, san, ca="ca", usage="serverAuth,clientAuth", dates=None):
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + cn,
                "-addext", "extendedKeyUsage=" + usage,
                *(["-addext", "subjectAltName=" + san] if san else []), cwd=d)
        args = ["ca", "-batch", "-config", "ca.cnf", "-cert", ca + ".pem", "-keyfile",
                ca + ".key", "-in", name + ".csr", "-out", name + ".pem", "-notext"]
        if dates:
            args += ["-startdate", dates[0], "-enddate", dates[1]]
        else:
            args += ["-days", "30"]
        openssl(*args, cwd=d)

    cert("srv", "localhost", "DNS:localhost,IP:127.0.0.1")
    cert("wrong", "wrong.example", "DNS:wrong.example")
    cert("expired", "localhost", "DNS:localhost,IP:127.0.0.1",
         dates=("20200101000000Z", "20200201000000Z"))
    cert("cli", "sensor-1", None, usage="clientAuth")
    cert("rogue", "sensor-rogue", None, ca="ca2", usage="clientAuth")
    return {k: os.path.join(d, k) for k in ("ca", "ca2", "srv", "wrong", "expired", "cli",
                                            "rogue")}


# ---- peers ---------------------------------------------------------------------

def free_port():
    return cd.free_port()


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


class Rsyslog:
    """rsyslogd in the foreground with its own configuration: one imrelp
    input per server certificate and one imtcp (gtls) input, each writing
    the raw messages it receives to its own file."""

    def __init__(self, d, pki):
        self.d = d
        self.pki = pki
        self.ports = {k: free_port() for k in ("relp", "relp_wrong", "relp_expired", "tls")}
        self.files = {k: os.path.join(d, "got-%s.log" % k) for k in self.ports}
        os.makedirs(os.path.join(d, "rs-work"), exist_ok=True)
        p = pki
        lines = [
            'global(workDirectory="%s" maxMessageSize="256k"' % os.path.join(d, "rs-work"),
            '  DefaultNetstreamDriverCAFile="%s.pem"' % p["ca"],
            '  DefaultNetstreamDriverCertFile="%s.pem"' % p["srv"],
            '  DefaultNetstreamDriverKeyFile="%s.key")' % p["srv"],
            # GnuTLS under Debian 12's librelp accepts, in certvalid mode, a
            # client certificate from a CA it was not given; OpenSSL refuses
            # it. A centre should use tls.tlslib="openssl" (README, Uplink).
            'module(load="imrelp" tls.tlslib="openssl")',
            'module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1"'
            ' StreamDriver.AuthMode="x509/certvalid" MaxSessions="50")',
            'template(name="raw" type="string" string="%rawmsg%\\n")',
        ]
        for k, certname in (("relp", "srv"), ("relp_wrong", "wrong"),
                            ("relp_expired", "expired")):
            lines.append('input(type="imrelp" port="%d" address="127.0.0.1" tls="on"'
                         ' tls.cacert="%s.pem" tls.mycert="%s.pem" tls.myprivkey="%s.key"'
                         ' tls.authMode="certvalid" maxDataSize="256k" ruleset="r_%s")'
                         % (self.ports[k], p["ca"], p[certname], p[certname], k))
        lines.append('input(type="imtcp" port="%d" address="127.0.0.1" ruleset="r_tls")'
                     % self.ports["tls"])
        for k in self.ports:
            lines.append('ruleset(name="r_%s") { action(type="omfile" file="%s" '
                         'template="raw") }' % (k, self.files[k]))
        self.conf = os.path.join(d, "rsyslog.conf")
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.p = None

    def start(self):
        pid = os.path.join(self.d, "rsyslog.pid")
        self.log = open(os.path.join(self.d, "rsyslog.out"), "ab")
        self.p = subprocess.Popen(["rsyslogd", "-n", "-f", self.conf, "-i", pid],
                                  stdin=subprocess.DEVNULL, stdout=self.log,
                                  stderr=subprocess.STDOUT)
        if not wait_for(lambda: all(port_open(pt) for pt in self.ports.values()), 30):
            raise RuntimeError("rsyslogd did not open its ports; see %s" % self.log.name)

    def stop(self):
        if self.p and self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(30)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.p = None
        if not wait_for(lambda: not any(port_open(pt) for pt in self.ports.values()), 10):
            raise RuntimeError("rsyslogd's ports stay open after it stopped")

    def lines(self, k):
        try:
            with open(self.files[k], "rb") as f:
                return [ln for ln in f.read().decode("utf-8", "replace").split("\n") if ln]
        except FileNotFoundError:
            return []

    def truncate(self):
        """Empty the received files: rsyslog keeps its files open, so it is
        restarted around the removal."""
        running = self.p is not None
        if running:
            self.stop()
        for f in self.files.values():
            if os.path.exists(f):
                os.unlink(f)
        if running:
            self.start()


SD_RE = re.compile(r'^<(\d+)>1 (\S+) (\S+) vigil - (\S+) \[vigil@32473 event_id="([0-9a-f]{32})" '
                   r'sensor="([^"]*)"\] (\{.*\})$')


def parse_msgs(lines):
    """(events, problems): each line an RFC 5424 message with our SD-ID
    and a JSON event whose event_id matches."""
    events, problems = [], []
    for ln in lines:
        m = SD_RE.match(ln)
        if not m:
            problems.append("not a vigil RFC 5424 message: %r" % ln[:200])
            continue
        try:
            ev = json.loads(m.group(7))
        except ValueError as e:
            problems.append("MSG is not JSON (%s): %r" % (e, ln[:200]))
            continue
        if ev.get("event_id") != m.group(5):
            problems.append("SD event_id %s != JSON event_id %s" % (m.group(5), ev.get("event_id")))
        if ev.get("event_type") != m.group(4):
            problems.append("MSGID %s != event_type %s" % (m.group(4), ev.get("event_type")))
        s = ev.get("sensor") or {}
        if not s.get("name") or s.get("id") != m.group(6):
            problems.append("sensor missing or not the SD's: %r" % s)
        events.append(ev)
    return events, problems


def replay(args, timeout=120):
    return subprocess.run(vt.vigil_cmd() + ["replay"] + args, capture_output=True,
                          timeout=timeout * SLOW, stdin=subprocess.DEVNULL)


def expected_alerts(tmp):
    """The alerts of ALERT_PCAPS as `vigil replay --eve` writes them."""
    eve = os.path.join(tmp, "expect.eve.json")
    r = replay(["-q", "--rules", RULES, "--eve", eve] + ALERT_PCAPS)
    if r.returncode != 0:
        raise RuntimeError("replay --eve failed: %s" % vt.text(r.stderr))
    return [e for e in cd.eve_events(eve) if e.get("event_type") == "alert"]


def uplink_args(pki, url, cert="cli", ca="ca", extra=()):
    a = ["--uplink", url, "--uplink-ca", pki[ca] + ".pem"]
    if cert:
        a += ["--uplink-cert", pki[cert] + ".pem", "--uplink-key", pki[cert] + ".key"]
    return a + list(extra)


def alert_key(e):
    a = e.get("alert", {})
    return (e.get("timestamp"), e.get("src_ip"), e.get("dest_ip"), a.get("signature_id"),
            a.get("detector"))


# ---- checks ------------------------------------------------------------------------

def test_delivery(tmp, rs, pki, want, kind):
    title = {"relp": "relp+tls: every alert and a summary arrive at rsyslog's imrelp, as "
             "RFC 5424 with the event as JSON and its event_id",
             "tls": "syslog+tls: every alert and a summary arrive at rsyslog's imtcp (gtls, "
             "x509/certvalid), octet-counted"}[kind]
    scheme = "relp+tls" if kind == "relp" else "syslog+tls"
    rs.truncate()
    r = replay(["-q", "--rules", RULES] +
               uplink_args(pki, "%s://localhost:%d" % (scheme, rs.ports[kind])) +
               ["--uplink-timeout", "60"] + ALERT_PCAPS)
    problems = []
    if r.returncode != 0:
        problems.append("exit %s: %s" % (r.returncode, vt.text(r.stderr)))
    # replay returns once the outbox is empty; rsyslog writes its file asynchronously
    n_want = len(want) + 1
    wait_for(lambda: len(rs.lines(kind)) >= n_want, 20)
    events, p = parse_msgs(rs.lines(kind))
    problems += p
    alerts = [e for e in events if e.get("event_type") == "alert"]
    sums = [e for e in events if e.get("event_type") == "summary"]
    got = sorted(alert_key(e) for e in alerts)
    exp = sorted(alert_key(e) for e in want)
    if got != exp:
        problems.append("alerts differ from the EVE file's: %d received, %d expected; "
                        "missing %s" % (len(got), len(exp), sorted(set(exp) - set(got))[:5]))
    if not sums:
        problems.append("no summary received")
    ids = [e.get("event_id") for e in events]
    if len(ids) != len(set(ids)):
        problems.append("duplicate event_ids in one clean run")
    for s in sums:
        body = s.get("summary", {})
        for k in ("traffic", "apps", "talkers", "alerts", "new_hosts", "health"):
            if k not in body:
                problems.append("summary without %s" % k)
        health = body.get("health", {})
        for k in ("version", "uptime_s", "clock", "database_bytes", "outbox"):
            if k not in health:
                problems.append("summary health without %s: %r" % (k, health))
        if not body.get("traffic", {}).get("packets"):
            problems.append("summary counts no packets: %r" % body.get("traffic"))
        if body.get("alerts", {}).get("total", 0) != len(want) and len(sums) == 1:
            problems.append("summary counts %s alerts, %d raised"
                            % (body.get("alerts", {}).get("total"), len(want)))
    return R.check(title, problems)


def expect_refused(tmp, rs, pki, title, url_kind, host, cert, ca, reason_re, file_kind=None,
                   timeout="4"):
    rs.truncate()
    scheme = "relp+tls" if url_kind.startswith("relp") else "syslog+tls"
    port = rs.ports[url_kind]
    r = replay(["-q", "--rules", RULES] +
               uplink_args(pki, "%s://%s:%d" % (scheme, host, port), cert=cert, ca=ca) +
               ["--uplink-timeout", timeout, ALERT_PCAPS[0]])
    problems = []
    err = vt.text(r.stderr)
    if r.returncode != 3:
        problems.append("exit %s, expected 3: %s" % (r.returncode, err))
    if not re.search(reason_re, err):
        problems.append("no reason matching /%s/ in: %s" % (reason_re, err))
    if not re.search(r"\d+ event\(s\) undelivered", err):
        problems.append("does not say how much was left undelivered: %s" % err)
    got = rs.lines(file_kind or url_kind)
    if got:
        problems.append("the peer received %d messages: %r" % (len(got), got[:2]))
    return R.check(title, problems)


def test_refusals(tmp, rs, pki):
    expect_refused(tmp, rs, pki, "wrong CA: nothing sent, 'server certificate not trusted'",
                   "relp", "localhost", "cli", "ca2", r"server certificate not trusted")
    expect_refused(tmp, rs, pki, "wrong host name: nothing sent, the name in the reason",
                   "relp_wrong", "localhost", "cli", "ca", r"not for host name localhost")
    expect_refused(tmp, rs, pki, "expired server certificate: nothing sent, 'expired'",
                   "relp_expired", "localhost", "cli", "ca", r"server certificate expired")
    expect_refused(tmp, rs, pki, "RELP without a client certificate: refused by the peer",
                   "relp", "localhost", None, "ca", r"ended the TLS handshake|closed|refused")
    expect_refused(tmp, rs, pki, "RELP with a client certificate of another CA: refused",
                   "relp", "localhost", "rogue", "ca", r"ended the TLS handshake|closed|refused")
    expect_refused(tmp, rs, pki, "syslog+tls with a client certificate of another CA: refused",
                   "tls", "localhost", "rogue", "ca", r"ended the TLS handshake|closed|refused")


def test_silent_peer(tmp, pki):
    """A peer that accepts TCP and never answers: the handshake times out,
    is retried, and replay gives up at --uplink-timeout with the reason."""
    title = "a peer that accepts and never answers: timeout, retries, exit 3 with the reason"
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    port = s.getsockname()[1]
    try:
        t0 = time.time()
        r = replay(["-q", "--rules", RULES] +
                   uplink_args(pki, "relp+tls://localhost:%d" % port) +
                   ["--uplink-timeout", "5", ALERT_PCAPS[0]])
        dt = time.time() - t0
    finally:
        s.close()
    err = vt.text(r.stderr)
    problems = []
    if r.returncode != 3:
        problems.append("exit %s, expected 3: %s" % (r.returncode, err))
    if "timed out" not in err:
        problems.append("no 'timed out' in: %s" % err)
    if dt > 60 * SLOW:
        problems.append("took %.0f s with --uplink-timeout 5" % dt)
    return R.check(title, problems)


def test_proxy(tmp, rs, pki, want):
    title = "through an HTTP CONNECT proxy (tinyproxy): every event delivered"
    if not shutil.which("tinyproxy"):
        return R.check(title, ["tinyproxy is not installed (make deps)"])
    port = free_port()
    conf = os.path.join(tmp, "tinyproxy.conf")
    with open(conf, "w") as f:
        f.write("Port %d\nListen 127.0.0.1\nTimeout 60\nAllow 127.0.0.1\nConnectPort %d\n"
                "LogLevel Info\nLogFile \"%s\"\nMaxClients 10\n"
                % (port, rs.ports["relp"], os.path.join(tmp, "tinyproxy.log")))
    p = subprocess.Popen(["tinyproxy", "-d", "-c", conf], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    problems = []
    try:
        if not wait_for(lambda: port_open(port), 20):
            return R.check(title, ["tinyproxy did not listen"])
        rs.truncate()
        r = replay(["-q", "--rules", RULES] +
                   uplink_args(pki, "relp+tls://localhost:%d" % rs.ports["relp"],
                               extra=["--uplink-proxy", "127.0.0.1:%d" % port]) +
                   ["--uplink-timeout", "60"] + ALERT_PCAPS)
        if r.returncode != 0:
            problems.append("exit %s: %s" % (r.returncode, vt.text(r.stderr)))
        wait_for(lambda: len(rs.lines("relp")) >= len(want) + 1, 20)
        events, p2 = parse_msgs(rs.lines("relp"))
        problems += p2
        if len([e for e in events if e.get("event_type") == "alert"]) != len(want):
            problems.append("%d alerts arrived, %d expected" % (
                len([e for e in events if e.get("event_type") == "alert"]), len(want)))
        with open(os.path.join(tmp, "tinyproxy.log"), errors="replace") as f:
            if "CONNECT" not in f.read():
                problems.append("tinyproxy's log shows no CONNECT: the proxy was bypassed")
        # a proxy that refuses the port: the reason names the proxy
        r = replay(["-q", "--rules", RULES] +
                   uplink_args(pki, "relp+tls://localhost:%d" % rs.ports["tls"],
                               extra=["--uplink-proxy", "127.0.0.1:%d" % port]) +
                   ["--uplink-timeout", "3", ALERT_PCAPS[0]])
        if r.returncode != 3 or "proxy" not in vt.text(r.stderr):
            problems.append("a CONNECT the proxy refuses: exit %s, %s" % (r.returncode,
                                                                         vt.text(r.stderr)))
    finally:
        p.terminate()
        p.wait()
    return R.check(title, problems)


def uplink_conf(w, pki, rs, kind="relp", port=None, **extra):
    u = {"url": "%s://localhost:%d" % ("relp+tls" if kind == "relp" else "syslog+tls",
                                       port or rs.ports[kind]),
         "ca": pki["ca"] + ".pem", "cert": pki["cli"] + ".pem", "key": pki["cli"] + ".key"}
    u.update(extra)
    return u


def test_check_mode(tmp, rs, pki):
    title = "vigil run -n checks [uplink] sections: files exist and parse, url, names"
    w = os.path.join(tmp, "checkmode")
    os.makedirs(w)
    base = cd.base_sections(w, source="pcap:" + ALERT_PCAPS[0])
    problems = []

    def run_n(sections):
        path = os.path.join(w, "vigil.conf")
        with open(path, "w") as f:
            f.write(cd.conf_text(sections))
        r = subprocess.run(vt.vigil_cmd() + ["run", "-n", "-c", path], capture_output=True,
                           timeout=60 * SLOW)
        return r.returncode, vt.text(r.stdout) + vt.text(r.stderr)

    ok = dict(base)
    ok["uplink"] = dict(uplink_conf(w, pki, rs), summary_interval="5m", send="alerts,summaries")
    ok["uplink.backup"] = uplink_conf(w, pki, rs, "tls")
    rc, out = run_n(ok)
    if rc != 0 or "configuration OK" not in out:
        problems.append("a good configuration: exit %s: %s" % (rc, out))
    cases = [
        ({"ca": "/nonexistent/ca.pem"}, r"vigil\.conf:\d+: ca /nonexistent/ca\.pem: cannot read"),
        ({"url": "https://centre.example"}, r"vigil\.conf:\d+: expected relp\+tls://"),
        ({"key": pki["ca"] + ".pem"}, r"vigil\.conf:\d+: key .*"),
        ({"cert": ""}, r"cert and key go together"),
        ({"send": "alerts,bogus"}, r"vigil\.conf:\d+: expected alerts, summaries"),
        ({"colour": "blue"}, r"vigil\.conf:\d+: unknown setting 'colour' in \[uplink\]"),
        ({"url": None}, r"vigil\.conf:\d+: url: missing in \[uplink\]"),
    ]
    for change, want in cases:
        sec = dict(base)
        u = uplink_conf(w, pki, rs)
        for k, v in change.items():
            if v is None:
                u.pop(k, None)
            elif v == "":
                u.pop(k, None)
            else:
                u[k] = v
        sec["uplink"] = u
        rc, out = run_n(sec)
        if rc == 0 or not re.search(want, out):
            problems.append("%r: exit %s, expected /%s/ in: %s" % (change, rc, want, out))
    return R.check(title, problems)


def outbox_count(db, sql="SELECT count(*) FROM outbox"):
    try:
        return cd.db_rows(db, sql)[0][0]
    except sqlite3.Error:
        return -1


def test_kill9(tmp, rs, pki):
    """The centre is away; the daemon fills its outbox and is killed with
    SIGKILL; restarted with the centre back, it delivers every event that
    was in the outbox."""
    title = "kill -9 with a full outbox, restart: every queued event delivered"
    w = os.path.join(tmp, "kill9")
    os.makedirs(w)
    dead = free_port()
    sec = cd.base_sections(w, source=["pcap:" + p for p in ALERT_PCAPS], replay_speed="fast")
    sec["detect"] = {"rules": RULES}
    sec["uplink"] = uplink_conf(w, pki, rs, port=dead, summary_interval="10s")
    db = os.path.join(w, "outbox.sqlite")
    d = cd.Daemon(w, sec)
    problems = []
    # all alerts of the captures in the outbox (the writer commits each second)
    want = len(expected_alerts(tmp))
    ok = wait_for(lambda: outbox_count(db, "SELECT count(*) FROM outbox WHERE kind = 0") >= want,
                  60)
    d.stop(signal.SIGKILL)
    if not ok:
        return R.check(title, ["the outbox never held the %d alerts; log:\n%s" % (want, cd.tail(d))])
    queued = set(r[0] for r in cd.db_rows(db, "SELECT event_id FROM outbox"))
    rs.truncate()
    sec["uplink"] = uplink_conf(w, pki, rs, summary_interval="10s")
    sec["capture"] = {"source": "pcap:" + os.path.join(DETECT, "benign_office.pcap"),
                      "replay_speed": "fast"}
    d = cd.Daemon(w, sec)
    try:
        delivered = wait_for(lambda: queued <= set(e.get("event_id") for e in
                                                    parse_msgs(rs.lines("relp"))[0]), 60)
        if not delivered:
            got = set(e.get("event_id") for e in parse_msgs(rs.lines("relp"))[0])
            problems.append("%d of %d queued events not delivered after the restart; log:\n%s"
                            % (len(queued - got), len(queued), cd.tail(d)))
    finally:
        d.stop()
    return R.check(title, problems)


def flow_accounting(rs, kind, db):
    """Problems unless every flow record of the run is either received
    (distinct event_id) or still in the outbox (beside the database)."""
    events, problems = parse_msgs(rs.lines(kind))
    got = set(e["event_id"] for e in events if e["event_type"] == "flow")
    outbox = os.path.join(os.path.dirname(db), "outbox.sqlite")
    left = set(r[0] for r in cd.db_rows(outbox, "SELECT event_id FROM outbox WHERE kind = 2"))
    flows_db = cd.db_rows(db, "SELECT count(*) FROM flows")[0][0]
    if len(got | left) != flows_db:
        problems.append("%d flows received + %d still queued (%d distinct), %d flow records "
                        "in the database" % (len(got), len(left), len(got | left), flows_db))
    return events, problems


def restart_run(tmp, rs, pki, kind, name, outage_s=0, **extra):
    """A looping replay (flows keep coming) with every flow sent; the peer
    is stopped once 50 events arrived and started again after the daemon
    noticed and outage_s seconds passed since the stop (the outbox must grow
    meanwhile); then 100 more must arrive. Returns (events, problems)."""
    w = os.path.join(tmp, name)
    os.makedirs(w)
    sec = cd.base_sections(w, source="pcap:" + DEMO, replay_speed="fast", loop="yes")
    sec["detect"] = {"rules": RULES}
    sec["store"]["flow_max_age"] = "3650d"    # replayed 2024 traffic stays
    # a fast looping replay makes flows faster than any link takes them:
    # the outbox bound is set out of reach so that every flow is accounted
    sec["uplink"] = uplink_conf(w, pki, rs, kind, send="alerts,summaries,flows",
                                summary_interval="60s", outbox_max_size="4G", **extra)
    db = os.path.join(w, "vigil.sqlite")
    rs.truncate()
    d = cd.Daemon(w, sec)
    problems = []
    try:
        if not wait_for(lambda: len(rs.lines(kind)) >= 50, 60):
            return [], ["fewer than 50 events arrived; log:\n" + cd.tail(d)]
        rs.stop()
        stopped = time.monotonic()
        before = len(rs.lines(kind))
        if not d.wait_log(r"uplink main .*retrying", 60):
            problems.append("the daemon did not notice the peer was gone; log:\n" + cd.tail(d))
        if outage_s:
            outbox = os.path.join(w, "outbox.sqlite")
            queued0 = outbox_count(outbox)
            # the outage itself is the test's subject (the minute),
            # not a wait for something: the peer stays away this long
            time.sleep(max(0.0, outage_s - (time.monotonic() - stopped)))
            queued1 = outbox_count(outbox)
            print("      (%s: peer away %.0f s; outbox %d -> %d events meanwhile)"
                  % (kind, time.monotonic() - stopped, queued0, queued1))
            if queued1 <= queued0:
                problems.append("the outbox did not grow while the peer was away (%d -> %d)"
                                % (queued0, queued1))
        rs.start()
        if not wait_for(lambda: len(rs.lines(kind)) >= before + 100, 120):
            problems.append("no delivery after the restart (%d events before, %d now); log:\n%s"
                            % (before, len(rs.lines(kind)), cd.tail(d)))
    finally:
        rc = d.stop()
    if rc != 0:
        problems.append("the daemon exited %s; log:\n%s" % (rc, cd.tail(d)))
    if "over its bounds" in d.log():
        problems.append("the outbox bounds dropped events; the accounting cannot hold")
    events, p = flow_accounting(rs, kind, db)
    if p:
        p.append("daemon log:\n" + cd.tail(d))
    problems += p
    ids = [e["event_id"] for e in events]
    print("      (%s: %d events received, %d before the stop, %d duplicates by event_id)"
          % (kind, len(ids), before, len(ids) - len(set(ids))))
    return events, problems


def test_peer_restart(tmp, rs, pki):
    """RELP: the peer is stopped mid-stream and started again: every event
    is delivered or still queued (none lost), and duplicates (frames sent
    but not acknowledged before the stop) are at most one window and carry
    the event_id the centre drops them by."""
    title = "RELP: peer stopped mid-stream and restarted: nothing lost, duplicates only by event_id"
    events, problems = restart_run(tmp, rs, pki, "relp", "restart")
    ids = [e["event_id"] for e in events]
    if len(ids) - len(set(ids)) > 128:
        problems.append("%d duplicates: more than one RELP window" % (len(ids) - len(set(ids))))
    return R.check(title, problems)


def test_peer_minute(tmp, rs, pki):
    """RELP: the peer stopped for a full minute while events keep coming,
    then started again: every event arrives or is still queued, and each
    event_id stands for one event (a resend of a frame the stop left
    unacknowledged carries the same event_id and the same body)."""
    title = ("RELP: peer stopped for a minute and restarted: every event delivered once "
             "by event_id, none lost")
    events, problems = restart_run(tmp, rs, pki, "relp", "minute", outage_s=60)
    bodies = {}
    for e in events:
        prev = bodies.setdefault(e["event_id"], e)
        if prev != e:
            problems.append("event_id %s stands for two different events" % e["event_id"])
            break
    ids = [e["event_id"] for e in events]
    if len(ids) - len(set(ids)) > 128:
        problems.append("%d duplicates: more than one RELP window" % (len(ids) - len(set(ids))))
    return R.check(title, problems)


def test_syslog_guarantee(tmp, rs, pki):
    """syslog+tls: the peer stopped mid-stream and started again: every
    event is received at least once or still queued (the stated guarantee:
    what was written but not confirmed by the grace is sent again)."""
    title = "syslog+tls: peer stopped mid-stream and restarted: nothing lost (at least once)"
    _, problems = restart_run(tmp, rs, pki, "tls", "sysrestart", syslog_grace="2s")
    return R.check(title, problems)


def test_outbox_limit(tmp, rs, pki):
    """The centre is away and the outbox reaches outbox_max_size: flows and
    summaries go first, every alert stays, and the next summary delivered
    counts what was dropped; /api/system shows the uplink's state."""
    title = "outbox at its limit: oldest flows dropped before alerts, counted in the next summary"
    w = os.path.join(tmp, "limit")
    os.makedirs(w)
    dead = free_port()
    web = free_port()
    sec = cd.base_sections(w, source=["pcap:" + DEMO] + ["pcap:" + p for p in ALERT_PCAPS],
                           replay_speed="fast")
    sec["detect"] = {"rules": RULES}
    sec["web"] = {"listen": "127.0.0.1:%d" % web}
    sec["uplink"] = uplink_conf(w, pki, rs, port=dead, send="alerts,summaries,flows",
                                outbox_max_size="64K", summary_interval="60s")
    db = os.path.join(w, "outbox.sqlite")
    want = len(expected_alerts(tmp))
    d = cd.Daemon(w, sec)
    problems = []
    try:
        api = cd.signed_in_api(d, w, web)
        def state():
            st, sysinfo = api.req("GET", "/api/system")
            ups = (sysinfo or {}).get("uplinks") or [{}] if st == 200 else [{}]
            return ups[0]
        ok = wait_for(lambda: outbox_count(db, "SELECT count(*) FROM outbox WHERE kind = 0")
                      >= want and state().get("dropped", {}).get("flows", 0) > 0
                      and state().get("queued", 0) > 0, 60, step=0.3)
        if not ok:
            return R.check(title, ["no drops or not every alert queued; log:\n" + cd.tail(d)])
        size = outbox_count(db, "SELECT sum(length(body)) FROM outbox")
        if size > 64 * 1024:
            problems.append("outbox holds %d bytes, over 64K" % size)
        st, sysinfo = api.req("GET", "/api/system")
        ups = (sysinfo or {}).get("uplinks") or []
        if st != 200 or len(ups) != 1:
            problems.append("/api/system uplinks: %s %r" % (st, sysinfo))
        else:
            u = ups[0]
            if u.get("connected") or not u.get("last_error") or "connect" not in u["last_error"]:
                problems.append("uplink state does not say why: %r" % u)
            if u.get("queued", 0) <= 0 or u.get("dropped", {}).get("flows", 0) <= 0:
                problems.append("queued/dropped not shown: %r" % u)
            if u.get("dropped", {}).get("alerts", 0) != 0:
                problems.append("alerts were dropped: %r" % u)
    finally:
        d.stop()
    # the centre comes back: the next summary reports the drops
    rs.truncate()
    sec["uplink"] = uplink_conf(w, pki, rs, send="alerts,summaries,flows",
                                outbox_max_size="64K", summary_interval="60s")
    sec["capture"] = {"source": "pcap:" + os.path.join(DETECT, "benign_office.pcap"),
                      "replay_speed": "fast"}
    d = cd.Daemon(w, sec)
    try:
        def dropped_reported():
            for e in parse_msgs(rs.lines("relp"))[0]:
                dr = e.get("summary", {}).get("health", {}).get("outbox", {}).get("dropped", {})
                if dr.get("flows", 0) > 0:
                    return True
            return False
        if not wait_for(lambda: outbox_count(db) == 0, 60):
            problems.append("outbox not delivered after the centre came back")
        d.stop()
        if not wait_for(dropped_reported, 20):
            problems.append("no delivered summary counts the dropped flows")
        alerts = [e for e in parse_msgs(rs.lines("relp"))[0] if e["event_type"] == "alert"]
        if len(alerts) < want:
            problems.append("%d alerts delivered, %d raised" % (len(alerts), want))
    finally:
        d.stop()
    return R.check(title, problems)


def main():
    for tool in ("rsyslogd", "openssl"):
        if not shutil.which(tool):
            print("FAIL  %s is not installed (make deps)" % tool)
            print("uplink: 0 passed, 1 failed")
            return 1
    tmp = tempfile.mkdtemp(prefix="vigil-uplink.")
    rs = None
    try:
        pki = make_pki(tmp)
        rs = Rsyslog(tmp, pki)
        rs.start()
        want = expected_alerts(tmp)
        if not want:
            R.check("the alert captures raise alerts", ["none"])
        test_delivery(tmp, rs, pki, want, "relp")
        test_delivery(tmp, rs, pki, want, "tls")
        test_refusals(tmp, rs, pki)
        test_silent_peer(tmp, pki)
        test_proxy(tmp, rs, pki, want)
        test_check_mode(tmp, rs, pki)
        test_kill9(tmp, rs, pki)
        test_peer_restart(tmp, rs, pki)
        test_peer_minute(tmp, rs, pki)
        test_syslog_guarantee(tmp, rs, pki)
        test_outbox_limit(tmp, rs, pki)
    except (OSError, RuntimeError, subprocess.SubprocessError) as e:
        R.check("uplink test setup", [str(e)])
    finally:
        if rs:
            try:
                rs.stop()
            except RuntimeError:
                pass
        if os.environ.get("VIGIL_KEEP"):
            print("kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return R.summary()


if __name__ == "__main__":
    sys.exit(main())
