#!/usr/bin/env python3
"""mkseeds.py OUT - the fuzz harnesses' seed corpora, from the project's fixtures.

Writes OUT/<harness>/<name> for every harness of tests/fuzz:
  decode, pipeline  packet sequences (fuzz.h's format) cut from every pcap
                    of tests/fixtures and tests/detect
  rules             every *.rules file of rules/ and tests/detect/rulesets,
                    and each of their rules on its own
  ioc               every indicator list of those rule sets
  detectors         every detectors.conf, suppress: every suppress.conf
  config            firmware/etc/*.conf
and adds the hand-written seeds of tests/fuzz/seeds/<harness>/ (web and
json have only those). Run from the top of the tree (make fuzz does).
"""
import glob
import hashlib
import os
import shutil
import struct
import sys

SEQ_MAX = {"decode": 4096, "pipeline": 8192}
SEQ_PKTS = {"decode": 8, "pipeline": 64}
PER_PCAP = {"decode": 24, "pipeline": 24}


def read_pcap(path):
    """(linktype, [(ts_us, bytes)]) of a pcap or pcapng file."""
    data = open(path, "rb").read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        le = magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1")
        nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
        e = "<" if le else ">"
        linktype = struct.unpack(e + "I", data[20:24])[0] & 0xFFFF
        off, pkts = 24, []
        while off + 16 <= len(data):
            sec, frac, incl, _orig = struct.unpack(e + "IIII", data[off:off + 16])
            off += 16
            pkts.append((sec * 1000000 + (frac // 1000 if nano else frac), data[off:off + incl]))
            off += incl
        return linktype, pkts
    if magic == b"\x0a\x0d\x0d\x0a":
        e = "<" if data[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
        off, linktypes, pkts = 0, [], []
        while off + 12 <= len(data):
            btype, blen = struct.unpack(e + "II", data[off:off + 8])
            body = data[off + 8:off + blen - 4]
            if btype == 1:
                linktypes.append(struct.unpack(e + "H", body[:2])[0])
            elif btype == 6:
                ifid, hi, lo, cap, _orig = struct.unpack(e + "IIIII", body[:20])
                pkts.append(((hi << 32) | lo, body[20:20 + cap]))
            if blen < 12:
                break
            off += blen
        return (linktypes[0] if linktypes else 1), pkts
    raise ValueError("%s: not a pcap or pcapng file" % path)


def sequence(linktype, pkts, limit):
    out = bytearray(struct.pack("<H", linktype))
    prev = pkts[0][0] if pkts else 0
    for ts, data in pkts:
        rec = struct.pack("<HI", min(len(data), 0xFFFE), max(0, min(ts - prev, 0xFFFFFFFF)))
        if len(out) + len(rec) + len(data) > limit and len(out) > 2:
            break
        out += rec + data[:0xFFFE]
        prev = ts
    return bytes(out)


def put(outdir, harness, name, data):
    d = os.path.join(outdir, harness)
    os.makedirs(d, exist_ok=True)
    h = hashlib.sha1(data).hexdigest()[:12]
    with open(os.path.join(d, "%s-%s" % (name, h)), "wb") as f:
        f.write(data)


def packet_seeds(outdir):
    pcaps = sorted(glob.glob("tests/fixtures/*.pcap*") + glob.glob("tests/detect/*.pcap"))
    for path in pcaps:
        linktype, pkts = read_pcap(path)
        base = os.path.basename(path).split(".")[0]
        for h in ("decode", "pipeline"):
            n = SEQ_PKTS[h]
            starts = list(range(0, len(pkts), n))
            # spread over the file: its start and evenly spaced windows
            if len(starts) > PER_PCAP[h]:
                step = len(starts) / PER_PCAP[h]
                starts = [starts[int(i * step)] for i in range(PER_PCAP[h])]
            for s in starts:
                put(outdir, h, base, sequence(linktype, pkts[s:s + n], SEQ_MAX[h]))


def text_seeds(outdir):
    rulesets = ["rules/default"] + sorted(glob.glob("tests/detect/rulesets/*")) + \
        sorted(glob.glob("tests/detect/rulesets/bad/*")) + ["tests/fuzz/pipeline-rules"]
    for rs in rulesets:
        name = rs.replace("/", "_")
        for path in sorted(glob.glob(rs + "/*.rules")):
            text = open(path, "rb").read()
            put(outdir, "rules", name, text[:16384])
            for i, line in enumerate(text.splitlines()):
                if line.strip() and not line.startswith(b"#"):
                    put(outdir, "rules", "%s-line%d" % (name, i + 1), line + b"\n")
        for path in sorted(glob.glob(rs + "/ioc/*")):
            if not path.endswith(".md"):
                put(outdir, "ioc", name + "_" + os.path.basename(path), open(path, "rb").read()[:16384])
        for conf, h in (("detectors.conf", "detectors"), ("suppress.conf", "suppress")):
            if os.path.isfile(os.path.join(rs, conf)):
                put(outdir, h, name, open(os.path.join(rs, conf), "rb").read())
    for path in sorted(glob.glob("firmware/etc/*.conf")):
        put(outdir, "config", os.path.basename(path), open(path, "rb").read())


def bundle_seeds(outdir):
    """Tars for the bundle harness (first byte 0): small rule-set files as
    `vigil rules sign` packs them, and the entries a sensor must refuse."""
    import io
    import tarfile

    def tar(entries, fmt=tarfile.USTAR_FORMAT):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
            for name, kind, data in entries:
                info = tarfile.TarInfo(name)
                info.type = kind
                if kind == tarfile.REGTYPE:
                    info.size = len(data)
                    t.addfile(info, io.BytesIO(data))
                else:
                    info.linkname = data.decode() if data else ""
                    t.addfile(info)
        return b"\0" + buf.getvalue()

    sup = open("rules/default/suppress.conf", "rb").read()
    readme = open("rules/default/ioc/README.md", "rb").read()
    put(outdir, "bundle", "set", tar([("ioc", tarfile.DIRTYPE, b""),
                                      ("ioc/README.md", tarfile.REGTYPE, readme),
                                      ("suppress.conf", tarfile.REGTYPE, sup)]))
    put(outdir, "bundle", "pax", tar([("a/b/c.rules", tarfile.REGTYPE, b"alert ip any any -> any any (sid:1;)\n")],
                                     tarfile.PAX_FORMAT))
    put(outdir, "bundle", "hostile", tar([("../x", tarfile.REGTYPE, b"x"),
                                          ("l", tarfile.SYMTYPE, b"/etc/passwd"),
                                          ("h", tarfile.LNKTYPE, b"l"),
                                          ("f", tarfile.FIFOTYPE, b"")]))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: mkseeds.py OUT")
    outdir = sys.argv[1]
    shutil.rmtree(outdir, ignore_errors=True)
    packet_seeds(outdir)
    text_seeds(outdir)
    bundle_seeds(outdir)
    for d in sorted(glob.glob("tests/fuzz/seeds/*")):
        for path in sorted(glob.glob(d + "/*")):
            if os.path.isfile(path):
                put(outdir, os.path.basename(d), os.path.basename(path), open(path, "rb").read())
    for d in sorted(os.listdir(outdir)):
        print("  SEEDS   %-10s %d" % (d, len(os.listdir(os.path.join(outdir, d)))))


if __name__ == "__main__":
    main()
