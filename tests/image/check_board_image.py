#!/usr/bin/env python3
"""check_board_image.py - what can be checked of a board image without the board.

    tests/image/check_board_image.py --board rpi-arm64 --image build/images/vigil-rpi-arm64-V.img.xz

The Raspberry Pi and ROCK Pi E images cannot boot here. This checks, on the
written image (bmaptool copy, after sha256sum -c), what a board's boot
needs: the MBR partition table (bootable FAT partition 1, root 2, data 3 at
2048 MiB, PARTUUIDs from the disk id), the boot partition's files (read with
mtools: firmware, kernel, initramfs, device trees, config.txt, cmdline.txt
or extlinux.conf, each pointing at files that are there and at the root
partition), U-Boot at its sectors (byte for byte Debian's files from the
image's own root file system), and in the root file system (read with
debugfs) the kernel modules of the board's initramfs list, /etc/fstab and
the vigil package. The qemu-arm64 image gets the same checks before
check_image.py boots it.

Last line: "board-image: N passed, M failed".
"""

import argparse
import gzip
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
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
    return bool(cond)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, **kw)


class Disk:
    def __init__(self, path, work):
        self.path = path
        self.work = work
        t = json.loads(run(["sfdisk", "-J", path], text=True).stdout)["partitiontable"]
        self.table = t
        self.parts = t["partitions"]
        self.env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
        self.fat = f"{path}@@{self.parts[0]['start'] * 512}"
        self.rootimg = None

    def fat_ls(self, d="::/"):
        p = run(["mdir", "-b", "-i", self.fat, d], text=True, env=self.env)
        return sorted(os.path.basename(x.rstrip("/")) for x in p.stdout.split())

    def fat_read(self, name):
        p = run(["mtype", "-i", self.fat, "::/" + name], env=self.env)
        return p.stdout if p.returncode == 0 else None

    def read(self, offset, n):
        with open(self.path, "rb") as f:
            f.seek(offset)
            return f.read(n)

    def root_fs(self):
        """Partition 2 as its own (sparse) file, for debugfs."""
        if not self.rootimg:
            p = self.parts[1]
            self.rootimg = os.path.join(self.work, "root.ext4")
            run(["dd", f"if={self.path}", f"of={self.rootimg}", "bs=1M", f"skip={p['start'] // 2048}",
                 f"count={p['size'] // 2048}", "conv=sparse", "status=none"], check=True)
        return self.rootimg

    def root_cat(self, path):
        p = run(["debugfs", "-R", f"cat {path}", self.root_fs()])
        return p.stdout if p.returncode == 0 and p.stdout else None

    def root_ls(self, path):
        p = run(["debugfs", "-R", f"ls -l {path}", self.root_fs()], text=True)
        return p.stdout if "File not found" not in p.stderr else ""


def common(d, board):
    t, parts = d.table, d.parts
    check("MBR partition table with three partitions", t["label"] == "dos" and len(parts) == 3, t)
    disk_id = t.get("id", "").lower().replace("0x", "")
    p1, p2, p3 = parts
    check("partition 1: FAT32 (0c), bootable", p1["type"] == "c" and p1.get("bootable"), p1)
    check("partition 1 ends at 256 MiB, partition 2 follows",
          (p1["start"] + p1["size"]) * 512 == 256 * MiB and p2["start"] * 512 == 256 * MiB, (p1, p2))
    check("partition 3 (data) starts at 2048 MiB, the place every version keeps",
          p3["start"] * 512 == 2048 * MiB and p2["start"] + p2["size"] == p3["start"], p3)
    fstab = (d.root_cat("/etc/fstab") or b"").decode()
    check("/etc/fstab mounts root read-only and the partitions by this disk's PARTUUIDs",
          re.search(rf"^PARTUUID={disk_id}-02\s+/\s+ext4\s+ro,", fstab, re.M)
          and f"PARTUUID={disk_id}-03" in fstab and f"PARTUUID={disk_id}-01" in fstab, fstab)
    check("the vigil package is installed in the root file system",
          "vigil" in d.root_ls("/usr/bin") and "vigil-lighttpd.service" in d.root_ls("/lib/systemd/system"))
    status = (d.root_cat("/var/lib/dpkg/status") or b"").decode()
    check("no perl, usrmerge or ca-certificates in the image (size, build time)",
          not re.search(r"^Package: (perl|usrmerge|ca-certificates)$", status, re.M))
    mods = [m for m in open(os.path.join(ROOT, "board", board, "modules")).read().split("\n")
            if m and not m.startswith("#")]
    kver = [x.split()[-1] for x in d.root_ls("/usr/lib/modules").split("\n") if re.search(r"\d+\.\d+\.\d+-", x)]
    dep = (d.root_cat(f"/usr/lib/modules/{kver[0]}/modules.dep") or b"").decode() if kver else ""
    names = {os.path.basename(l.split(":")[0]).split(".ko")[0].replace("-", "_") for l in dep.split("\n") if l}
    builtin = (d.root_cat(f"/usr/lib/modules/{kver[0]}/modules.builtin") or b"").decode() if kver else ""
    names |= {os.path.basename(l).split(".ko")[0].replace("-", "_") for l in builtin.split("\n") if l}
    missing = [m for m in mods if m.replace("-", "_") not in names]
    check(f"the board's initramfs modules exist in kernel {kver[:1]} (module or built in)", not missing, missing)
    d.builtin = {os.path.basename(l).split(".ko")[0].replace("-", "_") for l in builtin.split("\n") if l}
    return disk_id


def cpio_names(data):
    """File names in a newc cpio archive (several may follow each other)."""
    names, i = [], 0
    while True:
        i = data.find(b"070701", i)
        if i < 0:
            return names
        h = data[i:i + 110]
        try:
            namesize, filesize = int(h[94:102], 16), int(h[54:62], 16)
        except ValueError:
            i += 6
            continue
        names.append(data[i + 110:i + 110 + namesize - 1].decode("utf-8", "replace"))
        off = (i + 110 + namesize + 3) & ~3
        i = (off + filesize + 3) & ~3


def initramfs(d, board, name, builtin):
    """The initramfs on the boot partition: zstd, the board's modules, the
    data partition's growth script and its tools."""
    raw = d.fat_read(name) or b""
    check("the initramfs is zstd-compressed", raw[:4] == b"\x28\xb5\x2f\xfd", raw[:4])
    p = subprocess.run(["zstd", "-dc"], input=raw, capture_output=True)
    names = cpio_names(p.stdout)
    kos = {os.path.basename(n)[:-3].replace("-", "_") for n in names if n.endswith(".ko")}
    mods = [m for m in open(os.path.join(ROOT, "board", board, "modules")).read().split("\n")
            if m and not m.startswith("#")]
    missing = [m for m in mods if m.replace("-", "_") not in kos and m.replace("-", "_") not in builtin]
    check(f"the initramfs has the board's modules ({len(mods)}) and ext4, vfat", not missing
          and {"ext4", "vfat"} <= kos, missing)
    check("the initramfs grows the data partition (vigil-growdata, sfdisk, blockdev)",
          {"scripts/local-premount/vigil-growdata", "usr/sbin/sfdisk", "usr/sbin/blockdev"} <= set(names),
          [n for n in names if "growdata" in n or "sfdisk" in n])


def rpi(d, disk_id):
    files = d.fat_ls()
    need = ["bootcode.bin", "start.elf", "fixup.dat", "start4.elf", "fixup4.dat", "config.txt", "cmdline.txt",
            "bcm2837-rpi-3-b.dtb", "bcm2837-rpi-3-b-plus.dtb", "bcm2837-rpi-zero-2-w.dtb",
            "bcm2711-rpi-4-b.dtb", "bcm2711-rpi-400.dtb", "bcm2711-rpi-cm4-io.dtb"]
    check("boot partition: the Pi firmware and the device trees of every supported Pi",
          not [f for f in need if f not in files], [f for f in need if f not in files])
    config = (d.fat_read("config.txt") or b"").decode()
    k = re.search(r"^kernel=(\S+)$", config, re.M)
    i = re.search(r"^initramfs (\S+)( followkernel)?$", config, re.M)
    check("config.txt: 64-bit, upstream device trees, serial console",
          all(re.search(rf"^{x}$", config, re.M) for x in ["arm_64bit=1", "upstream_kernel=1", "enable_uart=1"]),
          config)
    check("config.txt names a kernel and an initramfs that are on the partition",
          k and i and k.group(1) in files and i.group(1) in files, (k and k.group(1), i and i.group(1), files))
    kernel = d.fat_read(k.group(1)) if k else b""
    check("the kernel is an arm64 Image (Debian's linux-image-arm64)",
          len(kernel) > 10 * MiB and kernel[56:60] == b"ARM\x64", len(kernel or b""))
    cmd = (d.fat_read("cmdline.txt") or b"").decode().strip()
    check("cmdline.txt: this image's root partition read-only, console on ttyS1 (GPIO 14/15)",
          f"root=PARTUUID={disk_id}-02 ro" in cmd and "console=ttyS1,115200" in cmd and "\n" not in cmd, cmd)
    if i:
        initramfs(d, "rpi-arm64", i.group(1), d.builtin)


# The Rockchip boot ROM's header is RC4-encrypted with this published key
# (U-Boot's tools/rkcommon.c); its first word is 0x0ff0aa55.
RK_KEY = bytes.fromhex("7c4e0304550509072d2c7b38170d1711")


def rc4(key, data):
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) % 256
        s[i], s[j] = s[j], s[i]
    i = j = 0
    out = bytearray()
    for b in data:
        i = (i + 1) % 256
        j = (j + s[i]) % 256
        s[i], s[j] = s[j], s[i]
        out.append(b ^ s[(s[i] + s[j]) % 256])
    return bytes(out)


def rock(d, disk_id):
    ub = "/usr/lib/u-boot/rock-pi-e-rk3328"
    idb = d.root_cat(f"{ub}/idbloader.img")
    itb = d.root_cat(f"{ub}/u-boot.itb")
    check("Debian's U-Boot for the ROCK Pi E is in the root file system", idb and itb)
    if idb and itb:
        check("idbloader.img at sector 64, byte for byte", d.read(64 * 512, len(idb)) == idb)
        check("u-boot.itb at sector 16384 (8 MiB), byte for byte", d.read(16384 * 512, len(itb)) == itb)
        check("U-Boot ends before partition 1", 16384 * 512 + len(itb) <= d.parts[0]["start"] * 512)
        check("the loader at sector 64 carries the Rockchip boot header (RC4, magic 0x0ff0aa55)",
              rc4(RK_KEY, d.read(64 * 512, 512))[:4] == b"\x55\xaa\xf0\x0f")
    files = d.fat_ls()
    check("boot partition: kernel, initramfs, extlinux/, dtbs/",
          {"vmlinuz", "initrd.img", "extlinux", "dtbs"} <= set(files), files)
    initramfs(d, "rock-pi-e", "initrd.img", d.builtin)
    ext = (d.fat_read("extlinux/extlinux.conf") or b"").decode()
    fdt = re.search(r"^\s*fdt (\S+)$", ext, re.M)
    check("extlinux.conf: kernel, initrd, this board's device tree, read-only root of this image",
          re.search(r"^\s*kernel /vmlinuz$", ext, re.M) and re.search(r"^\s*initrd /initrd.img$", ext, re.M)
          and fdt and fdt.group(1).endswith("rk3328-rock-pi-e.dtb")
          and f"root=PARTUUID={disk_id}-02 ro" in ext and "console=ttyS2,1500000" in ext, ext)
    if fdt:
        dtb = d.fat_read(fdt.group(1).lstrip("/")) or b""
        check("the device tree is there (FDT magic)", dtb[:4] == b"\xd0\x0d\xfe\xed", dtb[:4])
        check("the device tree has the GMAC addresses the .link files name (ff540000, ff550000)",
              b"ethernet@ff540000" in dtb and b"ethernet@ff550000" in dtb)


def qemu(d, disk_id):
    files = d.fat_ls()
    check("boot partition: vmlinuz, initrd.img, cmdline.txt", {"vmlinuz", "initrd.img", "cmdline.txt"} <= set(files))
    cmd = (d.fat_read("cmdline.txt") or b"").decode()
    check("cmdline.txt: this image's root partition read-only", f"root=PARTUUID={disk_id}-02 ro" in cmd, cmd)
    initramfs(d, "qemu-arm64", "initrd.img", d.builtin)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--board", required=True)
    ap.add_argument("--image", required=True)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="vigil-board-image-")
    try:
        image = os.path.abspath(a.image)
        p = run(["sha256sum", "-c", os.path.basename(image) + ".sha256"], cwd=os.path.dirname(image), text=True)
        check("the image's checksum verifies", p.returncode == 0, p.stdout + p.stderr)
        disk = os.path.join(work, "disk.img")
        p = run(["bmaptool", "copy", "--bmap", image[:-len(".img.xz")] + ".bmap", image, disk], text=True)
        check("bmaptool writes it", p.returncode == 0, p.stderr[-300:])
        d = Disk(disk, work)
        disk_id = common(d, a.board)
        {"rpi-arm64": rpi, "rock-pi-e": rock, "qemu-arm64": qemu}[a.board](d, disk_id)
        osl = json.load(open(os.path.join(os.path.dirname(image), "vigil-os-list.json")))
        e = [x for x in osl["os_list"] if x["name"].endswith(f"({a.board})")]
        size = os.path.getsize(image)
        check("vigil-os-list.json has this image with its sizes and checksums",
              e and e[0]["image_download_size"] == size and e[0]["url"].endswith(os.path.basename(image))
              and e[0]["image_download_sha256"] == open(image + ".sha256").read().split()[0]
              and e[0]["extract_size"] == os.path.getsize(disk)
              and all(k in e[0] for k in ("name", "description", "extract_sha256", "release_date", "devices")), e)
        if e:
            sha = run(["sha256sum", disk], text=True).stdout.split()[0]
            check("its extract_sha256 is the written image's", e[0]["extract_sha256"] == sha)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"board-image: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
