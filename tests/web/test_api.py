#!/usr/bin/env python3
"""test_api.py - the web API of docs/api.md, end to end, against a real
`vigil serve` (python3 standard library only).

The database is made by `vigil replay --rules rules/default` over the demo
day and two attack captures; every answer is checked against that database
read with sqlite3. The whole suite runs on 127.0.0.1 (a free port), then a
shorter one on a UNIX socket (HTTP over AF_UNIX, as lighttpd talks to the
daemon).

env: VIGIL   the command that runs vigil, possibly with a prefix (qemu,
             valgrind); default build/vigil
     VIGIL_TIMEOUT  seconds to wait for the server to answer (default 60)
args: --quick   a short subset (setup, login, the main GET routes, a
                change, an export, stop): for valgrind

Last line: "web-api: N passed, M failed"; exit status 1 on any failure.
"""

import csv
import hashlib
import io
import json
import os
import re
import shlex
import shutil
import signal
import socket
import sqlite3
import stat
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CAPTURES = ["tests/fixtures/demo.pcap", "tests/detect/sig_header.pcap",
            "tests/detect/behav_portscan.pcap"]
# the schema this vigil writes (output/store.h)
SCHEMA = int(re.search(r"#define STORE_SCHEMA_VERSION (\d+)",
                       open(os.path.join(ROOT, "firmware/src/output/store.h")).read()).group(1))
PASSWORD = "correct horse battery"
ANALYST_PW = "analyst password 1"
ANALYST_PW2 = "ana's own password"

# The API's routes: must equal the server's own table (GET /api/routes)
# and the table in firmware/src/web/web_routes.c.
ROUTES = [
    ("GET", "/api/setup"), ("POST", "/api/setup"), ("POST", "/api/login"),
    ("POST", "/api/logout"), ("GET", "/api/me"), ("GET", "/api/routes"),
    ("GET", "/api/alerts"), ("GET", "/api/alerts/groups"), ("GET", "/api/alerts/export.csv"),
    ("GET", "/api/alerts/export.eve"), ("POST", "/api/alerts/ack"),
    ("GET", "/api/alerts/{id}"), ("GET", "/api/alerts/{id}/flows"), ("POST", "/api/alerts/{id}/status"),
    ("POST", "/api/alerts/{id}/notes"), ("POST", "/api/alerts/{id}/suppress"),
    ("GET", "/api/alerts/{id}/pcap"), ("GET", "/api/flows/{id}/pcap"),
    ("GET", "/api/audit"), ("GET", "/api/flows"),
    ("GET", "/api/flows/top-talkers"), ("GET", "/api/dashboard"),
    ("GET", "/api/system"), ("GET", "/api/users"), ("POST", "/api/users"),
    ("GET", "/api/clock"), ("POST", "/api/me/password"), ("POST", "/api/users/{name}/disable"),
    ("POST", "/api/users/{name}/enable"), ("POST", "/api/users/{name}/role"),
    ("POST", "/api/users/{name}/password"), ("POST", "/api/users/{name}/delete"),
    ("GET", "/api/suppressions"), ("POST", "/api/suppressions"), ("POST", "/api/suppressions/remove"),
]
PUBLIC = {("GET", "/api/setup"), ("POST", "/api/setup"), ("POST", "/api/login")}
ADMIN = {("GET", "/api/users"), ("POST", "/api/users"), ("POST", "/api/users/{name}/disable"),
         ("POST", "/api/users/{name}/enable"), ("POST", "/api/users/{name}/role"),
         ("POST", "/api/users/{name}/password"), ("POST", "/api/users/{name}/delete"),
         ("POST", "/api/suppressions"), ("POST", "/api/suppressions/remove"),
         ("POST", "/api/alerts/{id}/suppress")}
# what a session with a password change due may use
PWCHANGE = {("POST", "/api/logout"), ("GET", "/api/me"), ("POST", "/api/me/password")}
USER_KEYS = ["username", "role", "created_us", "disabled", "disabled_us", "last_login_us",
             "must_change_password", "sessions"]
ALERT_KEYS = ["id", "engine", "gid", "sid", "rev", "signature", "category",
              "classtype", "severity", "detector", "ioc_kind",
              "ioc_indicator", "ioc_list", "src_ip", "dest_ip", "proto",
              "src_port", "dest_port", "app_proto", "count", "first_seen_us",
              "last_seen_us", "status", "ndpi_app_proto", "community_id"]
FLOW_KEYS = ["id", "flow_id", "start_us", "end_us", "src_ip", "src_port",
             "dest_ip", "dest_port", "proto", "app_proto", "ndpi_protocol",
             "ndpi_category", "risks", "tls_sni", "ja3", "ja3s",
             "dns_rrname", "http_host", "http_user_agent", "pkts_toserver",
             "pkts_toclient", "bytes_toserver", "bytes_toclient", "state",
             "alerted", "ndpi_app_proto", "community_id", "icmp_type", "icmp_code",
             "response_icmp_type", "response_icmp_code"]
SEC_HEADERS = {
    "content-security-policy": "default-src 'self'; img-src 'self' data:; "
                               "style-src 'self'; script-src 'self'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}
SQLI = ["' OR 1=1 --", "\"", "1; DROP TABLE alerts", "';--", "1' UNION SELECT * FROM users --"]


# ---- results -------------------------------------------------------------------

class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.prefix = ""

    def check(self, name, cond, detail=""):
        if cond:
            self.passed += 1
            print(f"ok    {self.prefix}{name}")
        else:
            self.failed += 1
            print(f"FAIL  {self.prefix}{name}" + (f": {detail}" if detail else ""))
        sys.stdout.flush()
        return bool(cond)


R = Results()


def short(x, n=300):
    s = x if isinstance(x, str) else repr(x)
    return s if len(s) <= n else s[:n] + "..."


# ---- HTTP client: tests/web/vigil_http.py -------------------------------------------

from vigil_http import Client, Resp  # noqa: E402


# ---- the server -------------------------------------------------------------------

def vigil_cmd():
    return shlex.split(os.environ.get("VIGIL") or os.path.join(ROOT, "build", "vigil"))


def vigil_bin():
    return vigil_cmd()[-1]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    def __init__(self, db, listen, state, static, timeout, extra=()):
        self.out = open(os.path.join(state + ".out"), "w+")
        self.err = open(os.path.join(state + ".err"), "w+")
        self.proc = subprocess.Popen(
            vigil_cmd() + ["serve", "--db", db, "--listen", listen, "--state-dir", state,
                           "--static", static] + list(extra),
            stdout=self.out, stderr=self.err, stdin=subprocess.DEVNULL)
        self.timeout = timeout

    def output(self):
        self.out.flush()
        self.out.seek(0)
        return self.out.read()

    def wait_output(self, pattern):
        """The first match of pattern in stdout, waiting for it (the server
        answers before it has printed everything); None after timeout."""
        end = time.time() + self.timeout
        while True:
            m = re.search(pattern, self.output())
            if m or time.time() > end or self.proc.poll() is not None:
                return m or re.search(pattern, self.output())
            time.sleep(0.05)

    def errors(self):
        self.err.flush()
        self.err.seek(0)
        return self.err.read()

    def wait_ready(self, client):
        end = time.time() + self.timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                return False
            try:
                if client.get("/api/setup").status == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.1)
        return False

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=max(30, self.timeout))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None


# ---- database helpers --------------------------------------------------------------

def dbq(db, sql, args=()):
    con = sqlite3.connect(db, timeout=10)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def dbx(db, sql, args=()):
    con = sqlite3.connect(db, timeout=10)
    try:
        con.execute(sql, args)
        con.commit()
    finally:
        con.close()


PROTO = {1: "ICMP", 6: "TCP", 17: "UDP", 47: "GRE", 50: "ESP", 58: "IPv6-ICMP", 132: "SCTP"}


def alert_rows(db, where="1", args=()):
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    rows = con.execute(f"SELECT * FROM alerts WHERE {where} ORDER BY last_seen_us DESC, id DESC",
                       args).fetchall()
    con.close()
    return rows


def same_alert(api, row):
    """An API ALERT against its database row."""
    for k in ALERT_KEYS:
        v = row[k]
        if k == "proto":
            v = PROTO.get(v, str(v)) if v else None
        elif v == "":
            v = None
        if api.get(k) != v:
            return f"{k}: api {api.get(k)!r} db {v!r}"
    if list(api.keys())[:len(ALERT_KEYS)] != ALERT_KEYS:
        return f"members {list(api.keys())}"
    return None


# ---- the suites ----------------------------------------------------------------------

def check_headers(name, r):
    bad = [k for k, v in SEC_HEADERS.items() if r.headers.get(k) != v]
    R.check(f"{name}: security headers", not bad, f"missing/wrong {bad}: {r.headers}")


def routes_in_source():
    src = open(os.path.join(ROOT, "firmware", "src", "web", "web_routes.c")).read()
    table = src[src.index("const struct web_route web_routes[]"):]
    table = table[:table.index("};")]
    return re.findall(r'\{\s*"([A-Z]+)",\s*"([^"]+)",\s*\w+,\s*([A-Z_|0]+)\s*\}', table)


def fill(path, aid, name="nobody"):
    return path.replace("{id}", str(aid)).replace("{name}", name)


def suite_setup(c, srv, db, state, secure=False):
    """First start: setup token, admin account, login."""
    r = c.get("/api/setup")
    R.check("GET /api/setup: setup_needed true", r.status == 200 and r.json == {"setup_needed": True}, r)
    check_headers("GET /api/setup", r)
    R.check("API answers are not cached", r.headers.get("cache-control") == "no-store", r.headers)
    tokfile = os.path.join(state, "setup-token")
    R.check("setup token file exists, mode 0600", os.path.exists(tokfile) and
            stat.S_IMODE(os.stat(tokfile).st_mode) == 0o600)
    token = open(tokfile).read().strip() if os.path.exists(tokfile) else ""
    m = srv.wait_output(r"setup token: ([0-9a-f]+)\n")
    R.check("vigil serve prints the setup token", m and m.group(1) == token, srv.output())
    R.check("the token is logged once (stderr)", srv.errors().count(token) == 1 and token, srv.errors())
    hashes = [h for (h,) in dbq(db, "SELECT token_hash FROM setup")]
    R.check("only the token's SHA-256 is in the database",
            hashes == [hashlib.sha256(token.encode()).hexdigest()], hashes)

    body = {"token": "0" * 32, "username": "admin", "password": PASSWORD}
    r = c.post("/api/setup", body, csrf=False)
    R.check("setup with a wrong token: 403", r.status == 403 and r.error(), r)
    r = c.post("/api/setup", dict(body, token=token, password="short"), csrf=False)
    R.check("setup with a short password: 400", r.status == 400 and r.error(), r)
    r = c.post("/api/setup", dict(body, token=token, username="bad name"), csrf=False)
    R.check("setup with a bad username: 400", r.status == 400 and r.error(), r)
    r = c.post("/api/setup", {"token": token}, csrf=False)
    R.check("setup without username: 400", r.status == 400 and r.error(), r)
    r = c.post("/api/setup", dict(body, token=token), csrf=False)
    R.check("setup with the token: 201, admin created",
            r.status == 201 and r.json == {"user": "admin", "role": "admin"}, r)
    R.check("setup token file removed", not os.path.exists(tokfile))
    R.check("setup table emptied", dbq(db, "SELECT count(*) FROM setup")[0][0] == 0)
    rows = dbq(db, "SELECT username, role, hash FROM users")
    R.check("admin stored with a yescrypt hash", len(rows) == 1 and rows[0][:2] == ("admin", "admin")
            and rows[0][2].startswith("$y$") and PASSWORD not in rows[0][2], rows)
    r = c.post("/api/setup", dict(body, token=token), csrf=False)
    R.check("setup again with the same token: 409", r.status == 409 and r.error(), r)
    r = c.get("/api/setup")
    R.check("GET /api/setup: setup_needed false", r.json == {"setup_needed": False}, r)

    r = c.login("admin", "wrong password!")
    R.check("login with a wrong password: 401", r.status == 401 and r.error(), r)
    r = c.login("nobody", PASSWORD)
    R.check("login as an unknown user: 401", r.status == 401 and r.error(), r)
    r = c.login("admin", PASSWORD)
    R.check("login: 200 {user, role, csrf, must_change_password}", r.status == 200 and
            r.json.get("user") == "admin" and r.json.get("role") == "admin" and
            re.fullmatch(r"[0-9a-f]{64}", r.json.get("csrf", "")) and
            r.json.get("must_change_password") is False, r)
    ck = " ".join(r.set_cookie)
    R.check("session cookie: 256-bit, HttpOnly, SameSite=Strict, Path=/, "
            + ("Secure (--secure-cookies)" if secure else "not Secure"),
            c.cookie and len(c.cookie) == 64 and "HttpOnly" in ck and "SameSite=Strict" in ck
            and "Path=/" in ck and ("Secure" in ck) == secure, ck)
    ids = [i for (i,) in dbq(db, "SELECT id FROM sessions")]
    R.check("only the session id's SHA-256 is in the database",
            hashlib.sha256(c.cookie.encode()).hexdigest() in ids and c.cookie not in ids, ids)
    r = c.get("/api/me")
    R.check("GET /api/me", r.status == 200 and r.json == {"user": "admin", "role": "admin",
                                                          "csrf": c.csrf,
                                                          "must_change_password": False}, r)
    audit = dbq(db, "SELECT username, action FROM audit ORDER BY id")
    R.check("setup, failed logins and login are audited",
            ("admin", "setup") in audit and ("admin", "login") in audit and
            ("admin", "login_failed") in audit, audit)


def suite_routes(c, aid):
    """The route list, 401 without a session, 403 without CSRF token."""
    r = c.get("/api/routes")
    server = sorted((x["method"], x["path"]) for x in (r.json or {}).get("routes", []))
    R.check("GET /api/routes equals the test's route list", server == sorted(ROUTES),
            f"server {server}")
    src = routes_in_source()
    R.check("web_routes.c's route table equals the test's route list",
            sorted((m, p) for m, p, _ in src) == sorted(ROUTES), src)
    flags = {(x["method"], x["path"]): (x["session"], x["admin"], x["password_change"])
             for x in r.json["routes"]}
    R.check("routes without session: exactly setup (GET, POST) and login",
            {k for k, v in flags.items() if not v[0]} == PUBLIC, flags)
    R.check("admin routes: exactly the users routes",
            {k for k, v in flags.items() if v[1]} == ADMIN, flags)
    R.check("routes open to a session with a password change due: logout, me, me/password",
            {k for k, v in flags.items() if v[2]} == PWCHANGE, flags)

    anon = Client(c.where, c.timeout)
    for method, path in ROUTES:
        if (method, path) in PUBLIC:
            continue
        r = anon.request(method, fill(path, aid), {} if method == "POST" else None)
        R.check(f"{method} {path} without a session: 401", r.status == 401 and r.error(), r)
    forged = Client(c.where, c.timeout)
    forged.cookie = "0" * 64
    r = forged.get("/api/me")
    R.check("a made-up session cookie: 401", r.status == 401, r)
    r = forged.get("/api/me", headers={"Cookie": "vigil_session=' OR 1=1 --"}, cookie=False)
    R.check("a session cookie with SQL in it: 401", r.status == 401, r)

    for method, path in ROUTES:
        if method != "POST" or (method, path) in PUBLIC:
            continue
        for name, hdr in (("without", None), ("with a wrong", "f" * 64), ("with an empty", "")):
            h = {"X-CSRF-Token": hdr} if hdr is not None else {}
            r = c.request("POST", fill(path, aid), {}, headers=h, csrf=False)
            R.check(f"POST {path} {name} X-CSRF-Token: 403", r.status == 403 and r.error(), r)
    r = c.get("/api/me")
    R.check("the session survives refused requests", r.status == 200, r)

    r = c.get("/api/nope")
    R.check("unknown API route: 404", r.status == 404 and r.error(), r)
    r = c.get("/api/alerts/abc")
    R.check("non-numeric alert id: 404", r.status == 404 and r.error(), r)
    r = c.get("/api/alerts/99999999999999999999999")
    R.check("alert id out of range: 400", r.status == 400 and r.error(), r)
    r = c.get("/api/alerts/0")
    R.check("alert 0: 404", r.status == 404 and r.error(), r)
    for method in ("HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"):
        r = c.request(method, "/api/alerts")
        R.check(f"{method} /api/alerts: 405", r.status == 405 and "GET" in r.headers.get("allow", ""),
                r)
    r = c.request("GET", "/api/login")
    R.check("GET /api/login: 405 (Allow: POST)", r.status == 405 and r.headers.get("allow") == "POST", r)
    r = c.request("GET", "/api/alerts/ack")
    R.check("GET /api/alerts/ack: 405", r.status == 405, r)


def bad_get(c, path, params, what):
    r = c.get(path, params)
    R.check(f"GET {path} {what}: 400 with an error", r.status == 400 and r.error(),
            f"{params} -> {r}")


def suite_bad_input(c, db, aid):
    n_alerts = dbq(db, "SELECT count(*) FROM alerts")[0][0]
    n_flows = dbq(db, "SELECT count(*) FROM flows")[0][0]
    bad_ints = ["abc", "1.5", "0x10", "1e3", " 1", "+1", "", "99999999999999999999999",
                "-99999999999999999999"] + SQLI
    bad_choice = ["bogus", "NEW", ""] + SQLI
    bad_host = ["x", "999.1.1.1", "1.2.3.4;", "", "10.0.0.0/8"] + SQLI
    int_params = {
        "/api/alerts": {"from": (0, None), "to": (0, None), "severity": (1, 4), "sid": (0, None),
                        "since_id": (0, None), "limit": (1, 500), "offset": (0, 10000000)},
        "/api/alerts/export.csv": {"from": (0, None), "severity": (1, 4), "since_id": (0, None)},
        "/api/alerts/export.eve": {"to": (0, None), "sid": (0, None)},
        "/api/audit": {"limit": (1, 500), "offset": (0, 10000000)},
        "/api/flows": {"from": (0, None), "to": (0, None), "limit": (1, 500), "offset": (0, 10000000)},
        "/api/flows/top-talkers": {"from": (0, None), "to": (0, None), "limit": (1, 100)},
        "/api/dashboard": {"from": (0, None), "to": (0, None)},
    }
    for path, params in int_params.items():
        for p, (lo, hi) in params.items():
            for v in bad_ints:
                bad_get(c, path, {p: v}, f"{p}={v!r}")
            bad_get(c, path, {p: str(lo - 1)}, f"{p} below range")
            if hi is not None:
                bad_get(c, path, {p: str(hi + 1)}, f"{p} above range")
    for path in ("/api/alerts", "/api/alerts/export.csv", "/api/alerts/export.eve"):
        for p in ("engine", "status"):
            for v in bad_choice:
                bad_get(c, path, {p: v}, f"{p}={v!r}")
        for v in bad_host:
            bad_get(c, path, {"host": v}, f"host={v!r}")
        bad_get(c, path, {"q": "x" * 201}, "q of 201 characters")
        bad_get(c, path, {"q": ""}, "empty q")
        bad_get(c, path, {"from": "10", "to": "5"}, "from after to")
    for path in ("/api/alerts/export.csv", "/api/alerts/export.eve"):
        bad_get(c, path, {"limit": "5"}, "limit (exports have none)")
    for v in bad_host:
        bad_get(c, "/api/flows", {"host": v}, f"host={v!r}")
    for v in ["a b", "x" * 65, "", "tls;", "' OR 1=1 --", "%"]:
        bad_get(c, "/api/flows", {"app": v}, f"app={v!r}")
    for path in ("/api/alerts", "/api/flows", "/api/audit", "/api/dashboard", "/api/system",
                 "/api/me", "/api/routes", "/api/users", f"/api/alerts/{aid}",
                 "/api/flows/top-talkers"):
        bad_get(c, path, {"bogus": "1"}, "unknown parameter")
    r = c.get("/api/alerts?limit=1&limit=2")
    R.check("a repeated parameter: 400", r.status == 400 and r.error(), r)

    # q is free text: SQL in it is text to look for, nothing more
    for v in SQLI:
        r = c.get("/api/alerts", {"q": v})
        R.check(f"q={v!r}: 200, nothing found", r.status == 200 and r.json["total"] == 0, r)

    # bodies
    post_bodies = {
        "/api/alerts/{id}/status": [{"status": 1}, {"status": "bogus"}, {"status": None},
                                    {"status": ["new"]}, {}] + [{"status": s} for s in SQLI],
        "/api/alerts/{id}/notes": [{"text": 5}, {"text": ""}, {"text": "x" * 4001}, {},
                                   {"text": "a\u0000b"}],
        "/api/alerts/ack": [{"ids": "1"}, {"ids": []}, {"ids": [-1]}, {"ids": ["1"]},
                            {"ids": [1.5]}, {"ids": [0]}, {"ids": list(range(1, 1003))},
                            {"ids": [[1]]}, {"ids": 1}, {}, {"ids": ["1) OR (1=1"]}],
        "/api/alerts/{id}/suppress": [{"track": "x", "reason": "r"}, {"track": 1, "reason": "r"}, {},
                                      {"track": "by_src; rm", "reason": "r"},
                                      {"track": "all"}, {"track": "all", "reason": ""},
                                      {"track": "all", "reason": "   "}, {"track": "all", "reason": 5},
                                      {"track": "all", "reason": "x" * 201},
                                      {"track": "all", "reason": "r", "expires": "2020-01-01T00:00:00Z"},
                                      {"track": "all", "reason": "r", "expires": "tomorrow"}]
                                     + [{"track": s, "reason": "r"} for s in SQLI],
        "/api/suppressions": [{"gen_id": 1, "sig_id": 2, "track": "by_src"},
                              {"gen_id": 1, "sig_id": 2, "track": "by_src", "ip": "10.0.0.1, ip 0.0.0.0/0"},
                              {"gen_id": 1, "sig_id": 2, "track": "all", "ip": "10.0.0.1"},
                              {"gen_id": 1, "sig_id": 2, "track": "x"}, {"gen_id": 0, "sig_id": 2, "track": "all"},
                              {"gen_id": 1, "sig_id": 2 ** 32, "track": "all"}, {"sig_id": 2, "track": "all"},
                              {"gen_id": 1, "sig_id": 2, "track": "all", "expires": "2020-01-01T00:00:00Z"},
                              {"gen_id": 1, "sig_id": 2, "track": "all", "expires": "2099-13-01T00:00:00Z"},
                              {"gen_id": 1, "sig_id": 2, "track": "all", "expires": "tomorrow"},
                              {"gen_id": 1, "sig_id": 2, "track": "all", "expires": 4102444800},
                              {"gen_id": 1, "sig_id": 2, "track": "all", "reason": "x" * 201}],
        "/api/suppressions/remove": [{"line": 0, "text": "x"}, {"line": "3", "text": "x"},
                                     {"line": 3}, {"text": "x"}, {"line": 1.5, "text": "x"},
                                     {"line": 3, "text": 5}, {"line": 3, "text": "x", "y": 1},
                                     {"line": 3, "text": "x" * 5000}],
        "/api/users": [{"username": "u1", "password": "0123456789", "role": "root"},
                       {"username": "u1", "password": "short", "role": "analyst"},
                       {"username": "bad name", "password": "0123456789", "role": "analyst"},
                       {"username": "x" * 65, "password": "0123456789", "role": "analyst"},
                       {"username": 5, "password": "0123456789", "role": "analyst"},
                       {"username": "u1", "password": "0123456789"},
                       {"username": "' OR 1=1 --", "password": "0123456789", "role": "analyst"}],
        "/api/users/{name}/role": [{"role": "root"}, {"role": 1}, {"role": None}, {},
                                   {"role": "admin", "x": 1}, {"role": ["admin"]},
                                   {"role": "Admin"}] + [{"role": s} for s in SQLI],
        "/api/users/{name}/password": [{"password": "short"}, {"password": 1234567890}, {},
                                       {"password": "x" * 1025}, {"password": "012345678\u0000x"},
                                       {"password": "0123456789", "role": "admin"}],
        "/api/users/{name}/disable": [{"x": 1}, {"username": "admin"}],
        "/api/users/{name}/enable": [{"x": 1}],
        "/api/users/{name}/delete": [{"force": True}],
        "/api/me/password": [{"current": PASSWORD}, {"password": "a new password"},
                             {"current": PASSWORD, "password": "short"},
                             {"current": 1, "password": "a new password"},
                             {"current": PASSWORD, "password": None},
                             {"current": PASSWORD, "password": "x" * 1025},
                             {"current": PASSWORD, "password": PASSWORD},
                             {"current": PASSWORD, "password": "a new password", "user": "x"}],
        "/api/login": [{"username": 1, "password": "x"}, {"username": "admin"}, {}],
        "/api/setup": [{"token": 1, "username": "a", "password": "0123456789"}],
    }
    generic = [b"not json", b"[]", b"\"text\"", b"123", b"{\"a\":", b"[" * 5000 + b"]" * 5000,
               b"{\"unknown\": 1}", b""]
    # no body at all reads as {}: a 400 only where members are required
    no_members = {"/api/users/{name}/disable", "/api/users/{name}/enable", "/api/users/{name}/delete"}
    for path, bodies in post_bodies.items():
        public = ("POST", path) in PUBLIC
        for b in list(bodies) + [g for g in generic if g or path not in no_members]:
            r = c.request("POST", fill(path, aid), b if isinstance(b, bytes) else json.dumps(b),
                          csrf=not public)
            R.check(f"POST {path} {short(b if isinstance(b, bytes) else json.dumps(b), 50)!r}: 400",
                    r.status == 400 and r.error(), r)
    for method, path in ROUTES:
        if method != "POST":
            continue
        r = c.request("POST", fill(path, aid), b'{"text": "' + b"x" * 70000 + b'"}',
                      csrf=("POST", path) not in PUBLIC)
        R.check(f"POST {path} with a 70 KB body: 413", r.status == 413 and r.error(), r)
    r = c.request("POST", f"/api/alerts/{aid}/notes", b'{"text": "ok"}' + b" " * 65536)
    R.check("a body just over 64 KiB: 413", r.status == 413, r)
    r = c.request("POST", f"/api/alerts/{aid}/notes", b'{"text": "' + b"y" * 1000 + b'"}')
    R.check("a note of 1000 characters: 200", r.status == 200, r)
    # a chunked body without Content-Length, too large
    conn = c.conn()
    conn.putrequest("POST", f"/api/alerts/{aid}/notes")
    conn.putheader("Cookie", "vigil_session=" + c.cookie)
    conn.putheader("X-CSRF-Token", c.csrf)
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    try:
        chunk = b"x" * 8192
        for _ in range(10):
            conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        conn.send(b"0\r\n\r\n")
        status = conn.getresponse().status
    except OSError as e:
        status = str(e)
    conn.close()
    R.check("a chunked body over 64 KiB: 413", status == 413, status)

    r = c.get("/api/me")
    R.check("the server still answers after the bad input", r.status == 200, r)
    R.check("no alert or flow was lost", dbq(db, "SELECT count(*) FROM alerts")[0][0] == n_alerts
            and dbq(db, "SELECT count(*) FROM flows")[0][0] == n_flows)
    R.check("no account was made by bad input", dbq(db, "SELECT count(*) FROM users")[0][0] == 1)
    R.check("bad input changed no account", dbq(db, "SELECT role, disabled_us, must_change FROM"
                                                " users") == [("admin", None, 0)])
    r = Client(c.where, c.timeout).login("admin", PASSWORD)
    R.check("bad input did not change the password", r.status == 200, r)


def suite_alerts(c, db):
    rows = alert_rows(db)
    r = c.get("/api/alerts")
    R.check("GET /api/alerts: total and order as in the database",
            r.status == 200 and r.json["total"] == len(rows) and
            [a["id"] for a in r.json["alerts"]] == [x["id"] for x in rows][:50], r)
    bad = [same_alert(a, x) for a, x in zip(r.json["alerts"], rows)]
    R.check("every ALERT equals its row", not any(bad), [b for b in bad if b])

    def filtered(params, where, args=()):
        want = [x["id"] for x in alert_rows(db, where, args)]
        r = c.get("/api/alerts", dict(params, limit="500"))
        got = [a["id"] for a in (r.json or {}).get("alerts", [])]
        R.check(f"GET /api/alerts {params}: {len(want)} alert(s) as in the database",
                r.status == 200 and r.json["total"] == len(want) and got == want,
                f"api {got} db {want}")

    sig = rows[-1]
    filtered({"severity": "1"}, "severity <= 1")
    filtered({"severity": "2"}, "severity <= 2")
    filtered({"engine": "detector"}, "engine = 'detector'")
    filtered({"engine": "signature"}, "engine = 'signature'")
    filtered({"engine": "ioc"}, "engine = 'ioc'")
    filtered({"sid": str(sig["sid"])}, "sid = ?", (sig["sid"],))
    filtered({"host": sig["src_ip"]}, "src_ip = ? OR dest_ip = ?", (sig["src_ip"], sig["src_ip"]))
    filtered({"host": sig["dest_ip"]}, "src_ip = ? OR dest_ip = ?", (sig["dest_ip"], sig["dest_ip"]))
    filtered({"status": "new"}, "status = 'new'")
    filtered({"status": "escalated"}, "status = 'escalated'")
    filtered({"q": "portscan"}, "signature LIKE '%portscan%' OR detector LIKE '%portscan%'")
    filtered({"q": "FTP"}, "signature LIKE '%ftp%' OR category LIKE '%ftp%'")
    filtered({"q": "198.18."}, "src_ip LIKE '%198.18.%' OR dest_ip LIKE '%198.18.%'")
    filtered({"q": "%"}, "signature LIKE '%\\%%' ESCAPE '\\'")
    mid = sorted(x["last_seen_us"] for x in rows)[len(rows) // 2]
    filtered({"from": str(mid)}, "last_seen_us >= ?", (mid,))
    filtered({"to": str(mid)}, "last_seen_us <= ?", (mid,))
    filtered({"from": str(mid), "to": str(mid)}, "last_seen_us = ?", (mid,))
    filtered({"severity": "3", "engine": "signature", "host": sig["src_ip"]},
             "severity <= 3 AND engine = 'signature' AND (src_ip = ? OR dest_ip = ?)",
             (sig["src_ip"], sig["src_ip"]))
    # since_id: newer ids, or seen / status-changed after that alert was first seen
    top = max(x["id"] for x in rows)
    lowest = min(x["id"] for x in rows)
    filtered({"since_id": str(top)}, "id > ?", (top,))
    first = dbq(db, "SELECT first_seen_us FROM alerts WHERE id = ?", (lowest,))[0][0]
    filtered({"since_id": str(lowest)}, "id > ? OR last_seen_us > ?", (lowest, first))
    filtered({"since_id": "999999999"}, "id > 999999999")

    # pagination
    pages = []
    for off in range(0, len(rows) + 2, 2):
        r = c.get("/api/alerts", {"limit": "2", "offset": str(off)})
        pages += [a["id"] for a in r.json["alerts"]]
        R.check(f"page at offset {off}: total stays {len(rows)}", r.json["total"] == len(rows), r)
    R.check("pages of 2 make the whole list", pages == [x["id"] for x in rows], pages)
    r = c.get("/api/alerts", {"offset": "10000000"})
    R.check("offset past the end: empty list", r.status == 200 and r.json["alerts"] == [], r)


# The orders of GET /api/alerts and /api/alerts/groups (web_alerts.c):
# "desc" (the default) the worst, most or newest first.
ALERT_ORDERS = {
    ("last_seen", "desc"): "last_seen_us DESC, id DESC", ("last_seen", "asc"): "last_seen_us, id",
    ("first_seen", "desc"): "first_seen_us DESC, id DESC", ("first_seen", "asc"): "first_seen_us, id",
    ("severity", "desc"): "severity, last_seen_us DESC, id DESC",
    ("severity", "asc"): "severity DESC, last_seen_us DESC, id DESC",
    ("count", "desc"): "count DESC, last_seen_us DESC, id DESC",
    ("count", "asc"): "count, last_seen_us DESC, id DESC",
}
GROUP_KEYS = ["gid", "sid", "engine", "signature", "category", "detector", "severity", "alerts",
              "new", "sources", "destinations", "count", "first_seen_us", "last_seen_us"]
GROUP_SQL = ("SELECT gid, sid, max(engine), max(signature), max(category), max(detector),"
             " min(severity) AS sev, count(*), sum(status = 'new'), count(DISTINCT src_ip),"
             " count(DISTINCT nullif(dest_ip, '')), sum(count) AS cnt, min(first_seen_us) AS fs,"
             " max(last_seen_us) AS ls FROM alerts WHERE {where} GROUP BY gid, sid")
GROUP_ORDERS = {
    ("last_seen", "desc"): "ls DESC, gid, sid", ("last_seen", "asc"): "ls, gid, sid",
    ("first_seen", "desc"): "fs DESC, gid, sid", ("first_seen", "asc"): "fs, gid, sid",
    ("severity", "desc"): "sev, ls DESC, gid, sid", ("severity", "asc"): "sev DESC, ls DESC, gid, sid",
    ("count", "desc"): "cnt DESC, ls DESC, gid, sid", ("count", "asc"): "cnt, ls DESC, gid, sid",
}


def suite_alerts_sorted(c, db):
    """sort and order, gid, and the groups by signature, against the database."""
    n = dbq(db, "SELECT count(*) FROM alerts")[0][0]
    for (sort, order), sql in ALERT_ORDERS.items():
        want = [x[0] for x in dbq(db, f"SELECT id FROM alerts ORDER BY {sql}")]
        params = {"sort": sort, "limit": "500"}
        if order == "asc":
            params["order"] = "asc"
        r = c.get("/api/alerts", params)
        R.check(f"GET /api/alerts sort={sort} order={order}: the database's order",
                r.status == 200 and r.json["total"] == n and [a["id"] for a in r.json["alerts"]] == want,
                f"api {[a['id'] for a in (r.json or {}).get('alerts', [])]} db {want}")
        pages = []
        for off in range(0, n + 3, 3):
            rp = c.get("/api/alerts", dict(params, limit="3", offset=str(off)))
            pages += [a["id"] for a in (rp.json or {}).get("alerts", [])]
        R.check(f"sort={sort} order={order}: pages of 3 make the whole list", pages == want, pages)
    worst = dbq(db, "SELECT id FROM alerts ORDER BY count DESC, last_seen_us DESC, id DESC LIMIT 1")[0][0]
    r = c.get("/api/alerts", {"sort": "count", "severity": "2", "limit": "1"})
    want = dbq(db, "SELECT id FROM alerts WHERE severity <= 2 ORDER BY count DESC, last_seen_us DESC,"
               " id DESC LIMIT 1")
    R.check("sort=count with a filter: the most frequent matching alert first",
            r.status == 200 and [a["id"] for a in r.json["alerts"]] == [x[0] for x in want], r)
    del worst
    # gid: detectors' and signatures' sids are counted apart
    for gid, sid in dbq(db, "SELECT DISTINCT gid, sid FROM alerts"):
        want = [x[0] for x in dbq(db, "SELECT id FROM alerts WHERE gid = ? AND sid = ?"
                                  " ORDER BY last_seen_us DESC, id DESC", (gid, sid))]
        r = c.get("/api/alerts", {"gid": str(gid), "sid": str(sid), "limit": "500"})
        R.check(f"GET /api/alerts gid={gid} sid={sid}", r.status == 200 and
                [a["id"] for a in r.json["alerts"]] == want, r)

    def groups(params, where="1", args=()):
        sort, order = params.get("sort", "last_seen"), params.get("order", "desc")
        want = [list(x) for x in dbq(db, GROUP_SQL.format(where=where) +
                                     f" ORDER BY {GROUP_ORDERS[(sort, order)]}", args)]
        want = [[None if v == "" else v for v in x] for x in want]
        r = c.get("/api/alerts/groups", dict(params, limit="500"))
        got = [[g.get(k) for k in GROUP_KEYS] for g in (r.json or {}).get("groups", [])]
        R.check(f"GET /api/alerts/groups {params}: {len(want)} signature(s) as in the database",
                r.status == 200 and r.json["total"] == len(want) and got == want and
                all(list(g) == GROUP_KEYS for g in r.json["groups"]), f"api {got} db {want}")
        return r

    for sort, order in GROUP_ORDERS:
        groups({"sort": sort, "order": order} if order == "asc" else {"sort": sort})
    groups({"severity": "2"}, "severity <= 2")
    groups({"engine": "detector"}, "engine = 'detector'")
    groups({"status": "new", "sort": "count"}, "status = 'new'")
    host = dbq(db, "SELECT src_ip FROM alerts GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")[0][0]
    groups({"host": host}, "src_ip = ? OR dest_ip = ?", (host, host))
    # the groups add up to the list
    r = c.get("/api/alerts/groups", {"limit": "500"})
    R.check("groups: alerts add up to the list's total, occurrences to the sum of counts",
            sum(g["alerts"] for g in r.json["groups"]) == n and
            sum(g["count"] for g in r.json["groups"]) == dbq(db, "SELECT sum(count) FROM alerts")[0][0],
            r.json["groups"])
    total = r.json["total"]
    pages = []
    for off in range(0, total + 2, 2):
        rp = c.get("/api/alerts/groups", {"limit": "2", "offset": str(off), "sort": "severity"})
        pages += [(g["gid"], g["sid"]) for g in rp.json["groups"]]
    want = [(x[0], x[1]) for x in dbq(db, GROUP_SQL.format(where="1") + " ORDER BY " +
                                      GROUP_ORDERS[("severity", "desc")])]
    R.check("groups: pages of 2 make the whole list", pages == want, pages)
    # bad values
    for path in ("/api/alerts", "/api/alerts/groups"):
        for v in ["bogus", "", "LAST_SEEN", "last_seen_us", "id"] + SQLI:
            bad_get(c, path, {"sort": v}, f"sort={v!r}")
        for v in ["up", "", "DESC", "ascending"] + SQLI:
            bad_get(c, path, {"order": v}, f"order={v!r}")
        for v in ["x", "-1", "4294967296", ""]:
            bad_get(c, path, {"gid": v}, f"gid={v!r}")
        bad_get(c, path, {"limit": "501"}, "limit above 500")
    bad_get(c, "/api/alerts/groups", {"since_id": "1"}, "since_id (live updates are for the list)")
    for path in ("/api/alerts/export.csv", "/api/alerts/export.eve"):
        bad_get(c, path, {"sort": "count"}, "sort (exports have none)")
    r = c.get("/api/alerts/export.csv", {"gid": "9200"})
    R.check("export.csv gid=9200: the detectors' alerts", r.status == 200 and
            len(r.body.decode().splitlines()) == 1 + dbq(db, "SELECT count(*) FROM alerts WHERE gid = 9200")[0][0], r)


def suite_alert_flows(c, db):
    """GET /api/alerts/{id}/flows: every stored linked flow, a page at a time,
    the numbers it gives (linked, stored, per decision) against the database."""
    for aid, engine in dbq(db, "SELECT id, engine FROM alerts ORDER BY id"):
        linked = dbq(db, "SELECT count(*) FROM alert_flows WHERE alert_id = ?", (aid,))[0][0]
        stored = [x[0] for x in dbq(db, "SELECT id FROM flows WHERE flow_id IN (SELECT flow_id FROM"
                                    " alert_flows WHERE alert_id = ?) ORDER BY start_us DESC, id DESC",
                                    (aid,))]
        r = c.get(f"/api/alerts/{aid}/flows", {"limit": "500"})
        d = r.json or {}
        R.check(f"alert {aid} ({engine}): flows = the stored linked flows, newest first; linked counted",
                r.status == 200 and d.get("total") == len(stored) and d.get("linked") == linked and
                d.get("per_decision_max") == 16 and [f["id"] for f in d.get("flows", [])] == stored and
                all(list(f) == FLOW_KEYS for f in d.get("flows", [])),
                f"api {d.get('total')}/{d.get('linked')} {[f['id'] for f in d.get('flows', [])]} db {stored}/{linked}")
        if len(stored) > 2:
            pages = []
            for off in range(0, len(stored) + 2, 2):
                rp = c.get(f"/api/alerts/{aid}/flows", {"limit": "2", "offset": str(off)})
                pages += [f["id"] for f in rp.json["flows"]]
            R.check(f"alert {aid}: pages of 2 make the whole list", pages == stored, pages)
        det = c.get(f"/api/alerts/{aid}").json
        R.check(f"alert {aid}: the detail's flows are the first page of 100",
                [f["id"] for f in det["flows"]] == stored[:100], det["flows"][:2])
    r = c.get("/api/alerts/flows")
    R.check("GET /api/alerts/flows (no id): 404", r.status == 404, r)
    r = c.get("/api/alerts/999999999/flows")
    R.check("flows of an unknown alert: 404", r.status == 404 and r.error(), r)
    aid = dbq(db, "SELECT min(id) FROM alerts")[0][0]
    for p, v in (("limit", "0"), ("limit", "501"), ("limit", "x"), ("offset", "-1"),
                 ("offset", "10000001"), ("bogus", "1"), ("since_id", "1")):
        bad_get(c, f"/api/alerts/{aid}/flows", {p: v}, f"{p}={v!r}")
    # a linked flow removed (as retention does): stored drops, linked stays
    fid, flow_row = dbq(db, "SELECT f.flow_id, f.id FROM alert_flows a JOIN flows f USING (flow_id)"
                        " WHERE a.alert_id = ? LIMIT 1", (aid,))[0]
    before = c.get(f"/api/alerts/{aid}/flows").json
    saved = dbq(db, "SELECT * FROM flows WHERE id = ?", (flow_row,))[0]
    dbx(db, "DELETE FROM flows WHERE id = ?", (flow_row,))
    after = c.get(f"/api/alerts/{aid}/flows").json
    R.check("a linked flow removed: total one less, linked the same",
            after["total"] == before["total"] - 1 and after["linked"] == before["linked"] and
            flow_row not in [f["id"] for f in after["flows"]], (before["total"], after["total"]))
    dbx(db, "INSERT INTO flows VALUES (%s)" % ",".join("?" * len(saved)), saved)
    del fid


def suite_detail(c, db, state):
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    sig = con.execute("SELECT * FROM alerts WHERE engine = 'signature' AND refs IS NOT NULL"
                      " ORDER BY id LIMIT 1").fetchone()
    det = con.execute("SELECT * FROM alerts WHERE engine = 'detector' ORDER BY id LIMIT 1").fetchone()
    con.close()
    for row in (sig, det):
        r = c.get(f"/api/alerts/{row['id']}")
        d = r.json or {}
        R.check(f"GET /api/alerts/{row['id']} ({row['engine']}): ALERT members",
                r.status == 200 and not same_alert(d, row), same_alert(d, row) or r)
        R.check(f"alert {row['id']}: rule_text", d.get("rule_text") == (row["rule_text"] or None), d)
        refs = [x for x in (row["refs"] or "").split("\n") if x]
        R.check(f"alert {row['id']}: references", d.get("references") == refs, d.get("references"))
        meta = json.loads(row["metadata"]) if row["metadata"] else {}
        R.check(f"alert {row['id']}: metadata passed through", d.get("metadata") == meta, d.get("metadata"))
        links = dbq(db, "SELECT flow_id, ts_us FROM alert_flows WHERE alert_id = ? ORDER BY ts_us",
                    (row["id"],))
        fids = {f for f, _ in links}
        flows = d.get("flows", [])
        R.check(f"alert {row['id']}: the linked flows", flows and {f["flow_id"] for f in flows} <= fids
                and len({f["flow_id"] for f in flows}) == min(100, len(fids)),
                f"api {[f['flow_id'] for f in flows]} links {fids}")
        R.check(f"alert {row['id']}: FLOW members", flows and list(flows[0].keys()) == FLOW_KEYS,
                flows[:1])
        R.check(f"alert {row['id']}: flows newest first",
                [f["start_us"] for f in flows] == sorted((f["start_us"] for f in flows), reverse=True))
        R.check(f"alert {row['id']}: timeline = occurrences",
                [(t["flow_id"], t["ts_us"]) for t in d.get("timeline", [])] == links[-1000:],
                d.get("timeline"))
        rel = d.get("related", [])
        hosts = {row["src_ip"], row["dest_ip"]} - {""}
        R.check(f"alert {row['id']}: related alerts share a host, not itself",
                all(a["id"] != row["id"] and ({a["src_ip"], a["dest_ip"]} & hosts) for a in rel), rel)
        want_rel = dbq(db, "SELECT count(*) FROM alerts WHERE id <> ? AND (src_ip IN (?, ?) OR"
                       " dest_ip IN (?, ?))", (row["id"], row["src_ip"], row["dest_ip"] or "-",
                                               row["src_ip"], row["dest_ip"] or "-"))[0][0]
        R.check(f"alert {row['id']}: all related alerts (up to 20)", len(rel) == min(20, want_rel),
                f"{len(rel)} vs {want_rel}")
    R.check("a signature alert has its rule text", sig["rule_text"] and "sid:" in sig["rule_text"])
    # metadata the writer cannot nest, or that is not JSON: {} and valid answers
    keep = dbq(db, "SELECT metadata FROM alerts WHERE id = ?", (det["id"],))[0][0]
    for bad in ('{"a":' + "[" * 30 + "]" * 30 + "}", "not json", '{"k": ["v"], "n": {"x": [1, 2.5, true, null]}}'):
        dbx(db, "UPDATE alerts SET metadata = ? WHERE id = ?", (bad, det["id"]))
        r = c.get(f"/api/alerts/{det['id']}")
        want = json.loads(bad) if bad.startswith('{"k"') else {}
        R.check(f"metadata {short(bad, 30)!r}: {short(json.dumps(want), 40)}",
                r.status == 200 and r.json and r.json.get("metadata") == want, r)
        r = c.get("/api/alerts/export.eve")
        try:
            ok = all(json.loads(x) for x in r.body.decode().splitlines())
        except ValueError:
            ok = False
        R.check(f"export.eve with metadata {short(bad, 30)!r}: valid lines", r.status == 200 and ok, r)
    dbx(db, "UPDATE alerts SET metadata = ? WHERE id = ?", (keep, det["id"]))
    r = c.get("/api/alerts/999999")
    R.check("GET /api/alerts/999999: 404", r.status == 404 and r.error(), r)
    return sig, det


def suite_changes(c, db, state, sig, det):
    aid = sig["id"]
    t0 = int(time.time() * 1e6)
    r = c.post(f"/api/alerts/{aid}/status", {"status": "escalated"})
    R.check("status -> escalated: ALERT back", r.status == 200 and r.json.get("status") == "escalated"
            and r.json.get("id") == aid, r)
    R.check("status change persists",
            dbq(db, "SELECT status FROM alerts WHERE id = ?", (aid,))[0][0] == "escalated")
    au = dbq(db, "SELECT username, action, target, detail, ts_us FROM audit WHERE action = 'status'"
             " ORDER BY id DESC LIMIT 1")
    R.check("status change audited with user and time", au and au[0][:4] ==
            ("admin", "status", str(aid), "new -> escalated") and abs(au[0][4] - t0) < 60e6, au)
    r = c.get("/api/audit", {"limit": "1"})
    R.check("GET /api/audit shows it", r.status == 200 and r.json["entries"][0]["action"] == "status"
            and r.json["entries"][0]["user"] == "admin" and
            r.json["total"] == dbq(db, "SELECT count(*) FROM audit")[0][0], r)
    r = c.post("/api/alerts/999999/status", {"status": "new"})
    R.check("status of a missing alert: 404", r.status == 404 and r.error(), r)

    note = "Checked with the owner: l'FTP est légitime; \"quoted\" <b>"
    r = c.post(f"/api/alerts/{aid}/notes", {"text": note})
    notes = (r.json or {}).get("notes", [])
    R.check("note added: the alert's notes back", r.status == 200 and notes and
            notes[-1]["text"] == note and notes[-1]["user"] == "admin", r)
    R.check("note stored", dbq(db, "SELECT text, username FROM alert_notes WHERE alert_id = ?"
                               " ORDER BY id DESC LIMIT 1", (aid,)) == [(note, "admin")])
    r = c.get(f"/api/alerts/{aid}")
    R.check("the detail shows the note", note in [n["text"] for n in r.json.get("notes", [])], r)
    r = c.post(f"/api/alerts/{aid}/notes", {"text": "é" * 4000})
    R.check("a note of 4000 two-byte characters: 200", r.status == 200, r)
    R.check("notes audited", dbq(db, "SELECT count(*) FROM audit WHERE action = 'note' AND"
                                 " username = 'admin'")[0][0] >= 2)
    r = c.post("/api/alerts/999999/notes", {"text": "x"})
    R.check("note on a missing alert: 404", r.status == 404, r)

    ids = [i for (i,) in dbq(db, "SELECT id FROM alerts ORDER BY id")]
    before = dict(dbq(db, "SELECT id, status FROM alerts"))
    pick = ids[:3]
    want = sum(1 for i in pick if before[i] != "acknowledged")
    r = c.post("/api/alerts/ack", {"ids": pick + [999999]})
    R.check(f"bulk ack: updated {want}", r.status == 200 and r.json == {"updated": want}, r)
    after = dict(dbq(db, "SELECT id, status FROM alerts"))
    R.check("bulk ack persists (and leaves the others)",
            all(after[i] == "acknowledged" for i in pick) and
            all(after[i] == before[i] for i in ids if i not in pick), after)
    r = c.post("/api/alerts/ack", {"ids": pick})
    R.check("ack again: updated 0", r.json == {"updated": 0}, r)
    R.check("bulk ack audited per alert",
            dbq(db, "SELECT count(*) FROM audit WHERE action = 'ack'")[0][0] == want)
    # since_id sees status changes
    top = max(ids)
    r = c.get("/api/alerts", {"since_id": str(top), "limit": "500"})
    R.check("since_id lists alerts whose status changed",
            set(pick + [aid]) <= {a["id"] for a in r.json["alerts"]}, r)

    conf = os.path.join(state, "rules", "suppress.conf")
    r = c.post(f"/api/alerts/{aid}/suppress", {"track": "by_src"})
    R.check("suppress without a reason: 400, nothing written", r.status == 400 and r.error()
            and not os.path.exists(conf), r)
    r = c.post(f"/api/alerts/{aid}/suppress", {"track": "by_src", "reason": "our scanner\nweek 49"})
    line = f"suppress gen_id {sig['gid']}, sig_id {sig['sid']}, track by_src, ip {sig['src_ip']}"
    R.check("suppress by_src: the line", r.status == 200 and r.json.get("line") == line
            and r.json.get("added") is True and r.json.get("reloaded") is False
            and isinstance(r.json.get("message"), str), r)
    text = open(conf).read() if os.path.exists(conf) else ""
    R.check("the line is in <state_dir>/rules/suppress.conf under its note (alert, who, when,"
            " signature, why on one line)", re.search(
                rf"\n# alert {aid}, by admin, [^\n]*: {re.escape(sig['signature'])}; why: our scanner"
                rf" week 49\n{re.escape(line)}\n", text), text)
    r = c.post(f"/api/alerts/{det['id']}/suppress", {"track": "by_dst", "reason": "lab",
                                                     "expires": "2099-01-02T03:04:05Z"})
    line2 = (f"suppress gen_id {det['gid']}, sig_id {det['sid']}, track by_dst, ip {det['dest_ip']}"
             " # expires 2099-01-02T03:04:05Z")
    R.check("suppress by_dst with an expiry", r.status == 200 and r.json.get("line") == line2, r)
    r = c.post(f"/api/alerts/{aid}/suppress", {"track": "all", "reason": "noise"})
    line3 = f"suppress gen_id {sig['gid']}, sig_id {sig['sid']}"
    R.check("suppress all", r.status == 200 and r.json.get("line") == line3, r)
    r = c.post(f"/api/alerts/{aid}/suppress", {"track": "all", "reason": "noise"})
    R.check("the same suppression again: not added twice", r.status == 200 and
            r.json.get("added") is False and open(conf).read().count(line3 + "\n") == 1, r)
    chk = subprocess.run(vigil_cmd() + ["rules", "check", os.path.join(state, "rules")],
                         capture_output=True, text=True, timeout=120)
    R.check("vigil rules check accepts the managed suppress.conf",
            chk.returncode == 0 and "suppressions: 3" in chk.stdout, chk.stdout + chk.stderr)
    R.check("suppressions audited, with the reason", audit_rows(db, "suppress") ==
            [("admin", str(aid), line + " (our scanner week 49)"), ("admin", str(det["id"]), line2 + " (lab)"),
             ("admin", str(aid), line3 + " (noise)")], audit_rows(db, "suppress"))
    r = c.post("/api/alerts/999999/suppress", {"track": "all", "reason": "x"})
    R.check("suppress a missing alert: 404", r.status == 404, r)
    suite_suppressions(c, db, state, aid, line, line2, line3)


def suite_suppressions(c, db, state, aid, line, line2, line3):
    """Issue 14.5: the managed suppress.conf listed and its entries removed."""
    conf = os.path.join(state, "rules", "suppress.conf")
    r = c.get("/api/suppressions")
    ents = (r.json or {}).get("entries", [])
    R.check("GET /api/suppressions: the three lines, in file order",
            r.status == 200 and [e["text"] for e in ents] == [line, line2, line3]
            and r.json.get("file") == conf and r.json.get("readable") is True, r)
    first = ents[0] if ents else {}
    R.check("an entry's fields: gen_id, sig_id, track, ip, who, when, which alert",
            first.get("valid") is True and first.get("track") == "by_src" and
            line.endswith("ip " + first.get("ip", "?")) and
            f"gen_id {first.get('gen_id')}, sig_id {first.get('sig_id')}," in line and
            first.get("user") == "admin" and first.get("alert_id") == aid and
            re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", first.get("added") or "") and
            first.get("note", "").startswith(f"alert {aid}, by admin, ") and
            first.get("reason") == "our scanner week 49" and first.get("signature") is not None
            and "why:" not in first.get("signature"), first)
    R.check("no sensor ran: silenced 0, last_silenced_us null, on every valid entry",
            all(e.get("silenced") == 0 and e.get("last_silenced_us") is None for e in ents), ents)
    R.check("track all: no ip", len(ents) == 3 and ents[2].get("track") == "all"
            and "ip" not in ents[2], ents)
    lines = open(conf).read().split("\n")
    R.check("each entry's line number is its line in the file",
            all(lines[e["line"] - 1] == e["text"] for e in ents), (ents, lines))
    # a line written by hand (no note) and a bad one are listed as what they are
    with open(conf, "a") as f:
        f.write("\nsuppress gen_id 1, sig_id 77\nsuppress gen_id x\n")
    ents = c.get("/api/suppressions").json["entries"]
    R.check("a hand-written line: listed, no who/when", len(ents) == 5 and ents[3]["text"] ==
            "suppress gen_id 1, sig_id 77" and ents[3]["user"] is None and ents[3]["added"] is None
            and ents[3]["valid"] is True, ents)
    R.check("a bad line: listed as not valid", ents[4]["valid"] is False and "gen_id" not in ents[4], ents)

    # remove: the line must still read as listed
    r = c.post("/api/suppressions/remove", {"line": ents[1]["line"], "text": line3})
    R.check("remove with a line number that is not that entry: 409, file unchanged",
            r.status == 409 and r.error() and open(conf).read().count(line3 + "\n") == 1, r)
    r = c.post("/api/suppressions/remove", {"line": ents[1]["line"], "text": ents[1]["text"]},
               csrf=False)
    R.check("remove without X-CSRF-Token: 403", r.status == 403 and line2 in open(conf).read(), r)
    before = open(conf).read()
    r = c.post("/api/suppressions/remove", {"line": ents[1]["line"], "text": ents[1]["text"]})
    after = open(conf).read()
    R.check("remove: 200 {removed, reloaded, message}", r.status == 200 and
            r.json.get("removed") == line2 and r.json.get("reloaded") is False and
            isinstance(r.json.get("message"), str), r)
    R.check("the line and its note are gone, the rest is as it was",
            line2 not in after and ents[1]["note"] not in after and
            [l for l in before.split("\n") if l not in (line2, "# " + ents[1]["note"])]
            == after.split("\n"), (before, after))
    R.check("no temporary file left", sorted(os.listdir(os.path.join(state, "rules")))
            == ["suppress.conf"], os.listdir(os.path.join(state, "rules")))
    R.check("remove audited: unsuppress, the line", audit_rows(db, "unsuppress")[-1:] ==
            [("admin", f"line {ents[1]['line']}", line2)], audit_rows(db, "unsuppress"))
    ents2 = c.get("/api/suppressions").json["entries"]
    R.check("the list follows", [e["text"] for e in ents2] ==
            [line, line3, "suppress gen_id 1, sig_id 77", "suppress gen_id x"], ents2)
    r = c.post("/api/suppressions/remove", {"line": ents[1]["line"], "text": line2})
    R.check("remove it again: 409", r.status == 409 and r.error(), r)
    for e in reversed(ents2[2:]):   # the hand-written lines, bottom up
        r = c.post("/api/suppressions/remove", {"line": e["line"], "text": e["text"]})
        R.check(f"remove {e['text']!r}", r.status == 200, r)
    chk = subprocess.run(vigil_cmd() + ["rules", "check", os.path.join(state, "rules")],
                         capture_output=True, text=True, timeout=120)
    R.check("vigil rules check reads the rewritten file",
            chk.returncode == 0 and "suppressions: 2" in chk.stdout, chk.stdout + chk.stderr)

    # add by hand, with a reason and an expiry
    r = c.post("/api/suppressions", {"gen_id": 1, "sig_id": 2100099, "track": "by_either",
                                     "ip": "fd00::7", "reason": "lab scanner\nweek 49",
                                     "expires": "2099-01-02T03:04:05Z"})
    line4 = "suppress gen_id 1, sig_id 2100099, track by_either, ip fd00::7 # expires 2099-01-02T03:04:05Z"
    R.check("POST /api/suppressions: 201 {line, file, added, reloaded, message}", r.status == 201 and
            r.json.get("line") == line4 and r.json.get("added") is True and r.json.get("file") == conf
            and r.json.get("reloaded") is False and isinstance(r.json.get("message"), str), r)
    text = open(conf).read()
    R.check("the file: the note (who, when, why on one line) and the line with its expiry",
            re.search(r"\n# by admin, \d{4}-\d\d-\d\dT[^:]+:\d\d:[^ ]+: lab scanner week 49\n"
                      + re.escape(line4) + "\n$", text), text)
    R.check("add audited: suppress, page, the line", audit_rows(db, "suppress")[-1:] ==
            [("admin", "page", line4)], audit_rows(db, "suppress")[-1:])
    r = c.post("/api/suppressions", {"gen_id": 1, "sig_id": 2100099, "track": "by_either",
                                     "ip": "fd00::7", "expires": "2099-01-02T03:04:05Z"})
    R.check("the same entry again: 200, not added", r.status == 200 and r.json.get("added") is False
            and open(conf).read().count(line4) == 1, r)
    r = c.post("/api/suppressions", {"gen_id": 9200, "sig_id": 1, "track": "all"})
    R.check("track all without an ip, no expiry: a Suricata line", r.status == 201 and
            r.json.get("line") == "suppress gen_id 9200, sig_id 1", r)
    ents = c.get("/api/suppressions").json["entries"]
    e4 = [e for e in ents if e["text"] == line4]
    R.check("listed: reason, who, expires, not expired, no alert",
            len(e4) == 1 and e4[0]["reason"] == "lab scanner week 49" and e4[0]["user"] == "admin"
            and e4[0]["expires"] == "2099-01-02T03:04:05Z" and e4[0]["expired"] is False
            and e4[0]["alert_id"] is None and e4[0]["ip"] == "fd00::7" and e4[0]["track"] == "by_either", e4)
    R.check("no expiry: expires null", [e["expires"] for e in ents if e["sig_id"] == 1 and e["gen_id"] == 9200]
            == [None], ents)
    # an entry whose time has passed (written by hand: the API refuses a past time)
    with open(conf, "a") as f:
        f.write("suppress gen_id 1, sig_id 2100098 # expires 2001-01-01T00:00:00Z\n")
    ents = c.get("/api/suppressions").json["entries"]
    R.check("a passed expiry: listed as expired", [e["expired"] for e in ents if e.get("sig_id") == 2100098]
            == [True], ents)
    chk = subprocess.run(vigil_cmd() + ["rules", "check", os.path.join(state, "rules")],
                         capture_output=True, text=True, timeout=120)
    R.check("vigil rules check reads entries with an expiry",
            chk.returncode == 0 and "suppressions: 5" in chk.stdout, chk.stdout + chk.stderr)
    with open(conf, "a") as f:
        f.write("suppress gen_id 1, sig_id 2100097 # expires soon\n")
    chk = subprocess.run(vigil_cmd() + ["rules", "check", os.path.join(state, "rules")],
                         capture_output=True, text=True, timeout=120)
    R.check("a bad expiry: file:line: reason", chk.returncode != 0 and
            re.search(r"suppress\.conf:\d+: bad expires 'soon'", chk.stdout + chk.stderr),
            chk.stdout + chk.stderr)
    ents = c.get("/api/suppressions").json["entries"]
    for e in reversed(ents[2:]):   # leave the two lines from alerts, bottom up
        r = c.post("/api/suppressions/remove", {"line": e["line"], "text": e["text"]})
        R.check(f"remove {e['text']!r}", r.status == 200, r)


def suite_audit_fails(c, db):
    """A change whose audit row cannot be written is not made: one transaction."""
    aid = dbq(db, "SELECT min(id) FROM alerts")[0][0]
    dbx(db, "CREATE TRIGGER audit_fails BEFORE INSERT ON audit"
        " BEGIN SELECT RAISE(ABORT, 'audit log refused'); END")
    try:
        audit0 = dbq(db, "SELECT count(*) FROM audit")[0][0]
        status0 = dbq(db, "SELECT status FROM alerts WHERE id = ?", (aid,))[0][0]
        other = "escalated" if status0 != "escalated" else "new"
        r = c.post(f"/api/alerts/{aid}/status", {"status": other})
        R.check("status change without its audit row: 500, status unchanged",
                r.status == 500 and r.error() and "audit log refused" in r.json["error"] and
                dbq(db, "SELECT status FROM alerts WHERE id = ?", (aid,))[0][0] == status0, r)
        notes0 = dbq(db, "SELECT count(*) FROM alert_notes")[0][0]
        r = c.post(f"/api/alerts/{aid}/notes", {"text": "not audited"})
        R.check("note without its audit row: 500, no note",
                r.status == 500 and dbq(db, "SELECT count(*) FROM alert_notes")[0][0] == notes0, r)
        new = [i for (i,) in dbq(db, "SELECT id FROM alerts WHERE status <> 'acknowledged'"
                                     " ORDER BY id LIMIT 2")]
        r = c.post("/api/alerts/ack", {"ids": new})
        R.check("bulk ack without its audit rows: 500, none acknowledged",
                new and r.status == 500 and dbq(db, "SELECT count(*) FROM alerts WHERE status ="
                                                " 'acknowledged' AND id IN (%s)" % ",".join("?" * len(new)),
                                                tuple(new))[0][0] == 0, r)
        r = c.post("/api/users", {"username": "unaudited", "password": ANALYST_PW, "role": "analyst"})
        R.check("user added without its audit row: 500, no account",
                r.status == 500 and not dbq(db, "SELECT 1 FROM users WHERE username = 'unaudited'"), r)
        R.check("the audit log is as it was", dbq(db, "SELECT count(*) FROM audit")[0][0] == audit0)
    finally:
        dbx(db, "DROP TRIGGER audit_fails")
    r = c.post(f"/api/alerts/{aid}/notes", {"text": "audited again"})
    R.check("with the audit log back: the note is made", r.status == 200, r)


def suite_exports(c, db):
    for params, where, args in (({}, "1", ()), ({"engine": "signature"}, "engine = 'signature'", ()),
                                ({"severity": "1"}, "severity <= 1", ()),
                                ({"q": "zzz-nothing"}, "0", ())):
        rows = alert_rows(db, where, args)
        r = c.get("/api/alerts/export.csv", params)
        ok = r.status == 200 and r.headers.get("content-type", "").startswith("text/csv")
        got = list(csv.reader(io.StringIO(r.body.decode("utf-8")))) if ok else []
        R.check(f"export.csv {params}: header + {len(rows)} rows",
                ok and got and got[0] == ALERT_KEYS and len(got) == len(rows) + 1, r)
        R.check(f"export.csv {params}: rows match the database",
                [int(x[0]) for x in got[1:]] == [x["id"] for x in rows] and
                all(g[5].lstrip("'") == (x["signature"] or "") and g[13] == x["src_ip"] and
                    int(g[19]) == x["count"] for g, x in zip(got[1:], rows)), got[:3])
        check_headers("export.csv", r)
        R.check("export.csv is an attachment",
                "attachment" in r.headers.get("content-disposition", ""), r.headers)
        r = c.get("/api/alerts/export.eve", params)
        lines = [x for x in r.body.decode("utf-8").split("\n") if x]
        try:
            ev = [json.loads(x) for x in lines]
        except ValueError as e:
            ev = None
            R.check(f"export.eve {params}: JSON lines", False, str(e))
        if ev is not None:
            R.check(f"export.eve {params}: {len(rows)} alert events",
                    r.status == 200 and len(ev) == len(rows) and
                    all(e["event_type"] == "alert" for e in ev), r)
            R.check(f"export.eve {params}: Suricata's fields match the database",
                    [e["alert"]["signature_id"] for e in ev] == [x["sid"] for x in rows] and
                    all(e["src_ip"] == x["src_ip"] and e["alert"]["gid"] == x["gid"] and
                        e["alert"]["severity"] == x["severity"] and
                        e["vigil"]["alert_id"] == x["id"] and e["vigil"]["count"] == x["count"] and
                        e["vigil"]["engine"] == x["engine"] and "engine" not in e["alert"] and
                        e["vigil"].get("detector") == x["detector"] and
                        re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+0000", e["timestamp"])
                        for e, x in zip(ev, rows)), ev[:2])
    # what the store has of the alert's flow, as a live EVE alert carries it:
    # community_id, and flow{} (start, the flow's records summed)
    r = c.get("/api/alerts/export.eve")
    ev = {e["vigil"]["alert_id"]: e for e in map(json.loads, r.body.decode().splitlines())}
    want = {}
    for aid, cid, fid in dbq(db, "SELECT id, community_id, (SELECT flow_id FROM alert_flows WHERE"
                             " alert_id = alerts.id ORDER BY ts_us DESC LIMIT 1) FROM alerts"):
        tot = dbq(db, "SELECT min(start_us), sum(pkts_toserver), sum(pkts_toclient),"
                  " sum(bytes_toserver), sum(bytes_toclient) FROM flows WHERE flow_id = ?", (fid,))[0]
        want[aid] = (cid, None if tot[0] is None else
                     {"pkts_toserver": tot[1], "pkts_toclient": tot[2], "bytes_toserver": tot[3],
                      "bytes_toclient": tot[4], "start": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(
                          tot[0] // 1000000)) + ".%06d+0000" % (tot[0] % 1000000)})
    R.check("export.eve: community_id and flow{} of every alert as the store has them",
            set(ev) == set(want) and all(ev[a].get("community_id") == cid and ev[a].get("flow") == fl
                                         for a, (cid, fl) in want.items()) and
            sum(1 for cid, fl in want.values() if cid and fl) >= 2,
            [(a, ev.get(a, {}).get("community_id"), ev.get(a, {}).get("flow"), w)
             for a, w in want.items() if ev.get(a, {}).get("community_id") != w[0] or
             ev.get(a, {}).get("flow") != w[1]][:3])
    # a quote, a comma and a formula in a signature: CSV quoting
    dbx(db, "UPDATE alerts SET signature = '=cmd|x, \"quoted\"' WHERE id = (SELECT min(id) FROM alerts)")
    r = c.get("/api/alerts/export.csv")
    got = list(csv.reader(io.StringIO(r.body.decode("utf-8"))))
    mine = [g for g in got[1:] if int(g[0]) == dbq(db, "SELECT min(id) FROM alerts")[0][0]]
    R.check("CSV quoting: comma and quotes survive, formulas are defused",
            mine and mine[0][5] == "'=cmd|x, \"quoted\"", mine)


def suite_flows(c, db):
    host = dbq(db, "SELECT src_ip FROM flows GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")[0][0]

    def flows(params, where, args=()):
        want = [i for (i,) in dbq(db, f"SELECT id FROM flows WHERE {where} ORDER BY start_us DESC, id DESC",
                                  args)]
        r = c.get("/api/flows", dict(params, limit="500"))
        got = [f["id"] for f in (r.json or {}).get("flows", [])]
        R.check(f"GET /api/flows {params}: {len(want)} flow(s) as in the database",
                r.status == 200 and r.json["total"] == len(want) and got == want[:500],
                f"api {got[:10]} db {want[:10]}")
        return r

    r = flows({}, "1")
    R.check("FLOW members", r.json["flows"] and list(r.json["flows"][0].keys()) == FLOW_KEYS,
            r.json["flows"][:1])
    f0 = r.json["flows"][0]
    row = dbq(db, "SELECT flow_id, src_ip, dest_port, bytes_toserver, alerted FROM flows WHERE id = ?",
              (f0["id"],))[0]
    R.check("a FLOW equals its row", (f0["flow_id"], f0["src_ip"], f0["dest_port"],
                                      f0["bytes_toserver"], int(f0["alerted"])) == row, (f0, row))
    flows({"host": host}, "src_ip = ? OR dest_ip = ?", (host, host))
    flows({"app": "dns"}, "app_proto = 'dns'")
    flows({"app": "DNS"}, "app_proto = 'dns'")
    flows({"app": "TLS.YouTube"}, "ndpi_protocol = 'TLS.YouTube'")
    flows({"app": "nothing"}, "0")
    flows({"app": "unknown"}, "app_proto IS NULL")
    lo, hi = dbq(db, "SELECT min(start_us), max(start_us) FROM flows")[0]
    mid = (lo + hi) // 2
    flows({"from": str(mid)}, "start_us >= ?", (mid,))
    flows({"to": str(mid)}, "start_us <= ?", (mid,))
    flows({"host": host, "app": "tls", "from": str(lo), "to": str(hi)},
          "(src_ip = ? OR dest_ip = ?) AND app_proto = 'tls' AND start_us BETWEEN ? AND ?",
          (host, host, lo, hi))
    r = c.get("/api/flows", {"host": "::ffff:0:1"})
    R.check("an IPv6 host is accepted", r.status == 200 and r.json["total"] == 0, r)
    pages = []
    for off in range(0, 30, 10):
        pages += [f["id"] for f in c.get("/api/flows", {"limit": "10", "offset": str(off)}).json["flows"]]
    want = [i for (i,) in dbq(db, "SELECT id FROM flows ORDER BY start_us DESC, id DESC LIMIT 30")]
    R.check("flow pages", pages == want, pages)

    # search by port, protocol, domain, JA3, bytes; sort by bytes, packets, duration, start
    def searched(params, where, args=(), order="start_us DESC, id DESC"):
        want = [i for (i,) in dbq(db, f"SELECT id FROM flows WHERE {where} ORDER BY {order}", args)]
        r = c.get("/api/flows", dict(params, limit="500"))
        got = [f["id"] for f in (r.json or {}).get("flows", [])]
        R.check(f"GET /api/flows {params}: {len(want)} flow(s) in the database's order",
                r.status == 200 and r.json["total"] == len(want) and r.json.get("total_exact") is True
                and got == want[:500], f"api {got[:10]} db {want[:10]}")

    port = dbq(db, "SELECT dest_port FROM flows WHERE dest_port > 0 GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")[0][0]
    searched({"port": str(port)}, "src_port = ? OR dest_port = ?", (port, port))
    searched({"proto": "udp"}, "proto = 17")
    searched({"proto": "ICMP"}, "proto = 1")
    searched({"proto": "6"}, "proto = 6")
    sni = dbq(db, "SELECT tls_sni FROM flows WHERE tls_sni IS NOT NULL AND tls_sni <> '' LIMIT 1")
    dns = dbq(db, "SELECT dns_rrname FROM flows WHERE dns_rrname IS NOT NULL AND dns_rrname <> '' LIMIT 1")
    for (name,) in sni + dns:
        part = name[1:-1].upper() if len(name) > 3 else name
        searched({"domain": part}, "tls_sni LIKE ? OR dns_rrname LIKE ? OR http_host LIKE ?",
                 (f"%{part}%",) * 3)
    R.check("the database has an SNI and a DNS name to search for", sni and dns, (sni, dns))
    ja3 = dbq(db, "SELECT ja3 FROM flows WHERE ja3 IS NOT NULL AND ja3 <> '' LIMIT 1")
    if ja3:
        searched({"ja3": ja3[0][0].upper()}, "ja3 = ? OR ja3s = ?", (ja3[0][0], ja3[0][0]))
    big = dbq(db, "SELECT bytes_toserver + bytes_toclient FROM flows ORDER BY 1 DESC LIMIT 1 OFFSET 5")[0][0]
    searched({"min_bytes": str(big)}, "bytes_toserver + bytes_toclient >= ?", (big,))
    for sort, expr in (("bytes", "bytes_toserver + bytes_toclient"), ("packets", "pkts_toserver + pkts_toclient"),
                       ("duration", "end_us - start_us")):
        searched({"sort": sort}, "1", order=f"{expr} DESC, start_us DESC, id DESC")
        searched({"sort": sort, "order": "asc"}, "1", order=f"{expr}, start_us DESC, id DESC")
    searched({"sort": "start", "order": "asc"}, "1", order="start_us, id")
    searched({"port": str(port), "proto": "tcp", "sort": "bytes", "host": host},
             "(src_port = ? OR dest_port = ?) AND proto = 6 AND (src_ip = ? OR dest_ip = ?)",
             (port, port, host, host), order="bytes_toserver + bytes_toclient DESC, start_us DESC, id DESC")
    for p, v in (("port", "65536"), ("port", "-1"), ("port", "https"), ("proto", "tcpx"), ("proto", "256"),
                 ("proto", ""), ("domain", ""), ("domain", "a b"), ("domain", "x" * 254), ("domain", "%"),
                 ("domain", "' OR 1=1 --"), ("ja3", "abc"), ("ja3", "g" * 32), ("ja3", "a" * 33),
                 ("min_bytes", "10M"), ("min_bytes", "-1"), ("sort", "size"), ("sort", ""),
                 ("order", "up")):
        bad_get(c, "/api/flows", {p: v}, f"{p}={v!r}")

    # top talkers over the whole database (no range)
    agg = {}
    for src, dst, ts, tc in dbq(db, "SELECT src_ip, dest_ip, bytes_toserver, bytes_toclient FROM flows"):
        for h, sent, recv in ((src, ts, tc), (dst, tc, ts)):
            a = agg.setdefault(h, [0, 0, 0])
            a[0] += 1
            a[1] += sent
            a[2] += recv
    want = sorted(agg.items(), key=lambda kv: (-(kv[1][1] + kv[1][2]), kv[0]))[:5]
    r = c.get("/api/flows/top-talkers", {"limit": "5"})
    got = [(h["host"], [h["flows"], h["bytes_sent"], h["bytes_received"]]) for h in r.json["hosts"]]
    R.check("top talkers = the database's sums", r.status == 200 and got == [(h, v) for h, v in want],
            f"api {got} want {want}")
    R.check("top talkers: home flag from the run's home_net",
            all(h["home"] == bool(re.match(r"^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)", h["host"]))
                for h in r.json["hosts"]), r.json["hosts"])
    r = c.get("/api/flows/top-talkers", {"from": str(mid), "to": str(hi)})
    n = sum(h["flows"] for h in r.json["hosts"])
    R.check("top talkers in a range", r.status == 200 and r.json["from_us"] == mid and
            r.json["to_us"] == hi and n <= 2 * dbq(db, "SELECT count(*) FROM flows WHERE start_us"
                                                       " BETWEEN ? AND ?", (mid, hi))[0][0], r)


def suite_dashboard(c, db):
    for params in ({}, {"from": "0"}, None):
        if params is None:
            lo, hi = dbq(db, "SELECT min(start_us), max(start_us) FROM flows")[0]
            params = {"from": str((lo + hi) // 2), "to": str(hi)}
        r = c.get("/api/dashboard", params)
        d = r.json or {}
        f, t = d.get("from_us", 0), d.get("to_us", 0)
        nf, nb = dbq(db, "SELECT count(*), coalesce(sum(bytes_toserver + bytes_toclient), 0) FROM flows"
                     " WHERE start_us BETWEEN ? AND ?", (f, t))[0]
        na = dbq(db, "SELECT count(*) FROM alerts WHERE last_seen_us BETWEEN ? AND ?", (f, t))[0][0]
        b = d.get("buckets", [])
        R.check(f"dashboard {params}: 1-96 buckets", r.status == 200 and 1 <= len(b) <= 96, r)
        R.check(f"dashboard {params}: bucket flows and bytes add up to the database's",
                sum(x["flows"] for x in b) == nf and sum(x["bytes"] for x in b) == nb,
                f"{sum(x['flows'] for x in b)}/{nf} {sum(x['bytes'] for x in b)}/{nb}")
        R.check(f"dashboard {params}: bucket alerts add up, = severity counts",
                sum(x["alerts"] for x in b) == na == sum(d["severity"].values()) and
                sorted(d["severity"]) == ["1", "2", "3", "4"], d.get("severity"))
        sev = dict(dbq(db, "SELECT severity, count(*) FROM alerts WHERE last_seen_us BETWEEN ? AND ?"
                       " GROUP BY 1", (f, t)))
        R.check(f"dashboard {params}: severity counts", all(d["severity"][str(s)] == sev.get(s, 0)
                                                           for s in range(1, 5)), d["severity"])
        sev_new = dict(dbq(db, "SELECT severity, count(*) FROM alerts WHERE last_seen_us BETWEEN ? AND ?"
                           " AND status = 'new' GROUP BY 1", (f, t)))
        R.check(f"dashboard {params}: new alerts by severity (the rest triaged)",
                sorted(d.get("severity_new", {})) == ["1", "2", "3", "4"] and
                all(d["severity_new"][str(s)] == sev_new.get(s, 0) for s in range(1, 5)),
                d.get("severity_new"))
        apps = dbq(db, "SELECT coalesce(app_proto, 'unknown'), count(*),"
                   " sum(bytes_toserver + bytes_toclient) FROM flows"
                   " WHERE start_us BETWEEN ? AND ? GROUP BY app_proto ORDER BY 2 DESC, 1 LIMIT 10",
                   (f, t))
        R.check(f"dashboard {params}: apps", [(a["app"], a["flows"], a["bytes"]) for a in d["apps"]]
                == [tuple(x) for x in apps], d.get("apps"))
        hosts = dbq(db, "SELECT src_ip, count(*) FROM alerts WHERE last_seen_us BETWEEN ? AND ?"
                    " GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10", (f, t))
        R.check(f"dashboard {params}: top alerting hosts",
                [(h["host"], h["alerts"]) for h in d["top_alerting_hosts"]] == [tuple(x) for x in hosts],
                d.get("top_alerting_hosts"))
        R.check(f"dashboard {params}: buckets are consecutive",
                all(b[i + 1]["t_us"] - b[i]["t_us"] == d["bucket_us"] for i in range(len(b) - 1))
                and b[0]["t_us"] == f and b[-1]["t_us"] <= t < b[-1]["t_us"] + d["bucket_us"], b[:3])


def suite_system(c, db):
    r = c.get("/api/system")
    d = (r.json or {}).get("database", {})
    R.check("GET /api/system: the serve part", r.status == 200 and r.json.get("capture") == [] and
            isinstance(r.json.get("version"), str) and isinstance(r.json.get("uptime_s"), int) and
            "decode_errors" in r.json and r.json.get("rulesets") == [] and "last_reload" in r.json, r)
    cnt = dbq(db, "SELECT (SELECT count(*) FROM flows), (SELECT count(*) FROM alerts),"
              " (SELECT min(start_us) FROM flows)")[0]
    size = os.path.getsize(db) + (os.path.getsize(db + "-wal") if os.path.exists(db + "-wal") else 0)
    R.check("system database: counts, oldest flow, size", (d.get("flows"), d.get("alerts"),
            d.get("oldest_flow_us")) == cnt and 0 < d.get("size_bytes", 0) <= size + 65536, d)
    R.check("system database: retention settings (none in serve)", d.get("max_bytes") is None and
            "flow_max_age_s" in d and "alert_max_age_s" in d, d)
    # the time presets' reference: vigil serve shows a database, not a live link
    newest = dbq(db, "SELECT max(coalesce((SELECT max(start_us) FROM flows), 0),"
                 " coalesce((SELECT max(last_seen_us) FROM alerts), 0))")[0][0]
    r = c.get("/api/clock")
    R.check("GET /api/clock: not live, newest_us the newest flow or alert, now_us the wall clock",
            r.status == 200 and r.json.get("live") is False and r.json.get("newest_us") == newest
            and abs(r.json.get("now_us", 0) / 1e6 - time.time()) < 60 and
            sorted(r.json) == ["live", "newest_us", "now_us"], r)
    bad_get(c, "/api/clock", {"from": "1"}, "with a parameter")


def pcap_packets(data):
    """[(ts_us, bytes)] of a classic little-endian microsecond pcap."""
    if data[:4] != b"\xd4\xc3\xb2\xa1":
        return None
    out, off = [], 24
    while off + 16 <= len(data):
        sec, usec, incl, _ = struct.unpack("<IIII", data[off:off + 16])
        out.append((sec * 1000000 + usec, data[off + 16:off + 16 + incl]))
        off += 16 + incl
    return out


def suite_evidence(c, db, evdir, tmp):
    """The pcap downloads: an alert's (its flows' files merged by time) and
    a flow's (its file as written), authenticated, audited, 404 with the
    reason once rotation deleted the files."""
    files = sorted(os.listdir(evdir)) if os.path.isdir(evdir) else []
    R.check("the replay wrote evidence files", files, evdir)
    aid = None
    for (i,) in dbq(db, "SELECT id FROM alerts ORDER BY id"):
        d = c.get(f"/api/alerts/{i}").json or {}
        if d.get("pcap"):
            aid, kept = i, d["pcap"]
            break
    if not R.check("an alert detail lists the flows whose packets are kept", aid is not None):
        return
    links = {f for (f,) in dbq(db, "SELECT flow_id FROM alert_flows WHERE alert_id = ?", (aid,))}
    R.check("... each of them one of its flows, with its file",
            set(kept) <= links and all(f"flow-{f}.pcap" in files for f in kept), (kept, links))
    anon = Client(c.where, c.timeout)
    for path in (f"/api/alerts/{aid}/pcap", f"/api/flows/{kept[0]}/pcap"):
        r = anon.get(path)
        R.check(f"GET {path} without a session: 401", r.status == 401 and r.error(), r)
    before = len(audit_rows(db, "download"))
    r = c.get(f"/api/alerts/{aid}/pcap")
    R.check(f"GET /api/alerts/{aid}/pcap: 200, application/vnd.tcpdump.pcap, vigil-alert-{aid}.pcap",
            r.status == 200 and r.headers.get("content-type") == "application/vnd.tcpdump.pcap"
            and r.headers.get("content-disposition") == f'attachment; filename="vigil-alert-{aid}.pcap"',
            (r.status, r.headers))
    got = pcap_packets(r.body) or []
    want = []
    for f in kept:
        want += pcap_packets(open(os.path.join(evdir, f"flow-{f}.pcap"), "rb").read()) or []
    R.check("... its packets: every kept flow's, in time order", got and
            sorted(got, key=lambda p: p[0]) == got and sorted(got) == sorted(want),
            f"{len(got)} packets, files {len(want)}")
    out = os.path.join(tmp, "download.pcap")
    with open(out, "wb") as f:
        f.write(r.body)
    td = subprocess.run(["tcpdump", "-nn", "-r", out], capture_output=True, text=True)
    R.check("... tcpdump reads it", td.returncode == 0 and
            len([x for x in td.stdout.splitlines() if x.strip()]) == len(got), td.stderr)
    rows = audit_rows(db, "download")
    R.check("... the download is in the audit log", len(rows) == before + 1 and
            rows[-1][:2] == ("admin", f"alert {aid}"), rows[-2:])
    r = c.get(f"/api/flows/{kept[0]}/pcap")
    R.check(f"GET /api/flows/{kept[0]}/pcap: the flow's file as written, vigil-flow-{kept[0]}.pcap",
            r.status == 200 and r.body == open(os.path.join(evdir, f"flow-{kept[0]}.pcap"), "rb").read()
            and r.headers.get("content-type") == "application/vnd.tcpdump.pcap" and
            r.headers.get("content-disposition") == f'attachment; filename="vigil-flow-{kept[0]}.pcap"',
            (r.status, r.headers))
    rows = audit_rows(db, "download")
    R.check("... audited", rows and rows[-1][:2] == ("admin", f"flow {kept[0]}"), rows[-1:])
    r = c.get(f"/api/alerts/{aid}/pcap", {"x": "1"})
    R.check("an unknown parameter: 400", r.status == 400, r)
    r = c.get("/api/alerts/999999/pcap")
    R.check("no such alert: 404", r.status == 404 and r.error(), r)
    r = c.get("/api/flows/12345/pcap")
    R.check("a flow without evidence: 404 with the reason",
            r.status == 404 and r.error() and "rotated" in r.json["error"], r)
    # rotation: the files' flows ended long ago (packet time); a later
    # replay into the same directory with max_age 1h deletes them
    for f in files:
        os.utime(os.path.join(evdir, f), (1000000, 1000000))
    rp = subprocess.run(vigil_cmd() + ["replay", "-q", "--rules", "rules/default", "--evidence", evdir,
                                       "--evidence-max-age", "1h", "tests/detect/benign_office.pcap"],
                        cwd=ROOT, capture_output=True, text=True, timeout=600)
    R.check("a replay with --evidence-max-age 1h rotates the old files away",
            rp.returncode == 0 and not any(f in os.listdir(evdir) for f in files), rp.stderr)
    r = c.get(f"/api/alerts/{aid}/pcap")
    R.check("after rotation: the alert's download is 404 with the reason",
            r.status == 404 and r.error() and "rotated" in r.json["error"], r)
    r = c.get(f"/api/flows/{kept[0]}/pcap")
    R.check("after rotation: the flow's download is 404", r.status == 404 and r.error(), r)
    R.check("after rotation: the detail lists no pcap",
            (c.get(f"/api/alerts/{aid}").json or {}).get("pcap") == [])


def audit_rows(db, action):
    return dbq(db, "SELECT username, target, detail FROM audit WHERE action = ? ORDER BY id",
               (action,))


def sessions_of(db, user):
    return dbq(db, "SELECT count(*) FROM sessions WHERE username = ?", (user,))[0][0]


def cpu_s(pid):
    """CPU seconds (user + system) the process has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def login_time(where, timeout, user, pw, pid):
    """The CPU time the server (pid) spent on one sign-in: unlike the time
    the answer takes, it does not grow when the machine is busy."""
    t = Client(where, timeout)
    t0 = cpu_s(pid)
    r = t.login(user, pw)
    return cpu_s(pid) - t0, r


def suite_users(c, db, where, timeout, srv):
    """Accounts: add, the first sign-in's password change, role checks,
    disable/enable, role changes, password resets, delete, the last admin,
    sessions ending at once, the audit log, the console command."""
    def new_client():
        return Client(where, timeout)

    r = c.get("/api/users")
    u = (r.json or {}).get("users", [{}])
    R.check("GET /api/users (admin): USER members", r.status == 200 and len(u) == 1 and
            list(u[0].keys()) == USER_KEYS, r)
    R.check("the admin: enabled, signed in, no password change due",
            u[0].get("username") == "admin" and u[0].get("role") == "admin" and
            u[0].get("disabled") is False and u[0].get("disabled_us") is None and
            u[0].get("must_change_password") is False and u[0].get("sessions", 0) >= 1 and
            abs(u[0].get("last_login_us", 0) - time.time() * 1e6) < 3600e6 and
            u[0].get("created_us", 0) > 0, u)
    r = c.post("/api/users", {"username": "ana", "password": ANALYST_PW, "role": "analyst"})
    R.check("admin adds an analyst: 201 USER, password change due", r.status == 201 and
            r.json.get("username") == "ana" and r.json.get("role") == "analyst" and
            r.json.get("must_change_password") is True and r.json.get("last_login_us") is None
            and r.json.get("disabled") is False and list(r.json.keys()) == USER_KEYS, r)
    r = c.post("/api/users", {"username": "ana", "password": ANALYST_PW, "role": "analyst"})
    R.check("the same name again: 409", r.status == 409 and r.error(), r)
    for bad in (".", ".."):
        r = c.post("/api/users", {"username": bad, "password": ANALYST_PW, "role": "analyst"})
        R.check(f"username {bad!r} (a path segment): 400", r.status == 400 and r.error(), r)
    R.check("user_add audited", audit_rows(db, "user_add") == [("admin", "ana", "analyst")])
    # the minimum length counts characters, not bytes
    r = c.post("/api/users", {"username": "ana2", "password": "\u00e9" * 9, "role": "analyst"})
    R.check("a password of 9 characters (18 bytes): 400", r.status == 400 and r.error(), r)
    r = c.post("/api/users", {"username": "ana2", "password": "\u00e9" * 10, "role": "analyst"})
    R.check("a password of 10 two-byte characters: 201", r.status == 201, r)
    R.check("... and it signs in", Client(where, timeout).login("ana2", "\u00e9" * 10).status == 200)
    dbx(db, "DELETE FROM sessions WHERE username = 'ana2'")
    dbx(db, "DELETE FROM users WHERE username = 'ana2'")
    dbx(db, "DELETE FROM audit WHERE username = 'ana2' OR target = 'ana2'")

    # ---- the first sign-in: a password chosen by the admin must be replaced
    a = new_client()
    r = a.login("ana", ANALYST_PW)
    R.check("the analyst signs in: password change due", r.status == 200 and
            r.json.get("role") == "analyst" and r.json.get("must_change_password") is True, r)
    r = a.get("/api/me")
    R.check("GET /api/me says a password change is due", r.status == 200 and
            r.json.get("must_change_password") is True, r)
    blocked = []
    for method, path in ROUTES:
        if (method, path) in PUBLIC or (method, path) in PWCHANGE:
            continue
        r = a.request(method, fill(path, 1, "ana"), {} if method == "POST" else None)
        if r.status != 403 or not r.error():
            blocked.append((method, path, r))
    R.check("until then every other route answers 403", not blocked, blocked[:3])
    r = a.get("/api/alerts", {"limit": "1"})
    R.check("the 403 says what to do", "password" in (r.json or {}).get("error", ""), r)
    a2 = new_client()
    R.check("a second session of the analyst", a2.login("ana", ANALYST_PW).status == 200)
    r = a.post("/api/me/password", {"current": "not the password", "password": "ana's own password"})
    R.check("own password with a wrong current password: 403 (not 401: the session stays)",
            r.status == 403 and r.error() and a.get("/api/me").status == 200, r)
    R.check("the wrong current password is audited", audit_rows(db, "password_change_failed")
            == [("ana", "ana", "wrong current password")])
    r = a.post("/api/me/password", {"current": ANALYST_PW, "password": ANALYST_PW})
    R.check("the same password again: 400", r.status == 400 and r.error(), r)
    r = a.post("/api/me/password", {"current": ANALYST_PW, "password": "short"})
    R.check("a short new password: 400", r.status == 400 and r.error(), r)
    r = a.post("/api/me/password", {"current": ANALYST_PW, "password": ANALYST_PW2}, csrf=False)
    R.check("own password without X-CSRF-Token: 403", r.status == 403 and r.error(), r)
    r = a.post("/api/me/password", {"current": ANALYST_PW, "password": ANALYST_PW2})
    R.check("the analyst chooses a password: 200, no change due", r.status == 200 and
            r.json.get("user") == "ana" and r.json.get("must_change_password") is False and
            r.json.get("csrf") == a.csrf, r)
    r = a2.get("/api/me")
    R.check("the analyst's other session ended at once: 401", r.status == 401, r)
    r = a.get("/api/alerts", {"limit": "1"})
    R.check("the session that changed the password goes on", r.status == 200, r)
    R.check("password_change audited (who, whom, sessions ended)",
            audit_rows(db, "password_change") == [("ana", "ana", "1 other session ended")])
    R.check("the hash changed, no change due", dbq(db, "SELECT must_change, hash LIKE '$y$%' FROM"
                                                   " users WHERE username = 'ana'") == [(0, 1)])
    R.check("the old password no longer signs in", new_client().login("ana", ANALYST_PW).status == 401)
    R.check("the new one does", new_client().login("ana", ANALYST_PW2).status == 200)
    c.login("admin", PASSWORD)   # a success resets the failed-login count of 127.0.0.1

    # ---- role checks: an analyst manages no account
    before = dbq(db, "SELECT username, role, disabled_us, hash FROM users ORDER BY username")
    for method, path in sorted(ADMIN):
        for name in ("admin", "ana"):
            body = {"role": "admin"} if path.endswith("/role") else \
                {"password": "0123456789"} if path.endswith("/password") else \
                {"username": "eve", "password": ANALYST_PW, "role": "admin"} if path == "/api/users" else {}
            r = a.request(method, fill(path, 1, name), body if method == "POST" else None)
            R.check(f"analyst: {method} {fill(path, 1, name)}: 403", r.status == 403 and r.error(), r)
    R.check("the analyst changed no account",
            dbq(db, "SELECT username, role, disabled_us, hash FROM users ORDER BY username") == before)
    R.check("the analyst's session survives the refusals", a.get("/api/me").status == 200)

    # ---- disable: the sessions end at once, sign-in answers like a wrong password
    a2 = new_client()
    a2.login("ana", ANALYST_PW2)
    n = sessions_of(db, "ana")
    R.check("the analyst has 2 sessions or more", n >= 2, n)
    r = c.post("/api/users/ana/disable")
    R.check("disable: 200 USER, disabled", r.status == 200 and r.json.get("disabled") is True and
            r.json.get("disabled_us") and r.json.get("sessions") == 0, r)
    r = a.get("/api/alerts", {"limit": "1"})
    R.check("the disabled user's cookie: 401 on the next request", r.status == 401, r)
    R.check("... and the other one", a2.get("/api/me").status == 401)
    R.check("no session of the disabled user is left", sessions_of(db, "ana") == 0)
    R.check("user_disable audited", audit_rows(db, "user_disable") ==
            [("admin", "ana", f"{n} sessions ended")])
    r = c.post("/api/users/ana/disable")
    R.check("disable again: 200, no second audit row", r.status == 200 and
            len(audit_rows(db, "user_disable")) == 1, r)
    t_dis, r = login_time(where, timeout, "ana", ANALYST_PW2, srv.proc.pid)
    R.check("a disabled user's right password: 401, the wrong-password answer",
            r.status == 401 and r.json == {"error": "wrong username or password"}, r)
    R.check("the refused sign-in is audited as disabled",
            dbq(db, "SELECT username, detail FROM audit WHERE action = 'login_failed' ORDER BY id"
                " DESC LIMIT 1") == [("ana", "account disabled")])
    t_wrong, r = login_time(where, timeout, "ana", "a wrong password", srv.proc.pid)
    R.check("a disabled user's wrong password: the same answer",
            r.status == 401 and r.json == {"error": "wrong username or password"}, r)
    c.login("admin", PASSWORD)   # resets the failed-login count of 127.0.0.1
    # A disabled account costs the password hash like any other: not far
    # cheaper than a wrong password (skipping the hash is 30-100x cheaper).
    # Measured as the server's CPU time, which a busy machine does not
    # inflate; pairs taken in turn, the cheapest of each kind compared.
    t_dis, t_wrong = [t_dis], [t_wrong]
    for _ in range(2):
        t_dis.append(login_time(where, timeout, "ana", ANALYST_PW2, srv.proc.pid)[0])
        t_wrong.append(login_time(where, timeout, "ana", "a wrong password", srv.proc.pid)[0])
        c.login("admin", PASSWORD)
    times = f"disabled {' '.join(f'{t:.3f}' for t in t_dis)} s, wrong password " \
            f"{' '.join(f'{t:.3f}' for t in t_wrong)} s"
    print(f"#     sign-in CPU times: {times}")
    R.check("a disabled account's sign-in takes the hash's time, like a wrong password",
            min(t_dis) >= 0.3 * min(t_wrong), times)
    r = c.post("/api/users/ana/enable")
    R.check("enable: 200 USER, enabled", r.status == 200 and r.json.get("disabled") is False and
            r.json.get("disabled_us") is None, r)
    R.check("user_enable audited", [x[:2] for x in audit_rows(db, "user_enable")] == [("admin", "ana")])
    a = new_client()
    R.check("enabled again, the analyst signs in", a.login("ana", ANALYST_PW2).status == 200)

    # ---- role changes take effect on the open session
    r = c.post("/api/users/ana/role", {"role": "admin"})
    R.check("role analyst -> admin: 200 USER", r.status == 200 and r.json.get("role") == "admin", r)
    R.check("the open session has the new role at once", a.get("/api/users").status == 200 and
            a.get("/api/me").json.get("role") == "admin")
    r = c.post("/api/users/ana/role", {"role": "admin"})
    R.check("the same role again: 200, not audited twice", r.status == 200 and
            len(audit_rows(db, "user_role")) == 1, r)
    R.check("user_role audited", audit_rows(db, "user_role") == [("admin", "ana", "analyst -> admin")])

    # ---- the last enabled admin
    r = c.post("/api/users/ana/disable")
    R.check("disable the other admin: 200", r.status == 200, r)
    for path, body in (("disable", {}), ("delete", {}), ("role", {"role": "analyst"})):
        r = c.post(f"/api/users/admin/{path}", body)
        R.check(f"the last enabled admin (a disabled admin does not count): {path} 409",
                r.status == 409 and "last" in (r.json or {}).get("error", ""), r)
    R.check("the last admin is unchanged", dbq(db, "SELECT role, disabled_us FROM users WHERE"
                                               " username = 'admin'") == [("admin", None)])
    R.check("the admin's session survives", c.get("/api/me").status == 200)
    r = c.post("/api/users/ana/enable")
    # two admins demote each other at once: one of them stays admin
    b = new_client()
    b.login("ana", ANALYST_PW2)
    import threading
    res = {}
    ths = [threading.Thread(target=lambda k, cl, n: res.__setitem__(k, cl.post(f"/api/users/{n}/role",
                                                                              {"role": "analyst"})),
                            args=(k, cl, n)) for k, cl, n in (("a", c, "ana"), ("b", b, "admin"))]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    admins = dbq(db, "SELECT username FROM users WHERE role = 'admin' AND disabled_us IS NULL")
    R.check("two admins demote each other at once: one admin is left, one request refused",
            len(admins) == 1 and sorted(x.status for x in res.values())[0] == 200 and
            sorted(x.status for x in res.values())[1] in (403, 409), (admins, res))
    if admins == [("ana",)]:     # ana won: make admin the admin again, ana an analyst
        b.post("/api/users/admin/role", {"role": "admin"})
        c.post("/api/users/ana/role", {"role": "analyst"})
    R.check("admin is admin, ana analyst again", dbq(db, "SELECT username, role FROM users ORDER BY"
                                                     " username") == [("admin", "admin"), ("ana", "analyst")])

    # ---- an admin sets a new password: sessions end, a change is due
    a = new_client()
    a.login("ana", ANALYST_PW2)
    n = sessions_of(db, "ana")
    r = c.post("/api/users/ana/password", {"password": "temporary pw 1"})
    R.check("reset password: 200 USER, change due, no session", r.status == 200 and
            r.json.get("must_change_password") is True and r.json.get("sessions") == 0, r)
    R.check("the user's cookie: 401 on the next request", a.get("/api/me").status == 401)
    R.check("user_password_reset audited", audit_rows(db, "user_password_reset")[-1:] ==
            [("admin", "ana", f"must change it at the next sign-in; {n} session{'s' if n != 1 else ''}"
                              " ended")] and n >= 1)
    R.check("the old password no longer signs in", new_client().login("ana", ANALYST_PW2).status == 401)
    r = a.login("ana", "temporary pw 1")
    R.check("the temporary one does, with a change due", r.status == 200 and
            r.json.get("must_change_password") is True, r)
    r = a.post("/api/me/password", {"current": "temporary pw 1", "password": ANALYST_PW})
    R.check("the user replaces it", r.status == 200 and r.json.get("must_change_password") is False, r)
    c.login("admin", PASSWORD)

    # ---- unknown accounts, names that are not usernames
    for path, body in (("disable", {}), ("enable", {}), ("delete", {}), ("role", {"role": "admin"}),
                       ("password", {"password": "0123456789"})):
        r = c.post(f"/api/users/nobody/{path}", body)
        R.check(f"{path} an unknown user: 404", r.status == 404 and r.error(), r)
        r = c.post(f"/api/users/bad%20name/{path}", body)
        R.check(f"{path} 'bad name': 404 (no such route)", r.status == 404 and r.error(), r)
    r = c.post("/api/users/" + "x" * 65 + "/disable")
    R.check("a 65-character name: 404", r.status == 404, r)
    r = c.post("/api/users/ana%40x/disable")
    R.check("a %-escaped name is the name (ana@x): 404 no such user",
            r.status == 404 and "ana@x" in r.json.get("error", ""), r)

    # ---- idle expiry, logout
    h = hashlib.sha256(a.cookie.encode()).hexdigest()
    dbx(db, "UPDATE sessions SET seen_us = seen_us - 13 * 3600 * 1000000 WHERE id = ?", (h,))
    r = a.get("/api/me")
    R.check("a session idle for 13 h: 401", r.status == 401, r)
    R.check("the expired session is gone", dbq(db, "SELECT count(*) FROM sessions WHERE id = ?",
                                               (h,))[0][0] == 0)
    r = a.login("ana", ANALYST_PW)
    r = a.post("/api/logout")
    R.check("logout: 200, cookie cleared", r.status == 200 and
            any("Max-Age=0" in x for x in r.set_cookie), r)
    r = a.get("/api/me")
    R.check("after logout the cookie is invalid: 401", r.status == 401, r)
    R.check("logout audited", dbq(db, "SELECT count(*) FROM audit WHERE action = 'logout' AND"
                                  " username = 'ana'")[0][0] == 1)

    # ---- the console: vigil user list | reset-password
    a.login("ana", ANALYST_PW)
    r = subprocess.run(vigil_cmd() + ["user", "list", "--db", db], capture_output=True, text=True,
                       timeout=max(60, timeout))
    R.check("vigil user list: both accounts, roles, states", r.returncode == 0 and
            re.search(r"^admin +admin +enabled", r.stdout, re.M) and
            re.search(r"^ana +analyst +enabled", r.stdout, re.M), r.stdout + r.stderr)
    r = subprocess.run(vigil_cmd() + ["user", "reset-password", "--db", db, "ana"],
                       capture_output=True, text=True, timeout=max(60, timeout))
    m = re.search(r"one-time password for 'ana': (\S+)", r.stdout)
    R.check("vigil user reset-password: a one-time password printed", r.returncode == 0 and m and
            len(m.group(1)) >= 20, r.stdout + r.stderr)
    temp = m.group(1) if m else "x"
    R.check("the console's reset ends the sessions at once: 401", a.get("/api/me").status == 401)
    r = a.login("ana", temp)
    R.check("the one-time password signs in, a change is due", r.status == 200 and
            r.json.get("must_change_password") is True, r)
    R.check("the console's reset is audited", audit_rows(db, "user_password_reset")[-1][:2] ==
            ("(console)", "ana"))
    r = subprocess.run(vigil_cmd() + ["user", "reset-password", "--db", db, "nobody"],
                       capture_output=True, text=True, timeout=max(60, timeout))
    R.check("vigil user reset-password of an unknown user: exit 1", r.returncode == 1 and
            "nobody" in r.stderr, r.stderr)
    r = subprocess.run(vigil_cmd() + ["user", "list", "--db", db + ".missing"], capture_output=True,
                       text=True, timeout=max(60, timeout))
    R.check("vigil user on a missing database: exit 1, nothing created", r.returncode == 1 and
            not os.path.exists(db + ".missing"), r.stderr)
    r = subprocess.run(vigil_cmd() + ["user", "frobnicate"], capture_output=True, text=True,
                       timeout=max(60, timeout))
    R.check("vigil user with an unknown command: exit 2", r.returncode == 2, r.stderr)
    a.post("/api/me/password", {"current": temp, "password": ANALYST_PW})

    # ---- delete: the sessions end, the account goes
    r = c.post("/api/users/ana/delete")
    R.check("delete: 200 {deleted}", r.status == 200 and r.json == {"deleted": "ana"}, r)
    R.check("the deleted user's cookie: 401 on the next request", a.get("/api/me").status == 401)
    R.check("account and sessions gone", dbq(db, "SELECT count(*) FROM users WHERE username = 'ana'")
            == [(0,)] and sessions_of(db, "ana") == 0)
    R.check("user_delete audited", audit_rows(db, "user_delete") ==
            [("admin", "ana", "analyst; 1 session ended")])
    R.check("the deleted user cannot sign in", new_client().login("ana", ANALYST_PW).status == 401)
    c.login("admin", PASSWORD)
    r = c.get("/api/users")
    R.check("GET /api/users: the admin alone again", [x["username"] for x in r.json["users"]] == ["admin"], r)

    # ---- no password anywhere in the audit log or the server's output
    text = " ".join(str(x) for row in dbq(db, "SELECT * FROM audit") for x in row)
    leaked = [p for p in (PASSWORD, ANALYST_PW, ANALYST_PW2, "temporary pw 1", temp) if p in text]
    R.check("no password in the audit log", not leaked, leaked)
    out = srv.output() + srv.errors()
    leaked = [p for p in (PASSWORD, ANALYST_PW, ANALYST_PW2, "temporary pw 1", temp) if p in out]
    R.check("no password in the server's output", not leaked, leaked)


def suite_static(c, static):
    r = c.get("/")
    R.check("GET /: index.html", r.status == 200 and b"vigil test page" in r.body and
            r.headers.get("content-type") == "text/html; charset=utf-8", r)
    check_headers("GET /", r)
    R.check("static files: Cache-Control and ETag", r.headers.get("cache-control") == "no-cache"
            and r.headers.get("etag"), r.headers)
    r2 = c.get("/", headers={"If-None-Match": r.headers.get("etag", "x")})
    R.check("If-None-Match: 304", r2.status == 304 and r2.body == b"", r2)
    for path, ctype in (("/assets/app.js", "text/javascript; charset=utf-8"),
                        ("/assets/style.css", "text/css; charset=utf-8"),
                        ("/favicon.svg", "image/svg+xml"), ("/index.html", "text/html; charset=utf-8")):
        r = c.get(path)
        R.check(f"GET {path}: {ctype}", r.status == 200 and r.headers.get("content-type") == ctype, r)
        check_headers(f"GET {path}", r)
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/assets/../../secret.txt",
                 "/assets/%2e%2e/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt", "/..%2fsecret.txt",
                 "/assets/..%5c..%5csecret.txt", "/link-out/secret.txt", "/link-file",
                 "/.hidden", "/assets", "/assets/", "/nope.html", "//etc/passwd",
                 "/%00index.html", "/index.html%00.js"):
        r = c.request("GET", path)
        R.check(f"GET {path}: 400/404, nothing leaked", r.status in (400, 404) and
                b"TOP SECRET" not in r.body and b"root:" not in r.body, r)
        check_headers(f"GET {path}", r)
    for method in ("HEAD", "POST", "PUT", "DELETE"):
        r = c.request(method, "/", b"" if method in ("POST", "PUT") else None)
        R.check(f"{method} /: 405", r.status == 405, r)


def suite_throttle(c, srv_where, db, timeout, unix):
    t = Client(srv_where, timeout)
    xff = {"X-Forwarded-For": "192.0.2.7"} if unix else {}
    for i in range(5):
        r = t.login("admin", f"wrong password {i}", headers=xff)
        R.check(f"bad login {i + 1}: 401", r.status == 401, r)
    r = t.login("admin", "wrong password 5", headers=xff)
    ra = r.headers.get("retry-after", "")
    R.check("6th bad login: 429 with Retry-After", r.status == 429 and r.error() and ra.isdigit()
            and 0 < int(ra) <= 900, r)
    r = t.login("admin", PASSWORD, headers=xff)
    R.check("while throttled, the right password is refused too: 429", r.status == 429, r)
    if unix:
        r = t.login("admin", PASSWORD, headers={"X-Forwarded-For": "192.0.2.8"})
        R.check("behind the proxy, another client address is not throttled", r.status == 200, r)
        r = t.login("admin", PASSWORD, headers={"X-Forwarded-For": "198.51.100.1, 192.0.2.7"})
        R.check("the proxy's (last) X-Forwarded-For address counts", r.status == 429, r)
        au = dbq(db, "SELECT target FROM audit WHERE action = 'login_failed' ORDER BY id DESC LIMIT 1")
        R.check("the audit log has the forwarded address", au == [("192.0.2.7",)], au)
    else:
        r = t.login("admin", PASSWORD, headers={"X-Forwarded-For": "192.0.2.99"})
        R.check("on TCP, X-Forwarded-For is ignored (still 429)", r.status == 429, r)
    r = c.get("/api/me")
    R.check("existing sessions keep working while throttled", r.status == 200, r)


def suite_setup_throttle(c, db, state):
    """Before the admin exists: wrong setup tokens are throttled per address
    like failed logins (behind the proxy, by X-Forwarded-For), even when
    they arrive in parallel, and each one that is checked is audited once."""
    import threading
    token = open(os.path.join(state, "setup-token")).read().strip()
    body = {"token": "0" * 64, "username": "admin", "password": PASSWORD}
    xff = {"X-Forwarded-For": "192.0.2.60"}
    for i in range(5):
        r = c.post("/api/setup", body, csrf=False, headers=xff)
        R.check(f"wrong setup token {i + 1}: 403", r.status == 403, r)
    r = c.post("/api/setup", body, csrf=False, headers=xff)
    ra = r.headers.get("retry-after", "")
    R.check("6th wrong setup token: 429 with Retry-After", r.status == 429 and r.error() and
            ra.isdigit() and 0 < int(ra) <= 900, r)
    r = c.post("/api/setup", dict(body, token=token), csrf=False, headers=xff)
    R.check("while throttled, the right setup token is refused too: 429", r.status == 429, r)
    R.check("the token still works from another address: nothing was consumed",
            dbq(db, "SELECT count(*) FROM users")[0][0] == 0 and
            os.path.exists(os.path.join(state, "setup-token")))
    codes = []

    def worker():
        codes.append(c.post("/api/setup", body, csrf=False,
                            headers={"X-Forwarded-For": "192.0.2.61"}).status)

    threads = [threading.Thread(target=worker) for _ in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    R.check("40 parallel wrong setup tokens from one address: 5 checked (403), 35 refused "
            "(429)", sorted(codes) == [403] * 5 + [429] * 35, sorted(codes))
    n = dbq(db, "SELECT target, count(*) FROM audit WHERE action = 'setup_failed'"
            " GROUP BY target ORDER BY target")
    R.check("one audit entry per checked wrong token, none for refused ones",
            n == [("192.0.2.60", 5), ("192.0.2.61", 5)], n)


def suite_parallel(c, db, aid):
    """Requests from 8 clients at once: reads, writes, an export."""
    import threading
    paths = ["/api/alerts", "/api/flows?app=dns", "/api/dashboard", f"/api/alerts/{aid}",
             "/api/flows/top-talkers", "/api/system", "/api/alerts/export.eve"]
    bad = []
    before = dbq(db, "SELECT count(*) FROM alert_notes")[0][0]

    def worker(k):
        for i in range(15):
            try:
                if i % 5 == 4:
                    r = c.post(f"/api/alerts/{aid}/notes", {"text": f"parallel {k}.{i}"})
                else:
                    r = c.get(paths[(k + i) % len(paths)])
                if r.status != 200:
                    bad.append((k, i, r))
            except OSError as e:
                bad.append((k, i, str(e)))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    R.check("8 clients at once, 120 requests: all answered 200", not bad, bad[:5])
    R.check("every parallel note stored",
            dbq(db, "SELECT count(*) FROM alert_notes")[0][0] - before == 8 * 3)


def raw_request(where, data, timeout, source=None):
    """Send the bytes data as they are (the request should say Connection:
    close); (status, body) of the answer, status None when the server closed
    without one."""
    if where[0] == "unix":
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(timeout)
        s.connect(where[1])
    else:
        s = socket.socket(socket.AF_INET6 if ":" in where[1] else socket.AF_INET)
        s.settimeout(timeout)
        if source:
            s.bind((source, 0))
        s.connect((where[1], where[2]))
    buf = b""
    try:
        s.sendall(data)
        while True:
            d = s.recv(65536)
            if not d:
                break
            buf += d
    except OSError:
        pass
    finally:
        s.close()
    m = re.match(rb"HTTP/1\.[01] (\d{3})", buf)
    return (int(m.group(1)) if m else None), buf.partition(b"\r\n\r\n")[2]


def session_headers(c, extra=b""):
    return (b"Host: t\r\nConnection: close\r\nCookie: vigil_session=" + c.cookie.encode() +
            b"\r\n" + extra)


def suite_form(c, db, aid):
    """Issue 7 2.6: a body is JSON by its Content-Type (a cross-site form
    cannot send that without a preflight), and the rest of the request's
    form."""
    login = json.dumps({"username": "admin", "password": PASSWORD})
    logins = dbq(db, "SELECT count(*) FROM audit WHERE action = 'login'")[0][0]
    for ct in ("text/plain", "text/plain;charset=UTF-8", None, "application/x-www-form-urlencoded",
               "multipart/form-data; boundary=x", "application/jsonx", "application/json-patch+json",
               "text/json", "application/json; charset=latin1", 'application/json; charset="iso-8859-1"',
               "application/json;", "application/json; charset", "application/json, text/plain",
               "application/json; charset=\"utf-8"):
        a = Client(c.where, c.timeout)
        r = a.request("POST", "/api/login", login, ctype=ct, csrf=False, cookie=False)
        R.check(f"login with Content-Type {ct!r}: 415, no session", r.status == 415 and r.error()
                and not r.set_cookie, r)
    R.check("no login happened through a wrong Content-Type",
            dbq(db, "SELECT count(*) FROM audit WHERE action = 'login'")[0][0] == logins)
    for ct in ("application/json", "application/json; charset=utf-8",
               "Application/JSON;Charset=UTF-8", 'application/json ; charset="utf-8"',
               "application/json; foo=bar"):
        a = Client(c.where, c.timeout)
        r = a.request("POST", "/api/login", login, ctype=ct, csrf=False, cookie=False)
        R.check(f"login with Content-Type {ct!r}: 200", r.status == 200 and r.set_cookie, r)
    # what a cross-site <form enctype="text/plain"> would send
    form = b'{"username":"admin","password":"' + PASSWORD.encode() + b'","x":"=1"}'
    a = Client(c.where, c.timeout)
    r = a.request("POST", "/api/login", form, ctype="text/plain", csrf=False, cookie=False,
                  headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
    R.check("a cross-site text/plain form post to /api/login: 415", r.status == 415 and
            not r.set_cookie, r)
    for method, path in ROUTES:
        if method != "POST":
            continue
        r = c.request("POST", fill(path, aid), "{}", ctype="text/plain",
                      csrf=("POST", path) not in PUBLIC)
        R.check(f"POST {path} with a text/plain body: 415", r.status == 415 and r.error(), r)
        r = c.request("POST", fill(path, aid) + "?x=1", {}, csrf=("POST", path) not in PUBLIC)
        R.check(f"POST {path} with a query parameter: 400", r.status == 400 and r.error(), r)
    r = c.request("POST", "/api/alerts/ack", b"", ctype=None)
    R.check("POST without a body needs no Content-Type (400 for the missing ids, not 415)",
            r.status == 400 and "missing" in r.json.get("error", ""), r)
    for method, path in ROUTES:
        if method != "GET":
            continue
        r = c.request("GET", fill(path, aid), b"{}")
        R.check(f"GET {path} with a body: 400", r.status == 400 and r.error(), r)
    hdr = session_headers(c, b"X-CSRF-Token: " + c.csrf.encode() + b"\r\n")
    body = b'{"text": "twice"}'
    st, b = raw_request(c.where, b"POST /api/alerts/%d/notes HTTP/1.1\r\n" % aid + hdr +
                        b"Content-Type: application/json\r\nContent-Type: text/plain\r\n"
                        b"Content-Length: %d\r\n\r\n" % len(body) + body, c.timeout)
    R.check("Content-Type sent twice: 400", st == 400, (st, b))
    st, b = raw_request(c.where, b"POST /api/alerts/%d/notes HTTP/1.1\r\n" % aid + hdr +
                        b"X-CSRF-Token: " + c.csrf.encode() + b"\r\nContent-Type: application/json\r\n"
                        b"Content-Length: %d\r\n\r\n" % len(body) + body, c.timeout)
    R.check("X-CSRF-Token sent twice: 400", st == 400, (st, b))
    R.check("no note was stored by the refused requests",
            dbq(db, "SELECT count(*) FROM alert_notes WHERE text = 'twice'")[0][0] == 0)


def suite_strict(c, db, aid):
    """Issue 7 2.8: bodies and queries exactly as docs/api.md says."""
    status0 = dbq(db, "SELECT status FROM alerts WHERE id = ?", (aid,))[0][0]
    notes0 = dbq(db, "SELECT count(*) FROM alert_notes")[0][0]
    acks0 = dbq(db, "SELECT count(*) FROM audit WHERE action = 'ack'")[0][0]
    users0 = dbq(db, "SELECT count(*) FROM users")[0][0]
    big = "99999999999999999999999"
    bodies = {
        "/api/alerts/{id}/status": [b'{"status":"new","status":"escalated"}',
                                    b'{"status":"escalated","st\\u0061tus":"new"}'],
        "/api/alerts/{id}/notes": [b'{"text":"a","text":"b"}', b'{"text":"\\ud800"}',
                                   b'{"text":"a\\udc00"}', b'{"text":"\\ud800\\u0041"}',
                                   b'{"text":"\xff"}', b'{"text":"\xc0\xaf"}',
                                   b'{"text":"\xed\xa0\x80"}', b'{"text":"a\x01b"}',
                                   b'{"text":"a\nb"}', b'{"text":"a\\u0000b"}',
                                   b'{"text":"x"} {}', b'{"text":"x",}', b"{'text':'x'}",
                                   b'\xef\xbb\xbf{"text":"x"}', b'{"text":"x"}\x00',
                                   b'{"text":"x"}//', b'{"text":"\\x41"}', b'{"text":NaN}',
                                   b'{"text":"x", "more": {"deep": [[[[[[[[1]]]]]]]]}}'],
        "/api/alerts/ack": [('{"ids":[%s]}' % big).encode(), b'{"ids":[9223372036854775808]}',
                            b'{"ids":[1.0]}', b'{"ids":[1e0]}', b'{"ids":[1E2]}', b'{"ids":[-5]}',
                            b'{"ids":[-0]}', b'{"ids":[0]}', b'{"ids":[01]}', b'{"ids":[1,1]}',
                            b'{"ids":[2,1,2]}', b'{"ids":[true]}', b'{"ids":[null]}',
                            b'{"ids":["1"]}', b'{"ids":[1],"ids":[2]}', b'{"ids":[1],}',
                            b'{"ids":[+1]}', b'{"ids":[.5]}', b'{"ids":[0x10]}'],
        "/api/alerts/{id}/suppress": [b'{"track":"by_src","track":"all"}'],
        "/api/users": [b'{"username":"u2","username":"u3","password":"0123456789","role":"analyst"}',
                       b'{"username":"u2","password":"0123456789","role":"analyst","role":"admin"}'],
        "/api/login": [b'{"username":"admin","password":"x","password":"y"}'],
        "/api/setup": [b'{"token":"a","token":"b","username":"a","password":"0123456789"}'],
        "/api/logout": [b'{"x":1}', b'[]', b'{"a":1,"a":2}'],
    }
    for path, bs in bodies.items():
        for b in bs:
            r = c.request("POST", fill(path, aid), b, csrf=("POST", path) not in PUBLIC)
            R.check(f"POST {path} {short(b.decode('utf-8', 'replace'), 60)!r}: 400 with a reason",
                    r.status == 400 and r.error(), r)
    r = c.post(f"/api/alerts/{aid}/status", {"status": "escalated"})
    r = c.request("POST", f"/api/alerts/{aid}/status", b'{"status":"new","status":"escalated"}')
    R.check("a repeated member changes nothing",
            dbq(db, "SELECT status FROM alerts WHERE id = ?", (aid,))[0][0] == "escalated", r)
    R.check("no note, ack or account came from the refused bodies",
            dbq(db, "SELECT count(*) FROM alert_notes")[0][0] == notes0 and
            dbq(db, "SELECT count(*) FROM audit WHERE action = 'ack'")[0][0] == acks0 and
            dbq(db, "SELECT count(*) FROM users")[0][0] == users0)
    c.post(f"/api/alerts/{aid}/status", {"status": status0})
    # what the strict reader must still accept
    r = c.request("POST", "/api/alerts/ack", b'{"ids":[9223372036854775807]}')
    R.check("ids up to 2^63-1: 200 (no such alert: 0 updated)",
            r.status == 200 and r.json == {"updated": 0}, r)
    r = c.request("POST", f"/api/alerts/{aid}/notes",
                  b' {"t\\u0065xt" : "\\u00e9\\ud83d\\ude00 \\"q\\" \\\\ \\/ \\t end"} ')
    R.check("escapes, surrogate pairs and escaped member names are read right",
            r.status == 200 and r.json["notes"][-1]["text"] == "\u00e9\U0001F600 \"q\" \\ / \t end",
            r)

    # query parameters
    for q, what in (("q=a%00b", "a %00 in a value"), ("q=%00", "only %00"), ("%00=1", "a %00 in a name"),
                    ("q=%zz", "a bad %-escape"), ("q=%4", "a cut %-escape"), ("q=a%", "a '%' at the end"),
                    ("q=%ff", "invalid UTF-8"), ("q=%c0%af", "an overlong UTF-8 form"),
                    ("q=%ed%a0%80", "an encoded surrogate"), ("limit", "a parameter without value"),
                    ("limit&offset=1", "a parameter without value, then another"),
                    ("limit=007", "a leading zero"), ("offset=00", "a leading zero"),
                    ("limit=-0", "-0"), ("limit=%2B5", "'+5'"), ("limit=5.0", "a fraction"),
                    ("limit=5e0", "an exponent"), ("q=a&q=a", "q twice"), ("since_id=-1", "a negative id"),
                    ("since_id=" + big, "an id beyond 63 bits"), ("sid=4294967296", "sid beyond 32 bits"),
                    ("q=" + "%C3%A9" * 201, "201 characters")):
        r = c.request("GET", "/api/alerts?" + q)
        R.check(f"GET /api/alerts?{short(q, 40)} ({what}): 400 with a reason",
                r.status == 400 and r.error(), r)
    r = c.request("GET", "/api/alerts?q=" + "%C3%A9" * 200)
    R.check("q of 200 two-byte characters: 200", r.status == 200, r)
    for raw, what in ((b"/api/alerts?q=\xc3\xa9", "a raw non-ASCII byte"),
                      (b"/api/alerts?q=a\x01b", "a raw control byte"),
                      (b"/api/alerts?q=a\x7fb", "a raw DEL")):
        st, b = raw_request(c.where, b"GET " + raw + b" HTTP/1.1\r\n" + session_headers(c) + b"\r\n",
                            c.timeout)
        R.check(f"{what} in the request target: 400", st == 400, (st, b))
    st, b = raw_request(c.where, b"GET /api/alerts?q=a b HTTP/1.1\r\n" + session_headers(c) + b"\r\n",
                        c.timeout)
    R.check("a raw space in the request target: refused (400 or closed)", st in (400, None), (st, b))
    st, b = raw_request(c.where, b"GET /api/me HTTP/1.1\r\nConnection: close\r\nCookie: vigil_session="
                        + c.cookie.encode() + b"\r\n\r\n", c.timeout)
    R.check("HTTP/1.1 without Host: 400", st == 400, (st, b))
    # '+' is a space (what browsers' URLSearchParams send), %2B a plus
    sig = dbq(db, "SELECT signature FROM alerts WHERE signature LIKE '% %' LIMIT 1")[0][0]
    words = [urllib.parse.quote(w, safe="") for w in sig.split(" ")[:2]]
    plus = c.get("/api/alerts?q=" + "+".join(words))
    space = c.get("/api/alerts?q=" + "%20".join(words))
    R.check(f"q={'+'.join(words)} finds what q={'%20'.join(words)} finds",
            plus.status == 200 and space.status == 200 and plus.json["total"] == space.json["total"] > 0,
            (plus, space))
    r = c.get("/api/alerts?q=" + "%2B".join(words))
    R.check("%2B is a literal '+'", r.status == 200 and r.json["total"] == 0, r)
    for method, path in ROUTES:
        if method != "GET":
            continue
        r = c.request("GET", fill(path, aid) + "?bogus=1")
        R.check(f"GET {path}?bogus=1: 400", r.status == 400 and r.error(), r)
    for path in ("/api/alerts/007", "/api/alerts/00", f"/api/alerts/0{aid}"):
        r = c.request("GET", path)
        R.check(f"GET {path} (leading zero): 400", r.status == 400 and r.error(), r)
    r = c.post(f"/api/alerts/0{aid}/notes", {"text": "leading zero"})
    R.check(f"POST /api/alerts/0{aid}/notes (leading zero): 400", r.status == 400 and r.error(), r)
    for path in ("/%zz", "/index.html%", "/assets/%41pp.js%0"):
        r = c.request("GET", path)
        R.check(f"GET {path} (bad %-escape): 400", r.status == 400 and r.error(), r)


def parallel_guesses(where, timeout, src, n_workers, send):
    """40 requests by n_workers threads at once (each on its own
    connection, from source address src on TCP): their statuses."""
    import threading
    jobs = list(range(40))
    got = []
    lock = threading.Lock()
    start = threading.Barrier(n_workers)

    def worker():
        cl = Client(where, timeout, source=src)
        start.wait()
        while True:
            with lock:
                if not jobs:
                    return
                i = jobs.pop()
            try:
                got.append(send(cl, i).status)
            except OSError as e:
                got.append(repr(e))

    threads = [threading.Thread(target=worker) for _ in range(n_workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return got


def suite_password_parallel(where, db, timeout, unix):
    """The same for POST /api/me/password: 40 wrong current passwords at
    once from one address reach the password check 5 times."""
    src = None if unix else "127.0.0.4"
    who = "192.0.2.51" if unix else "127.0.0.4"
    xff = {"X-Forwarded-For": who} if unix else {}
    me = Client(where, timeout, source=src)
    r = me.login("admin", PASSWORD, headers=xff)
    if not R.check(f"the admin signs in from {who}", r.status == 200, r):
        return
    before = dbq(db, "SELECT count(*) FROM audit WHERE action = 'password_change_failed'")[0][0]

    def send(cl, i):
        cl.cookie, cl.csrf = me.cookie, me.csrf
        return cl.post("/api/me/password", {"current": f"wrong password {i}",
                                            "password": "a new password 1"}, headers=xff)

    got = parallel_guesses(where, timeout, src, 40 if unix else 12, send)
    checked = dbq(db, "SELECT count(*) FROM audit WHERE action = 'password_change_failed'")[0][0] - before
    R.check(f"40 parallel wrong current passwords from {who}: 5 answered 403, 35 answered 429",
            len(got) == 40 and got.count(403) == 5 and got.count(429) == 35,
            {x: got.count(x) for x in set(got)})
    R.check("the current password was checked 5 times (password_change_failed audit rows)",
            checked == 5, checked)
    R.check("the session goes on", me.get("/api/me", headers=xff).status == 200)


def suite_login_parallel(where, db, timeout, unix):
    """Issue 7 2.5: 40 wrong passwords at once from one address reach the
    password check exactly 5 times (the attempt is counted before the hash).
    On TCP from 127.0.0.3 with 12 at a time (below the per-address
    connection limit), on the socket 40 at once behind one forwarded
    address."""
    import threading
    src = None if unix else "127.0.0.3"
    who = "192.0.2.50" if unix else "127.0.0.3"
    xff = {"X-Forwarded-For": who} if unix else {}
    before = dbq(db, "SELECT count(*) FROM audit WHERE action = 'login_failed' AND target = ?",
                 (who,))[0][0]
    jobs = list(range(40))
    got = []
    lock = threading.Lock()
    start = threading.Barrier(40 if unix else 12)

    def worker():
        cl = Client(where, timeout, source=src)
        start.wait()
        while True:
            with lock:
                if not jobs:
                    return
                i = jobs.pop()
            try:
                r = cl.login("admin", f"wrong password {i}", headers=xff)
                got.append(r.status)
            except OSError as e:
                got.append(repr(e))

    threads = [threading.Thread(target=worker) for _ in range(40 if unix else 12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    checked = dbq(db, "SELECT count(*) FROM audit WHERE action = 'login_failed' AND target = ?",
                  (who,))[0][0] - before
    R.check(f"40 parallel wrong passwords from {who}: 5 answered 401, 35 answered 429",
            len(got) == 40 and got.count(401) == 5 and got.count(429) == 35,
            {x: got.count(x) for x in set(got)})
    R.check("the password was checked 5 times (login_failed audit rows)", checked == 5, checked)


def suite_slow_clients(tmp, base, static, timeout):
    """Issue 7 2.2, on a server of its own (no connection of another test
    is open): slow clients cannot lock others out, and are cut at the
    deadline whatever they send.

    - 70 clients from 127.0.0.5 send a header line every second: 16 (the
      per-address limit) are held, the other 54 closed at once;
    - other addresses fill the server up to the reserve; then an address
      that holds connections gets no more, a new one gets one;
    - a fresh client is answered while every slow client still holds its
      connection (what it means to be not locked out: causal, not a time);
    - every held slow client is cut 10 s (the header deadline) after it
      connected, a slow body 10 s after its headers, a kept-alive
      connection that trickles its next request 10 s after the previous
      answer: not before (the server's clock starts after ours), and
      within the suite's patience after that (a machine's speed decides
      how late, not whether: the old server never cut them at all)."""
    H = 10.0   # web_conn.h: WEB_HEADER_DEADLINE_S, WEB_BODY_DEADLINE_S
    LATE = max(10.0, timeout)
    db = os.path.join(tmp, "slow.sqlite")
    shutil.copy(base, db)
    port = free_port()
    srv, c, _, ok = run_server(tmp, "slow", db, f"127.0.0.1:{port}", ("tcp", "127.0.0.1", port),
                               static, timeout)
    if not ok:
        stop_server(srv, "slow")
        return
    conns = []

    def open_conn(src, first, kind):
        s = socket.socket()
        s.bind((src, 0))
        t0 = time.monotonic()
        x = {"sock": s, "src": src, "t0": t0, "kind": kind, "closed": None, "data": b""}
        try:
            s.settimeout(timeout)
            s.connect(("127.0.0.1", port))
            s.setblocking(False)
            s.send(first)
        except OSError:
            x["closed"] = time.monotonic()
        conns.append(x)
        return x

    def poll():
        now = time.monotonic()
        for x in conns:
            if x["closed"] is not None:
                continue
            try:
                d = x["sock"].recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                d = b""
            if d:
                x["data"] += d
            else:
                x["closed"] = now

    def trickle():
        for x in conns:
            if x["closed"] is None and x["kind"] in ("header", "keepalive"):
                try:
                    x["sock"].send(b"X-Slow: 1\r\n")
                except OSError:
                    x["closed"] = time.monotonic()
            elif x["closed"] is None and x["kind"] == "body":
                try:
                    x["sock"].send(b" ")
                except OSError:
                    x["closed"] = time.monotonic()

    head = b"GET / HTTP/1.1\r\nHost: t\r\n"
    # a kept-alive connection: one whole request and answer, then a slow one
    ka = open_conn("127.0.0.21", b"GET /api/setup HTTP/1.1\r\nHost: t\r\n\r\n", "keepalive")
    ka["sock"].settimeout(timeout)
    resp = b""
    while True:
        hdr, sep, body = resp.partition(b"\r\n\r\n")
        m = re.search(rb"(?i)\r\ncontent-length: *(\d+)", hdr)
        if sep and m and len(body) >= int(m.group(1)):
            break
        d = ka["sock"].recv(65536)
        if not d:
            break
        resp += d
    ka["answered"] = time.monotonic()
    ka["sock"].setblocking(False)
    R.check("keep-alive: the first request is answered", resp.startswith(b"HTTP/1.1 200"), resp[:200])
    ka["sock"].send(head)
    # a slow body: the headers at once, then one byte a second
    sb = open_conn("127.0.0.20", b"POST /api/login HTTP/1.1\r\nHost: t\r\nContent-Type: "
                   b"application/json\r\nContent-Length: 1000\r\n\r\n{", "body")
    sb["headers_sent"] = time.monotonic()
    one = [open_conn("127.0.0.5", head, "header") for _ in range(70)]
    a10 = [open_conn("127.0.0.10", head, "header") for _ in range(16)]
    a11 = [open_conn("127.0.0.11", head, "header") for _ in range(10)]
    a12 = open_conn("127.0.0.12", head, "header")
    fill_up = [open_conn(f"127.0.0.{i}", head, "header") for i in (13, 14, 15, 17)]
    # now at least 48 are open: only addresses holding none get a slot
    a12b = open_conn("127.0.0.12", head, "header")
    a11b = open_conn("127.0.0.11", head, "header")
    a16 = open_conn("127.0.0.16", head, "header")
    fresh = Client(("tcp", "127.0.0.1", port), timeout, source="127.0.0.30")
    t = time.monotonic()
    try:
        r = fresh.get("/")
    except OSError as e:
        r = Resp(0, {}, repr(e).encode())
    fresh_s = time.monotonic() - t
    poll()
    held_one = [x for x in one if x["closed"] is None]
    R.check("a fresh client gets the page while 70 slow clients of one address and 32 others"
            f" hold connections ({fresh_s:.2f} s)", r.status == 200 and b"vigil test page" in r.body,
            r)
    R.check("70 slow clients of one address: 16 held (the per-address limit), 54 closed at once",
            len(held_one) == 16, f"{len(held_one)} held")
    R.check("the refused ones got no answer", all(x["data"] == b"" for x in one), [x["data"][:80]
                                                                                  for x in one if x["data"]][:3])
    R.check("below the reserve: addresses with connections get more (16 + 10 held)",
            all(x["closed"] is None for x in a10 + a11 + [a12] + fill_up), "")
    R.check("in the reserve: an address that holds one gets no second, nor one below its limit",
            a12b["closed"] is not None and a11b["closed"] is not None)
    R.check("in the reserve: a new address gets a connection", a16["closed"] is None)
    R.check("the slow body and the kept-alive connection are held", sb["closed"] is None and
            ka["closed"] is None)
    held = [x for x in conns if x["closed"] is None]
    R.check("the fresh client was answered while every slow client still held its connection",
            len(held) == 16 + 16 + 10 + 1 + 4 + 1 + 2, len(held))

    # the deadlines: trickle on until every held one is cut
    end = time.monotonic() + H + LATE + 5
    last = 0
    while time.monotonic() < end and any(x["closed"] is None for x in held):
        if time.monotonic() - last >= 1:
            trickle()
            last = time.monotonic()
        poll()
        time.sleep(0.05)
    heads = [x for x in held if x["kind"] == "header"]
    waits = sorted(x["closed"] - x["t0"] for x in heads if x["closed"] is not None)
    R.check(f"every one of {len(heads)} slow-header clients cut {H:.0f} to {H + LATE:.0f} s after it"
            " connected" + (f" ({waits[0]:.1f} to {waits[-1]:.1f} s)" if waits else ""),
            len(waits) == len(heads) and waits[0] >= H - 0.05 and waits[-1] <= H + LATE,
            f"{len(waits)} cut: {waits[:3]} ... {waits[-3:]}")
    R.check("no slow-header client got an answer", all(x["data"] == b"" for x in heads),
            [x["data"][:80] for x in heads if x["data"]][:3])
    if sb["closed"] is not None:
        w = sb["closed"] - sb["headers_sent"]
        R.check(f"the slow body cut {H:.0f} to {H + LATE:.0f} s after its headers ({w:.1f} s)",
                H - 0.05 <= w <= H + LATE, w)
    else:
        R.check("the slow body was cut", False)
    if ka["closed"] is not None:
        w = ka["closed"] - ka["answered"]
        R.check(f"the kept-alive connection cut {H:.0f} to {H + LATE:.0f} s after its answer"
                f" ({w:.1f} s)", H - 1 <= w <= H + LATE, w)
    else:
        R.check("the kept-alive connection was cut", False)
    for x in conns:
        x["sock"].close()
    # the slots come back: 127.0.0.5 is served again
    back = None
    for _ in range(20):
        try:
            back = Client(("tcp", "127.0.0.1", port), timeout, source="127.0.0.5").get("/api/setup")
            if back.status == 200:
                break
        except OSError as e:
            back = e
        time.sleep(0.5)
    R.check("after the cuts, the slow clients' address is served again",
            isinstance(back, Resp) and back.status == 200, back)
    err = srv.errors()
    refused = len(re.findall(r"connection from \S+ refused", err))
    cut = len(re.findall(r"not complete within", err))
    R.check(f"refusals and cuts are logged, rate-limited ({refused} and {cut} lines for"
            f" {len(conns) - len(held)} refusals and {len(held)} cuts)",
            1 <= refused <= 4 and 1 <= cut <= 4, short(err, 2000))
    stop_server(srv, "slow")


def make_static(tmp):
    static = os.path.join(tmp, "static")
    os.makedirs(os.path.join(static, "assets"))
    os.makedirs(os.path.join(tmp, "outside"))
    with open(os.path.join(tmp, "secret.txt"), "w") as f:
        f.write("TOP SECRET\n")
    with open(os.path.join(tmp, "outside", "secret.txt"), "w") as f:
        f.write("TOP SECRET\n")
    with open(os.path.join(static, "index.html"), "w") as f:
        f.write("<!doctype html><title>vigil test page</title>\n")
    with open(os.path.join(static, "assets", "app.js"), "w") as f:
        f.write("console.log('vigil');\n")
    with open(os.path.join(static, "assets", "style.css"), "w") as f:
        f.write("body { color: black; }\n")
    with open(os.path.join(static, "favicon.svg"), "w") as f:
        f.write("<svg xmlns='http://www.w3.org/2000/svg'/>\n")
    with open(os.path.join(static, ".hidden"), "w") as f:
        f.write("TOP SECRET\n")
    os.symlink(os.path.join(tmp, "outside"), os.path.join(static, "link-out"))
    os.symlink(os.path.join(tmp, "secret.txt"), os.path.join(static, "link-file"))
    return static


# ---- a database of the release before schema 5 ----------------------------------------

FIXTURE_V4 = os.path.join(ROOT, "tests", "fixtures", "store-v4", "store-v4.sql")
IOC_KIND_TEXT = {"ip": (1, "ip address"), "domain": (2, "domain"), "ja3": (3, "JA3 fingerprint"),
                 "ja3s": (4, "JA3S fingerprint"), "cert_sha1": (5, "certificate SHA1")}
DETECTOR_TEXT = {  # docs/eve.md, rules/README.md
    1: "vigil portscan: one source probed many ports of one host",
    2: "vigil hostsweep: one source probed many hosts",
    3: "vigil dns_tunnel: many unusual DNS queries under one domain",
    4: "vigil beacon: connections to one server at a regular interval",
    5: "vigil exfil: an inside host sent unusually many bytes out",
    6: "vigil bruteforce: many short sessions to an authentication service"}


def list_sid(name, kind):
    """docs/eve.md: kind * 1000000 + FNV-1a(list file name) mod 1000000
    (written here again, independently of detect_ioc.c)."""
    h = 2166136261
    for b in name.encode():
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return kind * 1000000 + h % 1000000


def ip_full(ip):
    """EVE's form: IPv6 with every group in full."""
    if not ip or ":" not in ip:
        return ip
    return ":".join("%04x" % int.from_bytes(socket.inet_pton(socket.AF_INET6, ip)[i:i + 2], "big")
                    for i in range(0, 16, 2))


def eve_alerts(path):
    with open(path) as f:
        return [e for e in (json.loads(l) for l in f if l.strip()) if e.get("event_type") == "alert"]


def suite_migrated(tmp, static, timeout):
    """tests/fixtures/store-v4 (made by vigil at 4e2ea9f, before EVE's
    names) opened by this vigil: converted in place once; new occurrences of
    its alerts, raised by this vigil, land on the converted rows (the same
    identity), with the EVE event's values; the page's API answers in EVE's
    names and the analysts' statuses and notes stayed with their alerts."""
    db = os.path.join(tmp, "v4.sqlite")
    con = sqlite3.connect(db)
    con.executescript(open(FIXTURE_V4).read())
    con.close()
    old = {r["id"]: dict(r) for r in alert_rows(db)}
    old_notes = dbq(db, "SELECT alert_id, username, text FROM alert_notes ORDER BY id")
    old_flows = dict(dbq(db, "SELECT id, app_proto FROM flows"))
    R.check("v4 fixture: old indicator sids, variable detector texts",
            sum(1 for a in old.values() if a["gid"] == 9100 and a["sid"] <= 5) >= 20 and
            any("probed 20 ports" in (a["signature"] or "") for a in old.values()), len(old))

    # this vigil raises the same alerts again into it, with EVE beside
    runs = [("ioc", ["tests/detect/ioc_misp.pcap", "tests/detect/ioc_plain.pcap"]),
            ("behav", ["tests/detect/behav_hostsweep.pcap"]),
            ("behav", ["tests/detect/behav_beacon.pcap"])]
    events, logs = [], []
    for i, (rules, caps) in enumerate(runs):
        eve = os.path.join(tmp, f"v4-{i}.eve.json")
        rp = subprocess.run(vigil_cmd() + ["replay", "--rules", f"tests/detect/rulesets/{rules}",
                                           "--home-net", "192.168.10.0/24,2001:db8:10::/48",
                                           "--db", db, "--eve", eve] + caps,
                            cwd=ROOT, capture_output=True, text=True, timeout=max(600, timeout))
        R.check(f"replay {caps} into the v4 database: exit 0", rp.returncode == 0, rp.stderr)
        logs.append(rp.stderr)
        events += eve_alerts(eve) if os.path.exists(eve) else []
    rows = sum(1 for _ in old.values()) + dbq(db, "SELECT count(*) FROM flows WHERE"
                                              " ndpi_app_proto IS NOT NULL AND id <= ?",
                                              (max(old_flows),))[0][0]
    R.check(f"migrated once, logged once: 'store: migrated schema 4 -> {SCHEMA}, K rows'",
            logs[0].count("store: migrated schema 4 -> %d, %d rows" % (SCHEMA, rows)) == 1 and
            not any("migrated" in x for x in logs[1:]), logs)
    R.check(f"user_version {SCHEMA}", dbq(db, "PRAGMA user_version")[0][0] == SCHEMA)

    # every new occurrence is one more of a converted row, with EVE's values
    now = {r["id"]: dict(r) for r in alert_rows(db)}
    R.check("the new occurrences add no alert row (the converted ones have their identity)",
            set(now) == set(old) and len(events) >= 10, f"{len(now)} rows, {len(old)} before, "
            f"{len(events)} EVE alerts")
    bumped = {}
    for e in events:
        a = e["alert"]
        ind = (a.get("metadata") or {}).get("indicator", [""])[0]
        match = [r for r in now.values() if r["gid"] == a["gid"] and r["sid"] == a["signature_id"]
                 and r["src_ip"] == e["src_ip"] and r["dest_ip"] == e["dest_ip"]
                 and r["ioc_indicator"] == ind]
        ok = len(match) == 1
        if ok:
            r = match[0]
            bumped[r["id"]] = bumped.get(r["id"], 0) + 1
            got = (r["signature"], r["src_port"], r["dest_port"], PROTO.get(r["proto"]),
                   r["app_proto"], r["community_id"])
            want = (a["signature"], e.get("src_port"), e.get("dest_port"), e["proto"],
                    e.get("app_proto"), e["community_id"])
            ok = got == want
        R.check(f"EVE alert {a['signature_id']} {e['src_ip']} -> {e['dest_ip']}: its row has"
                " the same identity, text, tuple, app_proto and community_id", ok,
                f"{match} vs {e}")
    R.check("each such row counts one more occurrence, keeps its id, status and notes",
            all(now[i]["count"] == old[i]["count"] + n and now[i]["status"] == old[i]["status"]
                for i, n in bumped.items()) and
            dbq(db, "SELECT alert_id, username, text FROM alert_notes ORDER BY id") == old_notes,
            bumped)

    port = free_port()
    srv, c, state, ok = run_server(tmp, "v4", db, f"127.0.0.1:{port}", ("tcp", "127.0.0.1", port),
                                   static, timeout)
    if ok:
        m = srv.wait_output(r"setup token: ([0-9a-f]+)\n")
        token = m.group(1) if m else ""
        r = c.post("/api/setup", {"token": token, "username": "admin", "password": PASSWORD},
                   csrf=False)
        R.check("v4: setup and sign-in", r.status == 201 and c.login("admin", PASSWORD).status == 200, r)
        R.check("v4: vigil serve does not migrate again", "migrated" not in srv.errors(), srv.errors())
        r = c.get("/api/alerts", {"limit": "500"})
        api = {a["id"]: a for a in (r.json or {}).get("alerts", [])}
        R.check("v4: every alert listed", r.status == 200 and set(api) == set(old), r)
        bad = []
        for i, o in old.items():
            a = api.get(i, {})
            row = alert_rows(db, "id = ?", (i,))[0]
            if same_alert(a, row):
                bad.append((i, same_alert(a, row)))
            if o["gid"] == 9100:
                kind, text = IOC_KIND_TEXT[o["ioc_kind"]]
                want = (list_sid(o["ioc_list"], kind), f"vigil IOC: {text} on list {o['ioc_list']}")
            elif o["gid"] == 9200:
                want = (o["sid"], DETECTOR_TEXT[o["sid"]])
            else:
                want = (o["sid"], o["signature"])
            if (a.get("sid"), a.get("signature")) != want or a.get("status") != o["status"] or \
                    a.get("src_ip") != ip_full(o["src_ip"]) or \
                    (o["dest_ip"] and a.get("dest_ip") != ip_full(o["dest_ip"])):
                bad.append((i, a.get("sid"), a.get("signature"), want))
        R.check("v4: every alert has the sid and text of the new code, full IPv6, its status",
                not bad, bad[:5])
        # the acknowledged indicator alert: its note, its flows, findable by its new sid
        ack = [i for i, o in old.items() if o["status"] == "acknowledged"][0]
        r = c.get(f"/api/alerts/{ack}")
        d = r.json or {}
        R.check("v4: the acknowledged alert's detail: status, note, metadata with the indicator",
                r.status == 200 and d.get("status") == "acknowledged" and
                [n["text"] for n in d.get("notes", [])] == ["checked: known sinkhole"] and
                d.get("metadata", {}).get("indicator") == [old[ack]["ioc_indicator"]], d)
        r = c.get("/api/alerts", {"sid": str(d.get("sid")), "limit": "500"})
        R.check("v4: the alert list's sid filter finds it by its new sid",
                r.status == 200 and ack in [a["id"] for a in r.json["alerts"]], r)
        r = c.get("/api/alerts", {"sid": str(old[ack]["sid"]), "engine": "ioc"})
        R.check("v4: no indicator alert has its old sid any more",
                r.status == 200 and r.json["total"] == 0, r)
        # the Kerberos alert: krb5 with nDPI's name, and its flows (pivot)
        krb = [i for i, o in old.items() if o["app_proto"] == "kerberos"]
        if krb:
            d = c.get(f"/api/alerts/{krb[0]}").json or {}
            fl = d.get("flows", [])
            own = [f for f in fl if (f["src_port"], f["dest_port"]) ==
                   (d.get("src_port"), d.get("dest_port"))]
            R.check("v4: the Kerberos alert: app_proto krb5 with nDPI's kerberos, escalated; its"
                    " flows (pivot) in EVE's names, its own flow krb5",
                    d.get("app_proto") == "krb5" and d.get("ndpi_app_proto") == "kerberos" and
                    d.get("status") == "escalated" and len(fl) >= 20 and
                    not {f["app_proto"] for f in fl} & {"kerberos", "smbv23", "unknown"} and
                    len(own) == 1 and own[0]["app_proto"] == "krb5" and
                    own[0]["ndpi_app_proto"] == "kerberos", short(d, 2000))
        # flows by EVE's names, nDPI's names and nDPI's full protocol
        for app, where in (("krb5", "app_proto = 'krb5'"), ("kerberos", "ndpi_app_proto = 'kerberos'"),
                           ("Kerberos", "ndpi_app_proto = 'kerberos'"), ("smb", "app_proto = 'smb'"),
                           ("smbv23", "ndpi_app_proto = 'smbv23'"), ("ike", "app_proto = 'ike'"),
                           ("ftp", "app_proto = 'ftp'"), ("ftp-data", "app_proto = 'ftp-data'"),
                           ("unknown", "app_proto IS NULL"), ("tls", "app_proto = 'tls'")):
            want = sorted(i for (i,) in dbq(db, f"SELECT id FROM flows WHERE {where}"))
            r = c.get("/api/flows", {"app": app, "limit": "500"})
            got = sorted(f["id"] for f in (r.json or {}).get("flows", []))
            R.check(f"v4: GET /api/flows?app={app}: {len(want)} flows", r.status == 200 and
                    got == want and (want or app in ("smbv23",)), f"api {got[:8]} db {want[:8]}")
        n_krb = sum(1 for v in old_flows.values() if v == "kerberos")
        R.check("v4: the old Kerberos flows are krb5 now", n_krb >= 20 and dbq(
            db, "SELECT count(*) FROM flows WHERE app_proto = 'krb5' AND id <= ?",
            (max(old_flows),))[0][0] == n_krb, n_krb)
        v6 = dbq(db, "SELECT src_ip FROM flows WHERE src_ip LIKE '2a00:%' LIMIT 1")
        if R.check("v4: IPv6 flows in full form", v6 and len(v6[0][0]) == 39, v6):
            short_form = socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, v6[0][0]))
            want = dbq(db, "SELECT count(*) FROM flows WHERE src_ip = ?1 OR dest_ip = ?1", (v6[0][0],))[0][0]
            r = c.get("/api/flows", {"host": short_form})
            R.check(f"v4: a host filter in the short form ({short_form}) finds the full-form rows",
                    r.status == 200 and r.json["total"] == want > 0, r)
        d = c.get("/api/dashboard").json or {}
        R.check("v4: the dashboard's applications in EVE's names",
                {"krb5", "ike", "unknown"} <= {a["app"] for a in d.get("apps", [])}, d.get("apps"))
        r = c.get("/api/alerts/export.eve")
        ev = [json.loads(l) for l in r.body.decode().splitlines() if l.strip()]
        R.check("v4: export.eve: the new sids, no old one",
                r.status == 200 and len(ev) == len(old) and
                not any(e["alert"]["gid"] == 9100 and e["alert"]["signature_id"] <= 5 for e in ev) and
                all(e["alert"]["signature_id"] == api[e["vigil"]["alert_id"]]["sid"] for e in ev), ev[:1])
    stop_server(srv, "v4")

    # a database of a newer vigil: refused, not one byte changed
    newer = os.path.join(tmp, "newer.sqlite")
    shutil.copy(db, newer)
    dbx(newer, "PRAGMA user_version = %d" % (SCHEMA + 1))
    before = open(newer, "rb").read()
    for cmd in (["replay", "--db", newer, "tests/fixtures/icmp.pcap"],
                ["serve", "--db", newer, "--listen", f"127.0.0.1:{free_port()}",
                 "--state-dir", os.path.join(tmp, "newer-state")]):
        rp = subprocess.run(vigil_cmd() + cmd, cwd=ROOT, capture_output=True, text=True,
                            timeout=max(60, timeout))
        R.check(f"vigil {cmd[0]} on a database of a newer schema: refused (exit != 0, the reason),"
                " the file untouched", rp.returncode not in (0, None) and
                f"newer than this vigil's {SCHEMA}" in rp.stderr and open(newer, "rb").read() == before,
                (rp.returncode, rp.stderr))


def run_server(tmp, name, db, listen, where, static, timeout, extra=()):
    state = os.path.join(tmp, name + "-state")
    srv = Server(db, listen, state, static, timeout, extra)
    c = Client(where, timeout)
    ok = R.check(f"vigil serve starts on {listen}", srv.wait_ready(c), srv.errors())
    return srv, c, state, ok


def stop_server(srv, what):
    rc = srv.stop()
    R.check("SIGTERM stops vigil serve cleanly (exit 0)", rc == 0,
            f"exit {rc}: {short(srv.errors(), 3000)}")


def main():
    quick = "--quick" in sys.argv[1:]
    timeout = float(os.environ.get("VIGIL_TIMEOUT", "60"))
    if not os.path.exists(vigil_bin()) and not shutil.which(vigil_bin()):
        R.check("vigil binary", False, vigil_bin())
        print(f"web-api: {R.passed} passed, {R.failed} failed")
        return 1
    tmp = tempfile.mkdtemp(prefix="vigil-web-")
    try:
        base = os.path.join(tmp, "replay.sqlite")
        evdir = os.path.join(tmp, "evidence")
        rp = subprocess.run(vigil_cmd() + ["replay", "-q", "--rules", "rules/default", "--db", base,
                                           "--evidence", evdir]
                            + CAPTURES, cwd=ROOT, capture_output=True, text=True,
                            timeout=max(600, timeout))
        if not R.check("vigil replay makes the database", rp.returncode == 0, rp.stderr):
            return 1
        R.check("the database has alerts of every kind we test",
                dbq(base, "SELECT count(DISTINCT engine) FROM alerts")[0][0] >= 2)
        static = make_static(tmp)

        # ---- TCP ----
        db = os.path.join(tmp, "tcp.sqlite")
        shutil.copy(base, db)
        port = free_port()
        R.prefix = "tcp: "
        srv, c, state, ok = run_server(tmp, "tcp", db, f"127.0.0.1:{port}",
                                       ("tcp", "127.0.0.1", port), static, timeout,
                                       ["--evidence", evdir])
        if ok:
            suite_setup(c, srv, db, state)
            aid = dbq(db, "SELECT min(id) FROM alerts")[0][0]
            if quick:
                R.check("quick: alerts", c.get("/api/alerts").status == 200)
                R.check("quick: alert detail", c.get(f"/api/alerts/{aid}").status == 200)
                R.check("quick: flows", c.get("/api/flows", {"app": "dns"}).status == 200)
                R.check("quick: top talkers", c.get("/api/flows/top-talkers").status == 200)
                R.check("quick: dashboard", c.get("/api/dashboard").status == 200)
                R.check("quick: system", c.get("/api/system").status == 200)
                R.check("quick: status", c.post(f"/api/alerts/{aid}/status",
                                                 {"status": "escalated"}).status == 200)
                R.check("quick: note", c.post(f"/api/alerts/{aid}/notes", {"text": "n"}).status == 200)
                R.check("quick: export.eve", c.get("/api/alerts/export.eve").status == 200)
                R.check("quick: export.csv", c.get("/api/alerts/export.csv").status == 200)
                R.check("quick: bad input", c.get("/api/alerts", {"limit": "x"}).status == 400)
                R.check("quick: 413", c.post(f"/api/alerts/{aid}/notes", "x" * 70000).status == 413)
                R.check("quick: 415", c.request("POST", f"/api/alerts/{aid}/notes", '{"text": "n"}',
                                                 ctype="text/plain").status == 415)
                R.check("quick: a repeated member", c.request(
                    "POST", "/api/alerts/ack", b'{"ids":[1],"ids":[99999999999999999999999]}').status == 400)
                R.check("quick: %00 in a query", c.request("GET", "/api/alerts?q=a%00b").status == 400)
                R.check("quick: static", c.get("/").status == 200)
                # accounts: add, first sign-in, own password, disable, console reset, delete
                R.check("quick: add a user", c.post("/api/users", {"username": "q", "password": ANALYST_PW,
                                                                   "role": "analyst"}).status == 201)
                q = Client(c.where, c.timeout)
                R.check("quick: the user signs in", q.login("q", ANALYST_PW).status == 200)
                R.check("quick: own password", q.post("/api/me/password", {
                    "current": ANALYST_PW, "password": ANALYST_PW2}).status == 200)
                R.check("quick: disable", c.post("/api/users/q/disable").status == 200 and
                        q.get("/api/me").status == 401)
                rp = subprocess.run(vigil_cmd() + ["user", "reset-password", "--db", db, "q"],
                                    capture_output=True, text=True, timeout=max(60, timeout))
                R.check("quick: vigil user reset-password", rp.returncode == 0, rp.stderr)
                R.check("quick: role, delete", c.post("/api/users/q/role", {"role": "admin"}).status == 200
                        and c.post("/api/users/q/delete").status == 200)
                R.check("quick: logout", c.post("/api/logout").status == 200)
            else:
                suite_routes(c, aid)
                suite_bad_input(c, db, aid)
                suite_alerts(c, db)
                suite_alerts_sorted(c, db)
                suite_alert_flows(c, db)
                sig, det = suite_detail(c, db, state)
                suite_changes(c, db, state, sig, det)
                suite_audit_fails(c, db)
                suite_exports(c, db)
                suite_evidence(c, db, evdir, tmp)
                suite_flows(c, db)
                suite_dashboard(c, db)
                suite_system(c, db)
                suite_users(c, db, ("tcp", "127.0.0.1", port), timeout, srv)
                suite_form(c, db, aid)
                suite_strict(c, db, aid)
                suite_parallel(c, db, aid)
                suite_login_parallel(("tcp", "127.0.0.1", port), db, timeout, unix=False)
                suite_password_parallel(("tcp", "127.0.0.1", port), db, timeout, unix=False)
                suite_static(c, static)
                suite_throttle(c, ("tcp", "127.0.0.1", port), db, timeout, unix=False)
        stop_server(srv, "tcp")
        if not quick:
            R.prefix = "slow clients: "
            suite_slow_clients(tmp, base, static, timeout)
        R.prefix = "schema 4: "
        suite_migrated(tmp, static, timeout)
        R.prefix = ""

        # ---- UNIX socket ----
        if not quick:
            R.prefix = "unix: "
            db = os.path.join(tmp, "unix.sqlite")
            shutil.copy(base, db)
            sock = os.path.join(tmp, "web.sock")
            # a stale socket file from a crash is replaced
            s = socket.socket(socket.AF_UNIX)
            s.bind(sock)
            s.close()
            srv, c, state, ok = run_server(tmp, "unix", db, f"unix:{sock}", ("unix", sock), static,
                                           timeout, ["--secure-cookies"])
            if ok:
                R.check("the socket is mode 0660", stat.S_IMODE(os.stat(sock).st_mode) == 0o660,
                        oct(os.stat(sock).st_mode))
                suite_setup_throttle(c, db, state)
                suite_setup(c, srv, db, state, secure=True)
                aid = dbq(db, "SELECT min(id) FROM alerts")[0][0]
                suite_alerts(c, db)
                suite_parallel(c, db, aid)
                suite_login_parallel(("unix", sock), db, timeout, unix=True)
                suite_password_parallel(("unix", sock), db, timeout, unix=True)
                r = c.request("POST", "/api/login", json.dumps({"username": "admin",
                              "password": PASSWORD}), ctype="text/plain", csrf=False, cookie=False)
                R.check("login with a text/plain body over the socket: 415", r.status == 415, r)
                r = c.get(f"/api/alerts/{aid}")
                R.check("alert detail over the socket", r.status == 200 and r.json["id"] == aid, r)
                R.check("no evidence directory: the detail lists no pcap", r.json.get("pcap") == [], r)
                r = c.get(f"/api/alerts/{aid}/pcap")
                R.check("no evidence directory: the pcap download is 404 with the reason",
                        r.status == 404 and r.error() and "not kept" in r.json["error"], r)
                r = c.get("/api/alerts/export.csv")
                R.check("export over the socket", r.status == 200 and
                        len(r.body.decode().splitlines()) == 1 + dbq(db, "SELECT count(*) FROM alerts")[0][0], r)
                r = c.post(f"/api/alerts/{aid}/status", {"status": "false_positive"})
                R.check("a change over the socket", r.status == 200, r)
                r = c.request("POST", "/api/alerts/ack", {"ids": [aid]}, csrf=False)
                R.check("CSRF over the socket: 403", r.status == 403, r)
                suite_static(c, static)
                suite_throttle(c, ("unix", sock), db, timeout, unix=True)
                # a second server on the same live socket is refused
                srv2 = Server(db, f"unix:{sock}", state + "2", static, timeout)
                rc = srv2.proc.wait(timeout=max(30, timeout))
                R.check("a second server on a live socket: refused", rc != 0 and
                        "another server" in srv2.errors(), srv2.errors())
            stop_server(srv, "unix")
            R.check("the socket file is removed on stop", not os.path.exists(sock))
            # a regular file where the socket should be is not deleted
            if os.path.lexists(sock):
                os.unlink(sock)
            with open(sock, "w") as f:
                f.write("keep me\n")
            srv3 = Server(db, f"unix:{sock}", os.path.join(tmp, "s3"), static, timeout)
            rc = srv3.proc.wait(timeout=max(30, timeout))
            R.check("a regular file at the socket path: refused, kept",
                    rc != 0 and open(sock).read() == "keep me\n", srv3.errors())
            R.prefix = ""
            v6 = None
            try:
                probe = socket.socket(socket.AF_INET6)
                probe.bind(("::1", 0))
                v6 = probe.getsockname()[1]
                probe.close()
            except OSError:
                print("skip  IPv6 loopback is not available")
            if v6:
                srv6, c6, _, ok = run_server(tmp, "v6", db, f"[::1]:{v6}", ("tcp", "::1", v6),
                                             static, timeout)
                if ok:
                    r = c6.get("/api/setup")
                    R.check("[::1]: answers", r.status == 200 and r.json == {"setup_needed": False}, r)
                stop_server(srv6, "v6")
            r = subprocess.run(vigil_cmd() + ["serve", "--db", os.path.join(tmp, "missing.sqlite"),
                                              "--listen", "127.0.0.1:1", "--state-dir", tmp],
                               capture_output=True, text=True, timeout=max(60, timeout))
            R.check("vigil serve on a missing database: exit 1 with a reason",
                    r.returncode == 1 and "missing.sqlite" in r.stderr, r.stderr)
            r = subprocess.run(vigil_cmd() + ["serve", "--db", base, "--listen", "localhost:x",
                                              "--state-dir", os.path.join(tmp, "s4")],
                               capture_output=True, text=True, timeout=max(60, timeout))
            R.check("vigil serve with a bad listen address: exit 1 with a reason",
                    r.returncode == 1 and "listen address" in r.stderr, r.stderr)
            r = subprocess.run(vigil_cmd() + ["serve", "--db", base], capture_output=True,
                               text=True, timeout=max(60, timeout))
            R.check("vigil serve without --listen: usage, exit 2", r.returncode == 2, r.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"web-api: {R.passed} passed, {R.failed} failed")
    return 1 if R.failed else 0


if __name__ == "__main__":
    sys.exit(main())
