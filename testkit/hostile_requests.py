"""Hostile requests against a running site: none may be answered 500, none may leave a traceback in its log. Sent by
tests/stack/test_fuzz.py and by `python -m bench.fuzz` (bench/fuzz.py).

Each request is generated from a fixed seed, so a run is repeatable and a failure can be sent again:
fuzzed paths (Unicode, %00, ../, invalid escapes, very long), query strings, methods (PROPFIND, TRACE, garbage),
headers (a bad Host, X-Forwarded-Host, huge and malformed cookies, odd Accept-Language and Accept-Encoding,
Content-Type with odd charsets such as `charset=latin-1` or `charset=bogus`), form bodies up to 10 MB, and
malformed multipart bodies for the membership form and the admin login. Some form posts carry a valid CSRF
cookie and token (read from the forms first), so that they reach the views behind the CSRF check.

Requests are written on raw sockets (http.client refuses much of this), one connection each, `concurrency` at a
time; at most 100,000.
"""

import collections
import random
import re
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

MAX_REQUESTS = 100_000
MAX_BODY = 10 * 1024 * 1024
KNOWN_PATHS = [
    "/",
    "/news/",
    "/zh/news/",
    "/news/?page=2",
    "/news/2023/",
    "/news/category/event/",
    "/zh/news/category/news/",
    "/search/?q=toy",
    "/zh/search/?q=玩具",
    "/buyer-membership/",
    "/zh/buyer-membership/",
    "/buyer-membership/thanks/",
    "/privacy/",
    "/admin/",
    "/admin/login/",
    "/zh/admin/login/",
    "/sitemap.xml",
    "/sitemap-stories-1.xml",
    "/sitemap-pages-1.xml",
    "/robots.txt",
    "/wechat-qr.svg",
    "/news-events/old-story",
    "/static/css/site.css",
    "/media/news/images/x/y.jpg",
    "/healthz",
    "/readyz",
]
FORM_PATHS = ["/buyer-membership/", "/zh/buyer-membership/", "/admin/login/", "/zh/admin/login/", "/search/"]
WEIRD_SEGMENTS = [
    "中文",
    "%E4%B8%AD%E6%96%87",
    "🧸",
    "%F0%9F%A7%B8",
    "\u202eevil",
    "%E2%80%AE",
    "İ",
    "ﬁ",
    "%00",
    "%ff",
    "%c0%af",
    "%2e%2e",
    "..",
    "../..",
    "..%2f..%2f",
    "%2F",
    "\\",
    "%5c",
    ";param=1",
    "%",
    "%zz",
    "%u0041",
    "~",
    ".",
    "%20",
    "+",
    "'",
    '"',
    "<script>",
    "%3Cscript%3E",
    "*",
    "-1",
    "0",
    "99999999999999999999999",
    "2023",
    "0000",
    "13",
    "page",
    ".git",
    ".env",
    "wp-login.php",
]
QUERY_KEYS = ["q", "page", "year", "category", "lang", "next", "token", "utm_source", "p", "format", "id"]
QUERY_VALUES = [
    "",
    "-1",
    "0",
    "1e9",
    "99999999999999999999999999",
    "abc",
    "%00",
    "中文",
    "%E4%B8%AD",
    "%ff%fe",
    "<script>alert(1)</script>",
    "'%20OR%201=1--",
    "%",
    "%zz",
    "//evil.example/",
    "https://evil.example",
    "\\\\evil.example",
    "NaN",
    "inf",
    "true",
    "[]",
    "{}",
]
METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND", "MKCOL", "COPY", "LOCK"]
GARBAGE_METHODS = ["GARBAGE", "get", "G3T", "A" * 100, "GET\x00", "POST;", "M-SEARCH", "BREW", "CONNECT"]
BAD_HOSTS = [
    "evil.example",
    "",
    "localhost:99999",
    "localhost:abc",
    "local host",
    "a" * 300,
    "127.0.0.1",
    "localhost.",
    "LOCALHOST",
    "[::1]",
    "localhost@evil.example",
    "localhost/evil",
    "localhost\\evil",
    "xn--80ak6aa92e.com",
    "例子.测试",
]
ACCEPT_LANGUAGES = [
    "*;q=abc",
    "zh-Hans-CN;q=2",
    "xx-YY",
    "zh-Hant",
    "en;q=-1",
    "ÿ",
    "zh;q=0.5, en;q=nan",
    ",,,;;;",
    "zh-hans-cn-x-private-1234567890",
    "i-klingon",
    "en-US,en;q=0.9,zh-CN;q=0.8,zh;q=0.7",
    "q=1",
]
ACCEPT_ENCODINGS = ["br;q=x, gzip;q=-1", "identity;q=0", "*;q=0", "gzip, gzip, gzip", "compress", "br", "", ";;;"]
CHARSETS = [
    "latin-1",
    "bogus",
    "utf-16",
    "UTF-8",
    '"utf-8"',
    "utf8",
    "",
    "iso-8859-1",
    "gb2312",
    "gbk",
    "big5",
    "utf-32",
    "cp1252",
    "ascii",
    "x" * 200,
    "utf-8; charset=latin-1",
]
FORM_CONTENT_TYPES = [
    "application/x-www-form-urlencoded",
    "text/plain",
    "application/json",
    "application/xml",
    "multipart/form-data",
    "multipart/form-data; boundary=",
    "application/x-www-form-urlencoded;;;",
    "application/octet-stream",
    "",
    "*/*",
]


class Site:
    """Where the requests go, and what a first visit taught: CSRF cookie and tokens, links to stories."""

    def __init__(self, base_url, host, as_front, timeout):
        parts = urllib.parse.urlsplit(base_url)
        self.tls = parts.scheme == "https"
        self.address = (parts.hostname, parts.port or (443 if self.tls else 80))
        self.host = host or parts.netloc
        self.as_front = as_front
        self.timeout = timeout
        self.site_scheme = "https" if (self.tls or as_front) else "http"
        self.context = ssl.create_default_context()
        self.context.check_hostname = False
        self.context.verify_mode = ssl.CERT_NONE
        self.csrf_cookie = ""
        self.csrf_token = ""
        self.links = []

    def learn(self):
        status, page = self.send(b"GET", b"/buyer-membership/", [], b"", read_limit=2_000_000)
        cookie = re.search(rb"Set-Cookie: csrftoken=([^;\s]+)", page, flags=re.IGNORECASE)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if cookie and token:
            self.csrf_cookie, self.csrf_token = cookie[1].decode(), token[1].decode()
        for path in ("/news/", "/zh/news/"):
            _status, page = self.send(b"GET", path.encode(), [], b"", read_limit=2_000_000)
            self.links += sorted({link.decode() for link in re.findall(rb'href="(/[^"#?]*)"', page)})
        return status

    def send(self, method, target, headers, body, *, read_limit=200_000, body_shortfall=0):
        """Writes the request as given; returns (status or an outcome's name, the response's first bytes)."""
        lines = [method + b" " + target + b" HTTP/1.1"]
        if not any(name.lower() == b"host" for name, _value in headers):
            lines.append(b"Host: " + self.host.encode())
        if self.as_front:
            lines.append(b"X-Forwarded-Proto: https")
            lines.append(b"X-Forwarded-For: 127.0.0.1")
        lines += [name + b": " + value for name, value in headers]
        has_length = any(name.lower() in (b"content-length", b"transfer-encoding") for name, _value in headers)
        if body and not has_length:
            lines.append(b"Content-Length: " + str(len(body) + body_shortfall).encode())
        lines.append(b"Connection: close")
        head = b"\r\n".join(lines) + b"\r\n\r\n"
        try:
            raw = socket.create_connection(self.address, timeout=self.timeout)
        except OSError as error:
            return type(error).__name__, b""
        try:
            connection = self.context.wrap_socket(raw, server_hostname="localhost") if self.tls else raw
            with connection:
                try:
                    connection.sendall(head)
                    for start in range(0, len(body), 256 * 1024):
                        connection.sendall(body[start : start + 256 * 1024])
                except OSError:
                    pass  # refused part-way (e.g. 413): the answer may still be there to read
                received = bytearray()
                try:
                    while len(received) < read_limit:
                        chunk = connection.recv(65536)
                        if not chunk:
                            break
                        received += chunk
                except TimeoutError:
                    if not received:
                        return "timeout", b""
                except OSError as error:
                    if not received:
                        return type(error).__name__, b""
        except OSError as error:
            return type(error).__name__, b""
        match = re.match(rb"HTTP/\d(?:\.\d)? (\d{3})", bytes(received))
        return (int(match[1]) if match else "no response"), bytes(received)


# --- Drawing a request ------------------------------------------------------------------------------------------


KINDS = {"path": 25, "query": 14, "method": 10, "headers": 20, "form": 17, "multipart": 12, "big": 2, "truncated": 1}


def generate(site, number, seed, kinds, odd_charsets):
    """Request `number` of the run: (kind, method, target, headers, body, body_shortfall)."""
    rng = OddCharsets(seed * 1_000_003 + number) if odd_charsets else UTF8Only(seed * 1_000_003 + number)
    kind = rng.choices(kinds, [KINDS[kind] for kind in kinds])[0]
    headers = []
    body = b""
    shortfall = 0
    method = "GET"
    target = known_path(site, rng)
    if kind == "path":
        method = rng.choice(["GET", "GET", "HEAD"])
        target = fuzzed_path(rng, target)
    elif kind == "query":
        target = target.split("?")[0] + "?" + fuzzed_query(rng)
    elif kind == "method":
        method = rng.choice(METHODS + GARBAGE_METHODS)
        if method == "CONNECT":
            target = rng.choice(["localhost:443", "evil.example:443", "/"])
        if rng.random() < 0.5:
            body = rng.randbytes(rng.randint(1, 2000))
    elif kind == "headers":
        method = rng.choice(["GET", "GET", "HEAD", "POST"])
        headers = hostile_headers(rng)
    elif kind in ("form", "big", "truncated"):
        method = "POST"
        target = rng.choice(FORM_PATHS)
        headers, body = form_post(site, rng, big=kind == "big")
        if kind == "truncated":
            shortfall = rng.randint(1, 5000)
    elif kind == "multipart":
        method = "POST"
        target = rng.choice(["/buyer-membership/", "/zh/buyer-membership/", "/admin/login/", "/zh/admin/login/"])
        headers, body = malformed_multipart(site, rng)
    if rng.random() < 0.15 and kind not in ("headers",):
        headers += hostile_headers(rng)[:2]
    return kind, method.encode("utf-8", "surrogateescape"), encode_target(target), encoded(headers), body, shortfall


class OddCharsets(random.Random):
    pass


class UTF8Only(random.Random):
    """Generates the same requests, but every charset named is exactly utf-8."""

    def choice(self, sequence):
        chosen = super().choice(sequence)
        return "utf-8" if sequence is CHARSETS else chosen


def known_path(site, rng):
    if site.links and rng.random() < 0.35:
        return rng.choice(site.links)
    return rng.choice(KNOWN_PATHS)


def fuzzed_path(rng, path):
    segments = [segment for segment in path.split("?")[0].split("/") if segment]
    for _ in range(rng.randint(1, 3)):
        choice = rng.random()
        position = rng.randint(0, len(segments))
        if choice < 0.6:
            segments.insert(position, rng.choice(WEIRD_SEGMENTS))
        elif choice < 0.75:
            segments.insert(position, rng.choice("abcxyz%.") * rng.randint(200, 9000))
        elif choice < 0.9 and segments:
            segments[rng.randrange(len(segments))] += rng.choice(WEIRD_SEGMENTS)
        else:
            segments = ["", *segments]  # a path starting with //
    path = "/" + "/".join(segments) + rng.choice(["/", "", "//", "/."])
    return path


def fuzzed_query(rng):
    pairs = []
    for _ in range(rng.choice([1, 1, 2, 3, 50, 1500])):
        key = rng.choice(QUERY_KEYS + ["", "%00", "中", "a[]", "a[b]"])
        value = rng.choice(QUERY_VALUES) if rng.random() < 0.9 else "x" * rng.randint(1000, 7000)
        pairs.append(f"{key}={value}" if rng.random() < 0.9 else key)
    return rng.choice(["&", "&", ";", "&&"]).join(pairs)


def hostile_headers(rng):
    choices = [
        lambda: [("Host", rng.choice(BAD_HOSTS))],
        lambda: [("Host", "localhost"), ("Host", rng.choice(BAD_HOSTS))],
        lambda: [("X-Forwarded-Host", rng.choice(BAD_HOSTS + ["localhost, evil.example"]))],
        lambda: [("X-Forwarded-For", rng.choice(["1.2.3.4, junk, ::::", "a" * 1000, "", "999.999.1.1", "中文"]))],
        lambda: [("X-Forwarded-Proto", rng.choice(["http", "ftp", "https, http", "", "HTTPS"]))],
        lambda: [("Forwarded", rng.choice(["for=evil;host=evil.example;proto=http", "garbage"]))],
        lambda: [("Cookie", "big=" + "x" * rng.randint(4000, 15000))],
        lambda: [("Cookie", "; ".join(f"c{n}=v" for n in range(rng.randint(50, 800))))],
        lambda: [
            (
                "Cookie",
                rng.choice(
                    [
                        "=;;=;",
                        "csrftoken",
                        "csrftoken=" + "x" * 1000,
                        "sessionid=" + "x" * 1000,
                        'sessionid="unterminated',
                        "django_language=xx",
                        "django_language=../../etc",
                        "django_language=zh-hans; django_language=en",
                        "名字=值",
                        "a=\x7f\x01",
                        "csrftoken=short",
                        "$Version=1; sessionid=a",
                    ]
                ),
            )
        ],
        lambda: [("Accept-Language", rng.choice(ACCEPT_LANGUAGES))],
        lambda: [("Accept-Language", ",".join(f"l{n}-x;q=0.{n % 10}" for n in range(rng.randint(100, 600))))],
        lambda: [("Accept-Language", "a" * rng.randint(1000, 8000))],
        lambda: [("Accept-Encoding", rng.choice(ACCEPT_ENCODINGS + ["a" * 3000]))],
        lambda: [("If-None-Match", rng.choice(['"*"', "garbage", 'W/"x", *', '"' + "a" * 3000 + '"']))],
        lambda: [("If-Modified-Since", rng.choice(["yesterday", "Thu, 01 Jan 9999 00:00:00 GMT", "0", ""]))],
        lambda: [("Range", rng.choice(["bytes=9999999-", "bytes=-1-2", ",".join(["bytes=0-1"] * 300), "lines=1-2"]))],
        lambda: [("Content-Type", f"text/html; charset={rng.choice(CHARSETS)}")],
        lambda: [("User-Agent", rng.choice(["", "中文浏览器", "a" * 8000, "() { :; }; echo vulnerable"]))],
        lambda: [("Referer", rng.choice(["javascript:alert(1)", "//evil.example", "http://[::1", "%00"]))],
        lambda: [("Origin", rng.choice(["null", "https://evil.example", "garbage"]))],
        lambda: [("Content-Length", rng.choice(["-1", "abc", "99999999999999999999", "1, 2"]))],
        lambda: [("Transfer-Encoding", rng.choice(["chunked, identity", "gzip", "bogus"]))],
        lambda: [("X-" + "a" * rng.randint(10, 5000), "b")],
        lambda: [("Bad Header", "x"), ("\x01Control", "y")],
    ]
    return [header for _ in range(rng.randint(1, 3)) for header in rng.choice(choices)()]


def form_post(site, rng, big=False):
    charset = rng.choice(CHARSETS)
    content_type = rng.choice(FORM_CONTENT_TYPES)
    if rng.random() < 0.6:
        content_type = f"application/x-www-form-urlencoded; charset={charset}"
    fields = [("name", rng.choice(["Zoë Lin", "林晓", "caf\xe9", "\x00", "a" * 3000]))]
    fields += [(rng.choice(["email", "company", "q", "username", "password", "website"]), rng.choice(QUERY_VALUES))]
    headers = [("Content-Type", content_type)]
    if site.csrf_token and rng.random() < 0.5:
        fields.append(("csrfmiddlewaretoken", site.csrf_token))
        headers.append(("Cookie", f"csrftoken={site.csrf_cookie}"))
        headers.append(("Origin", f"{site.site_scheme}://{site.host}"))
        headers.append(("Referer", f"{site.site_scheme}://{site.host}/buyer-membership/"))
    encoding = {"latin-1": "latin-1", "utf-16": "utf-16", "gbk": "gbk", "big5": "big5"}.get(charset, "utf-8")
    text = "&".join(f"{urllib.parse.quote(key)}={value}" for key, value in fields)
    body = text.encode(encoding, "replace")
    choice = rng.random()
    if choice < 0.1:
        body = rng.randbytes(rng.randint(1, 5000))
    elif choice < 0.15:
        body += b"&a=1" * rng.randint(1000, 3000)  # more fields than Django allows
    elif choice < 0.2:
        body += b"&big=" + b"x" * rng.randint(2_700_000, 3_000_000)  # over DATA_UPLOAD_MAX_MEMORY_SIZE
    elif choice < 0.25:
        body = b'{"name": "json", "email": [1, 2]}'
    elif choice < 0.3:
        body += "&name=caf\xe9".encode("latin-1") + b"&%zz=%&%ff%fe=%c0"
    if big:
        body += b"&filler=" + b"x" * rng.randint(1_000_000, MAX_BODY - len(body) - 16)
    return headers, body[:MAX_BODY]


def malformed_multipart(site, rng):
    boundary = rng.choice(["XyZ123", "-" * 80, "a b", '"quoted"', "中", "x" * 200])
    parts = []
    if site.csrf_token and rng.random() < 0.5:
        parts.append(part(boundary, 'name="csrfmiddlewaretoken"', site.csrf_token.encode()))
    for _ in range(rng.choice([1, 2, 3, 1200])):
        disposition = rng.choice(
            [
                'form-data; name="company_name"',
                'form-data; name="letter"; filename="../../etc/passwd"',
                'form-data; name="letter"; filename="letter.pdf\x00.exe"',
                'form-data; name="letter"; filename="信.pdf"',
                "form-data; filename*=UTF-8''%E4%BF%A1.pdf; name=\"letter\"",
                'form-data; name=""',
                "form-data",
                "attachment; name=x",
                'form-data; name="a' + "a" * 5000 + '"',
                'form-data; name="x"; filename=""',
            ]
        )
        extra = rng.choice(
            [
                "",
                "Content-Type: text/plain; charset=bogus\r\n",
                "Content-Type: application/pdf\r\n",
                "Content-Transfer-Encoding: base64\r\n",
                "Content-Transfer-Encoding: quoted-printable\r\n",
                "Content-Type: multipart/mixed; boundary=inner\r\n",
                "X-Huge: " + "h" * 9000 + "\r\n",
            ]
        )
        payload = rng.choice([b"", b"%PDF-1.4\n", b"====", b"\x00" * 100])
        if payload.startswith(b"%PDF"):  # drawn only when chosen: each of 1,200 parts drew 10 kB it threw away
            payload += rng.randbytes(rng.randint(0, 20000))
        parts.append(part(boundary, disposition, payload, extra))
    body = b"".join(parts)
    ending = rng.random()
    if ending < 0.4:
        body += f"--{boundary}--\r\n".encode("utf-8", "replace")
    elif ending < 0.6:
        body = body[: rng.randint(0, len(body))]  # cut short
    elif ending < 0.7:
        body += b"--not-the-boundary--\r\n"
    declared = rng.choice([f"boundary={boundary}", f'boundary="{boundary}"', "", "boundary=other", "charset=bogus"])
    headers = [("Content-Type", f"multipart/form-data; {declared}".strip())]
    if site.csrf_token and rng.random() < 0.5:
        headers.append(("Cookie", f"csrftoken={site.csrf_cookie}"))
        headers.append(("Origin", f"{site.site_scheme}://{site.host}"))
    return headers, body[:MAX_BODY]


def part(boundary, disposition, payload, extra=""):
    head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n{extra}\r\n"
    return head.encode("utf-8", "replace") + payload + b"\r\n"


def encode_target(target):
    return target.encode("utf-8", "surrogateescape")


def encoded(headers):
    return [(name.encode("utf-8", "replace"), value.encode("utf-8", "replace")) for name, value in headers]


def describe(method, target, headers, body):
    shown = [f"{name.decode(errors='replace')}: {value[:120].decode(errors='replace')}" for name, value in headers]
    return (
        f"{method[:40].decode(errors='replace')} {target[:300].decode(errors='replace')}"
        f" | {'; '.join(shown)} | body {len(body)} bytes: {body[:120]!r}"
    )


# --- The run ---------------------------------------------------------------------------------------------------


def run(base_url, *, host="", requests=10_000, seed=13, concurrency=8, logs=(), as_front=False,
        truncated_bodies=False, odd_charsets=True, kinds=None, timeout=30, out=sys.stdout):  # fmt: skip
    """Sends the requests; returns (counts per status, failing requests described, tracebacks in the logs)."""
    requests = min(requests, MAX_REQUESTS)
    kinds = kinds or [kind for kind in KINDS if truncated_bodies or kind != "truncated"]
    site = Site(base_url, host, as_front, timeout)
    log_starts = {path: log_size(path) for path in logs}
    first = site.learn()
    print(f"first visit: {first}; CSRF token {'found' if site.csrf_token else 'not found'}; {len(site.links)} links",
          file=out)  # fmt: skip
    counts = collections.Counter()
    per_kind = collections.defaultdict(collections.Counter)
    failures = []
    lock = threading.Lock()

    def one(number):
        kind, method, target, headers, body, shortfall = generate(site, number, seed, kinds, odd_charsets)
        status, _response = site.send(method, target, headers, body, read_limit=4096, body_shortfall=shortfall)
        with lock:
            counts[status] += 1
            per_kind[kind][status] += 1
            if status == 500:
                failures.append(f"#{number} [{kind}] {describe(method, target, headers, body)}")

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, range(requests)))
    elapsed = time.monotonic() - started
    time.sleep(0.5)  # the last log lines
    tracebacks = []
    for path, start in log_starts.items():
        with open(path, "rb") as log:
            log.seek(start)
            text = log.read().decode(errors="replace")
        tracebacks += [block for block in re.split(r"\n(?=\S)", text) if "Traceback" in block]
    print(f"{requests} requests in {elapsed:.0f} s (seed {seed}, {concurrency} at a time) to {base_url}", file=out)
    print("status counts: " + ", ".join(f"{key}: {value}" for key, value in sorted(counts.items(), key=str)),
          file=out)  # fmt: skip
    for kind, kind_counts in sorted(per_kind.items()):
        print(f"  {kind:10} " + ", ".join(f"{k}: {v}" for k, v in sorted(kind_counts.items(), key=str)), file=out)
    for failure in failures[:50]:
        print("500: " + failure, file=out)
    print(f"responses 500: {counts[500]}; tracebacks in the logs: {len(tracebacks)}", file=out)
    for block in tracebacks[:5]:
        print(block[-2000:], file=out)
    return counts, failures, tracebacks


def log_size(path):
    try:
        with open(path, "rb") as log:
            return log.seek(0, 2)
    except FileNotFoundError:
        return 0
