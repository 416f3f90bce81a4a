"""vigil_http - the web API's HTTP client for the tests: a request on a
new connection each (TCP, a UNIX socket, or HTTPS without verifying the
box's self-signed certificate), the session cookie and CSRF token kept
after login, answers with their JSON. Used by tests/web/test_api.py and
tests/image/check_image.py."""

import http.client
import json
import re
import socket
import ssl
import urllib.parse


def short(x, n=200):
    s = x if isinstance(x, str) else repr(x)
    return s if len(s) <= n else s[:n] + "..."


class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over a UNIX socket (what lighttpd's mod_proxy does)."""

    def __init__(self, path, timeout=60):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers     # lower-case name -> value (last one)
        self.set_cookie = [v for k, v in headers.items() if k == "set-cookie"]
        self.body = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def error(self):
        return isinstance(self.json, dict) and isinstance(self.json.get("error"), str) \
            and len(self.json) == 1

    def __repr__(self):
        return f"{self.status} {short(self.body.decode('utf-8', 'replace'), 200)}"


class Client:
    def __init__(self, where, timeout, source=None):
        self.where = where         # ("tcp", host, port), ("https", host, port) or ("unix", path)
        self.timeout = timeout
        self.source = source       # TCP: the address to connect from (127.0.0.x)
        self.cookie = None
        self.csrf = None

    def conn(self):
        if self.where[0] == "unix":
            return UnixHTTPConnection(self.where[1], self.timeout)
        if self.where[0] == "https":
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            return http.client.HTTPSConnection(self.where[1], self.where[2], timeout=self.timeout,
                                               context=ctx)
        return http.client.HTTPConnection(self.where[1], self.where[2], timeout=self.timeout,
                                          source_address=(self.source, 0) if self.source else None)

    def request(self, method, path, body=None, headers=None, csrf=True, cookie=True,
                ctype="application/json"):
        """A request on a new connection; a non-empty body goes with
        Content-Type ctype (None: no Content-Type)."""
        h = {"Connection": "close"}
        if cookie and self.cookie:
            h["Cookie"] = "vigil_session=" + self.cookie
        if csrf and self.csrf and method == "POST":
            h["X-CSRF-Token"] = self.csrf
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        if body and ctype:
            h["Content-Type"] = ctype
        h.update(headers or {})
        c = self.conn()
        try:
            c.putrequest(method, path, skip_accept_encoding=True)
            for k, v in h.items():
                c.putheader(k, v)
            if body is not None:
                c.putheader("Content-Length", str(len(body)))
            c.endheaders(body)
            r = c.getresponse()
            data = r.read() if method != "HEAD" else b""
            hdrs = {}
            for k, v in r.getheaders():
                hdrs[k.lower()] = v
            return Resp(r.status, hdrs, data)
        finally:
            c.close()

    def get(self, path, params=None, **kw):
        if params:
            path += "?" + urllib.parse.urlencode(params)
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, {} if body is None else body, **kw)

    def login(self, user, password, headers=None):
        r = self.post("/api/login", {"username": user, "password": password},
                      csrf=False, cookie=False, headers=headers)
        if r.status == 200:
            m = re.search(r"vigil_session=([0-9a-f]+)", " ".join(r.set_cookie))
            self.cookie = m.group(1) if m else None
            self.csrf = r.json.get("csrf")
        return r
