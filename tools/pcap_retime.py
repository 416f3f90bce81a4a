#!/usr/bin/env python3
"""pcap_retime.py IN OUT [MAX_GAP_S] - make a classic pcap's clock monotonic.

Each packet keeps its gap to the previous one, but a gap that is negative
(files concatenated out of time order) becomes 1 ms and one longer than
MAX_GAP_S seconds (default 60) is cut to MAX_GAP_S. The result reads like
one continuous capture from a live link: flows keep their timing and time
out as they would there. Used by make bench; standard library only.
"""
import struct
import sys


def main():
    src, dst = sys.argv[1], sys.argv[2]
    max_gap = int(float(sys.argv[3]) * 1e6) if len(sys.argv) > 3 else 60_000_000
    with open(src, "rb") as f, open(dst, "wb") as out:
        hdr = f.read(24)
        magic = struct.unpack("<I", hdr[:4])[0]
        if magic == 0xA1B2C3D4:
            end, scale = "<", 1
        elif magic == 0xD4C3B2A1:
            end, scale = ">", 1
        elif magic == 0xA1B23C4D:
            end, scale = "<", 1000
        elif magic == 0x4D3CB2A1:
            end, scale = ">", 1000
        else:
            sys.exit("%s: not a classic pcap file" % src)
        out.write(hdr)
        rec = struct.Struct(end + "IIII")
        prev_in = None
        now = 1_700_000_000 * 1_000_000  # microseconds
        while True:
            h = f.read(16)
            if len(h) < 16:
                break
            sec, frac, incl, orig = rec.unpack(h)
            data = f.read(incl)
            t_in = sec * 1_000_000 + frac // scale
            if prev_in is not None:
                gap = t_in - prev_in
                now += 1000 if gap <= 0 else min(gap, max_gap)
            prev_in = t_in
            out.write(rec.pack(now // 1_000_000, (now % 1_000_000) * scale, incl, orig))
            out.write(data)


if __name__ == "__main__":
    main()
