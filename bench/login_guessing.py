"""What password guessers at the admin's login cost the public pages (see bench/README.md).

    .venv/bin/python -m bench.login_guessing [--guessers 8] [--seconds 20] [--workers 2] [--port 18500]

Run from the project's root. It builds a throwaway site (SQLite and the page cache in a temporary directory, the
seed stories, one editor whose password is hashed with the production hasher, PBKDF2), serves it with gunicorn and
production settings (DEBUG off) on 127.0.0.1, and times /news/ from one client, one request after another:

1. alone, for --seconds;
2. while --guessers clients post wrong passwords for one username to /admin/login/ as fast as they are answered,
   with the lock-out off (AXES_ENABLED=0: the site as it was before django-axes; every guess is hashed);
3. the same with the lock-out on (five failures lock the username-and-address pair; later guesses are refused
   before hashing);
4. with the lock-out on, each guesser trying a new username every time (the per-address ceiling refuses them).

Each phase runs on a fresh server and database of failures. Loops are bounded by time and by a request count.
Prints, per phase: /news/ median and 90th-percentile latency and requests answered, and the guesses answered with
their status codes.
"""

import argparse
import http.client
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "the editor's long passphrase"
MAX_REQUESTS_PER_CLIENT = 20_000


def site_environment(folder, lockout):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.login_settings",
        "SECRET_KEY": "bench-login-guessing-" + "x" * 40,
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "CACHE_DIR": str(folder / "cache"),
        "STATIC_ROOT": str(folder / "static"),
        "MEDIA_ROOT": str(folder / "media"),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "BENCH_LOCKOUT": "1" if lockout else "0",
        "LOG_LEVEL": "ERROR",
    }


def build_site(folder):
    environment = site_environment(folder, lockout=True)
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--no-input", "-v0"], ["collectstatic", "--no-input", "-v0"], ["load_seed_stories"]):
        subprocess.run([*manage, *command], env=environment, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    create_editor = (
        "from django.contrib.auth import get_user_model; "
        f"get_user_model().objects.create_user('editor', 'editor@example.org', {PASSWORD!r}, is_staff=True)"
    )
    subprocess.run([*manage, "shell", "-c", create_editor], env=environment, check=True, cwd=ROOT)


def reset_failures(folder):
    subprocess.run(
        [sys.executable, "manage.py", "axes_reset"],
        env=site_environment(folder, lockout=True),
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )


class Server:
    def __init__(self, folder, port, workers, lockout):
        command = [
            str(Path(sys.executable).parent / "gunicorn"),
            "ietp_site.wsgi",
            f"--workers={workers}",
            f"--bind=127.0.0.1:{port}",
            "--log-level=warning",
        ]
        self.port = port
        # The server's log (a line per refused guess) stays out of the figures.
        self.log = open(folder / "gunicorn.log", "a")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            command, env=site_environment(folder, lockout), cwd=ROOT, stdout=self.log, stderr=self.log
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if get(port, "/news/")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer within 30 s")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def get(port, path, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read(), response.getheader("Set-Cookie", "")
    finally:
        connection.close()


def post(port, path, body, headers):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(
            "POST", path, body=body, headers={**headers, "Content-Type": "application/x-www-form-urlencoded"}
        )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def guesser(port, number, rotate_usernames, stop, statuses):
    # The login form's CSRF token and cookie, as a browser (or a script imitating one) would get them.
    _status, page, set_cookie = get(port, "/admin/login/")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
    cookie = re.search(r"csrftoken=([^;]+)", set_cookie).group(1)
    headers = {"Cookie": f"csrftoken={cookie}"}
    for attempt in range(MAX_REQUESTS_PER_CLIENT):
        if stop.is_set():
            break
        username = f"guess-{number}-{attempt}" if rotate_usernames else "editor"
        body = urlencode(
            {"csrfmiddlewaretoken": token, "username": username, "password": f"guess {attempt}", "next": "/admin/"}
        )
        statuses[post(port, "/admin/login/?next=/admin/", body, headers)] += 1


def time_news(port, seconds):
    latencies = []
    deadline = time.monotonic() + seconds
    for _request in range(MAX_REQUESTS_PER_CLIENT):
        if time.monotonic() > deadline:
            break
        started = time.monotonic()
        status, _body, _cookie = get(port, "/news/")
        assert status == 200, status
        latencies.append(time.monotonic() - started)
    return latencies


def phase(folder, arguments, lockout, guessers, rotate_usernames=False):
    reset_failures(folder)
    server = Server(folder, arguments.port, arguments.workers, lockout)
    try:
        time_news(server.port, 1)  # warm the page cache and the workers
        stop = threading.Event()
        statuses = Counter()
        threads = [
            threading.Thread(target=guesser, args=(server.port, number, rotate_usernames, stop, statuses))
            for number in range(guessers)
        ]
        for thread in threads:
            thread.start()
        latencies = time_news(server.port, arguments.seconds)
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
        return latencies, statuses
    finally:
        server.stop()


def report(name, latencies, statuses, baseline_median=None):
    median = statistics.median(latencies)
    p90 = statistics.quantiles(latencies, n=10)[-1] if len(latencies) > 1 else median
    slower = f" ({median / baseline_median:.1f}× alone)" if baseline_median else ""
    guesses = ", ".join(f"{count} × {status}" for status, count in sorted(statuses.items())) or "none"
    print(
        f"{name:<52} /news/ median {median * 1000:7.1f} ms{slower}, p90 {p90 * 1000:7.1f} ms, "
        f"{len(latencies)} answered; guesses: {guesses}"
    )
    return median


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--guessers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=18500)
    arguments = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ietp-login-guessing-"))
    try:
        build_site(folder)
        alone, none = phase(folder, arguments, lockout=True, guessers=0)
        baseline = report("/news/ alone", alone, none)
        for name, lockout, rotate in [
            (f"{arguments.guessers} guessers, lock-out off (before)", False, False),
            (f"{arguments.guessers} guessers, lock-out on", True, False),
            (f"{arguments.guessers} guessers, new username each guess", True, True),
        ]:
            latencies, statuses = phase(folder, arguments, lockout, arguments.guessers, rotate)
            report(name, latencies, statuses, baseline)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
