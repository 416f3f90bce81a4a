#!/usr/bin/env python3
"""check_image.py - boot the qemu-arm64 image and test the appliance in it.

    tests/image/check_image.py --image build/images/vigil-qemu-arm64-V.img.xz

The image is written the way a user writes a card (bmaptool with the .bmap,
after sha256sum -c of the download), preseeded through its FAT partition
with mtools (no mount), and booted twice in qemu-system-aarch64 (TCG, virt,
cortex-a72, 2 CPUs, 1 GB; direct kernel boot from the boot partition's
vmlinuz, initrd.img and cmdline.txt) with two NICs: the management port on
QEMU user networking (restricted: no way out, so no NTP either) with host
forwards to its ports 443, 80 and 22, and the capture port on a UDP socket
that tools/pcap2udp feeds with the frames of a capture. The real-time clock
starts in 2000, as on a board without one.

Boot 1 (preseed: a vigil.conf, a rule set, an SSH key; network by DHCP):
the page over HTTPS with the box's own certificate, valid now; the setup
token read from the FAT partition creates the admin and then leaves the
partition; replayed frames become flows and alerts (from the default and
the preseeded rules) through the API; the firewall refuses port 80 while
lighttpd listens on it; the root file system is read-only; the capture port
has no address and is promiscuous; the preseeded vigil.conf is the one in
force; the clock is not before the image's build; a jump of the clock (NTP
arriving) breaks neither HTTPS nor the database.
Boot 2, after a reflash of the same image that keeps the data partition
(board/README.md), in 512 MB as a Pi Zero 2 W, with a bad vigil.conf and a
static network preseeded: the data partition grows back, the box runs in
that memory, the database and the
admin are still there, the bad vigil.conf is refused with file:line on the
boot partition and the console and the good one stays, the static address
and host name are applied, the clock restarts from the saved time.

Each stage prints its time. Last line: "image: N passed, M failed".
"""

import argparse
import hashlib
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# Every wait below ends as soon as its condition holds; these bounds only
# say when a box is taken to hang. They are generous because the guest
# runs under TCG on a build machine that may be busy with other work.
HANG = 300          # a service, a file, flows or alerts that should come
REQUEST = 120       # one HTTPS request or SSH command
PASSWORD = "image test password"
DAY = 86400
MiB = 1 << 20


# ---- results and stages ----------------------------------------------------------

class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, cond, detail=""):
        if cond:
            self.passed += 1
            print(f"ok    {name}")
        else:
            self.failed += 1
            print(f"FAIL  {name}" + (f": {detail}" if detail else ""))
        sys.stdout.flush()
        return bool(cond)


R = Results()
T0 = time.monotonic()
TIMES = []


class Stage:
    def __init__(self, name):
        self.name = name

    def __enter__(self):
        self.t = time.monotonic()
        print(f"[test-image] {self.name} ...", flush=True)
        return self

    def __exit__(self, *exc):
        dt = time.monotonic() - self.t
        TIMES.append((self.name, dt))
        print(f"[test-image] {self.name}: {dt:.1f} s", flush=True)
        return False


def short(x, n=400):
    s = x if isinstance(x, str) else repr(x)
    return s if len(s) <= n else s[:n] + "..."


def run(cmd, check=True, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr.strip()}")
    return p


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(what, fn, timeout, interval=2.0, dead=None):
    """fn() until it returns something true, timeout seconds passed (the
    box hangs) or dead() says the box is gone."""
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        gone = dead() if dead else None
        if gone:
            print(f"  (gave up waiting for {what}: {gone})")
            return None
        try:
            last = fn()
            if last:
                return last
        except (OSError, ValueError, RuntimeError, http.client.HTTPException) as e:
            last = e
        time.sleep(interval)
    print(f"  (gave up waiting for {what} after {timeout} s: {short(repr(last), 200)})")
    return None


# ---- the image's FAT partition, through mtools ------------------------------------------

class Fat:
    def __init__(self, disk):
        parts = json.loads(run(["sfdisk", "-J", disk]).stdout)["partitiontable"]["partitions"]
        self.spec = f"{disk}@@{parts[0]['start'] * 512}"
        self.env = dict(os.environ, MTOOLS_SKIP_CHECK="1")

    def ls(self):
        p = run(["mdir", "-b", "-i", self.spec, "::/"], check=False, env=self.env)
        return {os.path.basename(x.rstrip("/")) for x in p.stdout.split()}

    def read(self, name):
        p = run(["mtype", "-i", self.spec, "::/" + name], check=False, env=self.env)
        return p.stdout.replace("\r", "") if p.returncode == 0 else None

    def put(self, src, name):
        run(["mcopy", "-o", "-s", "-i", self.spec, src, "::/" + name], env=self.env)

    def get(self, name, dst):
        run(["mcopy", "-o", "-i", self.spec, "::/" + name, dst], env=self.env)


# ---- HTTPS client: tests/web/vigil_http.py --------------------------------------

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "web"))
from vigil_http import Client  # noqa: E402


def peer_cert(port):
    """The certificate the box presents (DER), or None."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=REQUEST) as s:
        with ctx.wrap_socket(s, server_hostname="vigil") as t:
            return t.getpeercert(binary_form=True)


def verified_handshake(port, cafile, name):
    """A TLS handshake that trusts only cafile and checks name and dates."""
    ctx = ssl.create_default_context(cafile=cafile)
    with socket.create_connection(("127.0.0.1", port), timeout=REQUEST) as s:
        with ctx.wrap_socket(s, server_hostname=name) as t:
            return t.version()


def http_answers(port, timeout=8):
    """True when something answers HTTP on port within timeout seconds."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(b"GET / HTTP/1.1\r\nHost: vigil\r\nConnection: close\r\n\r\n")
            return s.recv(64).startswith(b"HTTP/")
    except OSError:
        return False


# ---- the virtual machine ------------------------------------------------------------

class VM:
    def __init__(self, work, disk, kernel, initrd, cmdline, sshkey, log):
        self.work, self.disk, self.kernel, self.initrd = work, disk, kernel, initrd
        self.cmdline, self.sshkey, self.log = cmdline, sshkey, log
        self.proc = None
        self.https = self.http = self.ssh = self.cap = 0

    def start(self, rtc="2000-01-01T00:00:00", mem=1024):
        self.https, self.http, self.ssh, self.cap = free_port(), free_port(), free_port(), free_port()
        fwd = (f"hostfwd=tcp:127.0.0.1:{self.https}-:443,hostfwd=tcp:127.0.0.1:{self.http}-:80,"
               f"hostfwd=tcp:127.0.0.1:{self.ssh}-:22")
        cmd = ["qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a72", "-smp", "2", "-m", str(mem),
               "-accel", "tcg,thread=multi",
               "-display", "none", "-monitor", "none", "-serial", f"file:{self.log}",
               "-kernel", self.kernel, "-initrd", self.initrd, "-append", self.cmdline,
               "-drive", f"if=none,file={self.disk},format=raw,id=hd",
               "-device", "virtio-blk-pci,drive=hd,addr=0x2",
               "-netdev", f"user,id=mgmt,restrict=on,{fwd}",
               "-device", "virtio-net-pci,netdev=mgmt,addr=0x3,romfile=,mac=52:54:00:00:03:01",
               "-netdev", f"socket,id=cap,udp=127.0.0.1:{free_port()},localaddr=127.0.0.1:{self.cap}",
               "-device", "virtio-net-pci,netdev=cap,addr=0x4,romfile=,mac=52:54:00:00:04:01",
               "-device", "i6300esb,addr=0x5",
               "-rtc", f"base={rtc}",
               "-no-reboot"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def dead(self):
        """Why the virtual machine is gone (QEMU exited), or None."""
        if self.proc and self.proc.poll() is not None:
            return (f"QEMU exited with {self.proc.returncode} (with -no-reboot: the guest reset,"
                    f" powered off, or its watchdog fired): {short(self.proc.stdout.read(), 600)}")
        return None

    def console(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def sh(self, command, timeout=REQUEST, check=False):
        """command over SSH; a command that hangs comes back as exit 255."""
        argv = ["ssh", "-q", "-i", self.sshkey, "-p", str(self.ssh), "-o", "BatchMode=yes",
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "ConnectTimeout=60", "-o", "ServerAliveInterval=15", "root@127.0.0.1", command]
        try:
            p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            p = subprocess.CompletedProcess(argv, 255, "", f"ssh {command}: no answer in {timeout} s")
        if check and p.returncode != 0:
            raise RuntimeError(f"ssh {command}: exit {p.returncode}: {p.stderr.strip()}")
        return p

    def stop(self, timeout=HANG):
        """Power off cleanly (systemd stops vigil: flows written); QEMU exits."""
        if not self.proc:
            return True
        self.sh("systemctl poweroff", timeout=30)
        try:
            self.proc.wait(timeout)
            clean = True
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            clean = False
        self.proc = None
        return clean

    def kill(self):
        if self.proc:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


def replay(port, pcaps):
    p = run([os.path.join(ROOT, "tools", "pcap2udp"), "--to", f"127.0.0.1:{port}", "--pps", "500"] + pcaps)
    print("  " + p.stdout.strip())


# ---- main ----------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--image", required=True, help="the .img.xz (its .sha256 and .bmap beside it)")
    ap.add_argument("--work", default=os.path.join(ROOT, "build", "test-image"))
    ap.add_argument("--boot-timeout", type=int, default=900)
    a = ap.parse_args()

    image = os.path.abspath(a.image)
    base = image[:-len(".img.xz")]
    work = os.path.abspath(a.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    disk = os.path.join(work, "disk.img")
    vm = None
    try:
        vm = boot_tests(a, image, base, work, disk)
    finally:
        if vm:
            vm.kill()
    total = time.monotonic() - T0
    print("[test-image] stage times: " + ", ".join(f"{n} {t:.0f} s" for n, t in TIMES) + f"; total {total:.0f} s")
    print(f"image: {R.passed} passed, {R.failed} failed")
    return 1 if R.failed else 0


def boot_tests(a, image, base, work, disk):
    with Stage("write the image as a user would (sha256sum -c, bmaptool copy)"):
        p = run(["sha256sum", "-c", os.path.basename(image) + ".sha256"], check=False,
                cwd=os.path.dirname(image))
        R.check("the download's checksum verifies (sha256sum -c)", p.returncode == 0, p.stdout + p.stderr)
        p = run(["bmaptool", "copy", "--bmap", base + ".bmap", image, disk], check=False)
        R.check("bmaptool copy writes it, block checksums verified", p.returncode == 0, p.stderr[-500:])
        # a card is bigger than the image: the data partition grows into the rest
        run(["truncate", "-s", "4G", disk])

    fat = Fat(disk)
    files = fat.ls()
    R.check("boot partition has vmlinuz, initrd.img, cmdline.txt",
            {"vmlinuz", "initrd.img", "cmdline.txt"} <= files, sorted(files))
    kernel, initrd = os.path.join(work, "vmlinuz"), os.path.join(work, "initrd.img")
    fat.get("vmlinuz", kernel)
    fat.get("initrd.img", initrd)
    cmdline = fat.read("cmdline.txt").strip()
    R.check("cmdline.txt: read-only root by PARTUUID, serial console",
            re.search(r"root=PARTUUID=[0-9a-f]{8}-02 ro\b", cmdline) and "console=ttyAMA0" in cmdline, cmdline)
    build_epoch = int(os.stat(image).st_mtime) - 2 * DAY  # lower bound, refined below

    with Stage("preseed through the FAT partition (mtools)"):
        sshkey = os.path.join(work, "id_ed25519")
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", sshkey])
        fat.put(sshkey + ".pub", "vigil-ssh.pub")
        fat.put(os.path.join(ROOT, "tests", "detect", "rulesets", "sig"), "vigil-rules")
        conf = os.path.join(work, "vigil.conf")
        with open(conf, "w") as f:
            f.write(GOOD_CONF)
        fat.put(conf, "vigil.conf")
        R.check("preseed files are on the partition",
                {"vigil-ssh.pub", "vigil-rules", "vigil.conf"} <= fat.ls(), sorted(fat.ls()))

    log1 = os.path.join(work, "console-1.log")
    vm = VM(work, disk, kernel, initrd, cmdline, sshkey, log1)
    with Stage("boot 1 to HTTPS (first boot)"):
        t = time.monotonic()
        vm.start()
        cert = wait_for("HTTPS", lambda: peer_cert(vm.https), a.boot_timeout, 3, vm.dead)
        R.check("HTTPS answers after the first boot", cert is not None,
                "console tail: " + short(vm.console()[-1500:], 1500))
        if cert is None:
            return vm
        print(f"  boot to HTTPS: {time.monotonic() - t:.0f} s")
        ok = wait_for("ssh", lambda: vm.sh("true").returncode == 0, HANG, 3, vm.dead)
        R.check("SSH answers with the preseeded key", ok)

    with Stage("boot 1 checks"):
        check_first_boot(vm, fat, cert, work, build_epoch)
        check_traffic(vm, work)
        check_clock_jump(vm)

    with Stage("power off, reflash keeping the data partition, preseed a bad vigil.conf and a static network"):
        R.check("the box powers off cleanly", vm.stop())
        # board/README.md "Reflashing and keeping the data": only what lies
        # before the data partition (2048 MiB) is written
        p = subprocess.run(f"xz -dc '{image}' | head -c {2048 * MiB} | "
                           f"dd of='{disk}' bs=4M conv=notrunc,fsync iflag=fullblock status=none",
                           shell=True, capture_output=True, text=True)
        parts = json.loads(run(["sfdisk", "-J", disk]).stdout)["partitiontable"]["partitions"]
        R.check("the reflash wrote the image's partition table: the data partition is small again",
                p.returncode == 0 and parts[2]["size"] * 512 == 128 * MiB, p.stderr + repr(parts[2]))
        R.check("the reflash wrote a fresh boot partition", "vigil.conf.applied" not in fat.ls())
        with open(conf, "w") as f:
            f.write(BAD_CONF)
        fat.put(conf, "vigil.conf")
        net = os.path.join(work, "vigil-network.conf")
        with open(net, "w") as f:
            f.write("# the management port, static\naddress = 10.0.2.15/24\ngateway = 10.0.2.2\n"
                    "dns = 10.0.2.3\nhostname = sensor-2\nntp = 10.0.2.2\n")
        fat.put(net, "vigil-network.conf")

    log2 = os.path.join(work, "console-2.log")
    vm.log = log2
    with Stage("boot 2 to HTTPS (after the reflash, 512 MB as on a Pi Zero 2 W)"):
        t = time.monotonic()
        vm.start(mem=512)
        cert2 = wait_for("HTTPS", lambda: peer_cert(vm.https), a.boot_timeout, 3, vm.dead)
        R.check("HTTPS answers after the reboot", cert2 is not None,
                "console tail: " + short(vm.console()[-1500:], 1500))
        if cert2 is None:
            return vm
        print(f"  boot to HTTPS: {time.monotonic() - t:.0f} s")
        R.check("the same certificate after the reboot (kept on the data partition)", cert2 == cert)
        wait_for("ssh", lambda: vm.sh("true").returncode == 0, HANG, 3, vm.dead)

    with Stage("boot 2 checks"):
        check_second_boot(vm, fat, work)

    with Stage("power off"):
        R.check("the box powers off cleanly again", vm.stop())
    return vm


GOOD_CONF = """# preseeded by tests/image: like the default, with the test rule set
[capture]
interface = cap0
method = afpacket
ring_size = 16M
max_flows = 65536

[detect]
home_net = 192.168.0.0/16, 10.0.0.0/8, 2001:db8:10::/48
rules = /usr/share/vigil/rules/default
rules = /etc/vigil/rules/local

[store]
database = /var/lib/vigil/vigil.sqlite
max_size = 300M

[web]
listen = unix:/run/vigil/web.sock
static_dir = /usr/share/vigil/web
secure_cookies = yes

[daemon]
user = vigil
state_dir = /var/lib/vigil
"""

BAD_CONF = GOOD_CONF.replace("max_size = 300M", "max_size = 300M\nretention = forever")
BAD_LINE = GOOD_CONF.split("\n").index("max_size = 300M") + 2


def check_first_boot(vm, fat, cert, work, build_epoch):
    c = Client(("https", "127.0.0.1", vm.https), REQUEST)
    # the certificate is the box's own, made at the first boot, valid now
    pem = vm.sh("cat /etc/vigil/tls/vigil.pem").stdout
    m = re.search(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", pem, re.S)
    R.check("HTTPS presents the box's certificate (/etc/vigil/tls/vigil.pem)",
            m and ssl.PEM_cert_to_DER_cert(m.group(0)) == cert)
    if m:
        ca = os.path.join(work, "box-cert.pem")
        with open(ca, "w") as f:
            f.write(m.group(0) + "\n")
        try:
            v = verified_handshake(vm.https, ca, "vigil")
            R.check("the certificate verifies for 'vigil' at today's date (made after the clock was set)", v)
        except (ssl.SSLError, OSError) as e:
            R.check("the certificate verifies for 'vigil' at today's date", False, repr(e))
    p = vm.sh("date +%s; stat -c %Y /usr/lib/clock-epoch")
    now_box, epoch = (int(x) for x in p.stdout.split())
    R.check("the clock (RTC at 2000) starts no earlier than the image's build",
            epoch >= build_epoch and now_box >= epoch, p.stdout)

    # the setup token: on the FAT partition (read from the image file) and the console
    text = wait_for("vigil-setup-token.txt", lambda: fat.read("vigil-setup-token.txt"), HANG, 3)
    tok = re.search(r"setup token: ([0-9a-f]{32})", text or "")
    R.check("vigil-setup-token.txt on the boot partition holds the token", tok, short(text))
    R.check("the token is on the serial console", tok and tok.group(1) in vm.console())
    fp = ":".join(f"{b:02X}" for b in hashlib.sha256(cert).digest())
    R.check("the file holds the SHA-256 fingerprint of the certificate HTTPS presents",
            fp in (text or ""), short(text))
    r = c.get("/api/setup")
    R.check("setup is needed", r.status == 200 and r.json == {"setup_needed": True}, r)
    r = c.post("/api/setup", {"token": "0" * 32, "username": "admin", "password": PASSWORD})
    R.check("a wrong token is refused", r.status == 403, r)
    if tok:
        r = c.post("/api/setup", {"token": tok.group(1), "username": "admin", "password": PASSWORD})
        R.check("the token from the FAT partition creates the admin", r.status == 201, r)
    r = c.login("admin", PASSWORD)
    R.check("the admin logs in over HTTPS", r.status == 200 and c.cookie, r)
    gone = wait_for("the token file to go", lambda: "vigil-setup-token.txt" not in fat.ls(), HANG, 3)
    R.check("vigil-setup-token.txt leaves the boot partition once the admin exists", gone)

    # the preseed
    report = fat.read("vigil-preseed-report.txt") or ""
    R.check("vigil-preseed-report.txt: vigil.conf, the rules and the SSH key installed",
            "vigil.conf installed" in report and "vigil-rules/ installed" in report
            and "vigil-ssh.pub installed" in report, short(report, 1500))
    R.check("the first boot picked memory defaults for 1 GB",
            re.search(r"first boot: vigil.conf for (9\d\d|1\d\d\d) MB of memory: max_flows = 131072", report),
            short(report, 1500))
    files = fat.ls()
    R.check("installed preseed files are renamed .applied",
            {"vigil.conf.applied", "vigil-rules.applied", "vigil-ssh.pub.applied"} <= files
            and not {"vigil.conf", "vigil-rules"} & files, sorted(files))
    s = c.get("/api/system")
    db = (s.json or {}).get("database", {})
    R.check("the preseeded vigil.conf is in force (max_size 300M)", db.get("max_bytes") == 300 << 20, s)
    dirs = {x.get("dir"): x for x in (s.json or {}).get("rulesets", [])}
    local = dirs.get("/etc/vigil/rules/local", {})
    R.check("the preseeded rule set is loaded", local.get("signatures", 0) > 0 and not local.get("problems"),
            short(json.dumps(list(dirs.values()))))
    caps = [x.get("name") for x in (s.json or {}).get("capture", [])]
    R.check("vigil captures on cap0", caps == ["cap0"], caps)

    # the system around it
    p = vm.sh("systemctl is-active vigil vigil-lighttpd nftables systemd-networkd chrony ssh; "
              "systemctl is-failed --quiet '*' ; systemctl --failed --no-legend --plain")
    lines = p.stdout.split("\n")
    R.check("vigil, lighttpd, nftables, networkd, chrony and ssh are active",
            lines[:6] == ["active"] * 6, p.stdout)
    R.check("no unit failed", not "".join(lines[6:]).strip(), p.stdout)
    p = vm.sh("findmnt -no OPTIONS /; touch /usr/vigil-test 2>&1; findmnt -no FSTYPE,OPTIONS /data")
    R.check("the root file system is mounted read-only and refuses writes",
            p.stdout.startswith("ro,") and "Read-only file system" in p.stdout, p.stdout)
    R.check("the data partition is mounted read-write, noatime",
            re.search(r"^ext4\s+rw,noatime", p.stdout, re.M), p.stdout)
    p = vm.sh("df -m --output=size /data | tail -n 1; lsblk -bno SIZE /dev/vda3")
    size_mb = int(p.stdout.split()[0]) if p.stdout.split() else 0
    R.check("the data partition grew to the end of the 4 GB card", size_mb > 1800, p.stdout)
    p = vm.sh("ip -j addr show dev cap0; cat /proc/sys/net/ipv6/conf/cap0/disable_ipv6")
    try:
        link = json.loads(p.stdout.split("\n")[0])[0]
    except (ValueError, IndexError):
        link = {}
    R.check("the capture port is up and promiscuous with no address, no ARP, no IPv6",
            {"UP", "PROMISC", "NOARP"} <= set(link.get("flags", [])) and link.get("addr_info") == []
            and p.stdout.split("\n")[1].strip() == "1", p.stdout)
    p = vm.sh("ss -Hltn sport = :80")
    R.check("lighttpd listens on port 80 inside the box", ":80" in p.stdout, p.stdout)
    def refused():
        m = re.search(r'counter packets (\d+) bytes \d+ comment "refused"',
                      vm.sh("nft list chain inet vigil input").stdout)
        return int(m.group(1)) if m else -1
    before = refused()
    R.check("the firewall refuses port 80 from the management network", not http_answers(vm.http))
    after = refused()
    R.check("...dropped by nftables' last rule (its counter went up)", after > before >= 0,
            f"{before} before, {after} after")
    p = vm.sh("nft list chain inet vigil input")
    R.check("the firewall opens 443 and 22 (SSH has a key) and nothing for cap0",
            re.search(r"elements = \{ (22, 443|443, 22) \}", vm.sh("nft list set inet vigil mgmt_tcp").stdout)
            and "cap0" not in p.stdout and "policy drop" in p.stdout, p.stdout)
    sets = vm.sh("nft list set inet vigil clients4").stdout
    R.check("the firewall counts connections per client (32 at most): the host's address is in its set",
            re.search(r"10\.0\.2\.2 ct count over 32", sets) and "ct count over 32" in p.stdout, sets + p.stdout)
    p = vm.sh("journalctl -b -u vigil -o cat | grep -ci -e 'dropped privileges\\|as user vigil\\|user vigil' ;"
              "ps -o user= -C vigil; cat /sys/class/watchdog/watchdog0/state 2>&1")
    out = p.stdout.split()
    R.check("the daemon runs as user vigil", "vigil" in out, p.stdout)
    R.check("the hardware watchdog is armed by systemd", out[-1:] == ["active"], p.stdout)
    p = vm.sh("journalctl -b -u vigil -o cat | grep -m 1 'hardware watchdog'")
    R.check("the daemon reports the armed watchdog", "watchdog0" in p.stdout and "armed" in p.stdout, p.stdout)
    p = vm.sh("systemctl show -p MemoryCurrent --value vigil; journalctl -k -b | grep -ci 'out of memory'")
    print(f"  vigil memory after boot: {p.stdout.split()[0] if p.stdout.split() else '?'} bytes")


def api_items(c, path, key):
    r = c.get(path)
    return (r.json or {}).get(key, []) if r.status == 200 else []


def check_traffic(vm, work):
    c = Client(("https", "127.0.0.1", vm.https), REQUEST)
    c.login("admin", PASSWORD)
    pcaps = [os.path.join(ROOT, "tests", "detect", "sig_header.pcap")]
    replay(vm.cap, pcaps)
    # default rules (SMBv1, FTP) and the preseeded set (sid 1001xx) fire
    def alerts():
        al = api_items(c, "/api/alerts?limit=500", "alerts")
        sids = {x.get("sid") for x in al}
        return al if 100101 in sids and any(x.get("signature", "").startswith("vigil POLICY") for x in al) else None
    al = wait_for("alerts", alerts, HANG, 4)
    R.check("replayed frames raise alerts from the default and the preseeded rules (API)", al,
            short(json.dumps(api_items(c, "/api/alerts?limit=500", "alerts"))[:600]))
    # flows are written when they end: TCP 10 s after the FINs
    fl = wait_for("flows", lambda: c.get("/api/flows?limit=500").json.get("total", 0) >= 10 or None, HANG, 4)
    r = c.get("/api/flows?limit=500")
    R.check("replayed flows appear through the API", fl, r)
    if r.json:
        R.check("a flow of the capture is there (192.168.10.30 -> 198.18.1.5:7001)",
                any(f.get("src_ip") == "192.168.10.30" and f.get("dest_ip") == "198.18.1.5"
                    and f.get("dest_port") == 7001 for f in r.json.get("flows", [])))


def check_clock_jump(vm):
    """NTP arriving late: the clock jumps ahead; HTTPS and the database go on."""
    c = Client(("https", "127.0.0.1", vm.https), REQUEST)
    c.login("admin", PASSWORD)
    before = api_items(c, "/api/alerts?limit=500", "alerts")
    last = max((x.get("last_seen_us", 0) for x in before), default=0)
    p = vm.sh(f"date -s @$(( $(date +%s) + {30 * DAY} )) >/dev/null && date +%s")
    R.check("the clock jumps 30 days ahead (as when NTP answers)", p.returncode == 0, p.stderr)
    try:
        R.check("HTTPS still answers after the jump", peer_cert(vm.https) is not None)
    except OSError as e:
        R.check("HTTPS still answers after the jump", False, repr(e))
    r = c.login("admin", PASSWORD)
    R.check("login works after the jump", r.status == 200, r)
    replay(vm.cap, [os.path.join(ROOT, "tests", "detect", "sig_header.pcap")])

    def newer():
        al = api_items(c, "/api/alerts?limit=500", "alerts")
        return al if any(x.get("last_seen_us", 0) > last + 29 * DAY * 10**6 for x in al) else None
    al = wait_for("alerts after the jump", newer, HANG, 4)
    R.check("alerts after the jump carry the new time, the old ones are kept",
            al and len(al) >= len(before), f"{len(before)} before, {len(al or [])} after")
    vm.sh("/usr/lib/vigil/appliance/clock save")
    vm.jumped = int(vm.sh("date +%s").stdout.strip() or 0)


def check_second_boot(vm, fat, work):
    p = vm.sh("lsblk -bdno SIZE /dev/vda3; lsblk -bdno SIZE /dev/vda; df -m --output=size /data | tail -n 1")
    v = [int(x) for x in p.stdout.split()] if len(p.stdout.split()) == 3 else [0, 1, 0]
    R.check("the data partition grew back to the end of the card, its file system intact",
            v[1] - v[0] - 2048 * MiB <= MiB and v[2] > 1800, p.stdout)
    c = Client(("https", "127.0.0.1", vm.https), REQUEST)
    r = c.login("admin", PASSWORD)
    R.check("the admin survives the reboot and reflash", r.status == 200, r)
    r = c.get("/api/setup")
    R.check("no setup after the reboot", r.status == 200 and r.json == {"setup_needed": False}, r)
    R.check("no setup token file after the reboot", "vigil-setup-token.txt" not in fat.ls())
    al = api_items(c, "/api/alerts?limit=500", "alerts")
    R.check("the alerts survive the reboot and reflash", any(x.get("sid") == 100101 for x in al), len(al))
    fl = c.get("/api/flows?limit=1").json or {}
    R.check("the flows survive the reboot and reflash", fl.get("total", 0) >= 10, fl.get("total"))
    # the bad vigil.conf: refused, reported, the good one stays
    report = fat.read("vigil-preseed-report.txt") or ""
    R.check("vigil-preseed-report.txt names the bad line of vigil.conf",
            "vigil.conf refused" in report and f"vigil.conf:{BAD_LINE}:" in report, short(report, 1500))
    R.check("the refusal is on the serial console",
            "vigil.conf refused" in vm.console() and f"vigil.conf:{BAD_LINE}:" in vm.console())
    R.check("the refused vigil.conf stays on the boot partition", "vigil.conf" in fat.ls())
    s = c.get("/api/system").json or {}
    R.check("the previous configuration stays in force", s.get("database", {}).get("max_bytes") == 300 << 20)
    # the static network
    R.check("vigil-network.conf installed (report)", "vigil-network.conf installed" in report)
    p = vm.sh("hostname; ip -4 -o addr show dev mgmt0; cat /run/systemd/network/20-vigil-mgmt.network")
    R.check("the static address and host name are applied",
            p.stdout.startswith("sensor-2\n") and "10.0.2.15/24" in p.stdout and "dynamic" not in p.stdout
            and "Address=10.0.2.15/24" in p.stdout, p.stdout)
    p = vm.sh("awk '/^MemTotal/ { print int($2 / 1024) }' /proc/meminfo; systemctl is-active vigil vigil-lighttpd; "
              "ps -o rss= -C vigil")
    out = p.stdout.split()
    R.check("the box runs in 512 MB (vigil and lighttpd active)", len(out) >= 3 and int(out[0]) < 600
            and out[1:3] == ["active", "active"], p.stdout)
    if len(out) >= 4:
        print(f"  512 MB box: MemTotal {out[0]} MB, vigil RSS {int(out[3]) // 1024} MB")
    p = vm.sh("date +%s")
    now = int(p.stdout.strip() or 0)
    R.check("the clock restarts from the time saved before the reboot (no RTC)",
            now >= getattr(vm, "jumped", 1 << 40), f"now {now}, saved {getattr(vm, 'jumped', None)}")


if __name__ == "__main__":
    sys.exit(main())
