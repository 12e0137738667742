"""Servers a test starts for itself and really stops: a PostgreSQL cluster, gunicorn and redis-server, on ports of
their own (the machine's PostgreSQL on 5432 and Redis on 6379 are never touched). bench/db_outage.py uses them too."""

import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from testkit.gunicorn_ready import ReadyWorkers
from testkit.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"
# These servers listen here, clear of the machine's services and of other suites' random ports.
SERVER_PORTS = range(
    int(os.environ.get("FAULT_TEST_PORTS_FROM", "18700")), int(os.environ.get("FAULT_TEST_PORTS_TO", "18800"))
)


def as_postgres_user(command):
    """initdb and the server refuse to run as root: as root, run them as the `postgres` user."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


class PostgresCluster:
    """A throwaway cluster in a directory under /tmp, trusting local connections, stopped and started at will."""

    def __init__(self, port=None):
        # A directory of its own under /tmp: the `postgres` user cannot enter a test's private temporary directory.
        self.directory = Path(tempfile.mkdtemp(prefix="ietp-postgres-"))
        self.data = self.directory / "data"
        self.port = port or free_port(SERVER_PORTS)
        self.log = self.directory / "postgres.log"

    @staticmethod
    def tools_missing():
        return [tool for tool in ("initdb", "pg_ctl") if not shutil.which(tool)]

    def create(self):
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
        self.start()
        return self

    def _run(self, *command):
        result = subprocess.run(as_postgres_user(list(command)), capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {result.stdout}{result.stderr}")

    def start(self):
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self):
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def destroy(self):
        stop = ["pg_ctl", "-D", str(self.data), "-m", "immediate", "stop"]
        subprocess.run(as_postgres_user(stop), capture_output=True, timeout=60)
        shutil.rmtree(self.directory, ignore_errors=True)

    def url(self, database="postgres"):
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"


def site_env(directory, database_url, **extra):
    """The environment of a site process: the test settings (production settings with email kept in memory and
    static files served from static/) on this database, a file cache of its own shared by its workers."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DEBUG", "REDIS_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="ietp_site.test_settings",
        SECRET_KEY="fault-test-only-secret-key-" + "x" * 40,
        DATABASE_URL=database_url,
        CACHE_DIR=str(Path(directory) / "cache"),
        MEDIA_ROOT=str(Path(directory) / "media"),
        MEMBERSHIP_MIN_SECONDS_TO_SUBMIT="0",
        MEMBERSHIP_SUBMISSIONS_PER_IP="1000",
        # The tests' probes all come from 127.0.0.1, many a second.
        SEARCHES_PER_MINUTE="100000",
    )
    env.update(extra)
    return env


def manage(env, *args):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


class Gunicorn:
    """The production server, two sync workers, as deployed; start() returns once every worker has loaded the site."""

    def __init__(self, env, port=None, workers=2, app="ietp_site.wsgi", timeout=30):
        self.env = env
        self.app = app
        self.port = port or free_port(SERVER_PORTS)
        self.workers = workers
        self.timeout = timeout
        self.process = None

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, log_path):
        return self.launch(log_path).wait_until_up()

    def launch(self, log_path):
        """Starts gunicorn without waiting for it: several start side by side, then wait_until_up()."""
        self.log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.ready = ReadyWorkers(tempfile.mkdtemp(prefix="workers-ready-", dir=Path(log_path).parent))
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                self.app,
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--timeout",
                str(self.timeout),
                *ReadyWorkers.arguments,
            ],
            cwd=ROOT,
            env={**self.env, **self.ready.env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        return self

    def wait_until_up(self):
        """Until every worker has loaded the site and the site answers."""
        self.ready.wait(self.process, self.workers)
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{self.base_url}/robots.txt", timeout=5)
                return self
            except (OSError, urllib.error.HTTPError):
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.05)

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            self.log.close()


def redis_cache(url):
    """The CACHES setting for the site's cache on the Redis server at `url`, quick to notice that it is gone."""
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }


def redis_is_up(url):
    import redis

    try:
        return redis.Redis.from_url(url, socket_connect_timeout=0.25).ping()
    except redis.exceptions.RedisError:
        return False
