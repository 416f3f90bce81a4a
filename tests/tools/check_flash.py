"""check_flash.py - tools/flash end to end (python3 standard library; needs
sfdisk, mkfs.vfat, mkfs.ext4, mtools, xz, zstd, bmaptool).

A small synthetic board image is made here (MBR or GPT; a FAT32 boot
partition and an ext4 root partition, with free space between them) and
written to a regular file standing in for the card and, as root, to a loop
device. The safety checks run against the real /sys and /proc (the disk of
/ is refused) and against made-up trees (VIGIL_FLASH_SYSFS,
VIGIL_FLASH_PROC) that describe a removable card, a USB disk, an SD card, an
internal disk, a partition, a mounted card and swap; those runs use
--dry-run and an unattached loop device node, so a wrong verdict writes
nothing anywhere. Prints "flash: N passed, M failed" last.
"""

import hashlib
import json
import os
import random
import shutil
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import vigil_test as vt  # noqa: E402

ROOT = vt.ROOT
FLASH = os.path.join(ROOT, "tools", "flash")
R = vt.Results("flash")
MiB = 1 << 20
FAT_START, FAT_SIZE = 1 * MiB, 40 * MiB
ROOT_START, ROOT_SIZE = 48 * MiB, 15 * MiB   # GPT keeps its backup at the end
IMG_SIZE = 64 * MiB
FAT_UUID = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"


def sh(*cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), (r.stderr or r.stdout).strip()))
    return r.stdout


def flash(*args, env=None, timeout=300):
    e = dict(os.environ)
    e.update(env or {})
    r = subprocess.run([FLASH] + list(args), capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, env=e, timeout=timeout)
    return r.returncode, r.stdout + r.stderr


def sha(path, length=None):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        left = length if length is not None else 1 << 62
        while left > 0:
            b = f.read(min(MiB, left))
            if not b:
                break
            h.update(b)
            left -= len(b)
    return h.hexdigest()


def read(path, off=0, n=-1):
    with open(path, "rb") as f:
        f.seek(off)
        return f.read(n)


def flip(path, off):
    """Change one byte of a file in place (what a failing card does)."""
    with open(path, "r+b") as f:
        f.seek(off)
        b = f.read(1)
        f.seek(off)
        f.write(bytes([b[0] ^ 0x5a]))
        f.flush()
        os.fsync(f.fileno())


def mtools_env():
    return dict(os.environ, MTOOLS_SKIP_CHECK="1")


def fat_read(dev, off, name):
    r = subprocess.run(["mcopy", "-n", "-i", "%s@@%d" % (dev, off), "::/" + name, "-"],
                       capture_output=True, env=mtools_env())
    return r.stdout if r.returncode == 0 else None


IMAGES = {}


def make_image(w, label="dos", name="vigil-test-1.0.img"):
    """A 64 MiB board image: FAT32 boot (config.txt), a hole, ext4 root
    (made once per partition table type, copied sparse)."""
    img = os.path.join(w, name)
    if label in IMAGES:
        sh("cp", "--sparse=always", IMAGES[label], img)
        return img
    IMAGES[label] = build_image(w, label, name)
    return make_image(w, label, name)


def build_image(w, label, name):
    w = os.path.join(os.path.dirname(w), "_image-" + label)
    os.makedirs(w, exist_ok=True)
    fat = os.path.join(w, "fat.part")
    with open(fat, "wb") as f:
        f.truncate(FAT_SIZE)
    sh("mkfs.vfat", "-F", "32", "-s", "1", "-n", "VIGIL-BOOT", fat)
    cfg = os.path.join(w, "config.txt")
    with open(cfg, "w") as f:
        f.write("arm_64bit=1\n")
    subprocess.run(["mcopy", "-i", fat, cfg, "::/config.txt"], check=True, env=mtools_env())
    rootdir = os.path.join(w, "rootfs")
    os.makedirs(os.path.join(rootdir, "etc"), exist_ok=True)
    rnd = random.Random(9)
    with open(os.path.join(rootdir, "etc", "data.bin"), "wb") as f:
        f.write(rnd.randbytes(300000))
    part = os.path.join(w, "root.part")
    with open(part, "wb") as f:
        f.truncate(ROOT_SIZE)
    sh("mkfs.ext4", "-q", "-F", "-L", "vigil-root", "-d", rootdir, part)
    img = os.path.join(w, name)
    with open(img, "wb") as f:
        f.truncate(IMG_SIZE)
    fat_type = "c" if label == "dos" else FAT_UUID
    root_type = "83" if label == "dos" else "0FC63DAF-8483-4772-8E79-3D69D8477DE4"
    layout = "label: %s\nstart=%d, size=%d, type=%s\nstart=%d, size=%d, type=%s\n" % (
        label, FAT_START // 512, FAT_SIZE // 512, fat_type, ROOT_START // 512,
        ROOT_SIZE // 512, root_type)
    subprocess.run(["sfdisk", "-q", img], input=layout, text=True, check=True,
                   capture_output=True)
    for src, off in ((fat, FAT_START), (part, ROOT_START)):
        sh("dd", "if=" + src, "of=" + img, "bs=1M", "seek=%d" % (off // MiB),
           "conv=notrunc,sparse", "status=none")
    return img


def publish(img, comp=None, manifest=True, bmap=False):
    """Compress img next to itself, write .sha256 and vigil-os-list.json as
    `make image` does; returns the path of the file to flash."""
    path = img
    if comp == "xz":
        sh("xz", "-k", "-f", "-T1", "-3", img)
        path = img + ".xz"
    elif comp == "zst":
        sh("zstd", "-q", "-f", img, "-o", img + ".zst")
        path = img + ".zst"
    with open(path + ".sha256", "w") as f:
        f.write("%s  %s\n" % (sha(path), os.path.basename(path)))
    if manifest:
        entry = {"name": "vigil test", "url": "https://mirror.example/" + os.path.basename(path),
                 "extract_size": os.path.getsize(img), "extract_sha256": sha(img),
                 "image_download_size": os.path.getsize(path),
                 "image_download_sha256": sha(path)}
        with open(os.path.join(os.path.dirname(img), "vigil-os-list.json"), "w") as f:
            json.dump({"os_list": [entry]}, f)
    if bmap:
        sh("bmaptool", "create", "-o", img[:-len(".img")] + ".bmap", img)
    return path


def blank_card(path, size=80 * MiB, byte=0xee):
    """A 'card' full of old data (so unwritten ranges are visible)."""
    with open(path, "wb") as f:
        f.write(bytes([byte]) * size)


def same_prefix(a, b, n):
    return sha(a, n) == sha(b, n)


def fresh(tmp, name):
    """An empty folder for one check; the previous checks' folders go (a
    card and an image each), the image cache stays."""
    for old in os.listdir(tmp):
        if not old.startswith("_image-"):
            shutil.rmtree(os.path.join(tmp, old), ignore_errors=True)
    w = os.path.join(tmp, name)
    os.makedirs(w)
    return w


def scratch_dir():
    """Where the cards and images go: TMPDIR when set, else /dev/shm when it
    has room (memory: the writes and fsyncs do not wait for a busy disk),
    else the system's temporary folder."""
    if not os.environ.get("TMPDIR") and os.path.isdir("/dev/shm"):
        try:
            st = os.statvfs("/dev/shm")
            if st.f_bavail * st.f_frsize > 1 << 30 and os.access("/dev/shm", os.W_OK):
                return tempfile.mkdtemp(prefix="vigil-flash.", dir="/dev/shm")
        except OSError:
            pass
    return tempfile.mkdtemp(prefix="vigil-flash.")


# ---- usage --------------------------------------------------------------------------------

def test_usage(tmp):
    problems = []
    rc, out = flash("--help")
    if rc != 0 or "usage: tools/flash" not in out or "exit status" not in out:
        problems.append("--help: exit %s %r" % (rc, out[:200]))
    rc, out = flash()
    if rc != 2 or "IMAGE and DEVICE" not in out:
        problems.append("no arguments: exit %s %r" % (rc, out))
    rc, out = flash("--bogus", "a", "b")
    if rc != 2 or "--bogus" not in out:
        problems.append("unknown option: exit %s %r" % (rc, out))
    rc, out = flash(os.path.join(tmp, "missing.img"), "/dev/null")
    if rc != 1 or "missing.img" not in out:
        problems.append("missing image: exit %s %r" % (rc, out))
    w = fresh(tmp, "usage")
    img = os.path.join(w, "x.img")
    open(img, "wb").write(b"\0" * 4096)
    rc, out = flash(img, "/dev/null", "--yes")
    if rc != 3 or "neither a block device nor a regular file" not in out:
        problems.append("a character device: exit %s %r" % (rc, out))
    R.check("usage: --help, exit 2 on bad arguments, 1 on a missing image, 3 on a "
            "character device", problems)


# ---- writing to a file standing in for the card ------------------------------------------------

def test_write_file(tmp, comp):
    w = fresh(tmp, "write-" + (comp or "raw"))
    img = make_image(w)
    path = publish(img, comp)
    card = os.path.join(w, "card")
    blank_card(card)
    rc, out = flash("--yes", path, card)
    problems = []
    if rc != 0:
        problems.append("exit %s: %s" % (rc, out))
    elif not same_prefix(card, img, IMG_SIZE):
        problems.append("the card's first %d bytes differ from the image" % IMG_SIZE)
    elif read(card, IMG_SIZE, 16) != b"\xee" * 16:
        problems.append("bytes after the image were touched")
    elif "verified: the first 64.0 MiB" not in out:
        problems.append("no verification line: %s" % out)
    elif comp and "matches %s.sha256 and vigil-os-list.json" % os.path.basename(path) not in out:
        problems.append("the download was not checked against .sha256 and the manifest: %s" % out)
    R.check("%s image to a file: byte-exact, read back and verified" % (comp or "raw"), problems)
    return img, path


def test_bad_download(tmp):
    w = fresh(tmp, "baddl")
    img = make_image(w)
    path = publish(img, "xz")
    flip(path, os.path.getsize(path) // 2)
    card = os.path.join(w, "card")
    blank_card(card)
    before = sha(card)
    rc, out = flash("--yes", path, card)
    problems = []
    if rc != 4 or "does not match" not in out or "download it again" not in out:
        problems.append("exit %s: %s" % (rc, out))
    if sha(card) != before:
        problems.append("the card was written although the download is damaged")
    # the manifest disagrees with what the image decompresses to
    w = fresh(tmp, "badmanifest")
    img = make_image(w)
    path = publish(img, "xz")
    man = os.path.join(w, "vigil-os-list.json")
    doc = json.load(open(man))
    doc["os_list"][0]["extract_sha256"] = "0" * 64
    json.dump(doc, open(man, "w"))
    card = os.path.join(w, "card")
    blank_card(card)
    rc, out = flash("--yes", path, card)
    if rc != 4 or "vigil-os-list.json says" not in out:
        problems.append("wrong extract_sha256: exit %s: %s" % (rc, out))
    R.check("a damaged download is refused before writing (exit 4, card untouched); a "
            "manifest that disagrees with the image fails verification", problems)


def test_corrupt_write(tmp, bmap):
    """The card is damaged between writing and reading back: caught."""
    w = fresh(tmp, "corrupt-" + ("bmap" if bmap else "dd"))
    img = make_image(w)
    path = publish(img, "xz", bmap=bmap)
    card = os.path.join(w, "card")
    blank_card(card)
    hold = os.path.join(w, "hold")
    env = {"VIGIL_FLASH_TEST_HOLD": hold}
    args = [FLASH, "--yes", path, card] + ([] if bmap else ["--no-bmap"])
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         env=dict(os.environ, **env), stdin=subprocess.DEVNULL)
    problems = []
    end = time.time() + 120
    while not os.path.exists(hold + ".ready") and p.poll() is None and time.time() < end:
        time.sleep(0.02)
    if not os.path.exists(hold + ".ready"):
        p.kill()
        out = p.communicate()[0]
        return R.check("corrupted write (%s)" % ("bmap" if bmap else "dd"),
                       ["never reached the read-back: %s" % out])
    off = FAT_START + 17          # the FAT boot sector: written in both modes
    if not same_prefix(card, img, IMG_SIZE):
        problems.append("before the damage the card did not hold the image")
    flip(card, off)
    open(hold + ".go", "w").close()
    out = p.communicate(timeout=120)[0]
    want = "differ from the image" if bmap else "does not hold what was written"
    if p.returncode != 4 or want not in out:
        problems.append("exit %s (want 4, %r): %s" % (p.returncode, want, out))
    R.check("a byte changed on the card after writing is caught by the read-back (%s, exit 4)"
            % ("bmaptool + .bmap ranges" if bmap else "dd-style + SHA-256"), problems)


def test_bmap(tmp):
    w = fresh(tmp, "bmap")
    img = make_image(w)
    path = publish(img, "xz", bmap=True)
    card = os.path.join(w, "card")
    blank_card(card)
    rc, out = flash("--yes", path, card)
    problems = []
    if rc != 0 or "writing with bmaptool copy" not in out or "block ranges" not in out:
        problems.append("exit %s: %s" % (rc, out))
    else:
        # mapped data is there; the hole between the partitions was not written
        if read(card, FAT_START, FAT_SIZE) != read(img, FAT_START, FAT_SIZE):
            problems.append("FAT partition differs")
        if read(card, ROOT_START, 2 * MiB) != read(img, ROOT_START, 2 * MiB):
            problems.append("root partition differs")
    rc2, out2 = flash("--verify-only", path, card)
    if rc2 != 0 or "block ranges" not in out2:
        problems.append("--verify-only with the .bmap: exit %s %s" % (rc2, out2))
    R.check("bmaptool with the .bmap: mapped blocks written and read back", problems)


def test_verify_only(tmp):
    w = fresh(tmp, "verify")
    img = make_image(w)
    path = publish(img, "zst")
    card = os.path.join(w, "card")
    blank_card(card)
    problems = []
    rc, out = flash("--yes", path, card)
    if rc != 0:
        return R.check("--verify-only", ["write: exit %s %s" % (rc, out)])
    rc, out = flash("--verify-only", path, card)
    if rc != 0 or "every byte compared" not in out:
        problems.append("good card: exit %s %s" % (rc, out))
    off = ROOT_START + 12345
    flip(card, off)
    rc, out = flash("--verify-only", path, card)
    if rc != 4 or "at byte %d" % off not in out:
        problems.append("damaged card: exit %s (want 4 naming byte %d): %s" % (rc, off, out))
    R.check("--verify-only: a good card passes, a damaged one names the first differing byte",
            problems)


# ---- preseed -------------------------------------------------------------------------------

def make_preseed(w):
    d = os.path.join(w, "preseed")
    os.makedirs(os.path.join(d, "vigil-rules"))
    os.makedirs(os.path.join(d, "vigil-uplink"))
    files = {
        "vigil.conf": "[capture]\ninterface = eth1\n",
        "vigil-network.conf": "address = 192.0.2.10/24\ngateway = 192.0.2.1\n",
        "vigil-tls.pem": "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"
                         "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        "vigil-ssh.pub": "# the CERT's key\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH0 cert@example\n",
        "vigil-rules/local.rules": 'alert ip any any -> any any (msg:"x"; sid:1;)\n',
        "vigil-uplink/ca.pem": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    }
    for n, text in files.items():
        with open(os.path.join(d, n), "w") as f:
            f.write(text)
    return d, files


def check_preseed_on(dev, img_path, files, offset=FAT_START):
    problems = []
    for n, text in files.items():
        got = fat_read(dev, offset, n)
        if got != text.encode():
            problems.append("%s on the FAT partition: %r" % (n, got))
    if fat_read(dev, offset, "config.txt") != b"arm_64bit=1\n":
        problems.append("the image's own config.txt is gone")
    # nothing outside the FAT partition changed
    if read(dev, 0, FAT_START) != read(img_path, 0, FAT_START):
        problems.append("the partition table area changed")
    if read(dev, ROOT_START, ROOT_SIZE) != read(img_path, ROOT_START, ROOT_SIZE):
        problems.append("the root partition changed")
    return problems


def test_preseed(tmp, label):
    w = fresh(tmp, "preseed-" + label)
    img = make_image(w, label=label)
    path = publish(img, "xz")
    d, files = make_preseed(w)
    card = os.path.join(w, "card")
    blank_card(card)
    rc, out = flash("--yes", "--preseed", d, path, card)
    problems = []
    if rc != 0 or "preseed: 6 files copied and read back" not in out:
        problems.append("exit %s: %s" % (rc, out))
    else:
        problems += check_preseed_on(card, img, files)
        listing = subprocess.run(["mdir", "-b", "-i", "%s@@%d" % (card, FAT_START), "::/"],
                                 capture_output=True, text=True, env=mtools_env()).stdout
        for n in ("vigil.conf", "vigil-network.conf", "vigil-ssh.pub", "vigil-tls.pem",
                  "vigil-rules/", "vigil-uplink/"):
            if "::/" + n not in listing:
                problems.append("mdir does not list %s (long name kept?): %s" % (n, listing))
        # a second run replaces the files (and vigil-rules as a whole)
        with open(os.path.join(d, "vigil.conf"), "w") as f:
            f.write("[capture]\ninterface = eth2\n")
        os.remove(os.path.join(d, "vigil-rules", "local.rules"))
        with open(os.path.join(d, "vigil-rules", "other.rules"), "w") as f:
            f.write("# other\n")
        rc, out = flash("--yes", "--preseed", d, path, card)
        if rc != 0 or fat_read(card, FAT_START, "vigil.conf") != b"[capture]\ninterface = eth2\n":
            problems.append("second run: exit %s %s" % (rc, out))
        if fat_read(card, FAT_START, "vigil-rules/local.rules") is not None:
            problems.append("a rule file removed from DIR stayed on the card")
        rc, out = flash("--verify-only", "--preseed", d, path, card)
        if rc != 4 or "differs from" not in out:
            problems.append("--verify-only --preseed after preseeding: the FAT differs from the "
                            "image, want exit 4: %s %s" % (rc, out))
    R.check("--preseed (%s): the files land on the FAT boot partition (read with mtools), "
            "long names kept, nothing else changes" % ("MBR" if label == "dos" else "GPT"),
            problems)


def test_preseed_refusals(tmp):
    w = fresh(tmp, "preseed-bad")
    img = make_image(w)
    path = publish(img)
    card = os.path.join(w, "card")
    blank_card(card)
    before = sha(card)
    problems = []
    cases = [
        ({"vigil-ssh.pem": "ssh-ed25519 AAAAC3Nz x\n"}, "not a preseed name"),
        ({"vigil-tls.pem": "-----BEGIN CERTIFICATE-----\n"}, "no unencrypted PEM private key"),
        ({"vigil-tls.pem": "-----BEGIN ENCRYPTED PRIVATE KEY-----\nx\n"
                           "-----BEGIN CERTIFICATE-----\n"}, "no unencrypted PEM private key"),
        ({"vigil-tls.pem": "-----BEGIN PRIVATE KEY-----\n"}, "no PEM certificate"),
        ({"vigil-ssh.pub": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n"},
         "holds a private key"),
        ({"vigil-ssh.pub": "ssh-ed25519 AAAAC3Nz a\nmy key\n"}, "line 2 is not an OpenSSH"),
        ({"vigil-uplink/ca.pem": "hello"}, "neither a PEM certificate"),
    ]
    for i, (content, want) in enumerate(cases):
        d = os.path.join(w, "bad%d" % i)
        os.makedirs(d)
        for n, text in content.items():
            os.makedirs(os.path.dirname(os.path.join(d, n)), exist_ok=True)
            with open(os.path.join(d, n), "w") as f:
                f.write(text)
        rc, out = flash("--yes", "--preseed", d, path, card)
        if rc != 2 or want not in out:
            problems.append("%s: exit %s (want 2, %r): %s" % (sorted(content), rc, want, out))
    if sha(card) != before:
        problems.append("the card was written although the preseed directory was refused")
    R.check("--preseed refuses unknown names, a vigil-tls.pem without key or certificate (or "
            "with an encrypted key), private keys or junk in vigil-ssh.pub, non-PEM uplink "
            "files (exit 2, before writing)", problems)


# ---- safety checks against made-up /sys and /proc ------------------------------------------------

def free_loop_node():
    """An existing /dev/loopN node that no file is attached to (stat works
    for anyone; a write to it fails with ENXIO)."""
    for n in range(255, -1, -1):
        p = "/dev/loop%d" % n
        try:
            st = os.stat(p)
        except OSError:
            continue
        if not stat.S_ISBLK(st.st_mode):
            continue
        size = os.path.join("/sys/dev/block", "%d:%d" % (os.major(st.st_rdev),
                                                        os.minor(st.st_rdev)), "size")
        try:
            if open(size).read().strip() == "0":
                return p, st
        except OSError:
            continue
    return None, None


class FakeSys:
    """A made-up /sys and /proc describing one disk (with two partitions)
    whose MAJ:MIN is that of a real, unattached loop node."""

    def __init__(self, base, st, devpath="devices/virtual/block/sdz", removable="1",
                 mmc_type=None, model="Card Reader", ro="0", size=62333952, holders=()):
        self.base = base
        shutil.rmtree(base, ignore_errors=True)
        self.sys = os.path.join(base, "sys")
        self.proc = os.path.join(base, "proc")
        self.majmin = "%d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))
        disk = os.path.join(self.sys, devpath)
        self.disk = disk
        name = os.path.basename(devpath)
        os.makedirs(os.path.join(disk, "device"))
        os.makedirs(os.path.join(disk, "holders"))
        for h in holders:
            os.makedirs(os.path.join(disk, "holders", h))
        self.write(disk, "dev", self.majmin)
        self.write(disk, "removable", removable)
        self.write(disk, "ro", ro)
        self.write(disk, "size", str(size))
        self.write(disk, "device/model", model)
        if mmc_type:
            self.write(disk, "device/type", mmc_type)
        self.parts = []
        for i in (1, 2):
            pn = "%s%s%d" % (name, "p" if name[-1].isdigit() else "", i)
            pd = os.path.join(disk, pn)
            os.makedirs(os.path.join(pd, "holders"))
            self.write(pd, "partition", str(i))
            mm = "259:%d" % (900 + i)
            self.write(pd, "dev", mm)
            self.parts.append((pn, mm, pd))
        os.makedirs(os.path.join(self.sys, "dev", "block"))
        os.symlink(disk, os.path.join(self.sys, "dev", "block", self.majmin))
        for pn, mm, pd in self.parts:
            os.symlink(pd, os.path.join(self.sys, "dev", "block", mm))
        os.makedirs(os.path.join(self.proc, "self"))
        self.set_mounts([])
        self.set_swaps([])

    @staticmethod
    def write(d, name, text):
        with open(os.path.join(d, name), "w") as f:
            f.write(text + "\n")

    def set_mounts(self, mounts):
        """mounts: [(majmin, source, point)]."""
        lines = ["21 26 0:20 / /proc rw - proc proc rw"]
        for i, (mm, src, point) in enumerate(mounts):
            lines.append("%d 1 %s / %s rw,relatime - ext4 %s rw" % (100 + i, mm, point, src))
        with open(os.path.join(self.proc, "self", "mountinfo"), "w") as f:
            f.write("\n".join(lines) + "\n")

    def set_swaps(self, names):
        with open(os.path.join(self.proc, "swaps"), "w") as f:
            f.write("Filename\tType\tSize\tUsed\tPriority\n")
            for n in names:
                f.write("%s\tpartition\t1024\t0\t-2\n" % n)

    def env(self):
        return {"VIGIL_FLASH_SYSFS": self.sys, "VIGIL_FLASH_PROC": self.proc}


def test_refusals_fake(tmp):
    node, st = free_loop_node()
    if not node:
        print("skip  safety checks on a made-up /sys: no unattached /dev/loopN node here")
        return
    w = fresh(tmp, "fake")
    img = make_image(w)
    base = os.path.join(w, "tree")
    problems = []

    def expect(fs, args, rc_want, text, what):
        rc, out = flash("--dry-run", *args, img, node, env=fs.env())
        if rc != rc_want or text not in out:
            problems.append("%s: exit %s (want %s, %r): %s" % (what, rc, rc_want, text,
                                                                out.strip()))

    fs = FakeSys(base, st)
    expect(fs, [], 0, "would write", "a removable card")
    fs = FakeSys(base, st, removable="0")
    expect(fs, [], 3, "does not look like a card", "a fixed disk")
    expect(fs, ["--force"], 0, "would write", "a fixed disk with --force")
    fs = FakeSys(base, st, removable="0",
                 devpath="devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/"
                         "6:0:0:0/block/sdz")
    expect(fs, [], 0, "USB", "a USB disk")
    fs = FakeSys(base, st, removable="0", devpath="devices/platform/mmc0/mmc_host/mmc0/"
                 "mmc0:aaaa/block/mmcblk0", mmc_type="SD")
    expect(fs, [], 0, "SD card", "an SD card in a built-in reader")
    fs = FakeSys(base, st, removable="0", devpath="devices/platform/mmc1/mmc_host/mmc1/"
                 "mmc1:0001/block/mmcblk1", mmc_type="MMC")
    expect(fs, [], 3, "does not look like a card", "eMMC (a board's or laptop's own disk)")
    fs = FakeSys(base, st, ro="1")
    expect(fs, [], 3, "read-only", "a write-protected card")
    fs = FakeSys(base, st, size=0)
    expect(fs, [], 3, "no medium", "an empty reader")
    fs = FakeSys(base, st, holders=("dm-0",))
    expect(fs, ["--force"], 3, "is in use", "a disk under LVM/LUKS")
    # the running system on it: never, not even with --force --unmount
    fs = FakeSys(base, st)
    for point in ("/", "/boot", "/boot/efi", "/home"):
        fs.set_mounts([(fs.parts[1][1], "/dev/sdz2", point)])
        expect(fs, ["--force", "--unmount"], 3, "holds the running system",
               "a partition on %s" % point)
    fs.set_mounts([(fs.majmin, "/dev/sdz", "/")])
    expect(fs, ["--force"], 3, "holds the running system", "the whole disk on /")
    fs.set_mounts([])
    fs.set_swaps([node])
    expect(fs, ["--force"], 3, "swap", "swap on it")
    fs.set_swaps([])
    # a card the desktop mounted: refused; --unmount would unmount it
    fs.set_mounts([(fs.parts[0][1], "/dev/sdz1", "/media/user/bootfs")])
    expect(fs, [], 3, "is mounted (/dev/sdz1 on /media/user/bootfs)", "a mounted card")
    expect(fs, ["--unmount"], 0, "after unmounting /media/user/bootfs", "--unmount")
    # a partition instead of the disk
    fs = FakeSys(base, st)
    shutil.rmtree(os.path.join(fs.sys, "dev"))
    os.makedirs(os.path.join(fs.sys, "dev", "block"))
    os.symlink(fs.parts[0][2], os.path.join(fs.sys, "dev", "block", fs.majmin))
    expect(fs, [], 3, "give the whole card", "a partition")
    R.check("safety verdicts on a made-up /sys and /proc (dry runs): removable, USB and SD "
            "cards are written; fixed disks and eMMC only with --force; read-only, empty, "
            "LVM/LUKS, the running system (/, /boot, /home, swap) and partitions are refused; "
            "mounted cards only with --unmount", problems)


# ---- the real machine (root: loop devices) --------------------------------------------------------

def root_disk():
    """/dev/NAME of the disk / is on (through the real /sys), or None."""
    for ln in open("/proc/self/mountinfo"):
        f = ln.split()
        if f[4] == "/":
            src = ln.split(" - ")[1].split()[1]
            mm = f[2]
            if src.startswith("/dev/") and os.path.exists(src):
                s = os.stat(src)
                if stat.S_ISBLK(s.st_mode):
                    mm = "%d:%d" % (os.major(s.st_rdev), os.minor(s.st_rdev))
            d = "/sys/dev/block/" + mm
            if not os.path.exists(d):
                return None
            d = os.path.realpath(d)
            if os.path.exists(os.path.join(d, "partition")):
                d = os.path.dirname(d)
            node = "/dev/" + os.path.basename(d)
            return node if os.path.exists(node) else None
    return None


def test_root_disk(tmp):
    disk = root_disk()
    if not disk:
        print("skip  refusing the root disk: / is not on a block device here")
        return
    w = fresh(tmp, "rootdisk")
    img = make_image(w)
    problems = []
    # --dry-run: even a wrong verdict writes nothing
    for extra in ([], ["--force"], ["--force", "--unmount"]):
        rc, out = flash("--dry-run", *extra, img, disk)
        if rc != 3 or "holds the running system" not in out:
            problems.append("%s %s: exit %s %s" % (disk, extra, rc, out))
    R.check("the disk / is on (%s) is refused, even with --force --unmount" % disk, problems)


class Loop:
    def __init__(self, backing):
        self.dev = sh("losetup", "--find", "--show", "--partscan", backing).strip()

    def close(self):
        subprocess.run(["losetup", "-d", self.dev], capture_output=True)


def test_loop(tmp):
    if os.geteuid() != 0:
        print("skip  loop device checks: they need root (losetup, mount)")
        return
    if not shutil.which("losetup"):
        print("skip  loop device checks: no losetup")
        return
    w = fresh(tmp, "loop")
    img = make_image(w)
    path = publish(img, "xz")
    d, files = make_preseed(w)
    backing = os.path.join(w, "card")
    blank_card(backing)
    try:
        loop = Loop(backing)
    except RuntimeError as e:
        print("skip  loop device checks: %s" % e)
        return
    mnt = os.path.join(w, "mnt")
    os.makedirs(mnt)
    try:
        problems = []
        rc, out = flash("--yes", path, loop.dev)
        if rc != 3 or "does not look like a card" not in out:
            problems.append("without --force: exit %s %s" % (rc, out))
        if read(backing, 0, 16) != b"\xee" * 16:
            problems.append("written although refused")
        rc, out = flash("--yes", "--force", "--preseed", d, path, loop.dev)
        if rc != 0:
            problems.append("with --force: exit %s %s" % (rc, out))
        else:
            # the backing file is what the loop device wrote
            if read(backing, ROOT_START, ROOT_SIZE) != read(img, ROOT_START, ROOT_SIZE) or \
                    read(backing, 0, FAT_START) != read(img, 0, FAT_START):
                problems.append("the loop device does not hold the image")
            problems += check_preseed_on(backing, img, files)
        R.check("a loop device (not removable) is refused without --force and written, "
                "verified and preseeded with it (%s)" % loop.dev, problems)

        # damage behind the page cache: change the backing file while the tool
        # holds; reading the loop device back must see it
        problems = []
        hold = os.path.join(w, "hold")
        p = subprocess.Popen([FLASH, "--yes", "--force", "--no-bmap", path, loop.dev],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             env=dict(os.environ, VIGIL_FLASH_TEST_HOLD=hold),
                             stdin=subprocess.DEVNULL)
        end = time.time() + 120
        while not os.path.exists(hold + ".ready") and p.poll() is None and time.time() < end:
            time.sleep(0.02)
        if os.path.exists(hold + ".ready"):
            flip(backing, ROOT_START + 4096 * 3 + 5)
            open(hold + ".go", "w").close()
            out = p.communicate(timeout=120)[0]
            if p.returncode != 4 or "does not hold what was written" not in out:
                problems.append("exit %s (want 4): %s" % (p.returncode, out))
        else:
            p.kill()
            problems.append("never reached the read-back: %s" % p.communicate()[0])
        R.check("the read-back comes from the medium, not the page cache: a change made "
                "behind the loop device's cache is caught (exit 4)", problems)

        # mounted: refused; --unmount unmounts and writes. A file system on
        # the whole device (this also works on kernels that do not scan the
        # partitions of loop devices)
        problems = []
        sh("mkfs.ext4", "-q", "-F", loop.dev)
        r = subprocess.run(["mount", "-t", "ext4", "-o", "ro", loop.dev, mnt],
                           capture_output=True, text=True)
        if r.returncode != 0:
            print("skip  a mounted loop device: mount: %s" % r.stderr.strip())
            return
        try:
            rc, out = flash("--yes", "--force", path, loop.dev)
            if rc != 3 or "is mounted (%s on %s)" % (loop.dev, mnt) not in out:
                problems.append("mounted: exit %s %s" % (rc, out))
            rc, out = flash("--yes", "--force", "--unmount", path, loop.dev)
            if rc != 0 or "unmounted %s" % mnt not in out:
                problems.append("--unmount: exit %s %s" % (rc, out))
            if os.path.ismount(mnt):
                problems.append("still mounted after --unmount")
            elif read(backing, 0, FAT_START) != read(img, 0, FAT_START):
                problems.append("not written after --unmount")
        finally:
            if os.path.ismount(mnt):
                subprocess.run(["umount", mnt])
        R.check("a mounted loop device is refused; --unmount unmounts it and writes", problems)
    finally:
        loop.close()


def main():
    # mkfs.*, sfdisk, losetup: in sbin, which a user's PATH may lack
    os.environ["PATH"] = os.environ.get("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin"
    missing = [t for t in ("sfdisk", "mkfs.vfat", "mkfs.ext4", "mcopy", "xz", "zstd",
                           "bmaptool") if not shutil.which(t)]
    if missing:
        R.check("tools for the flash tests", ["missing: %s (make deps)" % ", ".join(missing)])
        return R.summary()
    tmp = scratch_dir()
    try:
        test_usage(tmp)
        for comp in (None, "xz", "zst"):
            test_write_file(tmp, comp)
        test_bad_download(tmp)
        test_corrupt_write(tmp, bmap=False)
        test_corrupt_write(tmp, bmap=True)
        test_bmap(tmp)
        test_verify_only(tmp)
        test_preseed(tmp, "dos")
        test_preseed(tmp, "gpt")
        test_preseed_refusals(tmp)
        test_refusals_fake(tmp)
        test_root_disk(tmp)
        test_loop(tmp)
    finally:
        if os.environ.get("VIGIL_KEEP"):
            print("kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return R.summary()


if __name__ == "__main__":
    sys.exit(main())
