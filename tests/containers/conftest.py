"""The production stack under a real container engine: the image built from the Dockerfile and compose.yaml started as
an operator would start it, from a copy of this checkout with an .env made from .env.example and a self-signed
certificate (issue 21). `make containers` runs these tests (`pytest -m containers tests/containers`); the engine
comes from ../shared/containers/start-engine (.ci/run starts and stops it).

One stack for the whole module (building and starting it takes most of the time): the tests that only look come
first, the destructive ones (restore on empty volumes, a killed container, a new release) last, and the stack is
always taken down with its volumes at the end.
"""

import http.client
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from testkit.native_stack import HOST, HTTP2_DIRECTIVE_SINCE, client_tls, make_certificate, nginx_version
from testkit.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
# Ports for nginx on the host, clear of the usual services and of the ephemeral range.
PORTS = range(24400, 24900)


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.containers)


class Stack:
    """compose.yaml's stack under one compose project, run from a copy of the checkout in `workdir`."""

    def __init__(self, workdir):
        self.workdir = Path(workdir)
        self.project = f"ietp-ctest-{os.getpid()}-{secrets.token_hex(2)}"
        self.http_port = free_port(PORTS)
        self.https_port = free_port(PORTS)
        self.release = f"ctest-{secrets.token_hex(3)}"
        self.figures = {}

    # --- Setting up, as an operator would -------------------------------------------------------------------

    def copy_checkout(self):
        """Every file git knows of or would add (the working tree as it is, uncommitted changes included)."""
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout.split(b"\0")
        for name in filter(None, (entry.decode() for entry in listed)):
            source = ROOT / name
            if source.is_file():
                (self.workdir / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, self.workdir / name)

    def write_env(self):
        """.env from .env.example, with what an operator must fill in."""
        origin = f"https://{HOST}:{self.https_port}"
        values = {
            "SECRET_KEY": secrets.token_urlsafe(50),
            "POSTGRES_PASSWORD": secrets.token_hex(16),
            "ALLOWED_HOSTS": HOST,
            "CSRF_TRUSTED_ORIGINS": origin,
            "SITE_URL": origin,
            "SERVER_NAMES": HOST,
            "HTTP_PORT": str(self.http_port),
            "HTTPS_PORT": str(self.https_port),
            "RELEASE_ID": self.release,
            # No mail server here: refused at once, and the site keeps the email to send again.
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": "1",
            "MEMBERSHIP_MIN_SECONDS_TO_SUBMIT": "1",
        }
        lines = []
        for line in (self.workdir / ".env.example").read_text().splitlines():
            name = line.partition("=")[0]
            lines.append(f"{name}={values.pop(name)}" if name in values else line)
        assert not values, f"not in .env.example: {values}"
        (self.workdir / ".env").write_text("\n".join(lines) + "\n")

    def standin_override(self):
        """An older nginx (the engine's stand-in for nginx:1.28-alpine is Debian's 1.22) gets the template with the
        `listen ... ssl http2` form it reads; with nginx 1.25.1 or newer the template is used unchanged."""
        from testkit.native_stack import with_http2_on_listen

        image = self.compose_config()["services"]["front"]["image"]
        if nginx_version(["docker", "run", "--rm", image, "nginx", "-v"]) >= HTTP2_DIRECTIVE_SINCE:
            return []
        template = self.workdir / "deploy" / "nginx" / "ietp.conf.template"
        older = template.with_name("ietp.conf.older-nginx.template")
        older.write_text(with_http2_on_listen(template.read_text()))
        override = self.workdir / "compose.older-nginx.yaml"
        override.write_text(
            "services:\n  front:\n    volumes:\n"
            f"      - ./deploy/nginx/{older.name}:/etc/nginx/templates/default.conf.template:ro\n"
        )
        return [override.name]

    def compose_config(self):
        result = self.compose("config", "--format", "json", capture=True)
        return json.loads(result.stdout)

    @property
    def environment(self):
        environment = {**os.environ, "COMPOSE_PROJECT_NAME": self.project}
        environment["COMPOSE_FILE"] = ":".join(["compose.yaml", *getattr(self, "overrides", [])])
        return environment

    # --- Commands -------------------------------------------------------------------------------------------

    def run(self, command, *, capture=True, timeout=600, check=True, environment=None, input=None):
        result = subprocess.run(
            command,
            cwd=self.workdir,
            env={**self.environment, **(environment or {})},
            capture_output=capture,
            text=True,
            timeout=timeout,
            input=input,
        )
        if check and result.returncode:
            raise AssertionError(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def compose(self, *args, **options):
        return self.run(["docker", "compose", *args], **options)

    def manage(self, *args, service="web"):
        """`python manage.py ...` in a running container of `service` (the first compose lists: after a rolling
        release the web containers' numbers no longer start at 1, where `compose exec` looks): its standard
        output."""
        container = self.compose("ps", "-q", service).stdout.split()[0]
        return self.run(["docker", "exec", container, "python", "manage.py", *args]).stdout

    def shell(self, code):
        return self.manage("shell", "-c", code).strip()

    def up(self, *args):
        started = time.monotonic()
        self.compose("up", "-d", "--wait", *args)
        return time.monotonic() - started

    def web_containers(self):
        return self.compose("ps", "-q", "web").stdout.split()

    def logs(self, service, since=None):
        args = ["logs", "--no-log-prefix", "--no-color", *(["--since", since] if since else []), service]
        return self.compose(*args).stdout

    # --- Requests through nginx -----------------------------------------------------------------------------

    def request(self, method, path, *, headers=None, body=None, timeout=15):
        """One request over TLS to nginx on the host's published port, naming the site's host: the response, its
        body read (as `.data`)."""
        connection = http.client.HTTPSConnection("127.0.0.1", self.https_port, context=client_tls(), timeout=timeout)
        try:
            connection.request(
                method, path, body=body, headers={"Host": f"{HOST}:{self.https_port}", **(headers or {})}
            )
            response = connection.getresponse()
            response.data = response.read()
            return response
        finally:
            connection.close()

    def wrk(self, path, connections=8, headers=()):
        """wrk through nginx over TLS, started, until wrk_results stops it (or for at most two minutes). A request
        unanswered after 10 s counts as a socket error (wrk's own 2 s would count a busy shared machine's slow
        answers as failures)."""
        command = ["wrk", "-t2", f"-c{connections}", "-d120s", "--timeout", "10s", "--latency"]
        for header in (f"Host: {HOST}:{self.https_port}", *headers):
            command += ["-H", header]
        return subprocess.Popen(
            [*command, f"https://127.0.0.1:{self.https_port}{path}"], stdout=subprocess.PIPE, text=True
        )

    @staticmethod
    def wrk_results(process):
        """Stops a wrk() run (on SIGINT wrk reports what it measured until then) and returns what it gave."""
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=30)[0]
        requests = int(re.search(r"(\d+) requests in", output)[1])
        non_success = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
        socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
        return {
            "requests": requests,
            "non_2xx_3xx": int(non_success[1]) if non_success else 0,
            "socket_errors": sum(map(int, socket_errors.groups())) if socket_errors else 0,
            "p99": re.search(r"99%\s+(\S+)", output)[1],
            "max": re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", output)[1],
            "output": output,
        }


def engine_ready():
    return shutil.which("docker") and subprocess.run(["docker", "info"], capture_output=True).returncode == 0


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    if not engine_ready():
        pytest.fail("no container engine: run ../shared/containers/start-engine from the project's root first")
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], capture_output=True, check=False)
    running = Stack(tmp_path_factory.mktemp("containers"))
    running.copy_checkout()
    running.write_env()
    make_certificate(running.workdir / "certs")
    running.overrides = []
    running.overrides = running.standin_override()
    try:
        started = time.monotonic()
        running.compose("build")
        running.figures["build seconds"] = round(time.monotonic() - started, 1)
        running.figures["up seconds"] = round(running.up(), 1)
        running.manage("load_seed_stories", "--if-empty")
        yield running
    finally:
        print(f"\nfigures: {json.dumps(running.figures)}")
        if os.environ.get("CONTAINERS_KEEP_STACK") != "1":
            running.compose("down", "-v", "--remove-orphans", "--timeout", "10", check=False, timeout=300)
            listing = ["docker", "image", "ls", "--format", "{{.Repository}}:{{.Tag}}"]
            images = running.run([*listing, "--filter", f"reference=ietp-site:{running.release}*"]).stdout.split()
            if images:
                running.run(["docker", "image", "rm", "-f", *images], check=False)
