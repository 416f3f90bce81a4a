#!/usr/bin/env python3
"""gen_flows.py N OUT.pcap - N concurrent DNS flows (query + answer each).

Every flow is classified by nDPI on its first two packets and stays in the
flow table until its UDP timeout, so `vigil replay` on this file measures
the memory a classified flow costs. Standard library only; deterministic.
"""
import struct
import sys


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, payload, proto=17):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0x4000, 64, proto, 0, src, dst)
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def dns(qid, name, answer=None):
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0" + struct.pack("!HH", 1, 1)
    if answer is None:
        return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q
    a = struct.pack("!HHHIH4s", 0xC00C, 1, 1, 300, 4, answer)
    return struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + q + a


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    eth = bytes.fromhex("020000000001020000000002") + b"\x08\x00"
    server = bytes([192, 0, 2, 53])
    t = 1_700_000_000 * 1_000_000
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(n):
            client = bytes([10, (i >> 16) & 0xFF, (i >> 8) & 0xFF, i & 0xFF])
            sport = 1024 + (i * 7919) % 60000
            name = "host%d.example.org" % i
            for pkt in (ipv4(client, server, udp(sport, 53, dns(i & 0xFFFF, name))),
                        ipv4(server, client, udp(53, sport, dns(i & 0xFFFF, name, client)))):
                frame = eth + pkt
                f.write(struct.pack("<IIII", t // 1_000_000, t % 1_000_000, len(frame), len(frame)))
                f.write(frame)
                t += 50  # 100 us per flow: 200k flows fit in 20 s, well inside the UDP timeout


if __name__ == "__main__":
    main()
