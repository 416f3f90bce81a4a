#!/usr/bin/env python3
"""test_imgxz.py - tools/imgxz, the image compressor with a block cache.

Its .xz must be what every reader reads (xz, Python's lzma, bmaptool and,
when libarchive-tools is installed, libarchive, which Raspberry Pi Imager
uses) and give back the image byte for byte; the SHA-256 it prints must be
the image's; a second run must reuse every block and write the same file;
a changed block must be the only one compressed again; a damaged cache
entry must be compressed again, not copied into the image; the cache must
keep only the blocks of the last image.

Last line: "imgxz: N passed, M failed".
"""
import hashlib
import lzma
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
IMGXZ = os.path.join(ROOT, "tools", "imgxz")
MiB = 1 << 20
passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok    {name}")
    else:
        failed += 1
        print(f"FAIL  {name}" + (f": {detail}" if detail else ""))


def imgxz(cache, image, out, *extra):
    p = subprocess.run([IMGXZ, "--cache", cache, *extra, image, out], capture_output=True, text=True)
    m = re.search(r"(\d+) compressed, (\d+) from the cache, (\d+) of zeros", p.stderr)
    counts = tuple(int(x) for x in m.groups()) if m else None
    return p, counts


def main():
    tmp = tempfile.mkdtemp(prefix="imgxz-")
    try:
        rnd = random.Random(9)
        img = os.path.join(tmp, "disk.img")
        # a disk image in miniature: text-like and random blocks, a hole of
        # several blocks, a block of zeros written out, a tail that is not a
        # whole block
        with open(img, "wb") as f:
            f.write(rnd.randbytes(3 * MiB))
            f.write(b"vigil " * (MiB // 2))
            f.seek(24 * MiB)
            f.write(bytes(4 * MiB))
            f.write(rnd.randbytes(5000))
            f.truncate(40 * MiB + 12345)
        want = hashlib.sha256(open(img, "rb").read()).hexdigest()
        cache = os.path.join(tmp, "cache")
        xz1 = os.path.join(tmp, "a.img.xz")

        p, counts = imgxz(cache, img, xz1)
        check("imgxz succeeds", p.returncode == 0, p.stderr)
        check("it prints the image's SHA-256", p.stdout.strip() == want, p.stdout)
        check("first run: the 3 blocks with data and 2 sizes of zero block compressed, 8 of zeros",
              counts == (5, 0, 8), p.stderr)
        t = subprocess.run(["xz", "-t", xz1], capture_output=True, text=True)
        check("xz -t: the stream is valid", t.returncode == 0, t.stderr)
        d = subprocess.run(["xz", "-dc", xz1], capture_output=True)
        check("xz -dc gives the image back", d.stdout == open(img, "rb").read())
        listing = subprocess.run(["xz", "--robot", "-lvv", xz1], capture_output=True, text=True).stdout
        check("xz -l: one stream of 11 blocks, CRC32, sizes in the block headers",
              re.search(r"^file\t1\t11\t", listing, re.M) and "CRC32" in listing
              and all(ln.split("\t")[12] == "cu" for ln in listing.splitlines() if ln.startswith("block")),
              listing[:600])
        check("Python's lzma reads it", lzma.open(xz1).read() == open(img, "rb").read())
        out = os.path.join(tmp, "written.img")
        b = subprocess.run(["bmaptool", "copy", "--nobmap", xz1, out], capture_output=True, text=True)
        check("bmaptool copy writes it", b.returncode == 0 and open(out, "rb").read() == open(img, "rb").read(),
              b.stderr[-300:])
        if shutil.which("bsdcat"):
            c = subprocess.run(["bsdcat", xz1], capture_output=True)
            check("libarchive (Raspberry Pi Imager's reader) reads it", c.stdout == open(img, "rb").read())
        else:
            print("skip  libarchive: bsdcat (libarchive-tools) is not installed")

        xz2 = os.path.join(tmp, "b.img.xz")
        p, counts = imgxz(cache, img, xz2)
        check("second run: every block from the cache", counts == (0, 3, 8), p.stderr)
        check("...and the same file", open(xz1, "rb").read() == open(xz2, "rb").read())

        with open(img, "r+b") as f:
            f.seek(MiB + 17)
            f.write(b"a code change")
        want2 = hashlib.sha256(open(img, "rb").read()).hexdigest()
        p, counts = imgxz(cache, img, xz2)
        check("one changed block: it alone is compressed again", counts == (1, 2, 8), p.stderr)
        d = subprocess.run(["xz", "-dc", xz2], capture_output=True)
        check("...and the image comes back with the change",
              d.stdout == open(img, "rb").read() and p.stdout.strip() == want2)
        tag = os.listdir(cache)[0]
        names = os.listdir(os.path.join(cache, tag))
        check("the cache holds this image's blocks only (3 with data, 2 of zeros)", len(names) == 5, names)

        # damage one entry: flip a byte of its compressed data
        victim = next(os.path.join(cache, tag, n) for n in names if not n.startswith("zero"))
        raw = bytearray(open(victim, "rb").read())
        raw[len(raw) // 2] ^= 0xFF
        open(victim, "wb").write(bytes(raw))
        p, counts = imgxz(cache, img, xz2)
        check("a damaged cache entry is compressed again", counts == (1, 2, 8), p.stderr)
        d = subprocess.run(["xz", "-dc", xz2], capture_output=True)
        check("...and the image is still right", d.returncode == 0 and d.stdout == open(img, "rb").read())

        p, _ = imgxz(cache, img, xz2, "--preset", "6")
        d = subprocess.run(["xz", "-dc", xz2], capture_output=True)
        check("--preset 6 writes a valid stream of the same image",
              p.returncode == 0 and d.stdout == open(img, "rb").read(), p.stderr)
        p, _ = imgxz(cache, os.path.join(tmp, "missing.img"), xz2)
        check("a missing image is an error", p.returncode != 0)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"imgxz: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
