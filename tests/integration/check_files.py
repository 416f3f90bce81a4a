#!/usr/bin/env python3
"""check_files.py - rule set and configuration files that are not regular
files or are too large: `vigil rules check`, `vigil replay --rules` and
`vigil run -n` report each as "file: reason" and never read or wait on it
(a FIFO named zz.rules, a directory named local.rules, a .rules symlink
to /dev/zero, an oversize rules file or indicator list, a FIFO as
detectors.conf, suppress.conf or vigil.conf).

Environment: VIGIL (command, may have a qemu prefix).
Ends with "check_files: N passed, M failed"; exit 1 on any failure.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vigil_test as vt  # noqa: E402

ROOT = vt.ROOT
RULE = 'alert tcp any any -> any 7771 (msg:"vigil file test"; sid:9100001; rev:1;)\n'
# A command that reads a FIFO waits for a writer for ever: this is how
# long a hang may look like work before the check calls it a hang (far
# beyond what the commands take even under qemu).
HANG_S = 120


def run(args):
    """vigil args -> (exit status or 'hung', stdout, stderr)."""
    try:
        p = subprocess.run(vt.vigil_cmd() + args, capture_output=True, timeout=HANG_S,
                           stdin=subprocess.DEVNULL)
        return p.returncode, vt.text(p.stdout), vt.text(p.stderr)
    except subprocess.TimeoutExpired as e:
        return "hung", vt.text(e.stdout), vt.text(e.stderr)


def good_set(base, name):
    d = os.path.join(base, name)
    os.makedirs(d)
    with open(os.path.join(d, "local.rules"), "w") as f:
        f.write(RULE)
    return d


def sparse(path, size):
    with open(path, "wb") as f:
        f.truncate(size)


def main():
    res = vt.Results("check_files")
    tmp = tempfile.mkdtemp(prefix="vigil-files-")
    try:
        cases = []   # (title, directory, file that is named, reason)

        d = good_set(tmp, "fifo")
        os.mkfifo(os.path.join(d, "zz.rules"))
        cases.append(("a FIFO named zz.rules", d, "zz.rules", "not a regular file (a FIFO)"))

        d = good_set(tmp, "dir")
        os.rename(os.path.join(d, "local.rules"), os.path.join(d, "a.rules"))
        os.mkdir(os.path.join(d, "local.rules"))
        cases.append(("a directory named local.rules", d, "local.rules",
                      "not a regular file (a directory)"))

        d = good_set(tmp, "zero")
        os.symlink("/dev/zero", os.path.join(d, "zero.rules"))
        cases.append(("a .rules symlink to /dev/zero", d, "zero.rules",
                      "not a regular file (a character device)"))

        d = good_set(tmp, "dangling")
        os.symlink(os.path.join(tmp, "nowhere"), os.path.join(d, "gone.rules"))
        cases.append(("a dangling .rules symlink", d, "gone.rules",
                      "cannot open: No such file or directory"))

        d = good_set(tmp, "big")
        sparse(os.path.join(d, "big.rules"), (64 << 20) + 1)
        cases.append(("a rules file over 64 MiB", d, "big.rules",
                      "too large (64.1 MiB; at most 64 MiB)"))

        d = good_set(tmp, "bigioc")
        os.mkdir(os.path.join(d, "ioc"))
        sparse(os.path.join(d, "ioc", "feed.txt"), (256 << 20) + 1)
        cases.append(("an indicator list over 256 MiB", d, "ioc/feed.txt",
                      "too large (256.1 MiB; at most 256 MiB)"))

        d = good_set(tmp, "iocfifo")
        os.mkdir(os.path.join(d, "ioc"))
        os.mkfifo(os.path.join(d, "ioc", "feed.txt"))
        cases.append(("a FIFO in ioc/", d, "ioc/feed.txt", "not a regular file (a FIFO)"))

        for conf in ("detectors.conf", "suppress.conf", "classification.config"):
            d = good_set(tmp, "fifo_" + conf)
            os.mkfifo(os.path.join(d, conf))
            cases.append(("a FIFO as %s" % conf, d, conf, "not a regular file (a FIFO)"))

        d = good_set(tmp, "bigconf")
        sparse(os.path.join(d, "detectors.conf"), (1 << 20) + 1)
        cases.append(("a detectors.conf over 1 MiB", d, "detectors.conf",
                      "too large (1.1 MiB; at most 1 MiB)"))

        for title, d, name, reason in cases:
            rc, out, err = run(["rules", "check", d])
            problems = []
            want = "%s: %s" % (os.path.join(d, name), reason)
            if rc == "hung":
                problems.append("still running after %d s" % HANG_S)
            elif rc != 1:
                problems.append("exit %s, expected 1" % rc)
            if want not in err.splitlines():
                problems.append("no line '%s' on stderr: %s" % (want, vt.short(err)))
            if not re.search(r"^problems:\s+1$", out, re.M):
                problems.append("not exactly one problem: %s" % vt.short(out))
            if name != "big.rules" and name.endswith(".rules") and \
                    not re.search(r"^signatures:\s+1 from 1 file", out, re.M):
                problems.append("the good file of the set was not read: %s" % vt.short(out))
            res.check("rules check, %s: 'file: %s', exit 1" % (title, reason), problems)

        # replay refuses the set before reading a packet
        d = cases[0][1]
        eve = os.path.join(tmp, "r.json")
        rc, out, err = run(["replay", "--rules", d, "--eve", eve, "--db",
                            os.path.join(tmp, "r.sqlite"),
                            os.path.join(ROOT, "tests", "fixtures", "icmp.pcap")])
        problems = []
        if rc != 2:
            problems.append("exit %s, expected 2: %s" % (rc, vt.short(err)))
        if "zz.rules: not a regular file (a FIFO)" not in err:
            problems.append("stderr does not name zz.rules: %s" % vt.short(err))
        if os.path.exists(eve):
            problems.append("EVE output was written")
        res.check("replay --rules with a FIFO named zz.rules: exit 2, no output", problems)

        # vigil.conf itself
        conf = os.path.join(tmp, "vigil.conf")
        os.mkfifo(conf)
        rc, out, err = run(["run", "-n", "-c", conf])
        problems = []
        if rc != 1:
            problems.append("exit %s, expected 1" % rc)
        if "%s: not a regular file (a FIFO)" % conf not in err:
            problems.append("stderr: %s" % vt.short(err))
        res.check("run -n -c FIFO: 'vigil.conf: not a regular file (a FIFO)', exit 1",
                  problems)
        os.unlink(conf)
        os.mkdir(conf)
        rc, out, err = run(["run", "-n", "-c", conf])
        res.check("run -n -c DIRECTORY: 'not a regular file (a directory)', exit 1",
                  [] if rc == 1 and "%s: not a regular file (a directory)" % conf in err
                  else ["exit %s, stderr: %s" % (rc, vt.short(err))])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return res.summary()


if __name__ == "__main__":
    sys.exit(main())
