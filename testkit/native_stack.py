"""compose.yaml's stack brought up natively, for tests and benchmarks on a machine without Docker.

The same processes as the containers: gunicorn with production settings and deploy/gunicorn.conf.py, behind
nginx (Debian's package) configured from the very file compose.yaml mounts (deploy/nginx/ietp.conf.template),
rendered here with local ports and paths, with a self-signed certificate made by openssl. The database is a
throwaway SQLite file, or a PostgreSQL database beside the one DATABASE_URL names (created and dropped here); the
cache is Redis when a REDIS_URL is given, else a directory.

Used by tests/stack/test_production.py, tests/stack/test_fuzz.py and bench/production_stack.py.
"""

import functools
import http.client
import os
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from testkit import prepared
from testkit.ports import free_port

# The stack's own ports: a range given to it on a shared machine (NATIVE_STACK_PORTS=first-last), else any free one.
FIRST_PORT, _, LAST_PORT = os.environ.get("NATIVE_STACK_PORTS", "").partition("-")
PORTS = range(int(FIRST_PORT), int(LAST_PORT) + 1) if LAST_PORT else None

ROOT = Path(__file__).resolve().parent.parent
FRONT_TEMPLATE = ROOT / "deploy" / "nginx" / "ietp.conf.template"
GUNICORN_CONFIG = ROOT / "deploy" / "gunicorn.conf.py"
HOST = "localhost"
# Bytes no visitor may ever get: a membership letter in the private media folder.
PRIVATE_LETTER = b"%PDF-1.4 private letter of support\n"
PUBLIC_IMAGE_PATH = "news/images/0123456789abcdef0123456789abcdef/sample.jpg"


def render_front_config(variables):
    """The template with each ${NAME} replaced, as the official nginx image's envsubst does: only names that are
    defined; nginx's own $variables are untouched."""
    return re.sub(
        r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda match: variables.get(match[1], match[0]), FRONT_TEMPLATE.read_text()
    )


# nginx's `http2 on;` (the template's form) replaced `listen ... ssl http2` in 1.25.1. Debian 12's nginx (1.22) and
# the container stand-in built from it know only the old form: they are given the template with it.
HTTP2_DIRECTIVE_SINCE = (1, 25, 1)


def nginx_version(nginx):
    """(1, 22, 1) from `nginx -v` (any command that prints nginx's version banner)."""
    command = [nginx, "-v"] if isinstance(nginx, str) else nginx
    banner = subprocess.run(command, capture_output=True, text=True, check=True).stderr
    return tuple(int(part) for part in re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", banner).groups())


def with_http2_on_listen(config):
    """The template (rendered or not) in the form nginx before 1.25.1 reads: http2 on its TLS listen line."""
    assert "http2 on;" in config, "the template no longer says `http2 on;`"
    config = re.sub(r"^(\s*listen [^;\n]*\bssl);(?=\n(?:\s*#[^\n]*\n)*\s*http2 on;)", r"\1 http2;", config, flags=re.M)
    return re.sub(r"^\s*http2 on;\n", "", config, flags=re.M)


def nginx_binary(install=True):
    """Debian's nginx: found, or installed with apt-get when running as root (as tests/browser/install-browser
    installs Chromium); None when neither."""
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
    if found or not install or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], env=environment, capture_output=True, timeout=300)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "nginx"],
        env=environment,
        capture_output=True,
        timeout=600,
    )
    return nginx_binary(install=False)


def make_certificate(directory):
    """A self-signed certificate for HOST, as fullchain.pem and privkey.pem (the names the front server expects)."""
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={HOST}",
            "-addext", f"subjectAltName=DNS:{HOST}",
            "-keyout", str(directory / "privkey.pem"), "-out", str(directory / "fullchain.pem"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip


def url_beside(url, suffix):
    """The URL of a PostgreSQL database beside the one `url` names, on the same server, for this stack alone."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{parts.path.lstrip('/')}_{suffix}"))


def database_beside(url, suffix):
    """A fresh PostgreSQL database beside the one `url` names, for this stack alone; its URL."""
    import psycopg

    beside = url_beside(url, suffix)
    name = urlsplit(beside).path.lstrip("/")
    # Through the maintenance database: the one named may not exist (pytest uses test_<name>).
    with psycopg.connect(urlunsplit(urlsplit(url)._replace(path="/postgres")), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return beside


def drop_database(url):
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class NativeStack:
    """gunicorn behind nginx over TLS on 127.0.0.1; `with NativeStack(workdir) as stack:` starts and stops both."""

    def __init__(
        self, workdir, *, database_url="", redis_url="", workers=2, name="native_stack", seed=True, front=True
    ):
        self.workdir = Path(workdir)
        self.workers = workers
        self.seed = seed
        self.front = front
        self.source_database_url = database_url if database_url.startswith("postgres") else ""
        self.database_name_suffix = name
        self.redis_url = redis_url
        self.web_port = free_port(PORTS)
        self.http_port = free_port(PORTS)
        self.https_port = free_port(PORTS)
        self.public_root = self.workdir / "public"
        self.static_root = self.public_root / "static"
        self.media_root = self.public_root / "media"
        self.private_media_root = self.workdir / "private-media"
        self.gunicorn_log = self.workdir / "gunicorn.log"
        self.front_error_log = self.workdir / "nginx-error.log"
        self.front_access_log = self.workdir / "nginx-access.log"
        self.processes = []

    # --- Starting and stopping --------------------------------------------------------------------------------

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def start(self):
        nginx = nginx_binary() if self.front else None
        if self.front and not nginx:
            raise FileNotFoundError("nginx (Debian's package: apt-get install nginx)")
        # Collected, migrated and seeded once for the test run (testkit.prepared), then copied.
        if self.source_database_url:
            beside = url_beside(self.source_database_url, self.database_name_suffix)
            self.database_url = prepared.postgres_database(beside, seeded=self.seed)
        elif self.seed:
            self.database_url = prepared.seeded_sqlite(self.workdir / "site.sqlite3")
        else:
            self.database_url = prepared.migrated_sqlite(self.workdir / "site.sqlite3")
        self.environment = self.site_environment()
        prepared.collected_static(self.static_root)
        (self.media_root / PUBLIC_IMAGE_PATH).parent.mkdir(parents=True, exist_ok=True)
        (self.media_root / PUBLIC_IMAGE_PATH).write_bytes(b"\xff\xd8\xff\xe0 a public picture")
        (self.private_media_root / "letters").mkdir(parents=True, exist_ok=True)
        (self.private_media_root / "letters" / "letter.pdf").write_bytes(PRIVATE_LETTER)
        self.start_gunicorn()
        if self.front:
            self.start_front(nginx)
        else:
            self.wait_until_up()

    def site_environment(self):
        environment = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "DEBUG", "DATABASE_URL", "REDIS_URL", "PYTEST"))
        }
        environment.update(
            SECRET_KEY=secrets.token_urlsafe(50),
            ALLOWED_HOSTS=HOST,
            CSRF_TRUSTED_ORIGINS=f"https://{HOST}:{self.https_port}",
            DATABASE_URL=self.database_url,
            STATIC_ROOT=str(self.static_root),
            MEDIA_ROOT=str(self.media_root),
            PRIVATE_MEDIA_ROOT=str(self.private_media_root),
            CACHE_DIR=str(self.workdir / "cache"),
            RELEASE_ID=f"native-{secrets.token_hex(4)}",
            TRUST_X_FORWARDED_FOR="1",
            # Every request of the tests comes from 127.0.0.1, many a second.
            SEARCHES_PER_MINUTE="100000",
            # The front server's address: gunicorn believes its X-Forwarded-Proto.
            FORWARDED_ALLOW_IPS="127.0.0.1",
            GUNICORN_BIND=f"127.0.0.1:{self.web_port}",
            WEB_CONCURRENCY=str(self.workers),
            # Nothing listens there: a membership email fails at once and is recorded as unsent.
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(free_port(PORTS)),
        )
        if self.redis_url:
            environment["REDIS_URL"] = self.redis_url
        return environment

    def manage(self, *args):
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.environment,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if result.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
        return result

    def start_gunicorn(self):
        log = open(self.gunicorn_log, "ab")  # noqa: SIM115 (kept open by the process)
        self.processes.append(
            subprocess.Popen(
                # gunicorn's access log, which production leaves off, so that the tests see which requests
                # reached gunicorn rather than nginx's micro-cache or its files (gunicorn_requests_for).
                [
                    *(sys.executable, "-m", "gunicorn", "ietp_site.wsgi", "--config", str(GUNICORN_CONFIG)),
                    *("--access-logfile", "-"),
                ],
                cwd=ROOT,
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        log.close()

    def stop_gunicorn(self):
        gunicorn = next(process for process in self.processes if "gunicorn" in process.args)
        gunicorn.terminate()
        gunicorn.wait(timeout=30)
        self.processes.remove(gunicorn)

    def restart_gunicorn(self):
        self.start_gunicorn()
        self.wait_until_up()

    def front_variables(self):
        """What compose.yaml's front service sets, with this machine's ports and paths."""
        return {
            "NGINX_SERVER_NAMES": HOST,
            "NGINX_HTTP_PORT": f"127.0.0.1:{self.http_port}",
            "NGINX_HTTPS_PORT": f"127.0.0.1:{self.https_port}",
            "NGINX_UPSTREAM": f"http://127.0.0.1:{self.web_port}",
            "NGINX_RESOLVER": "127.0.0.1",
            "NGINX_CERT_DIR": str(self.workdir / "certs"),
            "NGINX_STATIC_ROOT": str(self.static_root),
            "NGINX_MEDIA_ROOT": str(self.media_root),
            "NGINX_ACME_ROOT": str(self.workdir / "acme"),
            "ADMIN_URL": "admin/",
            "NGINX_CACHE_DIR": str(self.workdir / "nginx-cache"),
            "NGINX_ACCESS_LOG": str(self.front_access_log),
        }

    def start_front(self, nginx):
        make_certificate(self.workdir / "certs")
        temp = self.workdir / "nginx-temp"
        temp.mkdir(exist_ok=True)
        config = render_front_config(self.front_variables())
        if nginx_version(nginx) < HTTP2_DIRECTIVE_SINCE:
            config = with_http2_on_listen(config)
        (self.workdir / "ietp.conf").write_text(config)
        # The http {} the official nginx image wraps around its conf.d/ (so a directive repeated in the template
        # would fail here as it would there), with this stack's own log, pid and temporary files.
        (self.workdir / "nginx.conf").write_text(
            f"""
{"user root;" if os.geteuid() == 0 else ""}
worker_processes 2;
pid {self.workdir}/nginx.pid;
error_log {self.front_error_log} warn;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {self.front_access_log};
    sendfile on;
    keepalive_timeout 65;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {self.workdir}/ietp.conf;
}}
"""
        )
        self.processes.append(
            subprocess.Popen(
                [nginx, "-e", str(self.front_error_log), "-c", str(self.workdir / "nginx.conf"), "-g", "daemon off;"],
                stdout=subprocess.DEVNULL,
                stderr=open(self.front_error_log, "ab"),  # noqa: SIM115
            )
        )
        self.wait_until_up()

    def wait_until_up(self, seconds=60):
        deadline = time.monotonic() + seconds
        while True:
            for process in self.processes:
                if process.poll() is not None:
                    raise RuntimeError(
                        f"{process.args[0]} stopped:\n{self.gunicorn_log.read_text()[-3000:]}\n"
                        f"{self.front_error_log.read_text()[-3000:]}"
                    )
            # gunicorn itself first: nginx may answer from its micro-cache while gunicorn is still starting.
            probes = [("web", {"X-Forwarded-Proto": "https"})] + ([("https", {})] if self.front else [])
            try:
                if all(
                    self.request("GET", "/robots.txt", scheme=scheme, headers=headers, timeout=5).status == 200
                    for scheme, headers in probes
                ):
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("the native stack did not answer /robots.txt")
            time.sleep(0.05)

    def stop(self):
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes = []
        if self.source_database_url and getattr(self, "database_url", "").startswith("postgres"):
            drop_database(self.database_url)

    # --- Talking to it ---------------------------------------------------------------------------------------

    @property
    def base_url(self):
        return f"https://127.0.0.1:{self.https_port}"

    def connection(self, scheme="https", timeout=10):
        if scheme == "https":
            return http.client.HTTPSConnection("127.0.0.1", self.https_port, timeout=timeout, context=client_tls())
        return http.client.HTTPConnection("127.0.0.1", self.http_port if scheme == "http" else self.web_port, timeout)

    def request(self, method, path, *, headers=None, body=None, scheme="https", timeout=10):
        """One request on a new connection: the response, its body read (as `.data`)."""
        connection = self.connection(scheme, timeout)
        try:
            connection.request(method, path, body=body, headers={"Host": HOST, **(headers or {})})
            response = connection.getresponse()
            response.data = response.read()
            return response
        finally:
            connection.close()

    def gunicorn_log_text(self):
        return self.gunicorn_log.read_text(errors="replace")

    def gunicorn_requests_for(self, path_fragment):
        """Lines of gunicorn's access log naming this path: requests that reached the site."""
        return [line for line in self.gunicorn_log_text().splitlines() if path_fragment in line]


@functools.cache
def client_tls():
    """Trusts the stack's self-signed certificate (a test's own): no verification, so no certificate store either.

    One context for every connection: loading the system's store (ssl.create_default_context) took a connection
    20-40 ms of CPU, and the slow-client tests open hundreds."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


# --- Slow clients and load ---------------------------------------------------------------------------------------


def hold_slow_clients(stack, *, idle=20, trickling=20, seconds=10, probe_every=0.5, target=None):
    """Holds `idle` connections open (TLS set up, nothing sent) and `trickling` ones sending a request's headers a
    byte a second, for `seconds`, while a fresh visitor asks for /news/ every `probe_every` seconds.

    `target` is (host, port, tls): the front server by default. Returns the fresh requests' (status, seconds) and
    how many slow connections the server had closed by the end."""
    host, port, tls = target or ("127.0.0.1", stack.https_port, True)
    # The page in the site's cache first: what is measured is the slow clients' effect, not a first render.
    stack.request("GET", "/news/", scheme="web", headers={"X-Forwarded-Proto": "https"}, timeout=30)
    stop = threading.Event()
    closed_by_server = []

    def open_connection():
        raw = socket.create_connection((host, port), timeout=5)
        return client_tls().wrap_socket(raw, server_hostname=HOST) if tls else raw

    def idle_client():
        try:
            with open_connection() as connection:
                connection.settimeout(0.5)
                while not stop.is_set():
                    try:
                        if connection.recv(1024) == b"":
                            closed_by_server.append("idle")
                            return
                    except TimeoutError:
                        continue
        except OSError:
            closed_by_server.append("idle")

    def trickling_client():
        header = f"GET /news/ HTTP/1.1\r\nHost: {HOST}\r\n" + "X-Slow: " + "a" * 1000
        try:
            with open_connection() as connection:
                for byte in header:
                    if stop.wait(1):
                        return
                    connection.sendall(byte.encode())
        except OSError:
            closed_by_server.append("trickling")

    threads = [threading.Thread(target=idle_client, daemon=True) for _ in range(idle)]
    threads += [threading.Thread(target=trickling_client, daemon=True) for _ in range(trickling)]
    for thread in threads:
        thread.start()
    probes = []
    time.sleep(min(2, seconds / 4))  # every slow connection is open before the first fresh visitor comes
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            connection = (
                stack.connection("https", timeout=5) if tls else http.client.HTTPConnection(host, port, timeout=5)
            )
            connection.request("GET", "/news/", headers={"Host": HOST, "X-Forwarded-Proto": "https"})
            response = connection.getresponse()
            response.read()
            connection.close()
            probes.append((response.status, time.monotonic() - started))
        except OSError as error:
            probes.append((type(error).__name__, time.monotonic() - started))
        time.sleep(max(0.0, probe_every - (time.monotonic() - started)))
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
    return probes, len(closed_by_server)


def concurrent_load(stack, *, connections=100, seconds=10, paths=("/news/", "/zh/news/", "/robots.txt")):
    """`connections` clients, each on its own kept-alive TLS connection to the front server, asking for `paths` in
    turn for `seconds`. Returns the count of each status (exceptions by name) and the latencies in seconds."""
    statuses = {}
    latencies = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(number):
        connection = None
        index = number
        while time.monotonic() < deadline:
            path = paths[index % len(paths)]
            index += 1
            started = time.monotonic()
            try:
                connection = connection or stack.connection("https", timeout=30)
                connection.request("GET", path, headers={"Host": HOST, "Accept-Encoding": "gzip"})
                response = connection.getresponse()
                response.read()
                outcome = response.status
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException) as error:
                outcome = type(error).__name__
                if connection:
                    connection.close()
                connection = None
            with lock:
                statuses[outcome] = statuses.get(outcome, 0) + 1
                latencies.append(time.monotonic() - started)
        if connection:
            connection.close()

    threads = [threading.Thread(target=client, args=(number,), daemon=True) for number in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    return statuses, latencies


def worker_timeouts(log_text):
    return log_text.count("WORKER TIMEOUT")
