"""check_board.py - the status LED and the watchdog report of `vigil run`
(drivers/board, firmware/src/daemon/daemon_board.c), python3 standard library only.

A real /sys/class/leds LED is not available on a build machine, so the
daemon gets a made-up sysfs tree (VIGIL_SYSFS): plain files laid out as the
kernel's, which the driver writes exactly as it writes the kernel's
attributes (one write of the value at offset 0). The test reads them as the
daemon goes through capture up, a low-severity alert, a high-severity
alert, its acknowledgement through the web API, capture down (SIGTERM, a
replay that ends), a kill (then `vigil led off`, as vigil.service's
ExecStopPost does), and, as root, the privilege drop (the LED's files are
root's 0644; the daemon keeps the descriptors it opened as root).
Prints "board: N passed, M failed" last.
"""

import os
import re
import shutil
import signal
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import vigil_test as vt  # noqa: E402
import check_daemon as cd  # noqa: E402

ROOT = vt.ROOT
R = vt.Results("board")
POLL_S = 2.0         # DAEMON_BOARD_POLL_S
TRIGGERS = "none rc-feedback kbd-scrolllock [mmc0] timer heartbeat default-on\n"
LOW = 'alert tcp any any -> any 80 (msg:"LED test low"; priority:3; sid:9900002; rev:1;)\n'
HIGH = 'alert tcp any any -> any 80 (msg:"LED test high"; priority:1; sid:9900001; rev:1;)\n'


def write_pcap(path, n=3, gap=0.2, tail_s=None):
    """n short HTTP sessions 10.9.0.1 -> 10.9.0.2:80 (handshake, request,
    response, reset), gap seconds between packets: nDPI has the flow's
    application at the response, when the signatures run. tail_s: one
    more packet (elsewhere) that long after the start, so that a looping
    replay's next pass comes after these flows have ended (10 s after the
    reset) and makes new ones, which the rules in force then judge."""
    def csum(b):
        b = b + b"\0" * (len(b) % 2)
        s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
        s = (s >> 16) + (s & 0xffff)
        return ~(s + (s >> 16)) & 0xffff

    src, dst = bytes([10, 9, 0, 1]), bytes([10, 9, 0, 2])

    def frame(a, b, sport, dport, seq, ack, flags, payload=b""):
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
        pseudo = a + b + struct.pack("!BBH", 0, 6, len(tcp) + len(payload))
        tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp + payload)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 1, 0, 64,
                         6, 0, a, b)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        macs = (b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01") if a == src else \
               (b"\x02\0\0\0\0\x01" + b"\x02\0\0\0\0\x02")
        return macs + b"\x08\x00" + ip + tcp + payload

    pkts = []
    for i in range(n):
        sp = 40000 + i
        req = b"GET /led%02d HTTP/1.1\r\nHost: led.example\r\nUser-Agent: vigil-test\r\n\r\n" % i
        resp = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"
        pkts += [frame(src, dst, sp, 80, 1000, 0, 0x02),
                 frame(dst, src, 80, sp, 5000, 1001, 0x12),
                 frame(src, dst, sp, 80, 1001, 5001, 0x10),
                 frame(src, dst, sp, 80, 1001, 5001, 0x18, req),
                 frame(dst, src, 80, sp, 5001, 1001 + len(req), 0x18, resp),
                 frame(src, dst, sp, 80, 1001 + len(req), 5001 + len(resp), 0x10),
                 frame(src, dst, sp, 80, 1001 + len(req), 5001 + len(resp), 0x14)]
    times = [k * gap for k in range(len(pkts))]
    if tail_s:
        pkts.append(frame(src, bytes([10, 9, 0, 3]), 40999, 9, 1, 0, 0x04))
        times.append(tail_s)
    out = [struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)]
    t0 = 1704067200.0
    for f, dt in zip(pkts, times):
        ts = t0 + dt
        out.append(struct.pack("<IIII", int(ts), int(round((ts % 1) * 1e6)), len(f), len(f))
                   + f)
    with open(path, "wb") as fh:
        fh.write(b"".join(out))


class Sysfs:
    """A made-up sysfs: one LED, a watchdog, optionally a device tree."""

    def __init__(self, base, led="status", compatible=None, watchdog=True):
        self.base = base
        self.led = led
        d = os.path.join(base, "class", "leds", led)
        os.makedirs(d)
        self.put("class/leds/%s/trigger" % led, TRIGGERS)
        self.put("class/leds/%s/brightness" % led, "1\n")
        self.put("class/leds/%s/max_brightness" % led, "1\n")
        if watchdog:
            self.put("class/watchdog/watchdog0/identity", "Broadcom BCM2835 Watchdog timer\n")
            self.put("class/watchdog/watchdog0/timeout", "15\n")
            self.put("class/watchdog/watchdog0/state", "active\n")
        if compatible:
            self.put("firmware/devicetree/base/compatible",
                     "".join(c + "\0" for c in compatible))

    def put(self, rel, text):
        p = os.path.join(self.base, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)

    def get(self, attr):
        try:
            with open(os.path.join(self.base, "class", "leds", self.led, attr)) as f:
                return f.read()
        except OSError:
            return None

    def state(self):
        """The pattern the files show: heartbeat, timer, off, on, or what
        the trigger file holds when it is none of them."""
        t = self.get("trigger")
        if t in ("heartbeat", "timer"):
            return t
        if t == "none":
            return "off" if self.get("brightness") == "0" else "on"
        return "untouched" if t == TRIGGERS else repr(t)

    def wait(self, want, timeout, daemon=None):
        """Wait until state() == want; returns the states seen on the way."""
        seen = []
        end = time.time() + timeout
        while time.time() < end:
            s = self.state()
            if not seen or seen[-1] != s:
                seen.append(s)
            if s == want:
                return True, seen
            if daemon is not None and not daemon.alive():
                break
            time.sleep(0.05)
        return False, seen

    def hold(self, seconds):
        """The states seen over seconds."""
        seen = []
        end = time.time() + seconds
        while time.time() < end:
            s = self.state()
            if not seen or seen[-1] != s:
                seen.append(s)
            time.sleep(0.05)
        return seen

    def env(self):
        return dict(os.environ, VIGIL_SYSFS=self.base)


def sections(w, pcap, rules, **capture):
    sec = cd.base_sections(w, source="pcap:" + pcap, **capture)
    sec["detect"] = {"rules": rules}
    sec["board"] = {"led": "status"}
    return sec


def signed_in(d, w, port):
    """An Api client signed in as a new admin (setup token from state_dir)."""
    return cd.signed_in_api(d, w, port, wait=30)


# ---- capture up, alerts, acknowledgement, capture down --------------------------------

def test_lifecycle(tmp):
    w = os.path.join(tmp, "lifecycle")
    rules = os.path.join(w, "rules")
    os.makedirs(rules)
    with open(os.path.join(rules, "low.rules"), "w") as f:
        f.write(LOW)
    pcap = os.path.join(w, "led.pcap")
    write_pcap(pcap, n=1, tail_s=11.5)
    fs = Sysfs(os.path.join(w, "sys"))
    port = cd.free_port()
    sec = sections(w, pcap, rules, replay_speed="recorded", loop="yes")
    sec["web"] = {"listen": "127.0.0.1:%d" % port}
    d = cd.Daemon(w, sec, env=fs.env())
    db = os.path.join(w, "vigil.sqlite")
    problems = []
    title = ("status LED through the daemon's life: heartbeat with capture up (and only "
             "low-severity alerts), even blink once a severity-1 alert is new, heartbeat "
             "again when it is acknowledged, off at SIGTERM")
    try:
        ok, seen = fs.wait("heartbeat", 30, d)
        if not ok:
            raise RuntimeError("capture up: no heartbeat (states %s)" % seen)
        for line in (r"status LED: status\b", r"hardware watchdog: watchdog0 \(Broadcom "
                     r"BCM2835 Watchdog timer\), 15 s, armed"):
            if not re.search(line, d.log()):
                problems.append("no log line like %r" % line)
        # low-severity alerts do not ask for attention
        end = time.time() + 30
        while time.time() < end:
            try:
                if cd.db_rows(db, "SELECT count(*) FROM alerts WHERE sid = 9900002")[0][0]:
                    break
            except Exception:
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError("the low-severity rule raised no alert")
        seen = fs.hold(2 * POLL_S + 1.5)
        if seen != ["heartbeat"]:
            problems.append("with only a severity-3 alert: states %s" % seen)
        # a severity-1 rule, loaded with SIGHUP
        with open(os.path.join(rules, "high.rules"), "w") as f:
            f.write(HIGH)
        d.p.send_signal(signal.SIGHUP)
        if not d.wait_log(r"rules reloaded", 20):
            raise RuntimeError("SIGHUP: no reload")
        ok, seen = fs.wait("timer", 30, d)
        if not ok:
            raise RuntimeError("a new severity-1 alert: no blink (states %s)" % seen)
        # acknowledged through the web API: back to the heartbeat
        api = signed_in(d, w, port)
        st, res = api.req("GET", "/api/alerts?severity=1&status=new")
        ids = [a["id"] for a in (res or {}).get("alerts", [])]
        if st != 200 or len(ids) != 1:
            raise RuntimeError("GET /api/alerts?severity=1&status=new: %s %s" % (st, res))
        st, res = api.req("POST", "/api/alerts/ack", {"ids": ids})
        if st != 200 or (res or {}).get("updated") != 1:
            raise RuntimeError("ack: %s %s" % (st, res))
        ok, seen = fs.wait("heartbeat", 20, d)
        if not ok:
            raise RuntimeError("acknowledged: no heartbeat (states %s)" % seen)
        # the replay loops on: the same alert again stays acknowledged
        seen = fs.hold(2 * POLL_S + 3.5)
        if seen != ["heartbeat"]:
            problems.append("after the acknowledgement, as the alert repeats: states %s"
                            % seen)
        count = cd.db_rows(db, "SELECT count, status FROM alerts WHERE sid = 9900001")
        if not count or count[0][1] != "acknowledged":
            problems.append("the high alert's row: %s" % count)
    except (RuntimeError, OSError, ValueError, KeyError) as e:
        problems.append(str(e))
    rc = d.stop()
    if rc != 0:
        problems.append("exit %s" % rc)
    if fs.state() != "off" or fs.get("trigger") != "none" or fs.get("brightness") != "0":
        problems.append("after SIGTERM: trigger %r, brightness %r" %
                        (fs.get("trigger"), fs.get("brightness")))
    if problems:
        problems.append("log:\n" + cd.tail(d))
    R.check(title, problems)


# ---- the replay ends: capture down while the daemon runs; auto; kill ---------------------

def test_replay_ends(tmp):
    w = os.path.join(tmp, "ends")
    rules = os.path.join(w, "rules")
    os.makedirs(rules)
    with open(os.path.join(rules, "high.rules"), "w") as f:
        f.write(HIGH)
    pcap = os.path.join(w, "led.pcap")
    write_pcap(pcap, n=4)
    fs = Sysfs(os.path.join(w, "sys"), led="ACT",
               compatible=["raspberrypi,3-model-b", "brcm,bcm2837"], watchdog=False)
    sec = sections(w, pcap, rules, replay_speed="recorded", loop="no", exit_when_done="no")
    sec["board"] = {"led": "auto"}
    d = cd.Daemon(w, sec, env=fs.env())
    problems = []
    ok, seen = fs.wait("timer", 30, d)
    if not ok:
        problems.append("a severity-1 alert during the replay: states %s" % seen)
    ok, seen = fs.wait("off", 30, d)
    if not ok:
        problems.append("the replay ended: states %s" % seen)
    if not d.alive():
        problems.append("the daemon stopped (it should run on: exit_when_done = no)")
    for line in (r"status LED: ACT \(auto: raspberrypi,3-model-b\)",
                 r"hardware watchdog: none"):
        if not re.search(line, d.log()):
            problems.append("no log line like %r" % line)
    rc = d.stop()
    if rc != 0:
        problems.append("exit %s" % rc)
    if problems:
        problems.append("log:\n" + cd.tail(d))
    R.check("a replay that ends is capture down: the LED goes off while the daemon runs on; "
            "led = auto finds the Raspberry Pi's ACT in the device tree", problems)


def test_killed(tmp):
    w = os.path.join(tmp, "killed")
    rules = os.path.join(w, "rules")
    os.makedirs(rules)
    with open(os.path.join(rules, "low.rules"), "w") as f:
        f.write(LOW)
    pcap = os.path.join(w, "led.pcap")
    write_pcap(pcap)
    fs = Sysfs(os.path.join(w, "sys"))
    sec = sections(w, pcap, rules, replay_speed="recorded", loop="yes")
    d = cd.Daemon(w, sec, env=fs.env())
    problems = []
    ok, seen = fs.wait("heartbeat", 30, d)
    if not ok:
        problems.append("no heartbeat: %s" % seen)
    d.stop(signal.SIGKILL)
    if fs.state() != "heartbeat":
        problems.append("after SIGKILL the kernel's trigger stays (the files show %s)"
                        % fs.state())
    # what vigil.service's ExecStopPost= runs
    r = vt.run_vigil(["led", "-c", d.conf, "off"], env=fs.env())
    if r.returncode != 0 or fs.state() != "off":
        problems.append("vigil led off: exit %s, %s; LED %s" % (r.returncode,
                                                               vt.text(r.stderr).strip(),
                                                               fs.state()))
    r = vt.run_vigil(["led", "-c", d.conf], env=fs.env())
    if r.returncode != 0 or "status LED: status" not in vt.text(r.stdout):
        problems.append("vigil led (which LED): %s %r" % (r.returncode, vt.text(r.stdout)))
    fs.put("class/leds/status/trigger", TRIGGERS)
    r = vt.run_vigil(["led", "-c", d.conf, "attention"], env=fs.env())
    if r.returncode != 0 or fs.state() != "timer":
        problems.append("vigil led attention: exit %s, LED %s" % (r.returncode, fs.state()))
    r = vt.run_vigil(["led", "-c", d.conf, "blinking"], env=fs.env())
    if r.returncode != 2 or "usage: vigil led" not in vt.text(r.stderr):
        problems.append("vigil led blinking: exit %s %r" % (r.returncode, vt.text(r.stderr)))
    R.check("killed (SIGKILL): the LED keeps the kernel's heartbeat until `vigil led off` "
            "(ExecStopPost=) turns it off", problems)


def test_no_led(tmp):
    w = os.path.join(tmp, "noled")
    os.makedirs(w)
    pcap = os.path.join(w, "led.pcap")
    write_pcap(pcap)
    fs = Sysfs(os.path.join(w, "sys"))
    rules = os.path.join(w, "rules")
    os.makedirs(rules)
    with open(os.path.join(rules, "low.rules"), "w") as f:
        f.write(LOW)
    sec = sections(w, pcap, rules, replay_speed="fast", exit_when_done="yes")
    sec["board"] = {"led": "nosuch"}
    d = cd.Daemon(w, sec, env=fs.env())
    rc = d.wait_exit(60)
    problems = []
    if rc != 0:
        problems.append("exit %s" % rc)
    if not re.search(r"status LED: LED nosuch: .*class/leds/nosuch: No such file or directory;"
                     r" running without it", d.log()):
        problems.append("no error naming the LED")
    if "vigil running" not in d.log():
        problems.append("did not run")
    # a bad name is a configuration problem
    bad = os.path.join(w, "bad.conf")
    with open(bad, "w") as f:
        f.write("[board]\nled = ../../etc/passwd\n")
    r = vt.run_vigil(["run", "-n", "-c", bad])
    if r.returncode != 1 or "bad.conf:2: led: expected auto, none or an LED's name" not in \
            vt.text(r.stderr):
        problems.append("vigil run -n with led = ../..: exit %s %r" %
                        (r.returncode, vt.text(r.stderr)))
    if problems:
        problems.append("log:\n" + cd.tail(d))
    R.check("an LED that is not there is logged by name and the daemon runs without it; a "
            "name with '/' is a file:line problem", problems)


def test_privdrop(tmp):
    """As root: the LED's files stay root's 0644 and the daemon, dropped
    to nobody, drives the LED through the descriptors it opened as root."""
    w = os.path.join(tmp, "privdrop")
    os.makedirs(w)
    os.chmod(tmp, 0o755)
    os.chmod(w, 0o755)
    state = os.path.join(w, "state")
    pcap = os.path.join(w, "led.pcap")
    write_pcap(pcap)
    rules = os.path.join(w, "rules")
    os.makedirs(rules)
    with open(os.path.join(rules, "high.rules"), "w") as f:
        f.write(HIGH)
    for p in (pcap, rules, os.path.join(rules, "high.rules")):
        os.chmod(p, 0o755 if os.path.isdir(p) else 0o644)
    fs = Sysfs(os.path.join(w, "sys"))
    sec = sections(w, pcap, rules, replay_speed="recorded", loop="yes")
    sec["store"] = {"database": os.path.join(state, "vigil.sqlite"),
                    "eve": os.path.join(state, "eve.json")}
    sec["daemon"] = {"state_dir": state, "user": "nobody", "log_level": "info"}
    d = cd.Daemon(w, sec, env=fs.env())
    problems = []
    ok, seen = fs.wait("timer", 30, d)
    if not ok:
        problems.append("states %s" % seen)
    st = cd.proc_status(d.p.pid) if d.alive() else {}
    nobody = str(__import__("pwd").getpwnam("nobody").pw_uid)
    if st.get("Uid") != [nobody] * 4:
        problems.append("Uid: %s" % st.get("Uid"))
    trig = os.stat(os.path.join(fs.base, "class", "leds", "status", "trigger"))
    if trig.st_uid != 0 or trig.st_mode & 0o777 != 0o644:
        problems.append("the trigger file is not root's 0644: %o uid %d" %
                        (trig.st_mode & 0o777, trig.st_uid))
    rc = d.stop()
    if rc != 0:
        problems.append("exit %s" % rc)
    if fs.state() != "off":
        problems.append("after SIGTERM (as nobody): %s" % fs.state())
    if problems:
        problems.append("log:\n" + cd.tail(d))
    R.check("privilege drop: as nobody the daemon blinks and turns off an LED whose files "
            "are root's 0644 (descriptors opened as root)", problems)


# ---- the names the sandbox and the boot-time reset must know ----------------------------

def test_names_in_step(tmp):
    src = open(os.path.join(ROOT, "drivers", "board", "board_led.c")).read()
    table = src[src.index("board_leds[] = {"):src.index("};", src.index("board_leds[] = {"))]
    table = re.sub(r"/\*.*?\*/", "", table, flags=re.S)
    names = set(re.findall(r'"([^"]+)"', re.sub(r'\{ "[^"]+", \{', "{", table)))
    unit = open(os.path.join(ROOT, "firmware", "systemd", "vigil.service")).read()
    rw = set()
    for ln in unit.splitlines():
        if ln.startswith("ReadWritePaths="):
            rw |= {p.lstrip("-+") for p in ln.split("=", 1)[1].split()}
    tmpfiles = os.path.join(ROOT, "board", "common", "overlay", "etc", "tmpfiles.d",
                            "vigil-status-led.conf")
    reset = set(re.findall(r"^w\S* /sys/class/leds/([^/\s]+)/trigger", open(tmpfiles).read(),
                           re.M))
    problems = []
    if not names or "ACT" not in names:
        problems.append("could not read the LED table: %s" % names)
    for n in sorted(names):
        if "/sys/class/leds/" + n not in rw:
            problems.append("vigil.service: no ReadWritePaths=-/sys/class/leds/%s" % n)
    if "ACT" not in reset or not reset <= names:
        problems.append("%s resets %s: the table's LEDs (but PWR) expected" % (tmpfiles, reset))
    if "PWR" in reset:
        problems.append("%s turns the Raspberry Pi's power light off" % tmpfiles)
    if "ExecStopPost=-+/usr/bin/vigil led -c /etc/vigil/vigil.conf off" not in unit:
        problems.append("vigil.service: no ExecStopPost turning the LED off")
    R.check("every LED of the board table is writable in vigil.service's sandbox and reset "
            "at boot (%s)" % ", ".join(sorted(names)), problems)


def main():
    tmp = tempfile.mkdtemp(prefix="vigil-board.")
    try:
        test_names_in_step(tmp)
        test_lifecycle(tmp)
        test_replay_ends(tmp)
        test_killed(tmp)
        test_no_led(tmp)
        if os.geteuid() != 0:
            print("skip  LED after the privilege drop: needs root")
        else:
            test_privdrop(tmp)
    finally:
        if os.environ.get("VIGIL_KEEP"):
            print("kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return R.summary()


if __name__ == "__main__":
    sys.exit(main())
