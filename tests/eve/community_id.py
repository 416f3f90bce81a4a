"""community_id.py - Community ID v1 in Python, written from the
specification (corelight/community-id-spec) independently of
firmware/src/output/community_id.c, to check every event vigil writes."""
import base64
import hashlib
import ipaddress
import struct

ICMP4 = {8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 10: 9, 9: 10,
         17: 18, 18: 17}
ICMP6 = {128: 129, 129: 128, 133: 134, 134: 133, 135: 136, 136: 135,
         130: 131, 131: 130, 144: 145, 145: 144, 139: 140, 140: 139}
PROTO = {"TCP": 6, "UDP": 17, "SCTP": 132, "ICMP": 1, "IPv6-ICMP": 58}


def community_id(saddr, daddr, proto, sport=0, dport=0, seed=0):
    a = ipaddress.ip_address(saddr).packed
    b = ipaddress.ip_address(daddr).packed
    ports = proto in (1, 6, 17, 58, 132)
    one_way = False
    if proto in (1, 58):
        peer = (ICMP4 if proto == 1 else ICMP6).get(sport)
        if peer is None:
            one_way = True
        else:
            dport = peer
    if not one_way and (a > b or (a == b and ports and sport > dport)):
        a, b, sport, dport = b, a, dport, sport
    data = struct.pack("!H", seed) + a + b + bytes([proto, 0])
    if ports:
        data += struct.pack("!HH", sport, dport)
    return "1:" + base64.b64encode(hashlib.sha1(data).digest()).decode()


def of_event(ev, proto_numbers=None):
    """The Community ID an EVE event's tuple gives, or None when the event
    names no flow (stats) or a protocol this module does not know by
    name (pass proto_numbers for others)."""
    if "src_ip" not in ev or "dest_ip" not in ev or "proto" not in ev:
        return None
    p = PROTO.get(ev["proto"])
    if p is None:
        p = (proto_numbers or {}).get(ev["proto"])
        if p is None and str(ev["proto"]).isdigit():
            p = int(ev["proto"])
    if p is None:
        return None
    if p in (1, 58):
        if "icmp_type" in ev:
            sp, dp = ev["icmp_type"], ev.get("icmp_code", 0)
        else:
            sp, dp = ev.get("response_icmp_type", 0), ev.get("response_icmp_code", 0)
    else:
        sp, dp = ev.get("src_port", 0), ev.get("dest_port", 0)
    return community_id(ev["src_ip"], ev["dest_ip"], p, sp, dp)
