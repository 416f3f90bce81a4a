#!/usr/bin/env python3
"""test_preseed.py - the appliance's boot-time scripts on the build host.

board/common/overlay/usr/lib/vigil/appliance/preseed runs here against
temporary directories standing in for the boot partition, the data
partition and /run (VIGIL_*_DIR, VIGIL_NO_SYSTEM), with the host's vigil
binary for the vigil.conf and rule set checks. Checked: the value checks
(addresses, prefixes, host names), vigil-network.conf's parser (every
problem as "vigil-network.conf:LINE: reason", nothing for a good file),
the .network file it writes, first-boot defaults by memory size, each
preseed file installed and renamed .applied or refused and reported (on
the report file and standard output) and left in place, the SSH key
rules, and setup-token's file on the boot partition.

env: VIGIL  the vigil binary (default build/vigil)
Last line: "preseed: N passed, M failed".
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
APPLIANCE = os.path.join(ROOT, "board", "common", "overlay", "usr", "lib", "vigil", "appliance")
PRESEED = os.path.join(APPLIANCE, "preseed")
TEMPLATE = os.path.join(ROOT, "board", "common", "overlay", "usr", "share", "vigil", "appliance",
                        "vigil.conf.in")
VIGIL = os.path.abspath(os.environ.get("VIGIL", os.path.join(ROOT, "build", "vigil")))

passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok    {name}")
    else:
        failed += 1
        print(f"FAIL  {name}" + (f": {detail}" if detail else ""))
    return bool(cond)


def lib(call):
    """Run a shell snippet with the preseed script's functions loaded."""
    p = subprocess.run(["sh", "-c", f'. "{PRESEED}"; {call}'], capture_output=True, text=True,
                       env=dict(os.environ, VIGIL_PRESEED_LIB="1", VIGIL_RUN_DIR=tempfile.mkdtemp()))
    return p.returncode, p.stdout


def ok(fn, value):
    return lib(f'{fn} "$1"'.replace('"$1"', shq(value)))[0] == 0


def shq(s):
    return "'" + s.replace("'", "'\\''") + "'"


def values():
    for v in ["192.0.2.10", "10.0.0.1", "255.255.255.255", "0.0.0.0"]:
        check(f"is_ipv4 {v}", ok("is_ipv4", v))
    for v in ["192.0.2", "192.0.2.256", "1.2.3.4.5", "a.b.c.d", "1..2.3", "01234.1.1.1", ""]:
        check(f"not is_ipv4 {v!r}", not ok("is_ipv4", v))
    for v in ["2001:db8::1", "::1", "fe80::", "2001:db8:0:0:0:0:0:1", "::ffff:192.0.2.1"]:
        check(f"is_ipv6 {v}", ok("is_ipv6", v))
    for v in ["2001:db8::1::2", "12345::1", "2001:db8", ":::", "g::1", "1:2:3:4:5:6:7:8:9"]:
        check(f"not is_ipv6 {v!r}", not ok("is_ipv6", v))
    for v in ["192.0.2.10/24", "10.1.2.3/32", "2001:db8::10/64"]:
        check(f"is_cidr {v}", ok("is_cidr", v))
    for v in ["192.0.2.10", "192.0.2.10/33", "192.0.2.10/0", "2001:db8::/129", "192.0.2.10/x", "/24"]:
        check(f"not is_cidr {v!r}", not ok("is_cidr", v))
    for v in ["vigil", "sensor-1", "A1"]:
        check(f"is_hostname {v}", ok("is_hostname", v))
    for v in ["-a", "a-", "a_b", "a.b", "x" * 64, ""]:
        check(f"not is_hostname {v!r}", not ok("is_hostname", v))
    for v in ["ntp.example.org", "pool"]:
        check(f"is_domain {v}", ok("is_domain", v))
    for v in ["a..b", ".a", "a.", "a b"]:
        check(f"not is_domain {v!r}", not ok("is_domain", v))
    for v in ["52:54:00:12:34:56", "DC:A6:32:0a:bc:de"]:
        check(f"is_mac {v}", ok("is_mac", v))
    for v in ["52:54:00:12:34", "52-54-00-12-34-56", "52:54:00:12:34:5g", "525400123456"]:
        check(f"not is_mac {v!r}", not ok("is_mac", v))


def parser(tmp):
    good = os.path.join(tmp, "good.conf")
    with open(good, "w") as f:
        f.write("# static\r\naddress = 192.0.2.10/24\naddress=2001:db8::10/64\n  gateway = 192.0.2.1\n"
                "dns = 192.0.2.53, 2001:db8::53\nntp = ntp.example.org 192.0.2.123\n"
                "hostname = sensor-1\ndomain = cert.example\n\n")
    rc, out = lib(f"parse_network {shq(good)} vigil-network.conf")
    check("a good vigil-network.conf has no problems", rc == 0 and out == "", out)
    rc, out = lib(f"network_unit {shq(good)}")
    want = ["Name=mgmt0", "Address=192.0.2.10/24", "Address=2001:db8::10/64", "Gateway=192.0.2.1",
            "DHCP=no", "DNS=192.0.2.53", "DNS=2001:db8::53", "Domains=cert.example", "Hostname=sensor-1",
            "ClientIdentifier=mac"]
    check("its .network file: addresses, gateway, DNS, domain, no DHCP",
          all(w in out.split("\n") for w in want), out)
    dhcp = os.path.join(tmp, "dhcp.conf")
    with open(dhcp, "w") as f:
        f.write("hostname = box\nntp = 192.0.2.123\n")
    rc, out = lib(f"network_unit {shq(dhcp)}")
    check("without an address: DHCP with the host name", "DHCP=yes" in out and "Hostname=box" in out
          and "Address=" not in out, out)

    bad = os.path.join(tmp, "bad.conf")
    lines = ["address = 192.0.2.300/24", "gateway = 192.0.2.1.", "dns = 192.0.2.53, nameserver",
             "ntp = bad..name", "hostname = -x", "hostname = y", "domain = a..b", "adress = 192.0.2.10/24",
             "just words", "dns =", "address = 2001:db8::1", "capture_mac = 52:54:00:00:04:0x",
             "management_mac = 52:54:00:00:03:01", "management_mac = 52:54:00:00:03:02"]
    with open(bad, "w") as f:
        f.write("\n".join(lines) + "\n")
    rc, out = lib(f"parse_network {shq(bad)} vigil-network.conf")
    got = out.strip().split("\n")
    expect = [
        (1, "address: '192.0.2.300/24' is not ADDRESS/PREFIX"),
        (2, "gateway: '192.0.2.1.' is not an IPv4 or IPv6 address"),
        (3, "dns: 'nameserver' is not an IPv4 or IPv6 address"),
        (4, "ntp: 'bad..name' is not a host name or address"),
        (5, "hostname: '-x' is not a host name"),
        (6, "hostname: given twice"),
        (7, "domain: 'a..b' is not a domain name"),
        (8, "unknown setting 'adress'"),
        (9, "expected 'key = value'"),
        (10, "dns: empty value"),
        (11, "address: '2001:db8::1' is not ADDRESS/PREFIX"),
        (12, "capture_mac: '52:54:00:00:04:0x' is not a MAC address"),
        (14, "management_mac: given twice"),
    ]
    for n, msg in expect:
        check(f"parser: line {n}: {msg}", any(g.startswith(f"vigil-network.conf:{n}: {msg}") for g in got), out)
    check("parser: one message per problem", len(got) == len(expect), out)
    gw = os.path.join(tmp, "gw.conf")
    with open(gw, "w") as f:
        f.write("gateway = 192.0.2.1\n")
    rc, out = lib(f"parse_network {shq(gw)} vigil-network.conf")
    check("parser: a gateway without an address is refused", "gateway without address" in out, out)
    with open(gw, "w") as f:
        f.write("management_mac = 52:54:00:00:03:01\ncapture_mac = 52:54:00:00:03:01\n")
    rc, out = lib(f"parse_network {shq(gw)} vigil-network.conf")
    check("parser: one port cannot have both roles", "are the same port" in out, out)
    with open(gw, "w") as f:
        f.write("management_mac = 52:54:00:00:03:01\ncapture_mac = 52:54:00:00:04:01\n")
    rc, out = lib(f"parse_network {shq(gw)} vigil-network.conf")
    check("parser: roles by MAC are accepted", out == "", out)


class Box:
    """Boot, data and run directories standing in for the appliance's."""

    def __init__(self, tmp, name, mem_kb=1000000):
        self.dir = os.path.join(tmp, name)
        self.boot, self.data, self.run = (os.path.join(self.dir, x) for x in ("boot", "data", "run"))
        for d in (self.boot, self.data, self.run):
            os.makedirs(d)
        self.meminfo = os.path.join(self.dir, "meminfo")
        with open(self.meminfo, "w") as f:
            f.write(f"MemTotal:       {mem_kb} kB\nMemFree:        1000 kB\n")

    def preseed(self):
        env = dict(os.environ, VIGIL_BOOT_DIR=self.boot, VIGIL_DATA_DIR=self.data,
                   VIGIL_RUN_DIR=self.run, VIGIL_NETWORK_DIR=os.path.join(self.run, "network"),
                   VIGIL_CONF_TEMPLATE=TEMPLATE, VIGIL_MEMINFO=self.meminfo, VIGIL_BIN=VIGIL,
                   VIGIL_NO_SYSTEM="1")
        p = subprocess.run(["sh", PRESEED], capture_output=True, text=True, env=env)
        return p.returncode, p.stdout + p.stderr

    def put(self, name, text):
        with open(os.path.join(self.boot, name), "w") as f:
            f.write(text)

    def read(self, *path):
        try:
            with open(os.path.join(*path)) as f:
                return f.read()
        except OSError:
            return None

    def report(self):
        return (self.read(self.boot, "vigil-preseed-report.txt") or "").replace("\r", "")

    def conf(self):
        return self.read(self.data, "etc", "vigil.conf") or ""


def conf_for_host(tmp):
    """A vigil.conf the host's vigil accepts (no vigil user here)."""
    return ("[capture]\ninterface = cap0\nmax_flows = 1000\n[detect]\n"
            f"rules = {ROOT}/rules/default\n[store]\ndatabase = {tmp}/v.sqlite\nmax_size = 300M\n"
            "[web]\nlisten = unix:/run/vigil/web.sock\n[daemon]\nuser =\n"
            f"state_dir = {tmp}/state\n")


def first_boot(tmp):
    for mem_kb, flows, ring in [(440000, 32768, "16M"), (920000, 131072, "32M"), (3900000, 262144, "64M")]:
        b = Box(tmp, f"mem{mem_kb}", mem_kb)
        rc, out = b.preseed()
        conf = b.conf()
        check(f"first boot with {mem_kb // 1024} MB: max_flows {flows}, ring_size {ring}",
              rc == 0 and f"max_flows = {flows}\n" in conf and f"ring_size = {ring}\n" in conf, out)
        check(f"first boot with {mem_kb // 1024} MB: no placeholder left", "@" not in conf, conf)
        check(f"first boot with {mem_kb // 1024} MB: the report says so",
              f"max_flows = {flows}" in b.report() and "first boot" in out, b.report())
        keys = os.listdir(os.path.join(b.data, "ssh"))
        check("first boot: SSH host keys made on the data partition, no authorized_keys",
              {"ssh_host_ed25519_key", "ssh_host_ecdsa_key"} <= set(keys) and "authorized_keys" not in keys,
              keys)
    b = Box(tmp, "again")
    b.preseed()
    first = b.conf()
    key = b.read(b.data, "ssh", "ssh_host_ed25519_key")
    rc, out = b.preseed()
    check("second boot: configuration and host keys kept, nothing reported",
          b.conf() == first and b.read(b.data, "ssh", "ssh_host_ed25519_key") == key and out == "", out)


def files(tmp):
    b = Box(tmp, "files")
    b.preseed()
    # a good vigil.conf and a rule set
    b.put("vigil.conf", conf_for_host(tmp).replace("\n", "\r\n"))
    shutil.copytree(os.path.join(ROOT, "tests", "detect", "rulesets", "sig"), os.path.join(b.boot, "vigil-rules"))
    rc, out = b.preseed()
    check("a good vigil.conf is installed (CR LF from a Windows editor dropped)",
          b.conf() == conf_for_host(tmp), out)
    check("...and renamed vigil.conf.applied", os.path.exists(os.path.join(b.boot, "vigil.conf.applied"))
          and not os.path.exists(os.path.join(b.boot, "vigil.conf")))
    check("a good rule set is installed in rules/local",
          os.path.exists(os.path.join(b.data, "etc", "rules", "local", "header.rules"))
          and os.path.isdir(os.path.join(b.boot, "vigil-rules.applied")), out)
    check("the report lists both", "vigil.conf installed" in b.report() and "vigil-rules/ installed" in b.report(),
          b.report())

    # a bad vigil.conf: refused with file:line, the good one stays, the file stays
    good = b.conf()
    b.put("vigil.conf", conf_for_host(tmp) + "colour = blue\n")
    rc, out = b.preseed()
    nline = conf_for_host(tmp).count("\n") + 1
    check("a bad vigil.conf is refused with vigil.conf:LINE: reason (report)",
          "vigil.conf refused" in b.report() and re.search(rf"^  vigil\.conf:{nline}: ", b.report(), re.M),
          b.report())
    check("...and on standard output (the console)", f"vigil.conf:{nline}:" in out, out)
    check("...the configuration in use stays", b.conf() == good)
    check("...the bad file stays on the boot partition", os.path.exists(os.path.join(b.boot, "vigil.conf")))
    check("the report says how many were refused", "1 file(s) refused" in b.report(), b.report())
    os.remove(os.path.join(b.boot, "vigil.conf"))

    # a bad rule set
    shutil.copytree(os.path.join(ROOT, "tests", "detect", "rulesets", "bad", "missing_sid"),
                    os.path.join(b.boot, "vigil-rules"))
    rc, out = b.preseed()
    check("a bad rule set is refused with vigil-rules/FILE:LINE: reason",
          "vigil-rules/ refused" in b.report() and re.search(r"vigil-rules/bad\.rules:\d+: ", b.report()),
          b.report())
    check("...the installed rule set stays",
          os.path.exists(os.path.join(b.data, "etc", "rules", "local", "header.rules")))
    shutil.rmtree(os.path.join(b.boot, "vigil-rules"))

    # network
    b.put("vigil-network.conf", "address = 192.0.2.10/24\ngateway = 192.0.2.1\nntp = 192.0.2.123\n")
    rc, out = b.preseed()
    unit = b.read(b.run, "network", "20-vigil-mgmt.network") or ""
    check("a good vigil-network.conf: static .network in /run", "Address=192.0.2.10/24" in unit, unit)
    check("...and its NTP server for chrony", (b.read(b.run, "chrony", "vigil.sources") or "")
          == "server 192.0.2.123 iburst\n")
    rc, out = b.preseed()
    check("...applied again at the next boot from the data partition",
          "Address=192.0.2.10/24" in (b.read(b.run, "network", "20-vigil-mgmt.network") or ""))
    b.put("vigil-network.conf", "address = 192.0.2.10\n")
    rc, out = b.preseed()
    check("a bad vigil-network.conf is refused with its line, the old settings stay",
          "vigil-network.conf:1: address" in b.report()
          and "Address=192.0.2.10/24" in (b.read(b.run, "network", "20-vigil-mgmt.network") or ""), b.report())
    os.remove(os.path.join(b.boot, "vigil-network.conf"))

    # SSH keys
    key = os.path.join(b.dir, "k")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
    pub = open(key + ".pub").read()
    b.put("vigil-ssh.pub", "# the team\n" + pub)
    rc, out = b.preseed()
    check("a public key turns SSH on (authorized_keys on the data partition, 0600)",
          b.read(b.data, "ssh", "authorized_keys") == pub
          and oct(os.stat(os.path.join(b.data, "ssh", "authorized_keys")).st_mode & 0o777) == "0o600", out)
    b.put("vigil-ssh.pub", pub + "ssh-rsa notbase64 x\n")
    rc, out = b.preseed()
    check("a bad key line is refused with its line, the old keys stay",
          "vigil-ssh.pub:2: not an OpenSSH public key" in b.report()
          and b.read(b.data, "ssh", "authorized_keys") == pub, b.report())
    b.put("vigil-ssh.pub", "\n")
    rc, out = b.preseed()
    check("an empty vigil-ssh.pub turns SSH off",
          not os.path.exists(os.path.join(b.data, "ssh", "authorized_keys")) and "SSH is off" in out, out)

    # TLS
    tls = os.path.join(b.dir, "tls")
    os.makedirs(tls)
    for n in ("a", "b"):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-keyout", f"{tls}/{n}.key", "-out", f"{tls}/{n}.crt", "-days", "30",
                        "-subj", f"/CN=box-{n}"], check=True, capture_output=True)
    rd = lambda n: open(f"{tls}/{n}").read()
    b.put("vigil-tls.pem", rd("a.key") + rd("b.crt"))
    rc, out = b.preseed()
    check("vigil-tls.pem with another certificate's key is refused",
          "the key is not the certificate's key" in b.report(), b.report())
    b.put("vigil-tls.pem", rd("a.crt"))
    rc, out = b.preseed()
    check("vigil-tls.pem without a key is refused", "no private key" in b.report(), b.report())
    b.put("vigil-tls.pem", rd("a.key") + rd("a.crt"))
    rc, out = b.preseed()
    check("a matching key and certificate are installed for the page",
          b.read(b.data, "etc", "tls", "vigil.pem") == rd("a.key") + rd("a.crt")
          and "vigil-tls.pem installed: subject=CN = box-a" in out, out)
    check("...and the private key leaves the boot partition (no .applied copy)",
          not os.path.exists(os.path.join(b.boot, "vigil-tls.pem"))
          and not os.path.exists(os.path.join(b.boot, "vigil-tls.pem.applied")))

    # uplink
    os.makedirs(os.path.join(b.boot, "vigil-uplink"))
    shutil.copy(f"{tls}/b.crt", os.path.join(b.boot, "vigil-uplink", "ca.pem"))
    b.put("vigil-uplink/notes.txt", "not a certificate")
    rc, out = b.preseed()
    check("vigil-uplink/ with a file that is no PEM is refused, naming it",
          "vigil-uplink/notes.txt: neither" in b.report(), b.report())
    os.remove(os.path.join(b.boot, "vigil-uplink", "notes.txt"))
    rc, out = b.preseed()
    check("vigil-uplink/ with certificates is installed",
          (b.read(b.data, "etc", "uplink", "ca.pem") or "").startswith("-----BEGIN CERTIFICATE"), out)
    check("...and leaves the boot partition", not os.path.exists(os.path.join(b.boot, "vigil-uplink")))


def setup_token(tmp):
    boot, state = os.path.join(tmp, "tboot"), os.path.join(tmp, "tstate")
    os.makedirs(boot)
    os.makedirs(state)
    env = dict(os.environ, VIGIL_BOOT_DIR=boot, VIGIL_STATE_DIR=state)
    script = os.path.join(APPLIANCE, "setup-token")
    with open(os.path.join(state, "setup-token"), "w") as f:
        f.write("0123456789abcdef0123456789abcdef\n")
    p = subprocess.run(["sh", script], capture_output=True, text=True, env=env)
    txt = open(os.path.join(boot, "vigil-setup-token.txt"), newline="").read() if os.path.exists(
        os.path.join(boot, "vigil-setup-token.txt")) else ""
    check("setup-token writes the token to vigil-setup-token.txt (CR LF lines)",
          txt.startswith("vigil setup token: 0123456789abcdef0123456789abcdef\r\n"), txt)
    check("...and prints it for the console", "0123456789abcdef0123456789abcdef" in p.stdout, p.stdout)
    os.remove(os.path.join(state, "setup-token"))
    p = subprocess.run(["sh", script], capture_output=True, text=True, env=env)
    check("once the token is gone, the file leaves the boot partition",
          not os.path.exists(os.path.join(boot, "vigil-setup-token.txt")), p.stdout)


def main():
    if not os.access(VIGIL, os.X_OK):
        print(f"preseed: {VIGIL} is not built (make)")
        return 2
    tmp = tempfile.mkdtemp(prefix="vigil-preseed-")
    try:
        values()
        parser(tmp)
        first_boot(tmp)
        files(tmp)
        setup_token(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"preseed: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
