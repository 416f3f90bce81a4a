#!/usr/bin/python3
"""gen_fixtures.py - write vigil's test captures and their ground truth.

Usage: tools/gen_fixtures.py [OUTDIR]     (default: tests/fixtures)

Every capture is built packet by packet (scapy builds the IP/L4 headers and
checksums; link layers, tunnels and the pcap files are written here by hand),
with fixed timestamps from 2024-01-01T00:00:00Z, fixed addresses from the
documentation and private ranges, and a seeded random generator: running the
script twice gives byte-identical files.

Next to the captures it writes truth.json: for each capture (or list of
captures replayed together) the flows vigil must report, with their
orientation (client = src), per-direction packet and byte counters (bytes are
IP bytes: the IP total length of the innermost IP packet, whatever the link
layer, padding or snap length), application fields nDPI 4.2 detects for sure,
and the decode errors by reason. The counters are computed while the packets
are built, so truth and capture cannot drift apart.
"""

import hashlib
import json
import os
import random
import struct
import sys
from datetime import datetime, timezone
from functools import reduce

from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.dns import DNS, DNSQR, DNSRR
from scapy.layers.inet import ICMP, IP, TCP, UDP, fragment
from scapy.layers.inet6 import (ICMPv6EchoReply, ICMPv6EchoRequest, IPv6,
                                IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                                IPv6ExtHdrHopByHop, fragment6)
from scapy.layers.sctp import (SCTP, SCTPChunkCookieAck, SCTPChunkCookieEcho,
                               SCTPChunkInit, SCTPChunkInitAck)
from scapy.packet import Raw

BASE = 1704067200  # 2024-01-01T00:00:00Z

LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LINUX_SLL = 113
LINKTYPE_LINUX_SLL2 = 276
LINKTYPE_C_HDLC = 104
LINKTYPE_USER0 = 147

PROTO_NAMES = {6: "TCP", 17: "UDP", 1: "ICMP", 58: "IPv6-ICMP", 132: "SCTP",
               47: "GRE"}

UA_FIREFOX = ("Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 "
              "Firefox/121.0")
UA_EDGE = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
           "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0")
UA_APT = "Debian APT-HTTP/1.3 (2.6.1)"
UA_CURL = "curl/7.88.1"


def iso(ts_us):
    """Suricata's timestamp format for packet time ts_us (UTC)."""
    dt = datetime.fromtimestamp(ts_us // 1000000, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + ".%06d+0000" % (ts_us % 1000000)


def ip_total_len(ipb):
    """IP bytes of one IP packet as its header says (v4 total length,
    v6 40 + payload length)."""
    if ipb[0] >> 4 == 4:
        return struct.unpack("!H", ipb[2:4])[0]
    return 40 + struct.unpack("!H", ipb[4:6])[0]


def mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.split(":"))


def chain(layers):
    return reduce(lambda a, b: a / b, layers)


# ---------------------------------------------------------------------------
# Captures and the pcap writer


class Capture:
    """One pcap file: its packet records and the truth about its flows."""

    def __init__(self, name, linktype=LINKTYPE_ETHERNET, snaplen=262144,
                 t0=0):
        self.name = name
        self.linktype = linktype
        self.snaplen = snaplen
        self.t0_us = (BASE + t0) * 1000000
        self.records = []    # (ts_us, seq, data, origlen)
        self.flows = []      # Flow objects, in creation order
        self.errors = {}     # decode error reason -> count
        self.decoder = {}    # stats.decoder counters that must match
        self.note = ""

    def ts(self, t):
        """Absolute packet time in microseconds for t seconds into the
        capture."""
        return self.t0_us + int(round(t * 1000000))

    def add(self, t, frame, caplen=None):
        """Add one frame at t seconds (relative); it is cut to snaplen (or
        to caplen bytes: captured short, as if snapped)."""
        data = bytes(frame)
        keep = min(self.snaplen, caplen if caplen is not None else len(data))
        self.records.append((self.ts(t), len(self.records), data[:keep],
                             len(data)))

    def error(self, t, frame, reason, caplen=None):
        """Add a frame that vigil must reject with the given reason."""
        self.add(t, frame, caplen)
        self.errors[reason] = self.errors.get(reason, 0) + 1

    def write(self, outdir):
        self.records.sort(key=lambda r: (r[0], r[1]))
        path = os.path.join(outdir, self.name)
        if self.name.endswith(".pcapng"):
            with open(path, "wb") as f:
                f.write(self.pcapng())
            return path
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0,
                                self.snaplen, self.linktype))
            for ts_us, _, data, origlen in self.records:
                f.write(struct.pack("<IIII", ts_us // 1000000,
                                    ts_us % 1000000, len(data), origlen))
                f.write(data)
        return path

    def pcapng(self):
        """The records as pcapng: section header, one interface with
        nanosecond timestamps (if_tsresol 9), enhanced packet blocks."""
        def block(btype, body):
            body += b"\x00" * (-len(body) % 4)
            n = 12 + len(body)
            return struct.pack("<II", btype, n) + body + struct.pack("<I", n)

        def opt(code, val):
            return struct.pack("<HH", code, len(val)) + val + \
                b"\x00" * (-len(val) % 4)
        out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) +
                    opt(4, b"vigil gen_fixtures.py") + opt(0, b""))
        out += block(1, struct.pack("<HHI", self.linktype, 0, self.snaplen) +
                     opt(2, b"eth0") + opt(9, b"\x09") + opt(0, b""))
        for ts_us, _, data, origlen in self.records:
            ts = ts_us * 1000
            out += block(6, struct.pack("<IIIII", 0, ts >> 32,
                                        ts & 0xFFFFFFFF, len(data),
                                        origlen) + data)
        return out

    def truth(self):
        t = {"packets": len(self.records),
             "flows": len(self.flows),
             "decode_errors": dict(sorted(self.errors.items())),
             "expect": [f.truth() for f in self.flows]}
        if self.decoder:
            t["stats_decoder"] = dict(self.decoder)
        t["decoder_pkts"] = len(self.records)
        t["decoder_bytes"] = sum(r[3] for r in self.records)
        if self.note:
            t["note"] = self.note
        return t


# ---------------------------------------------------------------------------
# Link layers: each is f(ipbytes, to_server, flow) -> frame bytes

GW_MAC = "02:00:5e:10:00:01"


def host_mac(ip):
    """A fixed locally administered MAC per address; addresses outside the
    local subnets sit behind the gateway."""
    if ip.startswith("192.168.10.") or ip.startswith("10.") or \
            ip.startswith("2001:db8:10:"):
        last = ip.replace(":", ".").split(".")[-1] or "0"
        try:
            n = int(last) & 0xff
        except ValueError:
            n = int(last, 16) & 0xff
        return "02:00:5e:10:01:%02x" % n
    return GW_MAC


def ethertype_of(ipb):
    return 0x0800 if ipb[0] >> 4 == 4 else 0x86DD


def eth_header(src_mac, dst_mac, ethertype):
    return mac_bytes(dst_mac) + mac_bytes(src_mac) + struct.pack("!H",
                                                                  ethertype)


def pad60(frame):
    """Ethernet minimum frame size (without FCS), as captured on a NIC."""
    return frame + b"\x00" * (60 - len(frame)) if len(frame) < 60 else frame


def macs(flow, to_server):
    cm, sm = host_mac(flow.cli), host_mac(flow.srv)
    if cm == sm:  # both behind the gateway (tunnel inner addresses)
        cm = "02:00:5e:10:02:01"
    return (cm, sm) if to_server else (sm, cm)


def link_ether(ipb, to_server, flow):
    s, d = macs(flow, to_server)
    return pad60(eth_header(s, d, ethertype_of(ipb)) + ipb)


def link_vlan(*tags, tpids=None):
    """802.1Q (one tag) or 802.1ad + 802.1Q (two tags, outer first)."""
    if tpids is None:
        tpids = [0x88A8] * (len(tags) - 1) + [0x8100]

    def f(ipb, to_server, flow):
        s, d = macs(flow, to_server)
        hdr = mac_bytes(d) + mac_bytes(s)
        for tpid, vid in zip(tpids, tags):
            hdr += struct.pack("!HH", tpid, vid)
        return pad60(hdr + struct.pack("!H", ethertype_of(ipb)) + ipb)
    return f


def link_pppoe(session, pfc=False):
    """PPPoE session stage; pfc: compressed 1-byte PPP protocol field."""
    def f(ipb, to_server, flow):
        s, d = macs(flow, to_server)
        if ipb[0] >> 4 == 4:
            ppp = b"\x21" if pfc else b"\x00\x21"
        else:
            ppp = b"\x57" if pfc else b"\x00\x57"
        payload = ppp + ipb
        hdr = struct.pack("!BBHH", 0x11, 0x00, session, len(payload))
        return pad60(eth_header(s, d, 0x8864) + hdr + payload)
    return f


def link_mpls(*labels):
    def f(ipb, to_server, flow):
        s, d = macs(flow, to_server)
        stack = b""
        for i, lab in enumerate(labels):
            bos = 1 if i == len(labels) - 1 else 0
            stack += struct.pack("!I", (lab << 12) | (0 << 9) | (bos << 8) | 63)
        return pad60(eth_header(s, d, 0x8847) + stack + ipb)
    return f


def link_sll(ipb, to_server, flow):
    # packet type: 0 = to us (server->client seen on the client), 4 = outgoing
    ptype = 4 if to_server else 0
    s, _ = macs(flow, to_server)
    return struct.pack("!HHH", ptype, 1, 6) + mac_bytes(s) + b"\x00\x00" + \
        struct.pack("!H", ethertype_of(ipb)) + ipb


def link_sll2(ipb, to_server, flow):
    ptype = 4 if to_server else 0
    s, _ = macs(flow, to_server)
    return struct.pack("!HHIHBB", ethertype_of(ipb), 0, 2, 1, ptype, 6) + \
        mac_bytes(s) + b"\x00\x00" + ipb


def link_raw(ipb, to_server, flow):
    return ipb


def link_null(ipb, to_server, flow):
    assert ipb[0] >> 4 == 4
    return struct.pack("<I", 2) + ipb  # AF_INET, host (little-endian) order


# Tunnels: the inner IP packet is the flow's packet; the outer headers belong
# to the tunnel endpoints and are not counted in the flow.

class Tunnel:
    def __init__(self, a, b, outer_link=None):
        self.a, self.b = a, b          # outer endpoints: a on the client side
        self.ipid = 0x4000
        self.outer_link = outer_link or self._ether

    def _ether(self, ipb, to_server):
        src = "02:00:5e:20:00:01" if to_server else "02:00:5e:20:00:02"
        dst = "02:00:5e:20:00:02" if to_server else "02:00:5e:20:00:01"
        return pad60(eth_header(src, dst, ethertype_of(ipb)) + ipb)

    def outer_ip(self, to_server, proto, payload):
        self.ipid += 1
        src, dst = (self.a, self.b) if to_server else (self.b, self.a)
        if ":" in src:
            return bytes(IPv6(src=src, dst=dst, nh=proto, hlim=64) /
                         Raw(payload))
        return bytes(IP(src=src, dst=dst, proto=proto, ttl=64, id=self.ipid) /
                     Raw(payload))

    def outer_udp(self, to_server, sport, dport, payload, csum0=True):
        src, dst = (self.a, self.b) if to_server else (self.b, self.a)
        self.ipid += 1
        u = UDP(sport=sport, dport=dport)
        if csum0:
            u.chksum = 0
        return bytes(IP(src=src, dst=dst, ttl=64, id=self.ipid) / u /
                     Raw(payload))


def link_gre(tun):
    def f(ipb, to_server, flow):
        gre = struct.pack("!HH", 0x0000, ethertype_of(ipb))
        return tun.outer_link(tun.outer_ip(to_server, 47, gre + ipb), to_server)
    return f


def link_erspan(tun, session=100):
    state = {"seq": 0}

    def f(ipb, to_server, flow):
        inner = link_ether(ipb, to_server, flow)
        state["seq"] += 1
        gre = struct.pack("!HHI", 0x1000, 0x88BE, state["seq"])  # S bit
        # ERSPAN type II: ver 1, vlan 0, cos 0, en 0, t 0, session; index 0
        ers = struct.pack("!HHI", (1 << 12) | 0, session & 0x3FF, 0)
        return tun.outer_link(tun.outer_ip(True, 47, gre + ers + inner), True)
    return f


def link_vxlan(tun, vni):
    def f(ipb, to_server, flow):
        inner = link_ether(ipb, to_server, flow)
        vx = struct.pack("!II", 0x08000000, vni << 8)
        sport = 49152 + (hash_ports(flow) % 16384)
        return tun.outer_link(tun.outer_udp(to_server, sport, 4789, vx + inner),
                              to_server)
    return f


def hash_ports(flow):
    return (flow.cport or 0) * 31 + (flow.sport or 0)


def link_gtpu(tun, teid_up, teid_down):
    def f(ipb, to_server, flow):
        teid = teid_up if to_server else teid_down
        gtp = struct.pack("!BBHI", 0x30, 0xFF, len(ipb), teid)
        return tun.outer_link(tun.outer_udp(to_server, 2152, 2152, gtp + ipb),
                              to_server)
    return f


def link_ipip(tun):
    def f(ipb, to_server, flow):
        proto = 4 if ipb[0] >> 4 == 4 else 41
        return tun.outer_link(tun.outer_ip(to_server, proto, ipb), to_server)
    return f


# ---------------------------------------------------------------------------
# Flows


class Flow:
    """A bidirectional flow as vigil must report it. Every packet sent
    through it is counted in the truth."""

    def __init__(self, cap, proto, cli, srv, cport=None, sport=None,
                 link=link_ether, v6ext=None, **extra):
        self.cap = cap
        self.proto = proto
        self.cli, self.srv = cli, srv
        self.cport, self.sport = cport, sport
        self.link = link
        self.v6 = ":" in cli
        self.v6ext = v6ext or []
        self.extra = extra
        self.pkts = [0, 0]       # toserver, toclient
        self.bytes = [0, 0]
        self.first = self.last = None
        self.ipid = [0x1000 + (len(cap.flows) * 0x111) % 0x8000, 0x6000 +
                     (len(cap.flows) * 0x137) % 0x8000]
        cap.flows.append(self)

    def ip(self, to_server, l4, df=True):
        src, dst = (self.cli, self.srv) if to_server else (self.srv, self.cli)
        if self.v6:
            p = IPv6(src=src, dst=dst, hlim=64)
            for h in self.v6ext:
                p = p / h.copy()
            return p / l4
        d = 0 if to_server else 1
        self.ipid[d] = (self.ipid[d] + 1) & 0xFFFF
        return IP(src=src, dst=dst, ttl=64 if to_server else 57,
                  id=self.ipid[d], flags="DF" if df else 0) / l4

    def emit_ip(self, t, to_server, ipb, caplen=None):
        """Send one IP packet (bytes) of this flow at t seconds (caplen:
        record only that many bytes of the frame)."""
        ipb = bytes(ipb)
        d = 0 if to_server else 1
        self.pkts[d] += 1
        self.bytes[d] += ip_total_len(ipb)
        ts = self.cap.ts(t)
        if self.first is None:
            self.first = ts
        self.first = min(self.first, ts)
        self.last = ts if self.last is None else max(self.last, ts)
        self.cap.add(t, self.link(ipb, to_server, self), caplen)

    def send(self, t, to_server, l4):
        self.emit_ip(t, to_server, self.ip(to_server, l4))

    def truth(self):
        t = {"src_ip": self.cli, "src_port": self.cport,
             "dest_ip": self.srv, "dest_port": self.sport,
             "proto": PROTO_NAMES[self.proto],
             "pkts_toserver": self.pkts[0], "pkts_toclient": self.pkts[1],
             "bytes_toserver": self.bytes[0], "bytes_toclient": self.bytes[1],
             "start": iso(self.first), "end": iso(self.last)}
        if self.proto not in (6, 17, 132):  # no ports
            del t["src_port"], t["dest_port"]
        t.update(self.extra)
        return t


class Udp(Flow):
    def __init__(self, cap, cli, srv, cport, sport, **kw):
        super().__init__(cap, 17, cli, srv, cport, sport, **kw)

    def c(self, t, payload):
        self.send(t, True, UDP(sport=self.cport, dport=self.sport) /
                  Raw(bytes(payload)))

    def s(self, t, payload):
        self.send(t, False, UDP(sport=self.sport, dport=self.cport) /
                  Raw(bytes(payload)))


class Tcp(Flow):
    """A TCP connection with sequence numbers kept right."""

    def __init__(self, cap, cli, srv, cport, sport, isn=None, **kw):
        super().__init__(cap, 6, cli, srv, cport, sport, **kw)
        n = len(cap.flows)
        self.seq = [isn or (0x10000000 + n * 0x01234567) & 0xFFFFFFFF,
                    (0x80000000 + n * 0x00F1E2D3) & 0xFFFFFFFF]
        self.win = [64240, 65160]

    def seg(self, t, to_server, flags, data=b"", opts=None):
        d = 0 if to_server else 1
        sp, dp = (self.cport, self.sport) if to_server else (self.sport,
                                                             self.cport)
        ack = self.seq[1 - d] if "A" in flags else 0
        tcp = TCP(sport=sp, dport=dp, seq=self.seq[d], ack=ack, flags=flags,
                  window=self.win[d], options=opts or [])
        if data:
            tcp = tcp / Raw(bytes(data))
        self.send(t, to_server, tcp)
        self.seq[d] = (self.seq[d] + len(data) + ("S" in flags) +
                       ("F" in flags)) & 0xFFFFFFFF

    def handshake(self, t, rtt=0.02):
        self.seg(t, True, "S", opts=[("MSS", 1460), ("SAckOK", b""),
                                     ("WScale", 7)])
        self.seg(t + rtt, False, "SA", opts=[("MSS", 1440), ("SAckOK", b""),
                                             ("WScale", 9)])
        self.seg(t + rtt + 0.0002, True, "A")
        return t + rtt + 0.0002

    def data(self, t, to_server, payload, mss=1448, rtt=0.02, ack=True):
        """Send payload in MSS-sized segments, acked by the peer every
        second segment and at the end. Returns the time of the last packet."""
        payload = bytes(payload)
        segs = [payload[i:i + mss] for i in range(0, len(payload), mss)]
        for i, s in enumerate(segs):
            t += 0.0004 if i else 0.0
            self.seg(t, to_server, "PA" if i == len(segs) - 1 else "A", s)
            if ack and (i % 2 == 1 or i == len(segs) - 1):
                self.seg(t + rtt / 2, not to_server, "A")
        return t + (rtt / 2 if ack else 0)

    def close(self, t, rtt=0.02, by_client=True):
        self.seg(t, by_client, "FA")
        self.seg(t + rtt, not by_client, "FA")
        self.seg(t + rtt + 0.0002, by_client, "A")
        return t + rtt + 0.0002

    def rst(self, t, to_server=True):
        self.seg(t, to_server, "R")


# ---------------------------------------------------------------------------
# Application payloads


def http_get(host, path="/", ua=UA_FIREFOX):
    return ("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n"
            "Accept: text/html,application/xhtml+xml,*/*;q=0.8\r\n"
            "Accept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, "
            "deflate\r\nConnection: keep-alive\r\n\r\n" % (path, host, ua)
            ).encode()


def http_200(rng, size, ctype="text/html; charset=UTF-8"):
    body = b"<!doctype html>\n<html><head><title>Example</title></head><body>\n"
    words = [b"lorem", b"ipsum", b"dolor", b"sit", b"amet", b"network",
             b"sensor", b"flow", b"packet", b"example"]
    while len(body) < size - 16:
        body += b"<p>" + b" ".join(rng.choice(words) for _ in range(12)) + \
            b"</p>\n"
    body = body[:size - 15] + b"</body></html>\n"
    hdr = ("HTTP/1.1 200 OK\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\n"
           "Server: nginx/1.22.1\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
           "Connection: keep-alive\r\n\r\n" % (ctype, len(body))).encode()
    return hdr + body


def tls_record(ctype, body, version=0x0303):
    return struct.pack("!BHH", ctype, version, len(body)) + body


def tls_handshake(htype, body):
    return struct.pack("!B", htype) + struct.pack("!I", len(body))[1:] + body


def tls_ext(etype, data):
    return struct.pack("!HH", etype, len(data)) + data


def u16list(vals):
    b = b"".join(struct.pack("!H", v) for v in vals)
    return struct.pack("!H", len(b)) + b


TLS_SUBPROTO = {"www.youtube.com": "TLS.YouTube", "i.ytimg.com": "TLS.YouTube",
                "api.github.com": "TLS.Github",
                "www.wikipedia.org": "TLS.Wikipedia",
                "login.microsoftonline.com": "TLS.Microsoft365",
                "outlook.office365.com": "TLS.Microsoft365"}


def ch_ciphers(tls13):
    return ([0x1301, 0x1303, 0x1302] if tls13 else []) + \
        [0xC02B, 0xC02F, 0xCCA9, 0xCCA8, 0xC02C, 0xC030, 0xC00A, 0xC009,
         0xC013, 0xC014, 0x009C, 0x009D, 0x002F, 0x0035]


def ja3_truth(tls13):
    """JA3 of our ClientHello and JA3S of our ServerHello, computed from
    the same lists the builders use (checked against ndpiReader 4.2)."""
    ext = [0, 23, 0xFF01, 10, 11, 35, 16, 5, 13] + \
        ([51, 43, 45] if tls13 else []) + [28]
    ja3 = "771,%s,%s,29-23-24-25-256,0" % (
        "-".join(map(str, ch_ciphers(tls13))), "-".join(map(str, ext)))
    ja3s = "771,4865,51-43" if tls13 else "771,49199,65281-11-23-16"
    return {"tls.ja3.hash": hashlib.md5(ja3.encode()).hexdigest(),
            "tls.ja3s.hash": hashlib.md5(ja3s.encode()).hexdigest()}


def tls_client_hello(rng, sni, tls13=True, alpn=(b"h2", b"http/1.1")):
    """A real (Firefox-like) ClientHello record carrying SNI."""
    ciphers = ch_ciphers(tls13)
    name = sni.encode()
    sni_entry = b"\x00" + struct.pack("!H", len(name)) + name
    exts = tls_ext(0, struct.pack("!H", len(sni_entry)) + sni_entry)
    exts += tls_ext(23, b"")                                  # ext master secret
    exts += tls_ext(0xFF01, b"\x00")                          # renegotiation
    exts += tls_ext(10, u16list([0x001D, 0x0017, 0x0018, 0x0019, 0x0100]))
    exts += tls_ext(11, b"\x01\x00")                          # ec point formats
    exts += tls_ext(35, b"")                                  # session ticket
    al = b"".join(struct.pack("!B", len(a)) + a for a in alpn)
    exts += tls_ext(16, struct.pack("!H", len(al)) + al)      # ALPN
    exts += tls_ext(5, b"\x01\x00\x00\x00\x00")               # status request
    exts += tls_ext(13, u16list([0x0403, 0x0503, 0x0603, 0x0804, 0x0805,
                                 0x0806, 0x0401, 0x0501, 0x0601, 0x0203,
                                 0x0201]))
    if tls13:
        key = bytes(rng.getrandbits(8) for _ in range(32))
        ks = struct.pack("!HH", 0x001D, 32) + key
        exts += tls_ext(51, struct.pack("!H", len(ks)) + ks)  # key share
        exts += tls_ext(43, b"\x04\x03\x04\x03\x03")          # versions
        exts += tls_ext(45, b"\x01\x01")                      # psk modes
    exts += tls_ext(28, b"\x40\x01")                          # record size limit
    body = struct.pack("!H", 0x0303)
    body += bytes(rng.getrandbits(8) for _ in range(32))
    body += b"\x20" + bytes(rng.getrandbits(8) for _ in range(32))
    body += u16list(ciphers)
    body += b"\x01\x00"
    body += struct.pack("!H", len(exts)) + exts
    return tls_record(22, tls_handshake(1, body), version=0x0301)


def tls_server_hello(rng, tls13=True):
    """ServerHello (+ ChangeCipherSpec and encrypted records for 1.3,
    + ServerHelloDone for 1.2)."""
    if tls13:
        key = bytes(rng.getrandbits(8) for _ in range(32))
        exts = tls_ext(51, struct.pack("!HH", 0x001D, 32) + key)
        exts += tls_ext(43, b"\x03\x04")
        cipher = 0x1301
    else:
        exts = tls_ext(0xFF01, b"\x00") + tls_ext(11, b"\x01\x00") + \
            tls_ext(23, b"") + tls_ext(16, b"\x00\x03\x02h2")
        cipher = 0xC02F
    body = struct.pack("!H", 0x0303)
    body += bytes(rng.getrandbits(8) for _ in range(32))
    body += b"\x20" + bytes(rng.getrandbits(8) for _ in range(32))
    body += struct.pack("!HB", cipher, 0)
    body += struct.pack("!H", len(exts)) + exts
    out = tls_record(22, tls_handshake(2, body))
    if tls13:
        out += tls_record(20, b"\x01")
        out += tls_record(23, rand_bytes(rng, 2400))
        out += tls_record(23, rand_bytes(rng, 286))
        out += tls_record(23, rand_bytes(rng, 74))
    else:
        out += tls_record(22, tls_handshake(14, b""))
    return out


def tls_client_finish(rng, tls13=True):
    if tls13:
        return tls_record(20, b"\x01") + tls_record(23, rand_bytes(rng, 74))
    ckx = tls_record(22, tls_handshake(16, b"\x20" + rand_bytes(rng, 32)))
    return ckx + tls_record(20, b"\x01") + tls_record(22, rand_bytes(rng, 40))


def tls_server_finish(rng):
    return tls_record(20, b"\x01") + tls_record(22, rand_bytes(rng, 40))


def tls_app(rng, n):
    return tls_record(23, rand_bytes(rng, n))


def rand_bytes(rng, n):
    return bytes(rng.getrandbits(8) for _ in range(n))


def ssh_kexinit(rng, server):
    def namelist(s):
        return struct.pack("!I", len(s)) + s.encode()
    kex = ("curve25519-sha256,curve25519-sha256@libssh.org,"
           "ecdh-sha2-nistp256,diffie-hellman-group16-sha512" +
           ("" if server else ",ext-info-c"))
    hostkey = "rsa-sha2-512,rsa-sha2-256,ssh-ed25519"
    enc = "chacha20-poly1305@openssh.com,aes128-ctr,aes256-gcm@openssh.com"
    mac = "umac-64-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-256"
    comp = "none,zlib@openssh.com"
    payload = b"\x14" + rand_bytes(rng, 16)
    for s in (kex, hostkey, enc, enc, mac, mac, comp, comp, "", ""):
        payload += namelist(s)
    payload += b"\x00" + b"\x00\x00\x00\x00"
    padlen = 8 - ((len(payload) + 5) % 8)
    if padlen < 4:
        padlen += 8
    pkt = struct.pack("!IB", len(payload) + padlen + 1, padlen) + payload + \
        b"\x00" * padlen
    return pkt


def dns_query(qid, name, qtype="A"):
    return DNS(id=qid, rd=1, qd=DNSQR(qname=name, qtype=qtype))


def dns_answer(qid, name, qtype, answers, ttl=300):
    """answers: list of (rrname, type, rdata)."""
    an = [DNSRR(rrname=n, type=t, ttl=ttl, rdata=r) for n, t, r in answers]
    return DNS(id=qid, qr=1, rd=1, ra=1, qd=DNSQR(qname=name, qtype=qtype),
               an=chain(an) if an else None)


def ntp_ts(t_us):
    """64-bit NTP timestamp of packet time t_us."""
    secs = t_us // 1000000 + 2208988800
    frac = ((t_us % 1000000) << 32) // 1000000
    return struct.pack("!II", secs, frac)


def ntp_packet(mode, t_us, orig=b"\x00" * 8):
    """NTPv4 client (mode 3) or server (mode 4) packet, built by hand so
    that no field defaults to the wall clock."""
    z = b"\x00" * 8
    if mode == 3:
        return struct.pack("!BBbbII4s", (0 << 6) | (4 << 3) | 3, 0, 6, -20,
                           0, 0, b"\x00" * 4) + z + z + z + ntp_ts(t_us)
    return struct.pack("!BBbbII4s", (0 << 6) | (4 << 3) | 4, 2, 6, -23,
                       0x0324, 0x0568, bytes([198, 51, 100, 250])) + \
        ntp_ts(t_us - 30000000) + orig + ntp_ts(t_us - 100) + ntp_ts(t_us)


# ---------------------------------------------------------------------------
# Building blocks used by several captures


class Ports:
    """Ephemeral ports handed out in order, per host."""

    def __init__(self, start=49152):
        self.next = {}
        self.start = start

    def __call__(self, host):
        p = self.next.get(host, self.start + (sum(map(ord, host)) * 37) % 8000)
        self.next[host] = p + 1
        return p


def dns_exchange(cap, rng, cli, cport, server, name, qtypes, answers,
                 t, rtt=0.012, link=link_ether, **kw):
    """A resolver lookup from one socket (one flow, like glibc): one query
    per qtype, each answered."""
    f = Udp(cap, cli, server, cport, 53, link=link, app_proto="dns",
            **{"dns.rrname": name}, **kw)
    for i, qt in enumerate(qtypes):
        qid = rng.getrandbits(16)
        f.c(t + i * 0.0001, bytes(dns_query(qid, name, qt)))
        f.s(t + rtt + i * 0.0003,
            bytes(dns_answer(qid, name, qt, answers.get(qt, []))))
    return f


def http_session(cap, rng, cli, cport, srv, host, t, path="/", ua=UA_FIREFOX,
                 size=1800, link=link_ether, sport=80, rtt=0.02, v6ext=None,
                 **kw):
    f = Tcp(cap, cli, srv, cport, sport, link=link, v6ext=v6ext,
            app_proto="http", state="closed",
            **{"http.hostname": host, "http.http_user_agent": ua,
               "ndpi.protocol": "HTTP"}, **kw)
    t = f.handshake(t, rtt)
    t = f.data(t + 0.001, True, http_get(host, path, ua), rtt=rtt)
    t = f.data(t + 0.003, False, http_200(rng, size), rtt=rtt)
    f.close(t + 0.05, rtt)
    return f


def tls_session(cap, rng, cli, cport, srv, sni, t, tls13=True, exchanges=1,
                resp=3000, link=link_ether, rtt=0.03, keepalive=None,
                sport=443, close=True, **kw):
    """A TLS connection: handshake, ClientHello with SNI, ServerHello,
    finish, request/response exchanges, FIN teardown."""
    extra = {"app_proto": "tls", "tls.sni": sni,
             "ndpi.protocol": TLS_SUBPROTO.get(sni, "TLS")}
    extra.update(ja3_truth(tls13))
    if close:
        extra["state"] = "closed"
    extra.update(kw)
    f = Tcp(cap, cli, srv, cport, sport, link=link, **extra)
    t = f.handshake(t, rtt)
    t = f.data(t + 0.0005, True, tls_client_hello(rng, sni, tls13), rtt=rtt)
    t = f.data(t + 0.002, False, tls_server_hello(rng, tls13), rtt=rtt)
    t = f.data(t + 0.001, True, tls_client_finish(rng, tls13), rtt=rtt)
    if not tls13:
        t = f.data(t + 0.002, False, tls_server_finish(rng), rtt=rtt)
    for i in range(exchanges):
        t = f.data(t + 0.01, True, tls_app(rng, 300 + rng.randrange(400)),
                   rtt=rtt)
        t = f.data(t + 0.005, False, tls_app(rng, resp + rng.randrange(resp)),
                   rtt=rtt)
    if keepalive:
        step, until = keepalive
        while t + step < until:
            t += step
            t = f.data(t, True, tls_app(rng, 60 + rng.randrange(60)), rtt=rtt)
            t = f.data(t + 0.01, False, tls_app(rng, 60 + rng.randrange(200)),
                       rtt=rtt)
    if close:
        t = f.close(t + 0.2, rtt)
    return f


# ---------------------------------------------------------------------------
# demo.pcap: a small office over ten minutes

def gen_demo():
    cap = Capture("demo.pcap", t0=0)
    cap.note = ("small office: DHCP, DNS, HTTP, TLS 1.2/1.3 with SNI, NTP, "
                "SSH, ICMP, IPv6 HTTPS, a long-lived TLS flow, unanswered "
                "SYNs, unknown UDP")
    rng = random.Random(20240101)
    ports = Ports()
    resolver = "192.168.10.1"
    sites = {
        "www.example.com": ("198.51.100.10", "2001:db8:beef::10"),
        "login.microsoftonline.com": ("203.0.113.50", None),
        "www.youtube.com": ("203.0.113.80", "2001:db8:beef::80"),
        "i.ytimg.com": ("203.0.113.81", None),
        "outlook.office365.com": ("203.0.113.60", None),
        "www.wikipedia.org": ("198.51.100.30", "2001:db8:beef::30"),
        "api.github.com": ("198.51.100.40", None),
        "update.example.org": ("198.51.100.50", None),
        "intranet.example.net": ("192.168.10.5", None),
        "pool.ntp.org": ("198.51.100.123", None),
        "www.example.org": ("198.51.100.60", "2001:db8:beef::443"),
        "cdn.example.net": ("198.51.100.70", None),
    }

    def answers(name):
        v4, v6 = sites[name]
        a = {"A": [(name, "A", v4)], "AAAA": [(name, "AAAA", v6)] if v6
             else []}
        if name == "www.youtube.com":
            a = {q: [(name, "CNAME", "youtube-ui.l.google.com")] +
                 [("youtube-ui.l.google.com", t, r) for _, t, r in rr]
                 for q, rr in a.items()}
        return a

    def lookup(cli, name, t, qtypes=("A", "AAAA"), same_socket=True):
        if same_socket:
            dns_exchange(cap, rng, cli, ports(cli), resolver, name, qtypes,
                         answers(name), t)
        else:
            for i, qt in enumerate(qtypes):
                dns_exchange(cap, rng, cli, ports(cli), resolver, name, [qt],
                             answers(name), t + i * 0.0002)
        return sites[name][0]

    # DHCP: a laptop joins (discover/offer/request/ack)
    mac25 = "02:00:5e:10:01:19"
    xid = 0x3903F326
    disc = Udp(cap, "0.0.0.0", "255.255.255.255", 68, 67, app_proto="dhcp")
    offer = Udp(cap, "192.168.10.1", "255.255.255.255", 67, 68,
                app_proto="dhcp")

    def bcast_link(ipb, to_server, flow):
        src = mac25 if flow is disc else "02:00:5e:10:01:01"
        return pad60(eth_header(src, "ff:ff:ff:ff:ff:ff", 0x0800) + ipb)
    disc.link = offer.link = bcast_link
    chaddr = mac_bytes(mac25)
    common = [("hostname", b"laptop-25"),
              ("param_req_list", [1, 3, 6, 15, 28, 42, 119])]
    disc.send(0.2, True, UDP(sport=68, dport=67) / BOOTP(
        op=1, xid=xid, chaddr=chaddr, flags=0) / DHCP(options=[
            ("message-type", "discover")] + common + ["end"]))
    srv_opts = [("server_id", "192.168.10.1"), ("lease_time", 86400),
                ("subnet_mask", "255.255.255.0"), ("router", "192.168.10.1"),
                ("name_server", "192.168.10.1"), ("domain", b"office.lan")]
    offer.send(0.2012, True, UDP(sport=67, dport=68) / BOOTP(
        op=2, xid=xid, yiaddr="192.168.10.25", siaddr="192.168.10.1",
        chaddr=chaddr) / DHCP(options=[("message-type", "offer")] + srv_opts +
                              ["end"]))
    disc.send(0.25, True, UDP(sport=68, dport=67) / BOOTP(
        op=1, xid=xid, chaddr=chaddr) / DHCP(options=[
            ("message-type", "request"), ("requested_addr", "192.168.10.25"),
            ("server_id", "192.168.10.1")] + common + ["end"]))
    offer.send(0.2513, True, UDP(sport=67, dport=68) / BOOTP(
        op=2, xid=xid, yiaddr="192.168.10.25", siaddr="192.168.10.1",
        chaddr=chaddr) / DHCP(options=[("message-type", "ack")] + srv_opts +
                              ["end"]))

    # NTP: the new laptop sets its clock (two polls, 16 s apart)
    ntp_ip = lookup("192.168.10.25", "pool.ntp.org", 1.0, ("A",))
    ntp = Udp(cap, "192.168.10.25", ntp_ip, 123, 123, app_proto="ntp")
    for t in (1.05, 17.05):
        req = ntp_packet(3, cap.ts(t))
        ntp.c(t, req)
        ntp.s(t + 0.018, ntp_packet(4, cap.ts(t + 0.018), req[40:48]))

    # A mail client keeps a TLS 1.2 connection open for the whole capture
    ip = lookup("192.168.10.21", "outlook.office365.com", 3.0, ("A",))
    tls_session(cap, rng, "192.168.10.21", ports("192.168.10.21"), ip,
                "outlook.office365.com", 3.05, tls13=False, exchanges=1,
                resp=1500, keepalive=(25.0, 597.0))

    # Plain HTTP, then HTTPS, to www.example.com
    ip = lookup("192.168.10.22", "www.example.com", 8.0)
    http_session(cap, rng, "192.168.10.22", ports("192.168.10.22"), ip,
                 "www.example.com", 8.05, path="/index.html", size=2400)
    tls_session(cap, rng, "192.168.10.22", ports("192.168.10.22"), ip,
                "www.example.com", 12.0, tls13=True, exchanges=2)

    # Office 365 sign-in (TLS 1.2)
    ip = lookup("192.168.10.21", "login.microsoftonline.com", 20.0, ("A",))
    tls_session(cap, rng, "192.168.10.21", ports("192.168.10.21"), ip,
                "login.microsoftonline.com", 20.05, tls13=False, exchanges=2,
                resp=2500)

    # A phone watches YouTube (separate A/AAAA sockets, like Android)
    ip = lookup("192.168.10.23", "www.youtube.com", 35.0, same_socket=False)
    tls_session(cap, rng, "192.168.10.23", ports("192.168.10.23"), ip,
                "www.youtube.com", 35.05, tls13=True, exchanges=2, resp=6000)
    ip2 = lookup("192.168.10.23", "i.ytimg.com", 36.0, ("A",))
    tls_session(cap, rng, "192.168.10.23", ports("192.168.10.23"), ip2,
                "i.ytimg.com", 36.05, tls13=True, exchanges=3, resp=2000)

    # SSH session with a minute of typing
    ssh = Tcp(cap, "192.168.10.22", "203.0.113.22", ports("192.168.10.22"), 22,
              app_proto="ssh", state="closed")
    t = ssh.handshake(50.0, 0.025)
    t = ssh.data(t + 0.03, False, b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
                 rtt=0.025)
    t = ssh.data(t + 0.001, True, b"SSH-2.0-OpenSSH_9.2\r\n", rtt=0.025)
    t = ssh.data(t + 0.001, True, ssh_kexinit(rng, False), rtt=0.025)
    t = ssh.data(t + 0.002, False, ssh_kexinit(rng, True), rtt=0.025)
    t = ssh.data(t + 0.01, True, rand_bytes(rng, 48), rtt=0.025)
    t = ssh.data(t + 0.01, False, rand_bytes(rng, 1100), rtt=0.025)
    t = ssh.data(t + 0.01, True, rand_bytes(rng, 16), rtt=0.025)
    while t < 108:
        t = ssh.data(t + 4.0 + rng.random(), True, rand_bytes(rng, 36),
                     rtt=0.025, ack=False)
        t = ssh.data(t + 0.025, False, rand_bytes(rng, 36 + 8 *
                                                  rng.randrange(20)),
                     rtt=0.025)
    ssh.close(t + 1.0, 0.025)

    # ping
    icmp = Flow(cap, 1, "192.168.10.22", "198.51.100.1", app_proto="icmp")
    for i in range(4):
        pl = struct.pack("!Q", cap.ts(60.0 + i)) + bytes(range(16, 56))
        icmp.send(60.0 + i, True, ICMP(type=8, id=0x2f1c, seq=i + 1) / Raw(pl))
        icmp.send(60.0 + i + 0.011, False, ICMP(type=0, id=0x2f1c, seq=i + 1) /
                  Raw(pl))

    # Something proprietary on an unknown UDP port
    odd = Udp(cap, "192.168.10.24", "203.0.113.77", ports("192.168.10.24"),
              34567)
    for i in range(4):
        odd.c(75.0 + i * 0.7, rand_bytes(rng, 80 + rng.randrange(200)))
        if i != 2:
            odd.s(75.0 + i * 0.7 + 0.04, rand_bytes(rng, 40 + rng.randrange(90)))

    # Unanswered SYNs (with the usual retransmissions)
    for i in range(3):
        syn = Tcp(cap, "192.168.10.24", "203.0.113.200",
                  ports("192.168.10.24"), 8443, state="new")
        for dt in (0.0, 1.0, 3.0):
            syn.seq[0] = syn.seq[0] - 1 if dt else syn.seq[0]
            syn.seg(90.0 + i * 0.3 + dt, True, "S",
                    opts=[("MSS", 1460), ("SAckOK", b""), ("WScale", 7)])

    # IPv6 HTTPS
    lookup("192.168.10.22", "www.example.org", 100.0, ("AAAA",))
    tls_session(cap, rng, "2001:db8:10::22", 50123, "2001:db8:beef::443",
                "www.example.org", 100.05, tls13=True, exchanges=2, resp=2500)

    ip = lookup("192.168.10.25", "api.github.com", 120.0, ("A",))
    tls_session(cap, rng, "192.168.10.25", ports("192.168.10.25"), ip,
                "api.github.com", 120.05, tls13=True, exchanges=1)
    ip = lookup("192.168.10.21", "www.wikipedia.org", 150.0)
    tls_session(cap, rng, "192.168.10.21", ports("192.168.10.21"), ip,
                "www.wikipedia.org", 150.05, tls13=True, exchanges=2)
    tls_session(cap, rng, "192.168.10.23", ports("192.168.10.23"),
                "203.0.113.80", "www.youtube.com", 180.0, tls13=True,
                exchanges=3, resp=5000)
    ip = lookup("192.168.10.25", "update.example.org", 200.0, ("A",))
    http_session(cap, rng, "192.168.10.25", ports("192.168.10.25"), ip,
                 "update.example.org", 200.05,
                 path="/debian/dists/bookworm/InRelease", ua=UA_APT,
                 size=5000)
    ip = lookup("192.168.10.21", "intranet.example.net", 240.0, ("A",))
    http_session(cap, rng, "192.168.10.21", ports("192.168.10.21"), ip,
                 "intranet.example.net", 240.01, path="/wiki/Main_Page",
                 ua=UA_EDGE, size=3000, rtt=0.001)

    # The rest of the ten minutes: people browse
    clients = ["192.168.10.21", "192.168.10.22", "192.168.10.23",
               "192.168.10.25"]
    plan = ["www.example.com", "www.wikipedia.org", "api.github.com",
            "www.youtube.com", "cdn.example.net", "login.microsoftonline.com",
            "www.example.com", "i.ytimg.com"]
    t = 260.0
    k = 0
    while t < 585.0:
        cli = clients[k % len(clients)]
        name = plan[k % len(plan)]
        ip = lookup(cli, name, t, ("A", "AAAA") if k % 3 == 0 else ("A",))
        if name == "cdn.example.net":
            http_session(cap, rng, cli, ports(cli), ip, name, t + 0.05,
                         path="/static/app.js", ua=UA_CURL, size=1200)
        else:
            tls_session(cap, rng, cli, ports(cli), ip, name, t + 0.05,
                        tls13=(k % 4 != 1), exchanges=1 + k % 3,
                        resp=1500 + 500 * (k % 4))
        t += 17.0 + rng.randrange(8)
        k += 1
    # plain Ethernet, no tunnels or fragments: the per-protocol packet
    # counters are unambiguous here
    dec = {"ipv4": 0, "ipv6": 0, "tcp": 0, "udp": 0, "icmp": 0}
    for f in cap.flows:
        n = sum(f.pkts)
        dec["ipv6" if f.v6 else "ipv4"] += n
        dec[{6: "tcp", 17: "udp", 1: "icmp"}[f.proto]] += n
    cap.decoder = dec
    return [cap]


# ---------------------------------------------------------------------------
# Encapsulations: each capture a DNS lookup and an HTTP fetch (inner flows)


def simple_pair(cap, rng, idx, link, cli=None, srv=None, dns_srv=None,
                host="www.example.com", v6ext=None, dns=True, http=True):
    cli = cli or "10.%d.0.10" % idx
    srv = srv or "198.51.100.%d" % (100 + idx)
    dns_srv = dns_srv or "192.0.2.53"
    out = []
    if dns:
        qt = "AAAA" if ":" in cli else "A"
        ans = {"A": [(host, "A", srv)]} if qt == "A" else \
            {"AAAA": [(host, "AAAA", srv)]}
        out.append(dns_exchange(cap, rng, cli, 40000 + idx * 10, dns_srv, host,
                                [qt], ans, 1.0, link=link))
    if http:
        out.append(http_session(cap, rng, cli, 41000 + idx * 10, srv, host,
                                1.1, path="/idx%d.html" % idx, size=900,
                                link=link, v6ext=v6ext))
    return out


def gen_encaps():
    caps = []
    rng = random.Random(7)
    hour = 3600

    def mk(name, idx, link, linktype=LINKTYPE_ETHERNET, decoder=None, **kw):
        c = Capture(name, linktype=linktype, t0=idx * hour)
        fl = simple_pair(c, rng, idx, link, **kw)
        n = len(c.records)
        if decoder:
            c.decoder = {k: (n if v == "all" else v)
                         for k, v in decoder.items()}
        caps.append(c)
        return c, fl

    c, fl = mk("vlan.pcap", 1, link_vlan(100), decoder={"vlan": "all"})
    for f in fl:
        f.extra["vlan"] = 100
    c, fl = mk("qinq.pcap", 2, link_vlan(10, 200))
    for f in fl:
        f.extra["vlan"] = 200
    mk("pppoe.pcap", 3, link_pppoe(0x1a2b), decoder={"pppoe": "all"})
    mk("pppoe_pfc.pcap", 4, link_pppoe(0x1a2c, pfc=True),
       decoder={"pppoe": "all"})
    mk("mpls.pcap", 5, link_mpls(1001, 2002), decoder={"mpls": "all"})
    mk("gre.pcap", 6, link_gre(Tunnel("172.16.6.1", "172.16.6.2")),
       decoder={"tunneled": "all"})
    mk("erspan.pcap", 7, link_erspan(Tunnel("172.16.7.1", "172.16.7.2")),
       decoder={"tunneled": "all"})
    mk("vxlan.pcap", 8, link_vxlan(Tunnel("172.16.8.1", "172.16.8.2"), 5001),
       decoder={"tunneled": "all"})
    mk("gtpu.pcap", 9, link_gtpu(Tunnel("172.16.9.1", "172.16.9.2"),
                                 0x00000123, 0x0A000456),
       decoder={"tunneled": "all"})
    mk("ipip.pcap", 10, link_ipip(Tunnel("192.0.2.10", "198.51.100.9")),
       cli="2001:db8:10::a", srv="2001:db8:beef::a", dns_srv="2001:db8:53::53",
       decoder={"tunneled": "all"})
    # linktypes
    mk("sll.pcap", 11, link_sll, linktype=LINKTYPE_LINUX_SLL)
    mk("sll2.pcap", 12, link_sll2, linktype=LINKTYPE_LINUX_SLL2)
    c, _ = mk("rawip.pcap", 13, link_raw, linktype=LINKTYPE_RAW)
    simple_pair(c, rng, 13, link_raw, cli="2001:db8:13::10",
                srv="2001:db8:beef::13", dns_srv="2001:db8:53::53", dns=False)
    mk("null.pcap", 14, link_null, linktype=LINKTYPE_NULL)

    # ipv4_frag: a DNS answer too big for the path, in three fragments
    c = Capture("ipv4_frag.pcap", t0=15 * hour)
    name = "cdn.example.com"
    q = Udp(c, "10.15.0.10", "192.0.2.53", 40150, 53, app_proto="dns",
            **{"dns.rrname": name})
    qid = 0x5151
    q.c(1.0, bytes(dns_query(qid, name, "A")))
    resp = IP(src="192.0.2.53", dst="10.15.0.10", id=0x7777, ttl=57) / \
        UDP(sport=53, dport=40150) / dns_answer(
            qid, name, "A", [(name, "A", "198.51.100.%d" % (150 + i))
                             for i in range(15)], ttl=60)
    frags = fragment(resp, fragsize=184)
    assert len(frags) == 3
    for i, fr in enumerate(frags):
        q.emit_ip(1.012 + i * 0.0001, False, bytes(fr))
    c.decoder = {"fragments": 3}
    caps.append(c)

    # ipv6_ext: extension headers before TCP, and a fragmented UDP answer
    c = Capture("ipv6_ext.pcap", t0=16 * hour)
    ext = [IPv6ExtHdrHopByHop(options=[]), IPv6ExtHdrDestOpt(options=[])]
    http_session(c, rng, "2001:db8:16::10", 41160, "2001:db8:beef::16",
                 "www.example.com", 1.1, path="/ext.html", size=900,
                 v6ext=ext)
    name = "big.example.com"
    q = Udp(c, "2001:db8:16::10", "2001:db8:53::53", 40160, 53,
            app_proto="dns", **{"dns.rrname": name})
    q.c(1.0, bytes(dns_query(0x6161, name, "AAAA")))
    resp = IPv6(src="2001:db8:53::53", dst="2001:db8:16::10", hlim=57) / \
        IPv6ExtHdrFragment(id=0x61616161) / UDP(sport=53, dport=40160) / \
        dns_answer(0x6161, name, "AAAA", [(name, "AAAA", "2001:db8:beef::%x" %
                                           (0x100 + i)) for i in range(20)])
    frags = fragment6(resp, 600)
    assert len(frags) == 2, len(frags)
    for i, fr in enumerate(frags):
        q.emit_ip(1.013 + i * 0.0001, False, bytes(fr))
    c.decoder = {"fragments": 2}
    caps.append(c)

    # SCTP association setup
    c = Capture("sctp.pcap", t0=17 * hour)
    s = Flow(c, 132, "10.17.0.10", "10.17.0.20", 5000, 38412,
             app_proto="sctp")
    s.send(1.0, True, SCTP(sport=5000, dport=38412, tag=0) / SCTPChunkInit(
        init_tag=0x11223344, a_rwnd=106496, n_out_streams=10,
        n_in_streams=65535, init_tsn=0x01020304))
    s.send(1.001, False, SCTP(sport=38412, dport=5000, tag=0x11223344) /
           SCTPChunkInitAck(init_tag=0x55667788, a_rwnd=106496,
                            n_out_streams=10, n_in_streams=10,
                            init_tsn=0x0a0b0c0d,
                            params=[]))
    s.send(1.002, True, SCTP(sport=5000, dport=38412, tag=0x55667788) /
           SCTPChunkCookieEcho(cookie=rand_bytes(rng, 32)))
    s.send(1.003, False, SCTP(sport=38412, dport=5000, tag=0x11223344) /
           SCTPChunkCookieAck())
    caps.append(c)

    # ICMP echo, v4 and v6
    c = Capture("icmp.pcap", t0=18 * hour)
    p4 = Flow(c, 1, "10.18.0.10", "198.51.100.118", app_proto="icmp")
    p6 = Flow(c, 58, "2001:db8:18::10", "2001:db8:beef::18",
              app_proto="icmpv6")
    for i in range(3):
        pl = bytes(range(i, 48 + i))
        p4.send(1.0 + i, True, ICMP(type=8, id=0x18, seq=i) / Raw(pl))
        p4.send(1.01 + i, False, ICMP(type=0, id=0x18, seq=i) / Raw(pl))
        p6.send(1.5 + i, True, ICMPv6EchoRequest(id=0x618, seq=i, data=pl))
        p6.send(1.51 + i, False, ICMPv6EchoReply(id=0x618, seq=i, data=pl))
    caps.append(c)
    return caps


# ---------------------------------------------------------------------------
# snapped.pcap: snaplen 96, full-size segments

def gen_snapped():
    c = Capture("snapped.pcap", snaplen=96, t0=19 * 3600)
    rng = random.Random(19)
    f = Tcp(c, "10.19.0.10", "198.51.100.119", 41190, 80, state="closed")
    t = f.handshake(1.0)
    t = f.data(t + 0.001, True, http_get("files.example.com",
                                          "/big.bin", UA_CURL))
    body = b"HTTP/1.1 200 OK\r\nContent-Length: 8400\r\n\r\n"
    body += rand_bytes(rng, 8400 - len(body) + 40)
    t = f.data(t + 0.003, False, body, mss=1400)
    f.close(t + 0.01)
    return [c]


# ---------------------------------------------------------------------------
# malformed.pcap: one valid flow among broken packets

def gen_malformed():
    c = Capture("malformed.pcap", t0=20 * 3600)
    rng = random.Random(20)
    good = http_session(c, rng, "10.20.0.10", 41200, "198.51.100.120",
                        "www.example.com", 1.0, size=700)
    del good.extra["http.http_user_agent"]
    m1, m2 = "02:00:5e:10:01:99", GW_MAC

    def eth(et, payload, pad=True):
        fr = eth_header(m1, m2, et) + payload
        return pad60(fr) if pad else fr

    def ip4(l4, **kw):
        return bytes(IP(src="10.20.0.66", dst="198.51.100.166", ttl=64, **kw) /
                     l4)
    t = 2.0
    # Ethernet frame of 10 bytes
    c.error(t, b"\xff" * 6 + mac_bytes(m1)[:4], "truncated_link")
    # IPv4 with IHL 3
    b = bytearray(ip4(UDP(sport=1111, dport=53) / Raw(b"x" * 20)))
    b[0] = 0x43
    c.error(t + 0.1, eth(0x0800, bytes(b)), "invalid_ipv4")
    # IPv4 header cut after 12 bytes (frame ends there)
    b = ip4(TCP(sport=1112, dport=80, flags="S"))
    c.error(t + 0.2, eth(0x0800, b[:12], pad=False), "truncated_ipv4")
    # TCP with data offset 2
    b = bytearray(ip4(TCP(sport=1113, dport=80, flags="S")))
    b[20 + 12] = 0x20
    c.error(t + 0.3, eth(0x0800, bytes(b)), "invalid_tcp")
    # TCP header cut by the capture: the IP header promises a 20-byte TCP
    # header, the record holds 10 bytes of it (caplen 44 of 54 on the wire)
    b = ip4(TCP(sport=1114, dport=80, flags="S"))
    c.error(t + 0.4, eth(0x0800, b, pad=False), "truncated_tcp",
            caplen=14 + 20 + 10)
    # UDP length 4
    b = bytearray(ip4(UDP(sport=1115, dport=53, len=4, chksum=0) /
                      Raw(b"abcd")))
    c.error(t + 0.5, eth(0x0800, bytes(b)), "invalid_udp")
    # IPv6 header cut after 20 bytes
    b = bytes(IPv6(src="2001:db8:20::66", dst="2001:db8:beef::66") /
              UDP(sport=1116, dport=53))
    c.error(t + 0.6, eth(0x86DD, b[:20], pad=False), "truncated_ipv6")
    # VLAN tag cut: TPID then 2 bytes
    c.error(t + 0.7, eth_header(m1, m2, 0x8100) + b"\x00", "truncated_vlan")
    # ARP request
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac_bytes(m1) + \
        bytes([10, 20, 0, 66]) + b"\x00" * 6 + bytes([10, 20, 0, 1])
    c.error(t + 0.8, pad60(eth_header(m1, "ff:ff:ff:ff:ff:ff", 0x0806) + arp),
            "not_ip")
    # A non-first fragment (offset 1480) whose first fragment never comes
    b = bytes(IP(src="10.20.0.67", dst="198.51.100.167", id=0x4242, frag=185,
                 flags=0, proto=17, ttl=64) / Raw(rand_bytes(rng, 120)))
    c.error(t + 0.9, eth(0x0800, b), "fragment_without_first")
    # More reasons, each once. Headers cut by the capture (caplen short
    # of what the IP header promises):
    b = ip4(UDP(sport=1117, dport=53) / Raw(b"q" * 20))
    c.error(t + 1.0, eth(0x0800, b), "truncated_udp", caplen=14 + 20 + 4)
    b = ip4(ICMP(type=8, id=7, seq=1) / Raw(b"p" * 32))
    c.error(t + 1.1, eth(0x0800, b), "truncated_icmp", caplen=14 + 20 + 1)
    b = ip4(SCTP(sport=5001, dport=38412, tag=0) / SCTPChunkInit(
        init_tag=1, a_rwnd=1500, n_out_streams=1, n_in_streams=1,
        init_tsn=1))
    c.error(t + 1.2, eth(0x0800, b), "truncated_sctp", caplen=14 + 20 + 6)
    # A GRE packet cut inside its GRE header is no error: vigil cannot
    # see the tunnel and reports the outer GRE flow (IP protocol 47)
    inner = ip4(UDP(sport=1118, dport=53) / Raw(b"g" * 20))
    gre = Flow(c, 47, "172.16.20.1", "172.16.20.2")
    gre.emit_ip(t + 1.3, True, IP(src="172.16.20.1", dst="172.16.20.2",
                                  proto=47, ttl=64, id=0x2020) /
                Raw(struct.pack("!HH", 0, 0x0800) + inner),
                caplen=14 + 20 + 2)
    # PPPoE and MPLS headers cut short
    c.error(t + 1.4, eth_header(m1, m2, 0x8864) + b"\x11\x00\x1a",
            "truncated_pppoe")
    c.error(t + 1.5, eth_header(m1, m2, 0x8847) + b"\x00\x3e",
            "truncated_mpls")
    # six GRE tunnels inside each other (vigil strips at most 4)
    pkt = ip4(UDP(sport=1119, dport=53) / Raw(b"d" * 20))
    for i in range(6):
        pkt = bytes(IP(src="172.16.21.%d" % (i + 1), dst="172.16.22.%d" %
                       (i + 1), proto=47, ttl=64) /
                    Raw(struct.pack("!HH", 0, 0x0800) + pkt))
    c.error(t + 1.6, eth(0x0800, pkt), "tunnel_too_deep")
    return [c]


def gen_links():
    """Cisco HDLC (decoded) and a link type vigil does not know."""
    rng = random.Random(23)
    c = Capture("chdlc.pcap", linktype=LINKTYPE_C_HDLC, t0=23 * 3600)

    def link_chdlc(ipb, to_server, flow):
        return struct.pack("!BBH", 0x0F, 0x00, ethertype_of(ipb)) + ipb
    simple_pair(c, rng, 23, link_chdlc)
    u = Capture("linktype_user0.pcap", linktype=LINKTYPE_USER0, t0=24 * 3600)
    for i in range(3):
        u.error(1.0 + i, b"\x00\x01" + bytes(IP(src="10.24.0.10",
                                                 dst="198.51.100.124") /
                                              UDP(sport=40240, dport=53) /
                                              Raw(b"u" * 20)),
                "unsupported_linktype")
    # the same kind of traffic in a pcapng file (nanosecond timestamps)
    g = Capture("pcapng.pcapng", t0=25 * 3600)
    simple_pair(g, rng, 25, link_ether)
    return [c, u, g]


# ---------------------------------------------------------------------------
# tcp_timeouts.pcap: port reuse, mid-stream pick-up, UDP gap, long flow

def gen_timeouts():
    c = Capture("tcp_timeouts.pcap", t0=21 * 3600)
    rng = random.Random(21)
    cli, srv = "10.21.0.10", "198.51.100.121"
    # the same 5-tuple twice, 5 minutes apart
    for t0 in (1.0, 301.0):
        http_session(c, rng, cli, 41210, srv, "www.example.com", t0, size=600)
    # first packet seen is the SYN-ACK: the client is its destination
    f = Tcp(c, "10.21.0.11", "198.51.100.122", 41211, 80, app_proto="http",
            state="closed", **{"http.hostname": "www.example.com",
                               "http.http_user_agent": UA_CURL})
    f.seq[0] += 1  # the SYN happened before the capture started
    f.seg(2.0, False, "SA", opts=[("MSS", 1440)])
    f.seg(2.0002, True, "A")
    t = f.data(2.001, True, http_get("www.example.com", "/late", UA_CURL))
    t = f.data(t + 0.003, False, http_200(rng, 500))
    f.close(t + 0.01)
    # UDP with a 10 minute gap: two flows
    for t0 in (3.0, 603.0):
        u = Udp(c, "10.21.0.12", "198.51.100.123", 41212, 5353 + 6000)
        for i in range(3):
            u.c(t0 + i, rand_bytes(rng, 64))
            u.s(t0 + i + 0.01, rand_bytes(rng, 64))
    # picked up mid-stream: the first packet is the server's data from a
    # well-known port; the client is the ephemeral side
    f = Tcp(c, "10.21.0.14", "198.51.100.125", 41214, 443)
    for i in range(3):
        f.seg(5.0 + i * 0.5, False, "PA", rand_bytes(rng, 700))
        f.seg(5.02 + i * 0.5, True, "A")
    # a UDP exchange whose first datagram seen is the answer (53 -> 41215)
    u = Udp(c, "10.21.0.15", "192.0.2.53", 41215, 53, app_proto="dns",
            **{"dns.rrname": "www.example.com"})
    ans = {"A": [("www.example.com", "A", "198.51.100.10")]}
    u.s(6.0, bytes(dns_answer(0x2121, "www.example.com", "A", ans["A"])))
    u.c(6.5, bytes(dns_query(0x2122, "www.example.com", "A")))
    u.s(6.51, bytes(dns_answer(0x2122, "www.example.com", "A", ans["A"])))
    # 70 minutes, a packet each minute: interim records on the way
    f = Tcp(c, "10.21.0.13", "198.51.100.124", 41213, 5222, state="closed",
            interim=2)
    t = f.handshake(4.0)
    for m in range(1, 71):
        to_server = m % 2 == 1
        f.seg(4.0 + 60 * m + 0.5, to_server, "PA", rand_bytes(rng, 40))
    f.close(4.0 + 60 * 70 + 30.0)
    return [c]


# ---------------------------------------------------------------------------
# multi_a.pcap + multi_b.pcap: one flow split across two files

def gen_multi():
    a = Capture("multi_a.pcap", t0=22 * 3600)
    b = Capture("multi_b.pcap", t0=22 * 3600)
    rng = random.Random(22)
    f = Tcp(a, "10.22.0.10", "198.51.100.125", 41220, 443, app_proto="tls",
            state="closed", **{"tls.sni": "www.example.com",
                               "ndpi.protocol": "TLS"}, **ja3_truth(True))
    t = f.handshake(1.0)
    t = f.data(t + 0.001, True, tls_client_hello(rng, "www.example.com"))
    t = f.data(t + 0.002, False, tls_server_hello(rng))
    t = f.data(t + 0.001, True, tls_client_finish(rng))
    t = f.data(t + 0.01, True, tls_app(rng, 400))
    # the rest goes to the second file
    f.cap = b
    t = f.data(t + 1.0, False, tls_app(rng, 3000))
    t = f.data(t + 0.01, True, tls_app(rng, 200))
    t = f.data(t + 0.01, False, tls_app(rng, 1000))
    f.close(t + 0.5)
    return [a, b]


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures"
    os.makedirs(outdir, exist_ok=True)
    caps = gen_demo() + gen_encaps() + gen_snapped() + gen_malformed() + \
        gen_timeouts() + gen_links()
    multi = gen_multi()
    truth = {}
    total = 0
    for c in caps + multi:
        c.write(outdir)
        total += os.path.getsize(os.path.join(outdir, c.name))
    for c in caps:
        truth[c.name] = c.truth()
    a, b = multi
    ta = a.truth()
    tb = b.truth()
    truth["multi_a.pcap"] = {"packets": ta["packets"],
                             "decoder_pkts": ta["decoder_pkts"],
                             "decoder_bytes": ta["decoder_bytes"],
                             "standalone": False}
    truth["multi_b.pcap"] = {"packets": tb["packets"],
                             "decoder_pkts": tb["decoder_pkts"],
                             "decoder_bytes": tb["decoder_bytes"],
                             "standalone": False}
    both = dict(ta)
    both["files"] = ["multi_a.pcap", "multi_b.pcap"]
    both["packets"] = ta["packets"] + tb["packets"]
    both["decoder_pkts"] = both["packets"]
    both["decoder_bytes"] = ta["decoder_bytes"] + tb["decoder_bytes"]
    both["flows"] = 1
    truth["multi_a.pcap+multi_b.pcap"] = both
    for v in truth.values():
        v.pop("packets", None)
    with open(os.path.join(outdir, "truth.json"), "w") as f:
        json.dump(truth, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote %d captures (%d bytes) and truth.json to %s" %
          (len(caps) + 2, total, outdir))


if __name__ == "__main__":
    main()
