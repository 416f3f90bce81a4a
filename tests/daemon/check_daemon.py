"""check_daemon.py - end-to-end checks of `vigil run` (python3 standard
library only): replayed and live capture, reloads, shutdown without loss,
retention, the configuration check, the privilege drop and the systemd
notifications.

Live capture uses a veth pair into a network namespace the test makes
(root only; VIGIL_NETNS names it, default vigiltest<pid>); without root
those checks are skipped with a message. Prints "daemon: N passed, M
failed" last and exits non-zero on any failure.
"""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import vigil_test as vt  # noqa: E402

ROOT = vt.ROOT
DEMO = os.path.join(ROOT, "tests", "fixtures", "demo.pcap")
DETECT = os.path.join(ROOT, "tests", "detect")
NS = os.environ.get("VIGIL_NETNS") or "vigiltest%d" % os.getpid()
HOST_IF, NS_IF = "veth-v0", "veth-v1"
HOST_IP, NS_IP = "10.123.0.1", "10.123.0.2"
# a second pair, absent at first: made and deleted by test_interface_comes_and_goes
LATE_IF, LATE_NS_IF = "veth-v2", "veth-v3"
LATE_IP, LATE_NS_IP = "10.124.0.1", "10.124.0.2"
R = vt.Results("daemon")
# How long to wait for something that must happen (the daemon started, a
# log line, a reload): only a hang ever takes this long, so it is generous
# and the same on every machine; no verdict depends on how fast the
# machine is (VIGIL_TIMEOUT overrides it, as for the web suite).
PATIENCE = float(os.environ.get("VIGIL_TIMEOUT", "120"))


# ---- helpers -------------------------------------------------------------

def conf_text(sections):
    """{'capture': {'k': 'v'}} -> INI text (lists become repeated lines)."""
    out = []
    for sec, kv in sections.items():
        out.append("[%s]" % sec)
        for k, v in kv.items():
            for item in (v if isinstance(v, list) else [v]):
                out.append("%s = %s" % (k, item))
        out.append("")
    return "\n".join(out)


class Daemon:
    """One `vigil run -c` in the background, its log in a file."""

    def __init__(self, workdir, sections, env=None):
        self.workdir = workdir
        self.conf = os.path.join(workdir, "vigil.conf")
        with open(self.conf, "w") as f:
            f.write(conf_text(sections))
        self.logpath = os.path.join(workdir, "daemon.log")
        self.logf = open(self.logpath, "wb")
        self.p = subprocess.Popen(vt.vigil_cmd() + ["run", "-c", self.conf],
                                  stdin=subprocess.DEVNULL, stdout=self.logf,
                                  stderr=subprocess.STDOUT, env=env)
        self.rc = None

    def log(self):
        with open(self.logpath, "rb") as f:
            return vt.text(f.read())

    def wait_log(self, pattern, timeout=None, count=1):
        """True once pattern (regex) appears count times in the log."""
        end = time.time() + (PATIENCE if timeout is None else timeout)
        while time.time() < end:
            if len(re.findall(pattern, self.log())) >= count:
                return True
            if self.p.poll() is not None:
                return len(re.findall(pattern, self.log())) >= count
            time.sleep(0.05)
        return False

    def alive(self):
        return self.p.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if self.p.poll() is None:
            self.p.send_signal(sig)
        try:
            self.rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.rc = self.p.wait()
            self.rc = "timeout (killed)"
        self.logf.close()
        return self.rc

    def wait_exit(self, timeout=60):
        try:
            self.rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            return self.stop(signal.SIGKILL)
        self.logf.close()
        return self.rc


def eve_events(path):
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        events, _ = vt.parse_eve(f.read())
    return events


def db_rows(path, sql, args=()):
    con = sqlite3.connect(path)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def base_sections(w, **capture):
    return {
        "capture": capture,
        "store": {"database": os.path.join(w, "vigil.sqlite"),
                  "eve": os.path.join(w, "eve.json")},
        "daemon": {"state_dir": os.path.join(w, "state"), "log_level": "info",
                   "stats_interval": "60s"},
    }


def tail(d, n=1500):
    t = d.log()
    return t if len(t) <= n else "..." + t[-n:]


def sh(*cmd, check=True):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), r.stderr.strip()))
    return r


# ---- the network namespace ------------------------------------------------

SERVER = r"""
import socket, threading
# every socket is bound and listening before "ready" is printed
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("0.0.0.0", 53))
listeners = []
for port in (7771, 7772, 7773, 8080):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(16)
    listeners.append(s)
def udp():
    while True:
        data, peer = u.recvfrom(2048)
        if len(data) >= 12:
            u.sendto(data[:2] + b"\x81\x80" + data[4:], peer)
def tcp(s):
    while True:
        c, _ = s.accept()
        try:
            c.settimeout(5)
            c.recv(4096)
            c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello")
        except OSError:
            pass
        c.close()
threading.Thread(target=udp, daemon=True).start()
for s in listeners:
    threading.Thread(target=tcp, args=(s,), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
"""


class Netns:
    """veth pair HOST_IF (10.123.0.1) <-> NS_IF (10.123.0.2) in NS, with
    a UDP (53) and TCP (7771-7773, 8080) responder inside."""

    def __init__(self):
        self.server = None
        self.ok = False

    def __enter__(self):
        try:
            return self.setup()
        except BaseException:
            self.__exit__()
            raise

    def setup(self):
        self.cleanup()
        sh("ip", "netns", "add", NS)
        sh("ip", "link", "add", HOST_IF, "type", "veth", "peer", "name", NS_IF,
           "netns", NS)
        for cmd in (["ip", "addr", "add", HOST_IP + "/24", "dev", HOST_IF],
                    ["sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % HOST_IF],
                    ["ip", "link", "set", HOST_IF, "up"]):
            sh(*cmd)
        for cmd in (["ip", "addr", "add", NS_IP + "/24", "dev", NS_IF],
                    ["sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % NS_IF],
                    ["ip", "link", "set", NS_IF, "up"],
                    ["ip", "link", "set", "lo", "up"]):
            sh("ip", "netns", "exec", NS, *cmd)
        self.server = subprocess.Popen(
            ["ip", "netns", "exec", NS, sys.executable, "-c", SERVER],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT)
        line = self.server.stdout.readline()
        if b"ready" not in line:
            raise RuntimeError("responder in the namespace: %r" % line)
        # ARP and the first connection before any daemon runs
        tcp_exchange(8080)
        time.sleep(0.2)
        self.ok = True
        return self

    def cleanup(self):
        sh("ip", "link", "del", LATE_IF, check=False)
        sh("ip", "link", "del", HOST_IF, check=False)
        sh("ip", "netns", "del", NS, check=False)

    def __exit__(self, *exc):
        if self.server:
            self.server.kill()
            self.server.wait()
        self.cleanup()
        return False


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def icmp_echo(count, ident=0x4242, dst=None):
    """Send count echo requests to dst (NS_IP), wait for each reply.
    Returns the replies received."""
    dst = dst or NS_IP
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.settimeout(2)
    got = 0
    try:
        for seq in range(1, count + 1):
            hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
            payload = b"vigil-test" * 4
            pkt = struct.pack("!BBHHH", 8, 0, checksum(hdr + payload), ident,
                              seq) + payload
            s.sendto(pkt, (dst, 0))
            end = time.time() + 2
            while time.time() < end:
                try:
                    data, _ = s.recvfrom(2048)
                except socket.timeout:
                    break
                ihl = (data[0] & 0x0F) * 4
                t, _, _, i, q = struct.unpack("!BBHHH", data[ihl:ihl + 8])
                if t == 0 and i == ident and q == seq:
                    got += 1
                    break
    finally:
        s.close()
    return got


def dns_query(name="www.example.org", port=53):
    """One DNS-looking query over UDP; returns (local port, answered)."""
    q = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack("!HH", 1, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    try:
        s.sendto(q, (NS_IP, port))
        lport = s.getsockname()[1]
        try:
            s.recvfrom(2048)
            return lport, True
        except socket.timeout:
            return lport, False
    finally:
        s.close()


def tcp_exchange(port):
    """Connect, send a request, read the answer to the end; returns the
    local port."""
    s = socket.create_connection((NS_IP, port), timeout=3)
    lport = s.getsockname()[1]
    try:
        s.sendall(b"GET / HTTP/1.0\r\nHost: vigil.test\r\n\r\n")
        while s.recv(4096):
            pass
    finally:
        s.close()
    return lport


# ---- 1. replay a file, exit when done ---------------------------------------

def test_replay_fast(tmp, workers=None):
    """workers: [capture] workers (None: the default); the flows must be
    those of a one-worker vigil replay either way."""
    w = os.path.join(tmp, "replay_fast%s" % (workers or ""))
    os.makedirs(w)
    cap = dict(source="pcap:" + DEMO, replay_speed="fast", exit_when_done="yes")
    if workers:
        cap["workers"] = str(workers)
    d = Daemon(w, base_sections(w, **cap))
    rc = d.wait_exit(60)
    if workers and not d.wait_log(r"%d packet worker\(s\)" % workers, 1):
        R.check("[capture] workers = %d: the daemon says so" % workers,
                ["no '%d packet worker(s)' in the log:\n%s" % (workers, tail(d))])
    ref = os.path.join(w, "replay.sqlite")
    r = vt.run_vigil(["replay", "--db", ref, "-q", DEMO])
    problems = []
    if rc != 0:
        problems.append("vigil run exited %s; log:\n%s" % (rc, tail(d)))
    if r.returncode != 0:
        problems.append("vigil replay exited %s: %s" % (r.returncode, vt.short(r.stderr)))
    if problems:
        return R.check("pcap source, fast, exit_when_done: runs and exits 0", problems)
    cols = ("SELECT src_ip, src_port, dest_ip, dest_port, proto, start_us, end_us, "
            "pkts_toserver, pkts_toclient, bytes_toserver, bytes_toclient, app_proto, "
            "reason FROM flows ORDER BY 1, 2, 3, 4, 5, 6")
    got = db_rows(os.path.join(w, "vigil.sqlite"), cols)
    want = db_rows(ref, cols)
    if len(got) != len(want):
        problems.append("%d flows in SQLite, vigil replay has %d" % (len(got), len(want)))
    elif got != want:
        diff = [(a, b) for a, b in zip(got, want) if a != b][:3]
        problems.append("flows differ from vigil replay's, e.g. %s" % diff)
    ev = eve_events(os.path.join(w, "eve.json"))
    flows = [e for e in ev if e.get("event_type") == "flow"]
    st = vt.stats_event(ev)
    if len(flows) != len(want):
        problems.append("%d EVE flow events, want %d" % (len(flows), len(want)))
    if not st:
        problems.append("no EVE stats event")
    elif vt.dig(st, "stats.decoder.pkts") != 1021 or vt.dig(st, "stats.capture.files") != 1:
        problems.append("stats event: %s" % json.dumps(st.get("stats"))[:400])
    runs = db_rows(os.path.join(w, "vigil.sqlite"), "SELECT sources, packets FROM runs")
    if runs != [("pcap:" + DEMO, 1021)]:
        problems.append("runs table: %s" % runs)
    R.check("pcap source, fast, exit_when_done%s: the flows of vigil replay, EVE flow "
            "and stats events" % (", workers = %d" % workers if workers else ""), problems)


# ---- 1b. recorded speed over files from different days ------------------------

def pcap_times(path):
    """Packet times (microseconds) of a classic little-endian pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    off, out = 24, []
    while off + 16 <= len(data):
        sec, usec, caplen, _ = struct.unpack("<IIII", data[off:off + 16])
        out.append(sec * 1000000 + usec)
        off += 16 + caplen
    return out


def test_recorded_files(tmp):
    w = os.path.join(tmp, "recorded_files")
    os.makedirs(w)
    a = os.path.join(ROOT, "tests", "fixtures", "icmp.pcap")   # 2.5 s
    b = os.path.join(ROOT, "tests", "fixtures", "gre.pcap")    # 0.2 s, 12 h earlier
    d = Daemon(w, base_sections(w, source="pcap:%s, %s" % (a, b), replay_speed="recorded",
                                exit_when_done="yes"))
    # the pace is measured from the first file's start (not from the
    # daemon's, which is as slow as the machine): a paced replay cannot end
    # before the captures' own time has passed, and must not wait for the
    # 12 h between them (PATIENCE stands for "not hours")
    started = d.wait_log(r"icmp\.pcap: replaying")
    t0 = time.time()
    rc = d.wait_exit(PATIENCE + 60)
    took = time.time() - t0
    ta, tb = pcap_times(a), pcap_times(b)
    want = (ta[-1] - ta[0] + 1000000 + tb[-1] - tb[0]) / 1e6
    problems = []
    if rc != 0 or not started:
        problems.append("exit %s; log:\n%s" % (rc, tail(d)))
    else:
        db = os.path.join(w, "vigil.sqlite")
        first_b = db_rows(db, "SELECT min(start_us) FROM flows WHERE tunnel != 0")[0][0]
        last_a = db_rows(db, "SELECT max(end_us) FROM flows WHERE tunnel = 0")[0][0]
        if took < want - 0.3:
            problems.append("took %.1f s, the captures last %.1f s (+1 s between them): "
                            "faster than recorded" % (took, want))
        if took > want + PATIENCE:
            problems.append("took %.1f s, the captures last %.1f s (+1 s between them): "
                            "the gap between the captures was waited for?" % (took, want))
        if last_a != ta[-1] or first_b != ta[-1] + 1000000:
            problems.append("the second file should start 1 s after the first ended (%d): "
                            "first ended %s, second started %s" % (ta[-1], last_a, first_b))
    R.check("recorded speed over two captures 12 h apart: paced as recorded, the second "
            "shifted to follow the first (%.1f s)" % took, problems)


# ---- 1c. make run's demo: the first pass fast, then recorded ------------------

def test_first_fast(tmp):
    """replay_speed = first_fast, loop = yes (firmware/etc/vigil-dev.conf):
    the first pass is read at once, so the alerts of `vigil replay` of the
    same files are on the page without waiting for the captures' time; the
    second pass is paced: by the time the daemon stops, its packet time
    cannot have run further than the wall time since the daemon started.
    /api/clock says the data is not live and names the newest data."""
    w = os.path.join(tmp, "first_fast")
    os.makedirs(w)
    files = [DEMO, os.path.join(DETECT, "sig_header.pcap"),
             os.path.join(DETECT, "behav_portscan.pcap")]
    port = free_port()
    sec = base_sections(w, source="pcap:" + ", ".join(files), replay_speed="first_fast",
                        loop="yes")
    sec["detect"] = {"rules": os.path.join(ROOT, "rules", "default")}
    sec["web"] = {"listen": "127.0.0.1:%d" % port}
    title = ("replay_speed = first_fast, loop: the first pass's alerts at once (as vigil "
             "replay's), the second pass paced; /api/clock: not live, the newest data")
    ref = os.path.join(w, "replay.sqlite")
    r = vt.run_vigil(["replay", "--rules", os.path.join(ROOT, "rules", "default"), "--db", ref,
                      "-q"] + files)
    want = sorted(db_rows(ref, "SELECT DISTINCT engine, sid, coalesce(detector, '') FROM alerts"))
    t0 = time.time()
    d = Daemon(w, sec)
    problems = []
    db = os.path.join(w, "vigil.sqlite")
    if r.returncode != 0 or not want:
        problems.append("vigil replay: exit %s, %d alert kinds" % (r.returncode, len(want)))
    # the first pass: read without pacing (its captures span about 11 min)
    if not d.wait_log(r"first pass read; the next ones at recorded speed"):
        d.stop()
        return R.check(title, problems + ["no 'first pass read' in the log:\n" + tail(d)])
    # its alerts: those of vigil replay (flows still open end as packet time
    # moves on; a hang only would take PATIENCE)
    got = []
    end = time.time() + PATIENCE
    while time.time() < end:
        try:
            got = sorted(db_rows(db, "SELECT DISTINCT engine, sid, coalesce(detector, '')"
                                 " FROM alerts"))
        except sqlite3.Error:
            got = []
        if set(want) <= set(got):
            break
        time.sleep(0.1)
    if not set(want) <= set(got):
        problems.append("alerts after the first pass %s, vigil replay has %s" % (got, want))
    try:
        api = signed_in_api(d, w, port)
        st, clk = api.req("GET", "/api/clock")
        newest = max(db_rows(db, "SELECT coalesce(max(start_us), 0) FROM flows")[0][0],
                     db_rows(db, "SELECT coalesce(max(last_seen_us), 0) FROM alerts")[0][0])
        if st != 200 or clk.get("live") is not False or not isinstance(clk.get("newest_us"), int) \
                or clk["newest_us"] > newest or clk["newest_us"] < newest - 3600 * 10**6 \
                or abs(clk.get("now_us", 0) / 1e6 - time.time()) > 60:
            problems.append("GET /api/clock: %s %s (newest data now %d)" % (st, clk, newest))
    except (OSError, RuntimeError, ValueError, http.client.HTTPException) as e:
        problems.append("web API: %s" % e)
    rc = d.stop()
    ran = time.time() - t0
    # pass 1 as one timeline: each file 1 s after the previous one ended
    last, pass1 = None, []
    for f in files:
        t = pcap_times(f)
        off = 0 if last is None else last + 1000000 - t[0]
        pass1.append((t[0] + off, t[-1] + off))
        last = t[-1] + off
    pass2_start = last + 1000000
    newest = db_rows(db, "SELECT coalesce(max(start_us), 0) FROM flows")[0][0]
    if rc != 0:
        problems.append("exit %s" % rc)
    if newest < pass2_start:
        problems.append("no flow of the second pass (newest start %d, pass 2 from %d)"
                        % (newest, pass2_start))
    elif newest > pass2_start + ran * 1e6:
        problems.append("the second pass ran %.1f s of packet time in %.1f s: not paced"
                        % ((newest - pass2_start) / 1e6, ran))
    if problems:
        problems.append("log:\n" + tail(d))
    R.check(title, problems)


# ---- 4. SIGTERM mid-way loses nothing --------------------------------------

def test_sigterm_recorded(tmp):
    w = os.path.join(tmp, "sigterm")
    os.makedirs(w)
    sec = base_sections(w, source="pcap:" + DEMO, replay_speed="recorded")
    sec["daemon"]["stats_interval"] = "1s"
    d = Daemon(w, sec)
    started = d.wait_log(r"replaying")
    ok = d.wait_log(r"stats: [1-9]\d* packets", count=2)
    rc = d.stop()
    problems = []
    if not started or not ok or rc != 0:
        problems.append("exit %s; log:\n%s" % (rc, tail(d)))
        return R.check("SIGTERM during a recorded-speed replay: exit 0", problems)
    ev = eve_events(os.path.join(w, "eve.json"))
    stats = [vt.stats_view(e) for e in ev if e.get("event_type") == "stats"]
    st = stats[-1] if stats else {}
    ended = vt.dig(st, "stats.flow.ended")
    total = vt.dig(st, "stats.flow.total")
    pkts = vt.dig(st, "stats.decoder.pkts") or 0
    rows = db_rows(os.path.join(w, "vigil.sqlite"),
                   "SELECT count(*), sum(reason = 'shutdown') FROM flows WHERE interim = 0")[0]
    eve_flows = len([e for e in ev if e.get("event_type") == "flow"])
    m = re.search(r"stopped: (\d+) packets.*?(\d+) flows \((\d+) ended\)", d.log())
    if len(stats) < 3:
        problems.append("%d stats events (one a second and one at the end expected)"
                        % len(stats))
    if not (0 < pkts < 1021):
        problems.append("%s packets read: not stopped mid-way?" % pkts)
    if ended is None or ended != total or rows[0] != ended or eve_flows != ended:
        problems.append("flows: stats total %s ended %s, SQLite %s, EVE flow events %s"
                        % (total, ended, rows[0], eve_flows))
    if not rows[1]:
        problems.append("no flow ended with reason shutdown")
    if not m or int(m.group(3)) != ended or int(m.group(1)) != pkts:
        problems.append("log's stop line does not match the stats event: %s"
                        % (m.group(0) if m else "missing"))
    R.check("SIGTERM during a recorded-speed replay: every flow in SQLite and EVE "
            "(%s flows)" % ended, problems)


# ---- 5. retention ------------------------------------------------------------

def unit_stop_timeout():
    """TimeoutStopSec of the systemd unit: how long a stop may take."""
    with open(os.path.join(ROOT, "firmware", "systemd", "vigil.service")) as f:
        m = re.search(r"^TimeoutStopSec=(\d+)", f.read(), re.M)
    return int(m.group(1)) if m else 90


def test_retention(tmp):
    """The retention rule (retention.h, vigil.conf(5)) under a fast looping
    replay that writes flows much faster than a link would. What is checked
    does not depend on how fast the machine is: the daemon runs until
    retention has trimmed the database several times (however long that
    takes), and the verdict is on the rule's invariants after each pass and
    after the stop, never on sizes caught mid-race."""
    w = os.path.join(tmp, "retention")
    os.makedirs(w)
    files = ["pcap:" + os.path.join(DETECT, f) for f in
             ("behav_portscan.pcap", "sig_header.pcap", "behav_bruteforce.pcap",
              "behav_dns_tunnel.pcap", "benign_office.pcap")]
    sec = base_sections(w, source=files, replay_speed="fast", loop="yes")
    sec["detect"] = {"rules": [os.path.join(DETECT, "rulesets", "sig"),
                               os.path.join(DETECT, "rulesets", "behav")]}
    # packet time runs years ahead in a fast loop: only the size limit here
    sec["store"].update({"max_size": "2M", "retention_interval": "1s",
                         "flow_max_age": "3650d", "alert_max_age": "3650d"})
    sec["store"]["eve"] = ""
    d = Daemon(w, sec)
    db = os.path.join(w, "vigil.sqlite")
    limit = 2 << 20
    title = "retention: max_size 2M under a fast looping replay"
    passes_re = r"retention: removed the (\d+) oldest flows and (\d+) oldest alerts to " \
                r"stay under ([\d.]+) MiB: ([\d.]+) MiB in use \(flows ([\d.]+) MiB"
    # The files on disk, watched the whole run. The database is within
    # max_size after each pass (the passes' own measure, below); between
    # passes it also holds what the writer added since, and how much that
    # is depends on how fast the machine writes, so the file's peak is
    # reported, not judged. The WAL's bound is the design's, whatever the
    # speed: it is reset at every autocheckpoint (store.c: 2000 pages) and
    # emptied by every pass; twice that allows for a checkpoint a reader
    # held up and the batches written meanwhile.
    slack = 2000 * 4096
    peak = {"main": 0, "wal": 0, "both": 0, "samples": 0}
    watching = threading.Event()

    def watch():
        while not watching.is_set():
            main = os.path.getsize(db) if os.path.exists(db) else 0
            wal = os.path.getsize(db + "-wal") if os.path.exists(db + "-wal") else 0
            peak["main"] = max(peak["main"], main)
            peak["wal"] = max(peak["wal"], wal)
            peak["both"] = max(peak["both"], main + wal)
            peak["samples"] += 1
            time.sleep(0.02)
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    # three passes that trimmed flows while the replay went on; the
    # timeout only catches a daemon that never gets there
    ran = d.wait_log(passes_re, 3 * PATIENCE, count=3)
    t0 = time.time()
    rc = d.stop(timeout=unit_stop_timeout() + 30)
    stop_s = time.time() - t0
    watching.set()
    watcher.join()
    log = d.log()
    problems = []
    if not ran:
        problems.append("no three retention passes removed flows; log:\n%s" % tail(d))
    if stop_s > unit_stop_timeout():
        problems.append("SIGTERM took %.1f s, longer than the unit's TimeoutStopSec (%d s)"
                        % (stop_s, unit_stop_timeout()))
    if rc != 0:
        problems.append("exit %s; log:\n%s" % (rc, tail(d)))
    if problems:
        return R.check(title, problems)
    passes = [tuple(float(x) for x in m) for m in re.findall(passes_re, log)]
    # rule 4: every pass ends within the limit, alerts (under their half
    # here) are never removed for size, flows keep at least their half
    for removed, alerts_removed, under, in_use, flows_mib in passes:
        if in_use * 1048576 > limit or under * 1048576 != limit:
            problems.append("a pass ended with %.2f MiB in use, limit %.2f MiB" % (in_use, under))
        if alerts_removed:
            problems.append("a pass removed %d alerts although alerts are under their half"
                            % alerts_removed)
        if flows_mib * 1048576 < 0.45 * limit:
            problems.append("a pass left %.2f MiB of flows: the newest half of the limit "
                            "should stay" % flows_mib)
    if "stays above its limit" in log:
        problems.append("a pass could not get under the limit: %s"
                        % re.search(r".*stays above its limit.*", log).group(0))
    final = sum(os.path.getsize(p) for p in (db, db + "-wal") if os.path.exists(p))
    if final > limit:
        problems.append("database is %d bytes after the stop, limit %d" % (final, limit))
    if peak["both"] <= limit:
        # the pages in use outgrew the limit (three passes removed flows),
        # and they are all in the file or the WAL (which only a pass
        # empties): else the watch saw nothing
        problems.append("database + WAL never seen above the limit in %d samples "
                        "(peak %d bytes): the size watch saw nothing"
                        % (peak["samples"], peak["both"]))
    if peak["wal"] > 2 * slack:
        problems.append("the WAL reached %d bytes while running (2 x the %d of an "
                        "autocheckpoint)" % (peak["wal"], slack))
    flows, min_id, max_id = db_rows(db, "SELECT count(*), min(id), max(id) FROM flows")[0]
    if not flows or min_id is None or min_id <= 1:
        problems.append("old flows not removed (flows %s, ids %s..%s)" % (flows, min_id, max_id))
    elif flows != max_id - min_id + 1:
        problems.append("flows %d..%d with holes (%d rows): not removed oldest first"
                        % (min_id, max_id, flows))
    else:
        # the last row written is one of the flows ended by the stop: the
        # final pass ran after them and kept the newest
        last = db_rows(db, "SELECT reason FROM flows WHERE id = ?", (max_id,))[0][0]
        if last != "shutdown":
            problems.append("the newest flow row (id %d) ended by %s, not by the stop"
                            % (max_id, last))
    fbytes = db_rows(db, "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE aggregate = 1 AND "
                     "name IN (SELECT name FROM sqlite_schema WHERE tbl_name = 'flows')")[0][0]
    if fbytes < 0.45 * limit:
        problems.append("%d bytes of flows left: the newest half of the limit should stay"
                        % fbytes)
    alerts = db_rows(db, "SELECT count(*) FROM alerts")[0][0]
    links = db_rows(db, "SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM alert_flows "
                    "GROUP BY alert_id)")[0][0]
    if not alerts:
        problems.append("no alert left")
    if links > 1000:
        problems.append("an alert has %d links to flows (at most 1000 kept)" % links)
    R.check("%s: %d passes, each within the limit; %.2f MiB at the end (peak %.1f MiB, "
            "WAL %.1f MiB), %d newest flows (%.2f MiB) and %d alerts kept" %
            (title, len(passes), final / 1048576.0, peak["main"] / 1048576.0,
             peak["wal"] / 1048576.0, flows, fbytes / 1048576.0, alerts), problems)


# ---- 5b. a full disk ------------------------------------------------------------

class SmallFs:
    """A tmpfs of size_kib at path (root only), unmounted on exit."""

    def __init__(self, path, size_kib):
        self.path = path
        os.makedirs(path)
        sh("mount", "-t", "tmpfs", "-o", "size=%dk,mode=0755" % size_kib, "tmpfs", path)

    def free(self):
        st = os.statvfs(self.path)
        return st.f_bavail * st.f_frsize

    def fill(self, name, leave=0):
        """A file that takes all the free space but `leave` bytes. Unbuffered:
        the write that finds the disk full (the daemon fills it too) fails
        here, not again when the file is closed."""
        with open(os.path.join(self.path, name), "wb", buffering=0) as f:
            try:
                while self.free() > leave:
                    f.write(b"\0" * min(65536, max(4096, self.free() - leave)))
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        sh("umount", "-l", self.path, check=False)
        return False


def test_disk_full(tmp):
    """The database's file system fills up under a running daemon, twice:
    each episode is logged when it starts and when it ends (not once per
    run), /api/system shows the state and what was lost, and the web
    answers with the real reason, not "database is locked"."""
    title = "a full disk under the daemon: each episode logged, shown in /api/system, " \
            "the real reason in answers"
    if os.geteuid() != 0:
        print("skip  %s: mounting a small file system needs root" % title)
        return
    w = os.path.join(tmp, "diskfull")
    os.makedirs(w)
    port = free_port()
    files = ["pcap:" + os.path.join(DETECT, f) for f in
             ("behav_portscan.pcap", "sig_header.pcap", "benign_office.pcap")]
    problems = []
    with SmallFs(os.path.join(w, "fs"), 64 * 1024) as fs:
        sec = base_sections(w, source=files, replay_speed="fast", loop="yes")
        sec["detect"] = {"rules": [os.path.join(DETECT, "rulesets", "sig"),
                                   os.path.join(DETECT, "rulesets", "behav")]}
        # retention keeps the database small, so only the filler fills the disk
        sec["store"].update({"database": os.path.join(fs.path, "vigil.sqlite"), "eve": "",
                             "max_size": "2M", "retention_interval": "1s"})
        # the packet evidence outside the small file system: this test is
        # about the database's episodes (evidence gives way to it anyway)
        sec["evidence"] = {"dir": os.path.join(w, "evidence")}
        sec["web"] = {"listen": "127.0.0.1:%d" % port}
        d = Daemon(w, sec)
        t_start = time.time()
        tokfile = os.path.join(w, "state", "setup-token")
        api = Api(port)
        body = {"username": "admin", "password": "correct horse battery"}
        try:
            if not d.wait_log("vigil running") or not os.path.exists(tokfile):
                raise RuntimeError("did not start")
            token = open(tokfile).read().strip()
            # 1. full, before the admin exists: the setup answer says why
            fs.fill("filler1")
            if not d.wait_log(r"database: .*full.*counted as lost .*\(failure 1\)"):
                raise RuntimeError("no log line for the first failure")
            st, res = api.req("POST", "/api/setup", dict(body, token=token))
            err = (res or {}).get("error", "") if isinstance(res, dict) else str(res)
            if st == 201 or "full" not in err or "locked" in err:
                problems.append("setup while the disk is full: %s %s (want the real reason)"
                                % (st, res))
            # 2. room again: logged, and setup works
            os.unlink(os.path.join(fs.path, "filler1"))
            if not d.wait_log(r"database: writes work again after \d+ s; \d+ flows and \d+ "
                              r"alerts were lost"):
                problems.append("no log line when writes worked again")
            st, _ = api.req("POST", "/api/setup", dict(body, token=token))
            st2, me = api.req("POST", "/api/login", body)
            api.csrf = (me or {}).get("csrf") if isinstance(me, dict) else None
            if st != 201 or st2 != 200:
                raise RuntimeError("setup %s, login %s %s" % (st, st2, me))
            end = time.time() + PATIENCE
            while True:
                st, sysinfo = api.req("GET", "/api/system")
                dbw = ((sysinfo or {}).get("writers") or {}).get("database") or {}
                if dbw.get("ok") or time.time() > end:
                    break
                time.sleep(0.2)
            if not (dbw.get("ok") is True and dbw.get("failures") == 1 and
                    dbw.get("flows_lost", 0) > 0 and dbw.get("error") is None and
                    "full" in (dbw.get("last_error") or "")):
                problems.append("/api/system after the first episode: %s" % dbw)
            # 3. full again: a second episode is logged, and shown
            fs.fill("filler2")
            if not d.wait_log(r"database: .*full.*counted as lost .*\(failure 2\)"):
                problems.append("the second failure was not logged")
            end = time.time() + PATIENCE
            while True:
                st, sysinfo = api.req("GET", "/api/system")
                dbw = ((sysinfo or {}).get("writers") or {}).get("database") or {}
                if st != 200 or dbw.get("ok") is False or time.time() > end:
                    break
                time.sleep(0.2)
            if not (st == 200 and dbw.get("ok") is False and dbw.get("failures") == 2 and
                    "full" in (dbw.get("error") or "") and
                    dbw.get("failing_since_us", 0) > 1600000000000000):
                problems.append("/api/system while the disk is full again: %s %s" % (st, dbw))
            os.unlink(os.path.join(fs.path, "filler2"))
        except (OSError, RuntimeError, ValueError, http.client.HTTPException) as e:
            problems.append("%s; log:\n%s" % (e, tail(d)))
        rc = d.stop(timeout=unit_stop_timeout() + 30)
    log = d.log()
    if rc != 1:
        problems.append("exit %s (1: records were lost)" % rc)
    # no line per lost record: an episode is a line when it starts and one
    # a minute while it lasts (both can last for the whole run), plus the
    # summary at the stop
    lines = len(re.findall(r"vigil: error: database: ", log))
    allowed = 2 + 1 + 2 * int((time.time() - t_start) / 60 + 1)
    if lines > allowed:
        problems.append("%d error lines about the database, at most %d expected (rate limit?)"
                        % (lines, allowed))
    if not re.search(r"database: \d+ flows and \d+ alerts of this run were not stored "
                     r"\(2 episode", log):
        problems.append("no summary of what was lost at the stop")
    if problems:
        problems.append("log (database lines):\n" + "\n".join(
            ln for ln in log.splitlines() if "database" in ln or "retention" in ln)[-3000:])
    R.check(title, problems)


def test_disk_full_counts(tmp):
    """One fast pass over captures with the database on a file system that
    has room for its schema and little more: every flow record and every
    alert is either in the database or counted as lost in the stats event
    (nothing vanishes uncounted), and the run exits 1."""
    title = "a full disk during a replay: every flow and alert stored or counted lost " \
            "(EVE stats)"
    if os.geteuid() != 0:
        print("skip  %s: mounting a small file system needs root" % title)
        return
    w = os.path.join(tmp, "diskfull_counts")
    os.makedirs(w)
    files = ["pcap:" + os.path.join(DETECT, f) for f in
             ("behav_portscan.pcap", "sig_header.pcap", "behav_bruteforce.pcap",
              "behav_dns_tunnel.pcap", "benign_office.pcap")]
    problems = []
    with SmallFs(os.path.join(w, "fs"), 2048) as fs:
        # a database with its schema and a few flows, then no room for more
        # than its WAL index and a few pages
        db = os.path.join(fs.path, "vigil.sqlite")
        r = vt.run_vigil(["replay", "-q", "--db", db,
                          os.path.join(ROOT, "tests", "fixtures", "icmp.pcap")])
        if r.returncode != 0:
            return R.check(title, ["vigil replay: %s" % vt.short(r.stderr)])
        rows0 = db_rows(db, "SELECT count(*) FROM flows")[0][0]
        fs.fill("filler", leave=64 * 1024)
        sec = base_sections(w, source=files, replay_speed="fast", exit_when_done="yes")
        sec["detect"] = {"rules": [os.path.join(DETECT, "rulesets", "sig"),
                                   os.path.join(DETECT, "rulesets", "behav")]}
        # the capture of the first flows is older than the others: no ages
        sec["store"].update({"database": db, "flow_max_age": "3650d",
                             "alert_max_age": "3650d"})
        d = Daemon(w, sec)
        rc = d.wait_exit(PATIENCE)
        try:
            rows = db_rows(db, "SELECT count(*) FROM flows")[0][0] - rows0
            stored_alerts = db_rows(db, "SELECT coalesce(sum(count), 0) FROM alerts")[0][0]
        except sqlite3.Error as e:
            rows = stored_alerts = None
            problems.append("database: %s" % e)
    st = vt.stats_event(eve_events(os.path.join(w, "eve.json"))) or {}
    out = vt.dig(st, "stats.output") or {}
    ended, n_interim = vt.dig(st, "stats.flow.ended"), vt.dig(st, "stats.flow.interim")
    alerts = vt.dig(st, "stats.detect.alerts")
    if rc != 1:
        problems.append("exit %s (1: records were lost); log:\n%s" % (rc, tail(d)))
    if not out.get("db_flows_lost") or out.get("db_failures", 0) < 1:
        problems.append("stats.output: %s (flows should be lost)" % out)
    elif rows is not None:
        if rows + out["db_flows_lost"] != ended + n_interim:
            problems.append("%d flow rows stored + %d lost != %d ended + %d interim"
                            % (rows, out["db_flows_lost"], ended, n_interim))
        if stored_alerts + out["db_alerts_lost"] != alerts:
            problems.append("%d alerts stored + %d lost != %d raised"
                            % (stored_alerts, out["db_alerts_lost"], alerts))
    if not re.search(r"database: .*full.*\(failure 1\)", d.log()):
        problems.append("no log line for the failure")
    R.check("%s: %s stored, %s lost" % (title, rows, out.get("db_flows_lost")), problems)


# ---- 6. vigil run -n ---------------------------------------------------------

def test_check_mode(tmp):
    w = os.path.join(tmp, "check")
    os.makedirs(w)
    good = os.path.join(w, "good.conf")
    with open(good, "w") as f:
        f.write(conf_text({
            "capture": {"source": "pcap:" + DEMO, "replay_speed": "fast"},
            "detect": {"rules": os.path.join(ROOT, "rules", "default"),
                       "home_net": "10.0.0.0/8, 192.168.0.0/16"},
            "store": {"database": os.path.join(w, "x.sqlite"), "max_size": "512M",
                      "flow_max_age": "12h", "alert_max_age": "30d"},
            "web": {"listen": "127.0.0.1:8080"},
            "daemon": {"user": '""', "state_dir": w, "stats_interval": "1m"},
        }))
    r = vt.run_vigil(["run", "-n", "-c", good])
    R.check("vigil run -n: a good configuration prints 'configuration OK'",
            [] if r.returncode == 0 and vt.text(r.stdout).strip() == "configuration OK"
            else ["exit %s, stdout %r, stderr %s" % (r.returncode, vt.text(r.stdout),
                                                     vt.short(r.stderr))])
    for name in ("vigil.conf", "vigil-dev.conf"):
        if name == "vigil.conf":
            continue  # names user vigil and /etc/vigil: checked on the appliance
        r = vt.run_vigil(["run", "-n", "-c", os.path.join(ROOT, "firmware", "etc", name)],
                         cwd=ROOT)
        R.check("vigil run -n: firmware/etc/%s is OK" % name,
                [] if r.returncode == 0 else ["exit %s: %s" % (r.returncode,
                                                               vt.short(r.stderr))])
    bad = os.path.join(w, "bad.conf")
    lines = [
        "[capture]",                                   # 1
        "source = pcap:%s" % DEMO,                     # 2
        "replay_speed = slow",                         # 3
        "snaplen = 10",                                # 4
        "colour = blue",                               # 5
        "workers = 0",                                 # 6
        "[store]",                                     # 7
        "max_size = 2X",                               # 8
        "flow_max_age = 30x",                          # 9
        "[bogus]",                                     # 10
        "x = 1",                                       # 11
        "[web]",                                       # 12
        "listen = localhost:http",                     # 13
        "[daemon]",                                    # 14
        "log_level = loud",                            # 15
        "no equals sign here",                         # 16
        "user = no-such-user-vigil",                   # 17
        "[detect]",                                    # 18
        "home_net = 10.0.0.0/33",                      # 19
        "rules = %s" % os.path.join(DETECT, "rulesets", "bad", "unknown_keyword"),  # 20
    ]
    with open(bad, "w") as f:
        f.write("\n".join(lines) + "\n")
    r = vt.run_vigil(["run", "-n", "-c", bad])
    err = vt.text(r.stderr)
    want = {3: "replay_speed", 4: "snaplen", 5: "colour", 6: "workers", 8: "max_size",
            9: "flow_max_age", 10: "bogus", 13: "listen", 15: "log_level", 16: "key = value",
            17: "no-such-user-vigil", 19: "home_net"}
    problems = []
    if r.returncode != 1:
        problems.append("exit %s (want 1)" % r.returncode)
    if "configuration OK" in vt.text(r.stdout):
        problems.append("says configuration OK")
    for line, word in want.items():
        if not re.search(r"^%s:%d: .*%s" % (re.escape(bad), line, re.escape(word)), err, re.M):
            problems.append("no '%s:%d: ...%s...' line" % (os.path.basename(bad), line, word))
    if not re.search(r"unknown_keyword/\S+\.rules:\d+: ", err):
        problems.append("the rule set's problem is not reported as file:line: reason")
    if "x = 1" in err or ":11:" in err:
        problems.append("keys of an unknown section are reported one by one")
    if problems:
        problems.append("stderr:\n" + err[:2000])
    R.check("vigil run -n: a bad configuration gets file:line: reason for each of %d "
            "problems and exit 1" % (len(want) + 1), problems)
    r = vt.run_vigil(["run", "-c", bad])
    R.check("vigil run refuses to start with a bad configuration",
            [] if r.returncode == 1 else ["exit %s" % r.returncode])


# ---- 8. systemd notifications -----------------------------------------------

def test_notify(tmp):
    w = os.path.join(tmp, "notify")
    os.makedirs(w)
    path = os.path.join(w, "notify.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.settimeout(0.2)
    env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC="1000000")
    env.pop("WATCHDOG_PID", None)
    d = Daemon(w, base_sections(w, source="pcap:" + DEMO, replay_speed="recorded"), env=env)
    msgs = []

    def collect(seconds, until=None, count=1):
        end = time.time() + seconds
        while time.time() < end:
            try:
                msgs.append(s.recv(4096).decode())
            except socket.timeout:
                pass
            if until and sum(until in m for m in msgs) >= count:
                return True
        return False

    collect(PATIENCE, "READY=1")
    # WatchdogSec=1: the daemon pings every tick (about a second); two
    # pings, however long that takes here
    collect(PATIENCE, "WATCHDOG=1", count=2)
    d.p.send_signal(signal.SIGHUP)
    collect(PATIENCE, "RELOADING=1")
    collect(PATIENCE, "READY=1", count=2)
    d.stop()
    collect(PATIENCE, "STOPPING=1")
    s.close()
    allm = "\n--\n".join(msgs)
    problems = []
    seq = [m for m in msgs if re.search(r"READY=1|RELOADING=1|STOPPING=1", m)]
    kinds = [re.search(r"READY=1|RELOADING=1|STOPPING=1", m).group(0) for m in seq]
    if kinds[:4] != ["READY=1", "RELOADING=1", "READY=1", "STOPPING=1"]:
        problems.append("READY/RELOADING/READY/STOPPING sequence: %s" % kinds)
    if sum("WATCHDOG=1" in m for m in msgs) < 2:
        problems.append("fewer than 2 WATCHDOG=1 with WatchdogSec=1")
    if not any("STATUS=" in m for m in msgs):
        problems.append("no STATUS=")
    if d.rc != 0:
        problems.append("exit %s" % d.rc)
    if problems:
        problems.append("messages:\n" + allm[:1500])
    R.check("systemd: READY, WATCHDOG, STATUS, RELOADING/READY on SIGHUP, STOPPING",
            problems)


# ---- 9. the web's view: /api/system and reloads asked by the web -------------

class Api:
    """A signed-in client of the daemon's web API (TCP)."""

    def __init__(self, port):
        self.port = port
        self.cookie = None
        self.csrf = None

    def req(self, method, path, body=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        h = {"Content-Type": "application/json"}
        if self.cookie:
            h["Cookie"] = "vigil_session=" + self.cookie
        if self.csrf and method == "POST":
            h["X-CSRF-Token"] = self.csrf
        c.request(method, path, json.dumps(body) if body is not None else None, h)
        r = c.getresponse()
        data = r.read()
        for k, v in r.getheaders():
            m = re.match(r"vigil_session=([^;]*)", v) if k.lower() == "set-cookie" else None
            if m:
                self.cookie = m.group(1)
        c.close()
        try:
            return r.status, json.loads(data) if data else None
        except ValueError:
            return r.status, data


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_web(tmp):
    w = os.path.join(tmp, "web")
    os.makedirs(w)
    port = free_port()
    sec = base_sections(w, source="pcap:" + os.path.join(DETECT, "sig_header.pcap"),
                        replay_speed="fast")
    sec["detect"] = {"rules": os.path.join(DETECT, "rulesets", "sig")}
    sec["web"] = {"listen": "127.0.0.1:%d" % port}
    sec["daemon"]["stats_interval"] = "1s"
    d = Daemon(w, sec)
    title = "web: /api/system shows the daemon's status; a suppression reloads the rules"
    problems = []
    db = os.path.join(w, "vigil.sqlite")
    if not wait_alerts(d, w, 20):
        d.stop()
        return R.check(title, ["no setup token or the daemon died; log:\n" + tail(d)])
    try:
        api = signed_in_api(d, w, port)
        # the status is refreshed once a second: ask until the replay's
        # 224 packets show (a wrong count shows as the last answer)
        end = time.time() + PATIENCE
        while True:
            st, sysinfo = api.req("GET", "/api/system")
            cap = (sysinfo or {}).get("capture") or [{}]
            if st != 200 or cap[0].get("packets") == 224 or time.time() > end:
                break
            time.sleep(0.2)
        rs = (sysinfo or {}).get("rulesets") or []
        if st != 200 or sysinfo.get("version") is None or "uptime_s" not in sysinfo:
            problems.append("GET /api/system: %s %s" % (st, sysinfo))
        elif cap[0].get("packets") != 224 or not cap[0].get("name", "").startswith("pcap:"):
            problems.append("capture: %s" % cap)
        elif not rs or rs[0].get("signatures", 0) < 20 or rs[0].get("problems") != []:
            problems.append("rulesets: %s" % rs)
        elif sysinfo.get("last_reload") is not None:
            problems.append("last_reload before any reload: %s" % sysinfo.get("last_reload"))
        aid = db_rows(db, "SELECT id FROM alerts ORDER BY id LIMIT 1")[0][0]
        st, res = api.req("POST", "/api/alerts/%d/suppress" % aid, {"track": "all", "reason": "test"})
        if st != 200 or not (res or {}).get("reloaded"):
            problems.append("suppress: %s %s" % (st, res))
        if not d.wait_log(r"rules reloaded: .* 1 suppressions .*\(asked by the web\)"):
            problems.append("no 'rules reloaded ... (asked by the web)' in the log")
        st, sysinfo = api.req("GET", "/api/system")
        lr = (sysinfo or {}).get("last_reload") or {}
        if not lr.get("ok") or not lr.get("ts_us") or "rules reloaded" not in lr.get("message", ""):
            problems.append("last_reload after the suppression: %s" % lr)
        managed = [x for x in (sysinfo or {}).get("rulesets", []) if x.get("dir", "").endswith("/rules")]
        if not managed:
            problems.append("the managed rule directory is not listed: %s" % sysinfo.get("rulesets"))
        # a broken managed file: the next reload is refused, the old set stays
        with open(os.path.join(w, "state", "rules", "suppress.conf"), "a") as f:
            f.write("suppress this is not a line\n")
        aid2 = db_rows(db, "SELECT id FROM alerts ORDER BY id LIMIT 1 OFFSET 1")[0][0]
        st, res = api.req("POST", "/api/alerts/%d/suppress" % aid2, {"track": "all", "reason": "test"})
        if (res or {}).get("reloaded") is not False:
            problems.append("suppress with a broken suppress.conf: %s %s" % (st, res))
        st, sysinfo = api.req("GET", "/api/system")
        lr = (sysinfo or {}).get("last_reload") or {}
        if lr.get("ok") is not False or "reload refused: 1 problem" not in lr.get("message", ""):
            problems.append("last_reload after a refused reload: %s" % lr)
    except (OSError, RuntimeError, ValueError, IndexError, http.client.HTTPException) as e:
        problems.append("web API: %s" % e)
    if not d.alive():
        problems.append("the daemon died")
    rc = d.stop()
    if rc != 0:
        problems.append("exit %s" % rc)
    if problems:
        problems.append("log:\n" + tail(d))
    R.check(title, problems)


# ---- 9c. suppression counts: kept over reloads and restarts -----------------

def suppressions_entry(api, text):
    st, res = api.req("GET", "/api/suppressions")
    for e in (res or {}).get("entries", []) if st == 200 else []:
        if e.get("text") == text:
            return e
    return None


def test_suppress_counts(tmp):
    """Issue 14.5: each suppression's silenced alerts are counted by the
    sensor and kept in the database: a looping replay raises alerts, an entry added from an alert's page silences them and
    its count goes up pass after pass; a SIGHUP reload, a reload asked by
    the web and a restart keep it (the restart replays a capture that
    raises none of them: the count is what the first run left)."""
    w = os.path.join(tmp, "supcount")
    os.makedirs(w)
    port = free_port()
    sec = base_sections(w, source="pcap:" + os.path.join(DETECT, "sig_header.pcap"),
                        replay_speed="fast", loop="yes")
    sec["detect"] = {"rules": os.path.join(DETECT, "rulesets", "sig")}
    sec["web"] = {"listen": "127.0.0.1:%d" % port}
    sec["daemon"]["stats_interval"] = "1s"
    title = "suppressions: silenced alerts counted, kept over SIGHUP, web reload and restart"
    problems = []
    db = os.path.join(w, "vigil.sqlite")
    d = Daemon(w, sec)
    if not wait_alerts(d, w, 5):
        d.stop()
        return R.check(title, ["no setup token or the daemon died; log:\n" + tail(d)])

    def count_above(api, text, floor):
        """The entry once its count exceeds floor (or the last seen)."""
        e, end = None, time.time() + PATIENCE
        while time.time() < end:
            e = suppressions_entry(api, text)
            if e and (e.get("silenced") or 0) > floor:
                break
            time.sleep(0.2)
        return e or {}

    line, final = None, None
    try:
        api = signed_in_api(d, w, port)
        aid = db_rows(db, "SELECT id FROM alerts ORDER BY id LIMIT 1")[0][0]
        st, res = api.req("POST", "/api/alerts/%d/suppress" % aid,
                          {"track": "all", "reason": "counted"})
        line = (res or {}).get("line")
        if st != 200 or not (res or {}).get("reloaded") or not line:
            raise RuntimeError("suppress: %s %s" % (st, res))
        # (whether it has silenced any yet depends on how fast the loop
        # runs: the entry that never fires shows a new entry's 0 below)
        e1 = count_above(api, line, 0)
        c1 = e1.get("silenced") or 0
        if not c1 or not e1.get("last_silenced_us"):
            problems.append("the next passes: silenced > 0 with a time: %s" % e1)
        e2 = count_above(api, line, c1)
        c2 = e2.get("silenced") or 0
        if c2 <= c1:
            problems.append("another pass: the count goes up (%d, then %s)" % (c1, e2))
        d.p.send_signal(signal.SIGHUP)
        if not d.wait_log(r"rules reloaded", count=2):     # the web's, then this one
            problems.append("no 'rules reloaded' after SIGHUP")
        e3 = suppressions_entry(api, line) or {}
        if (e3.get("silenced") or 0) < c2:
            problems.append("after SIGHUP the count went down: %d -> %s" % (c2, e3))
        e3 = count_above(api, line, max(c2, e3.get("silenced") or 0))
        c3 = e3.get("silenced") or 0
        if c3 <= c2:
            problems.append("after SIGHUP the entry counts on: %d -> %s" % (c2, e3))
        # a reload asked by the web: another entry added on the page
        st, res = api.req("POST", "/api/suppressions", {"gen_id": 1, "sig_id": 4294967295,
                                                        "track": "all", "reason": "other"})
        if st != 201 or not (res or {}).get("reloaded"):
            problems.append("add an entry (web reload): %s %s" % (st, res))
        e4 = count_above(api, line, c3)
        c4 = e4.get("silenced") or 0
        if c4 <= c3:
            problems.append("after the web's reload the entry counts on: %d -> %s" % (c3, e4))
        other = suppressions_entry(api, "suppress gen_id 1, sig_id 4294967295") or {}
        if other.get("silenced") != 0 or other.get("last_silenced_us", 0) is not None:
            problems.append("an entry that silenced nothing: 0, no time: %s" % other)
    except (OSError, RuntimeError, ValueError, IndexError, http.client.HTTPException) as e:
        problems.append("web API: %s" % e)
    rc = d.stop()
    if rc != 0:
        problems.append("exit %s" % rc)
    if problems:
        problems.append("log:\n" + tail(d))
        return R.check(title, problems)
    try:
        final = db_rows(db, "SELECT sum(silenced) FROM suppress_counts")[0][0]
    except sqlite3.Error as e:
        problems.append("read suppress_counts: %s" % e)
    if not final or final < c4:
        problems.append("after the stop the database holds %s, the page showed %d" % (final, c4))

    # a restart on a capture that raises none of those alerts
    sec["capture"] = {"source": "pcap:" + os.path.join(ROOT, "tests", "fixtures", "icmp.pcap"),
                      "replay_speed": "fast"}
    d = Daemon(w, sec)
    try:
        api = Api(port)
        end, st2, me = time.time() + PATIENCE, None, None
        while time.time() < end and d.alive():
            try:
                st2, me = api.req("POST", "/api/login", {"username": "admin",
                                                         "password": "correct horse battery"})
                if st2 == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        if st2 != 200:
            raise RuntimeError("login after the restart: %s %s" % (st2, me))
        e5 = suppressions_entry(api, line) or {}
        if e5.get("silenced") != final or not e5.get("last_silenced_us"):
            problems.append("after the restart: silenced %s (the first run left %s): %s"
                            % (e5.get("silenced"), final, e5))
    except (OSError, RuntimeError, ValueError, IndexError, http.client.HTTPException) as e:
        problems.append("web API after the restart: %s" % e)
    rc = d.stop()
    if rc != 0:
        problems.append("exit %s after the restart" % rc)
    if problems:
        problems.append("log:\n" + tail(d))
    R.check(title + " (%s silenced)" % final, problems)


# ---- 9b. recurrence: a triaged alert that fires again -------------------------

def test_recur(tmp):
    """[store] recur (default acknowledged): an acknowledged alert that fires
    again is new again, with an audit row by (sensor); a false positive
    stays closed; the alert's detail shows the recurrence, the list and the
    detail give when it recurred (recurred_us). A bad value is
    file:line: reason."""
    w = os.path.join(tmp, "recur")
    os.makedirs(w)
    title = ("recur: an acknowledged alert that fires again is new (audited, in its "
             "history); a false positive stays closed; a bad value is file:line")
    problems = []
    bad = base_sections(w, source="pcap:" + os.path.join(DETECT, "sig_header.pcap"))
    bad["store"]["recur"] = "acknowledged, sometimes"
    conf = os.path.join(w, "bad.conf")
    with open(conf, "w") as f:
        f.write(conf_text(bad))
    r = vt.run_vigil(["run", "-n", "-c", conf])
    line = conf_text(bad).splitlines().index("recur = acknowledged, sometimes") + 1
    if r.returncode == 0 or ("bad.conf:%d:" % line) not in vt.text(r.stderr) or \
            "sometimes" not in vt.text(r.stderr):
        problems.append("recur = acknowledged, sometimes: exit %s, %s"
                        % (r.returncode, vt.short(r.stderr)))
    port = free_port()
    sec = base_sections(w, source="pcap:" + os.path.join(DETECT, "sig_header.pcap"),
                        replay_speed="fast", loop="yes")
    sec["detect"] = {"rules": os.path.join(DETECT, "rulesets", "sig")}
    sec["web"] = {"listen": "127.0.0.1:%d" % port}
    d = Daemon(w, sec)
    db = os.path.join(w, "vigil.sqlite")
    try:
        end = time.time() + PATIENCE
        ids = []
        while time.time() < end and d.alive() and len(ids) < 2:
            try:
                ids = [x[0] for x in db_rows(db, "SELECT id FROM alerts ORDER BY id LIMIT 2")]
            except sqlite3.Error:
                ids = []
            time.sleep(0.1)
        if len(ids) < 2:
            raise RuntimeError("fewer than 2 alerts; log:\n" + tail(d))
        api = signed_in_api(d, w, port)
        a, b = ids
        st1, _ = api.req("POST", "/api/alerts/%d/status" % a, {"status": "acknowledged"})
        st2, _ = api.req("POST", "/api/alerts/%d/status" % b, {"status": "false_positive"})
        if st1 != 200 or st2 != 200:
            raise RuntimeError("status changes: %s %s" % (st1, st2))
        acked = db_rows(db, "SELECT max(id) FROM audit WHERE action = 'status'")[0][0]
        count_b = db_rows(db, "SELECT count FROM alerts WHERE id = ?", (b,))[0][0]
        # both fire again on the next passes of the loop
        end = time.time() + PATIENCE
        while time.time() < end:
            rows = dict(db_rows(db, "SELECT id, count FROM alerts WHERE id IN (?, ?)", (a, b)))
            rec = db_rows(db, "SELECT count(*) FROM audit WHERE action = 'recurred' AND target = ?"
                          " AND id > ?", (str(a), acked))[0][0]
            if rec and rows.get(b, 0) > count_b + 1:
                break
            time.sleep(0.1)
        st, da = api.req("GET", "/api/alerts/%d" % a)
        st2, dbb = api.req("GET", "/api/alerts/%d" % b)
        audit = db_rows(db, "SELECT username, target, detail FROM audit WHERE action = 'recurred'")
        if st != 200 or da.get("status") != "new":
            problems.append("the acknowledged alert after it fired again: %s %s"
                            % (st, (da or {}).get("status")))
        if (a and ("(sensor)", str(a), "acknowledged -> new: fired again") not in audit):
            problems.append("no audit row for the recurrence of %d: %s" % (a, audit[:3]))
        if any(t == str(b) for _, t, _ in audit):
            problems.append("the false positive recurred: %s" % audit)
        if st2 != 200 or dbb.get("status") != "false_positive" or dbb.get("count", 0) <= count_b:
            problems.append("the false positive: %s count %s (was %d)"
                            % ((dbb or {}).get("status"), (dbb or {}).get("count"), count_b))
        hist = (da or {}).get("history") or []
        if not hist or hist[0].get("action") != "recurred" or hist[0].get("user") != "(sensor)" or \
                not any(h.get("action") == "status" and h.get("user") == "admin" for h in hist):
            problems.append("the alert's history: %s" % hist[:3])
        # the "recurred" marker: when it last recurred, in the detail and the list
        if not da or da.get("recurred_us") != hist[0].get("ts_us") or "recurred_us" not in (dbb or {}) \
                or dbb.get("recurred_us") is not None:
            problems.append("recurred_us: %s (history %s), the false positive's %s"
                            % ((da or {}).get("recurred_us"), hist[:1], (dbb or {}).get("recurred_us")))
        st, lst = api.req("GET", "/api/alerts?limit=500")
        marks = {x["id"]: x.get("recurred_us") for x in (lst or {}).get("alerts", [])}
        if st != 200 or marks.get(a) != (da or {}).get("recurred_us") or marks.get(b, 0) is not None:
            problems.append("the list's recurred_us: %s %s" % (st, {k: marks.get(k, "-") for k in (a, b)}))
    except (OSError, RuntimeError, ValueError, IndexError, sqlite3.Error,
            http.client.HTTPException) as e:
        problems.append("%s" % e)
    rc = d.stop()
    if rc != 0:
        problems.append("exit %s" % rc)
    if problems:
        problems.append("log:\n" + tail(d))
    R.check(title, problems)


# ---- 2. live capture -----------------------------------------------------------

def live_sections(w, method, **extra):
    sec = base_sections(w, interface=HOST_IF, method=method)
    sec["capture"].update(extra)
    return sec


def run_live_traffic(w, method):
    """Daemon on HOST_IF; ping, DNS query, TCP exchange; SIGTERM."""
    d = Daemon(w, live_sections(w, method))
    if not d.wait_log("vigil running"):
        d.stop()
        return d, None
    replies = icmp_echo(5)
    dport, answered = dns_query()
    tport = tcp_exchange(8080)
    time.sleep(0.3)
    d.stop()
    return d, {"replies": replies, "dns_port": dport, "dns_answered": answered,
               "tcp_port": tport}


def test_live(tmp, method):
    w = os.path.join(tmp, "live_" + method)
    os.makedirs(w)
    d, sent = run_live_traffic(w, method)
    title = "live capture (%s) on a veth pair: flows in SQLite, packet counts" % method
    if sent is None or d.rc != 0:
        if method == "afpacket" and "no AF_PACKET" in d.log():
            print("skip  %s: this build has no AF_PACKET backend" % title)
            return
        return R.check(title, ["daemon exit %s; log:\n%s" % (d.rc, tail(d))])
    problems = []
    if sent["replies"] != 5 or not sent["dns_answered"]:
        problems.append("traffic did not get through: %s" % sent)
    db = os.path.join(w, "vigil.sqlite")
    q = ("SELECT proto, src_port, dest_port, pkts_toserver, pkts_toclient, app_proto, "
         "state FROM flows WHERE src_ip = ? AND dest_ip = ? AND interim = 0")
    rows = db_rows(db, q, (HOST_IP, NS_IP))
    icmp = [r for r in rows if r[0] == 1]
    udp = [r for r in rows if r[0] == 17 and r[1] == sent["dns_port"]]
    tcp = [r for r in rows if r[0] == 6 and r[1] == sent["tcp_port"]]
    if len(icmp) != 1 or icmp[0][3:5] != (5, 5):
        problems.append("ICMP flow with 5 requests and 5 replies: %s" % icmp)
    if len(udp) != 1 or udp[0][2] != 53 or udp[0][3:5] != (1, 1):
        problems.append("UDP flow to port 53 with 1 query and 1 answer: %s" % udp)
    if len(tcp) != 1 or tcp[0][2] != 8080 or tcp[0][3] < 3 or tcp[0][4] < 2:
        problems.append("TCP flow to port 8080: %s" % tcp)
    st = vt.stats_event(eve_events(os.path.join(w, "eve.json")))
    if not st:
        problems.append("no EVE stats event")
    else:
        dec = st["stats"]["decoder"]
        all_rows = db_rows(db, "SELECT proto, sum(pkts_toserver + pkts_toclient) FROM flows "
                               "GROUP BY proto")
        per = dict(all_rows)
        if dec.get("icmp") != 10:
            problems.append("stats: %s ICMP packets, 10 were sent" % dec.get("icmp"))
        if dec.get("udp") != per.get(17) or (per.get(17) or 0) < 2:
            problems.append("stats: %s UDP packets, flows hold %s" % (dec.get("udp"), per.get(17)))
        if dec.get("tcp") != per.get(6):
            problems.append("stats: %s TCP packets, flows hold %s" % (dec.get("tcp"), per.get(6)))
        if dec.get("pkts") != dec.get("decoded", 0) + dec.get("not_ip", 0):
            problems.append("stats: packets %s != decoded %s + not_ip %s"
                            % (dec.get("pkts"), dec.get("decoded"), dec.get("not_ip")))
        if st["stats"]["capture"].get("kernel_drops"):
            problems.append("kernel drops: %s" % st["stats"]["capture"])
    if problems:
        problems.append("log:\n" + tail(d))
    R.check(title, problems)


# ---- 3. reloads -------------------------------------------------------------------

RULE = 'alert tcp any any -> any %d (msg:"vigil test port %d"; sid:%d; rev:1;)\n'


def test_reload(tmp):
    w = os.path.join(tmp, "reload")
    rules = os.path.join(w, "rules")
    os.makedirs(rules)
    with open(os.path.join(rules, "local.rules"), "w") as f:
        f.write(RULE % (7771, 7771, 9000001))
    sec = live_sections(w, "pcap")
    sec["detect"] = {"rules": rules}
    d = Daemon(w, sec)
    problems = []
    if not d.wait_log("vigil running"):
        d.stop()
        return R.check("SIGHUP reloads", ["did not start; log:\n" + tail(d)])
    tcp_exchange(7772)                     # no rule for it yet
    with open(os.path.join(rules, "added.rules"), "w") as f:
        f.write(RULE % (7772, 7772, 9000002))
    d.p.send_signal(signal.SIGHUP)
    if not d.wait_log(r"rules reloaded: 2 signatures"):
        problems.append("no 'rules reloaded: 2 signatures' after SIGHUP")
    after_good = tcp_exchange(7772)
    with open(os.path.join(rules, "broken.rules"), "w") as f:
        f.write('alert tcp any any -> any 7773 (msg:"broken"; sid:9000003; nosuchkeyword;)\n')
    d.p.send_signal(signal.SIGHUP)
    if not d.wait_log(r"reload refused: 1 problem \(first: \S*broken\.rules:1: "):
        problems.append("no 'reload refused: 1 problem (first: .../broken.rules:1: ...)'")
    after_bad = tcp_exchange(7771)
    tcp_exchange(7773)
    time.sleep(0.3)
    if not d.alive():
        problems.append("the daemon died after the refused reload")
    rc = d.stop()
    if rc != 0:
        problems.append("exit %s" % rc)
    alerts = [e for e in eve_events(os.path.join(w, "eve.json"))
              if e.get("event_type") == "alert"]
    by_sid = {}
    for a in alerts:
        by_sid.setdefault(a["alert"]["signature_id"], set()).add(a.get("src_port"))
    if after_good not in by_sid.get(9000002, ()):
        problems.append("the rule added by the reload did not alert on a later flow: %s"
                        % by_sid)
    if after_bad not in by_sid.get(9000001, ()):
        problems.append("the old rules stopped alerting after a refused reload: %s" % by_sid)
    if 9000003 in by_sid:
        problems.append("the refused set's rule alerted")
    if problems:
        problems.append("log:\n" + tail(d))
    R.check("SIGHUP: a good rule set is swapped in (new rule alerts), a bad one is "
            "refused (old rules keep alerting, the daemon runs on)", problems)


# ---- 3b. reloads that meet files vigil must not read, and a slow one -------

class Pinger:
    """ICMP echo to NS_IP every 20 ms on a thread until stop(); counts
    the requests answered."""

    def __init__(self, ident):
        self.ident = ident
        self.sent = self.answered = 0
        self.halt = threading.Event()
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        s.settimeout(0.02)
        seq = 0
        try:
            while not self.halt.is_set():
                seq = (seq + 1) & 0xFFFF
                hdr = struct.pack("!BBHHH", 8, 0, 0, self.ident, seq)
                s.sendto(struct.pack("!BBHHH", 8, 0, checksum(hdr), self.ident, seq), (NS_IP, 0))
                self.sent += 1
                end = time.time() + 0.02
                while time.time() < end:
                    try:
                        data, _ = s.recvfrom(2048)
                    except socket.timeout:
                        break
                    ihl = (data[0] & 0x0F) * 4
                    t, _, _, i, q = struct.unpack("!BBHHH", data[ihl:ihl + 8])
                    if t == 0 and i == self.ident and q == seq:
                        self.answered += 1
                time.sleep(max(0.0, end - time.time()))
        finally:
            s.close()

    def stop(self):
        self.halt.set()
        self.t.join()
        return self.answered


def test_reload_bad_files(tmp):
    """SIGHUP with a FIFO, a directory, a /dev/zero symlink and an oversize
    file in the rule set: each reload is refused at once naming the file,
    the old rules stay, packets keep flowing, SIGTERM stops at once."""
    w = os.path.join(tmp, "reload_files")
    rules = os.path.join(w, "rules")
    os.makedirs(rules)
    with open(os.path.join(rules, "local.rules"), "w") as f:
        f.write(RULE % (7771, 7771, 9000011))
    sec = live_sections(w, "auto")
    sec["detect"] = {"rules": rules}
    d = Daemon(w, sec)
    title = ("SIGHUP with a FIFO, a directory, a /dev/zero symlink, an oversize file in "
             "the rule set: refused naming the file, capture goes on")
    if not d.wait_log("vigil running", 20):
        d.stop()
        return R.check(title, ["did not start; log:\n" + tail(d)])
    problems = []
    bad = [("zz.rules", lambda p: os.mkfifo(p), "not a regular file (a FIFO)"),
           ("local2.rules", lambda p: os.mkdir(p), "not a regular file (a directory)"),
           ("zero.rules", lambda p: os.symlink("/dev/zero", p),
            "not a regular file (a character device)"),
           ("big.rules", lambda p: open(p, "wb").truncate((64 << 20) + 1),
            "too large (64.1 MiB; at most 64 MiB)")]
    for n, (name, make, reason) in enumerate(bad, 1):
        path = os.path.join(rules, name)
        make(path)
        pinger = Pinger(0x5000 + n)
        d.p.send_signal(signal.SIGHUP)
        want = r"reload refused: 1 problem \(first: %s: %s\)" % (re.escape(path),
                                                                  re.escape(reason))
        if not d.wait_log(want, 20):
            problems.append("no '%s' in the log" % want.replace("\\", ""))
        time.sleep(0.3)
        if pinger.stop() < 3:
            problems.append("%s: %d of %d pings answered around the reload"
                            % (name, pinger.answered, pinger.sent))
        if os.path.isdir(path) and not os.path.islink(path):
            os.rmdir(path)
        else:
            os.unlink(path)
    after = tcp_exchange(7771)             # the old rule still alerts
    time.sleep(0.3)
    if not d.alive():
        problems.append("the daemon died")
    t0 = time.time()
    rc = d.stop()
    if rc != 0:
        problems.append("exit %s" % rc)
    if time.time() - t0 > 15:
        problems.append("SIGTERM took %.1f s" % (time.time() - t0))
    db = os.path.join(w, "vigil.sqlite")
    pings = db_rows(db, "SELECT sum(pkts_toserver) FROM flows WHERE proto = 1 AND "
                        "dest_ip = ?", (NS_IP,))[0][0] or 0
    if pings < 4 * 3:
        problems.append("%d echo requests in the flows: capture stopped?" % pings)
    alerts = [e for e in eve_events(os.path.join(w, "eve.json"))
              if e.get("event_type") == "alert"]
    if not any(a.get("src_port") == after and a["alert"]["signature_id"] == 9000011
               for a in alerts):
        problems.append("the rules in force stopped alerting")
    if problems:
        problems.append("log:\n" + tail(d))
    R.check(title, problems)


def test_reload_slow(tmp):
    """A reload that reads a big indicator list: packets go through the
    pipeline while the list is read (the daemon counts them), not only
    after the swap."""
    w = os.path.join(tmp, "reload_slow")
    rules = os.path.join(w, "rules")
    os.makedirs(os.path.join(rules, "ioc"))
    with open(os.path.join(rules, "local.rules"), "w") as f:
        f.write(RULE % (7771, 7771, 9000021))
    sec = live_sections(w, "auto")
    sec["detect"] = {"rules": rules}
    d = Daemon(w, sec)
    title = "SIGHUP reading 2M indicators: packets go through while the set is read"
    if not d.wait_log("vigil running", 20):
        d.stop()
        return R.check(title, ["did not start; log:\n" + tail(d)])
    # 2M addresses: a read of a good part of a second even on a fast
    # machine, many ping intervals (20 ms) on any
    with open(os.path.join(rules, "ioc", "big.txt"), "w") as f:
        f.writelines("11.%d.%d.%d\n" % (i >> 16, (i >> 8) & 255, i & 255)
                     for i in range(2000000))
    pinger = Pinger(0x6000)
    time.sleep(0.2)
    d.p.send_signal(signal.SIGHUP)
    pat = (r"rules reloaded: 1 signatures, 2000000 indicators.*\(read in ([\d.]+) s while "
           r"(\d+) packets went through\)")
    ok = d.wait_log(pat, 300)
    pinger.stop()
    problems = []
    m = re.search(pat, d.log())
    if not ok or not m:
        problems.append("no '%s' in the log" % pat)
    elif int(m.group(2)) == 0:
        problems.append("no packet went through in the %s s the set was read" % m.group(1))
    rc = d.stop()
    if rc != 0:
        problems.append("exit %s" % rc)
    if problems:
        problems.append("log:\n" + tail(d))
    R.check(title + (" (%s s, %s packets)" % (m.group(1), m.group(2)) if m else ""),
            problems)


# ---- 3c. interfaces that are missing, appear, and go away -------------------

def late_pair_up():
    """veth-v2 here (10.124.0.1) <-> veth-v3 in the namespace (10.124.0.2)."""
    sh("ip", "link", "add", LATE_IF, "type", "veth", "peer", "name", LATE_NS_IF, "netns", NS)
    sh("ip", "addr", "add", LATE_IP + "/24", "dev", LATE_IF)
    sh("sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % LATE_IF)
    sh("ip", "link", "set", LATE_IF, "up")
    sh("ip", "netns", "exec", NS, "ip", "addr", "add", LATE_NS_IP + "/24", "dev", LATE_NS_IF)
    sh("ip", "netns", "exec", NS, "sysctl", "-qw",
       "net.ipv6.conf.%s.disable_ipv6=1" % LATE_NS_IF)
    sh("ip", "netns", "exec", NS, "ip", "link", "set", LATE_NS_IF, "up")


def signed_in_api(d, w, port, wait=20):
    """An Api on the daemon's web signed in as a new admin after the
    first-start setup (the token from state_dir, waited for wait s)."""
    tokfile = os.path.join(w, "state", "setup-token")
    end = time.time() + wait
    while time.time() < end and not os.path.exists(tokfile) and d.alive():
        time.sleep(0.05)
    api = Api(port)
    token = open(tokfile).read().strip()
    st, _ = api.req("POST", "/api/setup", {"token": token, "username": "admin",
                                           "password": "correct horse battery"})
    st2, me = api.req("POST", "/api/login", {"username": "admin",
                                             "password": "correct horse battery"})
    api.csrf = (me or {}).get("csrf") if isinstance(me, dict) else None
    if st != 201 or st2 != 200 or not api.csrf:
        raise RuntimeError("setup %s, login %s %s" % (st, st2, me))
    return api


def wait_alerts(d, w, n):
    """Wait (PATIENCE at most) for the setup token and n alerts in the
    database; whether the daemon lives and its token is there."""
    db = os.path.join(w, "vigil.sqlite")
    tokfile = os.path.join(w, "state", "setup-token")
    end = time.time() + PATIENCE
    while time.time() < end and d.alive():
        if os.path.exists(tokfile) and os.path.exists(db):
            try:
                if db_rows(db, "SELECT count(*) FROM alerts")[0][0] >= n:
                    break
            except sqlite3.Error:
                pass
        time.sleep(0.1)
    return d.alive() and os.path.exists(tokfile)


def iface_status(api):
    st, sysinfo = api.req("GET", "/api/system")
    if st != 200:
        raise RuntimeError("GET /api/system: %s %s" % (st, sysinfo))
    return {c.get("name"): c for c in sysinfo.get("capture", [])}


def wait_status(api, ok, timeout=30):
    """/api/system's interfaces once ok(them) holds (the status takes the
    sources' states once a second), or the last seen after timeout."""
    end = time.time() + timeout
    caps = iface_status(api)
    while not ok(caps) and time.time() < end:
        time.sleep(0.2)
        caps = iface_status(api)
    return caps


def test_interface_comes_and_goes(tmp):
    """interface = veth-v0, veth-v2 with veth-v2 absent: the daemon runs and
    captures veth-v0; veth-v2 is captured once it is made and reported
    missing again once it is deleted, while veth-v0 goes on; the states
    are in the log, the EVE stats events and /api/system. The daemon runs
    as nobody without capabilities: following an interface needs none."""
    w = os.path.join(tmp, "late_iface")
    os.makedirs(w)
    os.chmod(tmp, 0o755)
    os.chmod(w, 0o755)
    sh("ip", "link", "del", LATE_IF, check=False)
    port = free_port()
    state = os.path.join(w, "state")
    sec = base_sections(w, interface="%s, %s" % (HOST_IF, LATE_IF), method="auto")
    sec["store"] = {"database": os.path.join(state, "vigil.sqlite"),
                    "eve": os.path.join(state, "eve.json")}
    sec["web"] = {"listen": "127.0.0.1:%d" % port}
    sec["daemon"].update({"stats_interval": "1s", "user": "nobody"})
    d = Daemon(w, sec)
    title = ("interface = %s, %s with %s absent (as nobody): the other is captured, %s is "
             "captured once made and missing again once deleted (log, EVE stats, "
             "/api/system)" % (HOST_IF, LATE_IF, LATE_IF, LATE_IF))
    problems = []
    if not d.wait_log("vigil running", 20):
        d.stop()
        return R.check(title, ["did not start; log:\n" + tail(d)])
    try:
        if not d.wait_log(r"%s: missing \(no such interface\)" % LATE_IF, 10):
            problems.append("no '%s: missing (no such interface)' in the log" % LATE_IF)
        api = signed_in_api(d, w, port)
        first = icmp_echo(3, ident=0x7001)
        caps = wait_status(api, lambda c: LATE_IF in c)
        a, b = caps.get(HOST_IF, {}), caps.get(LATE_IF, {})
        if a.get("state") != "capturing" or a.get("error") is not None:
            problems.append("/api/system %s at the start: %s" % (HOST_IF, a))
        if b.get("state") != "missing" or "no such interface" not in (b.get("error") or ""):
            problems.append("/api/system %s at the start: %s" % (LATE_IF, b))
        st, clk = api.req("GET", "/api/clock")
        if st != 200 or clk.get("live") is not True:
            problems.append("GET /api/clock with live interfaces: %s %s" % (st, clk))

        late_pair_up()
        # retried with a backoff of at most 30 s
        if not d.wait_log(r"%s: capturing with" % LATE_IF, 60):
            problems.append("%s was made but is not captured" % LATE_IF)
        late = icmp_echo(3, ident=0x7002, dst=LATE_NS_IP)
        b = wait_status(api, lambda c: c.get(LATE_IF, {}).get("state") == "capturing" and
                        c.get(LATE_IF, {}).get("packets")).get(LATE_IF, {})
        if b.get("state") != "capturing" or not b.get("packets"):
            problems.append("/api/system %s once made: %s" % (LATE_IF, b))
        # and a stats event that says so, before the deletion
        if not d.wait_log(r"stats: interfaces: .*%s capturing \([1-9]" % LATE_IF, 30):
            problems.append("no stats line with %s capturing" % LATE_IF)

        sh("ip", "link", "del", LATE_IF)
        if not d.wait_log(r"%s: missing \(no such interface\)" % LATE_IF, 20, count=2):
            problems.append("no second '%s: missing' after it was deleted" % LATE_IF)
        after = icmp_echo(3, ident=0x7003)
        caps = wait_status(api, lambda c: c.get(LATE_IF, {}).get("state") == "missing")
        a, b = caps.get(HOST_IF, {}), caps.get(LATE_IF, {})
        if a.get("state") != "capturing" or b.get("state") != "missing":
            problems.append("/api/system after the deletion: %s" % caps)
        if (first, late, after) != (3, 3, 3):
            problems.append("pings answered: %s, %s, %s of 3 each" % (first, late, after))
    except (OSError, RuntimeError, ValueError, http.client.HTTPException) as e:
        problems.append("%s" % e)
    if not d.alive():
        problems.append("the daemon died")
    rc = d.stop()
    if rc != 0:
        problems.append("exit %s" % rc)
    db = os.path.join(state, "vigil.sqlite")
    icmp = dict(((r[0], r[1]), r[2]) for r in db_rows(
        db, "SELECT src_ip, dest_ip, sum(pkts_toserver) FROM flows WHERE proto = 1 "
            "GROUP BY 1, 2"))
    if icmp.get((HOST_IP, NS_IP), 0) < 6:
        problems.append("%s: %s echo requests stored, 6 sent" % (HOST_IF,
                                                               icmp.get((HOST_IP, NS_IP))))
    if icmp.get((LATE_IP, LATE_NS_IP), 0) < 3:
        problems.append("%s: %s echo requests stored, 3 sent" % (LATE_IF,
                                                               icmp.get((LATE_IP, LATE_NS_IP))))
    stats = [e for e in eve_events(os.path.join(state, "eve.json"))
             if e.get("event_type") == "stats"]
    seen = set()
    for e in stats:
        for f in vt.dig(e, "vigil.capture.interfaces") or []:
            seen.add((f.get("name"), f.get("state")))
    for want in ((HOST_IF, "capturing"), (LATE_IF, "missing"), (LATE_IF, "capturing")):
        if want not in seen:
            problems.append("no EVE stats event with %s %s: %s" % (want + (sorted(seen),)))
    # the last one is written at the stop
    last = (vt.dig(stats[-1], "vigil.capture.interfaces") or []) if stats else []
    if [f.get("state") for f in last] != ["capturing", "missing"]:
        problems.append("the last stats event: %s" % last)
    if problems:
        problems.append("log:\n" + tail(d, 3000))
    R.check(title, problems)


def test_no_interface_yet(tmp):
    """Every interface missing at the start: with AF_PACKET the daemon
    runs and waits for them (exit 0 on SIGTERM); with libpcap and a
    privilege drop nothing could ever be opened: exit 1 at once."""
    w = os.path.join(tmp, "no_iface")
    os.makedirs(w)
    d = Daemon(w, base_sections(w, interface="veth-v8, veth-v9", method="afpacket"))
    problems = []
    if not d.wait_log("vigil running", 20):
        problems.append("AF_PACKET, both missing: did not start; log:\n" + tail(d))
    elif not d.wait_log(r"veth-v9: missing \(no such interface\)", 5):
        problems.append("no 'veth-v9: missing' line; log:\n" + tail(d))
    time.sleep(1.5)
    if not d.alive():
        problems.append("AF_PACKET, both missing: the daemon died; log:\n" + tail(d))
    rc = d.stop()
    if rc != 0:
        problems.append("AF_PACKET, both missing: exit %s" % rc)
    w2 = os.path.join(tmp, "no_iface_pcap")
    os.makedirs(w2)
    sec = base_sections(w2, interface="veth-v9", method="pcap")
    sec["daemon"]["user"] = "nobody"
    d2 = Daemon(w2, sec)
    rc = d2.wait_exit(30)
    if rc != 1 or "no interface can ever capture" not in d2.log():
        problems.append("pcap and a privilege drop, missing: exit %s; log:\n%s" % (rc, tail(d2)))
    R.check("every interface missing at the start: AF_PACKET waits for them; pcap "
            "after a privilege drop cannot, exit 1", problems)


# ---- 7. privilege drop ---------------------------------------------------------------

def proc_status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            k, _, v = ln.partition(":")
            out[k] = v.split()
    return out


def test_privdrop(tmp):
    w = os.path.join(tmp, "privdrop")
    os.makedirs(w)
    os.chmod(tmp, 0o755)
    os.chmod(w, 0o755)
    state = os.path.join(w, "state")
    sec = live_sections(w, "auto")
    sec["store"] = {"database": os.path.join(state, "vigil.sqlite"),
                    "eve": os.path.join(state, "eve.json")}
    sec["daemon"] = {"state_dir": state, "user": "nobody", "log_level": "info"}
    d = Daemon(w, sec)
    problems = []
    if not d.wait_log("vigil running"):
        d.stop()
        return R.check("privilege drop", ["did not start; log:\n" + tail(d)])
    st = proc_status(d.p.pid)
    nobody = str(__import__("pwd").getpwnam("nobody").pw_uid)
    if st.get("Uid") != [nobody] * 4:
        problems.append("Uid: %s" % st.get("Uid"))
    for cap in ("CapEff", "CapPrm", "CapInh", "CapAmb"):
        if st.get(cap) and int(st[cap][0], 16) != 0:
            problems.append("%s: %s" % (cap, st[cap][0]))
    if st.get("NoNewPrivs") != ["1"]:
        problems.append("NoNewPrivs: %s" % st.get("NoNewPrivs"))
    got = icmp_echo(3, ident=0x4343)
    time.sleep(0.3)
    rc = d.stop()
    if rc != 0:
        problems.append("exit %s" % rc)
    rows = db_rows(os.path.join(state, "vigil.sqlite"),
                   "SELECT pkts_toserver, pkts_toclient FROM flows WHERE proto = 1")
    if got != 3 or rows != [(3, 3)]:
        problems.append("capture after the drop: %d replies, ICMP flows %s" % (got, rows))
    if problems:
        problems.append("log:\n" + tail(d))
    R.check("privilege drop to nobody: uid %s, no capabilities, no_new_privs, capture "
            "goes on" % nobody, problems)


# ---- main -----------------------------------------------------------------------------

def main():
    tmp = tempfile.mkdtemp(prefix="vigil-daemon.")
    try:
        test_check_mode(tmp)
        test_replay_fast(tmp)
        test_replay_fast(tmp, workers=2)
        test_recorded_files(tmp)
        test_first_fast(tmp)
        test_sigterm_recorded(tmp)
        test_notify(tmp)
        test_retention(tmp)
        test_disk_full(tmp)
        test_disk_full_counts(tmp)
        test_web(tmp)
        test_suppress_counts(tmp)
        test_recur(tmp)
        if os.geteuid() != 0:
            print("skip  live capture, reloads and privilege drop: they need root "
                  "(network namespace, raw sockets)")
        elif any("qemu" in os.path.basename(a) for a in vt.vigil_cmd()):
            print("skip  live capture, reloads and privilege drop: qemu-user does not "
                  "emulate packet sockets' options (run them natively)")
        elif not shutil.which("ip"):
            print("skip  live capture, reloads and privilege drop: no 'ip' (iproute2)")
        else:
            try:
                with Netns():
                    test_live(tmp, "pcap")
                    test_live(tmp, "afpacket")
                    test_reload(tmp)
                    test_reload_bad_files(tmp)
                    test_reload_slow(tmp)
                    test_interface_comes_and_goes(tmp)
                    test_no_interface_yet(tmp)
                    test_privdrop(tmp)
            except (OSError, RuntimeError) as e:
                R.check("network namespace for the live checks", [str(e)])
    finally:
        if os.environ.get("VIGIL_KEEP"):
            print("kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return R.summary()


if __name__ == "__main__":
    sys.exit(main())
