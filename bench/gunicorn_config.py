"""Does deploy/gunicorn.conf.py pay for itself? The site served by plain gunicorn and by gunicorn with the
project's settings, in the same run (see bench/README.md, "gunicorn's settings").

    .venv/bin/python -m bench.gunicorn_config [--workers 2] [--seconds 5] [--rounds 3] [--leak-requests 10000] \
        2>/dev/null

Run from the project's root with Debian's wrk installed (apt-get install wrk). It builds the throwaway site of
bench/throughput.py (SQLite, 12 illustrated and 10 older stories, files as the shared cache) and serves it from four
gunicorn servers with --workers sync workers each, all with production settings:

- plain: `gunicorn ietp_site.wsgi` and nothing else (no access log, no worker recycling, gunicorn's defaults);
- before: the settings as they were before issue 21 (the same file with an access log to a file and a worker
  replaced after 2,000 requests, ±200);
- now + access log, now + recycling (GUNICORN_MAX_REQUESTS=2000), now, heartbeat on disk (--worker-tmp-dir in the
  temporary directory instead of /dev/shm): each of the old settings alone;
- now: deploy/gunicorn.conf.py as it is.

Then, --rounds times, each server in turn (the order rotating), wrk from --connections connections for --seconds on
a cached story page (the commonest request: what a per-request cost shows most on): requests a second, p50, p99,
and CPU per request of the server's processes (master and workers from /proc, replaced workers too). Last, whether
there is a leak for recycling to stop: --leak-requests uncached requests (every page rendered, the four kinds of
page in turn) to a fifth server, "now" with PAGE_CACHE=0, and each worker's resident memory before, half-way and
after.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from bench.throughput import CLOCK_TICKS, ROOT, Server, build_site, run_wrk, server_port, site_environment

CONFIG = ROOT / "deploy" / "gunicorn.conf.py"
STORY = "/news/factory-visit-12/"
UNCACHED_PAGES = ["/news/", "/zh/news/", STORY, "/buyer-membership/"]


class GunicornServer(Server):
    def cpu_seconds(self):
        """The live processes' CPU time and that of the workers already replaced (the master's reaped children)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return super().cpu_seconds() + (int(fields[13]) + int(fields[14])) / CLOCK_TICKS  # cutime, cstime


def gunicorn(environment, options, name, arguments=(), extra_environment=None, page_cache=True):
    port = server_port(options)
    command = [
        *(sys.executable, "-m", "gunicorn", "ietp_site.wsgi"),
        *arguments,
        *("--workers", str(options.workers), "--bind", f"127.0.0.1:{port}"),
    ]
    server_environment = {**environment, **(extra_environment or {}), "PAGE_CACHE": "1" if page_cache else "0"}
    server = GunicornServer(command, server_environment, port)
    server.name = name
    return server


def worker_memory_mb(server):
    return sorted(round(rss / 2**20, 1) for rss in server.worker_memory().values())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers per server")
    parser.add_argument("--connections", type=int, default=4, help="wrk's open connections")
    parser.add_argument("--seconds", type=int, default=5, help="seconds of each wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each server, interleaved")
    parser.add_argument("--leak-requests", type=int, default=10000, help="uncached requests for the memory check")
    parser.add_argument("--ports", help="serve only on ports in this range, e.g. 18200-18299 (else any free one)")
    options = parser.parse_args()
    first, _, last = (options.ports or "").partition("-")
    options.unused_ports = list(range(int(first), int(last) + 1)) if options.ports else []
    if not shutil.which("wrk"):
        sys.exit("bench.gunicorn_config needs wrk: apt-get install wrk")

    with tempfile.TemporaryDirectory(prefix="ietp-bench-gunicorn-") as directory:
        workdir = Path(directory)
        environment = site_environment(workdir, None, None)
        environment.pop("DJANGO_SETTINGS_MODULE")  # the site's own settings, as in the image
        # The request log as in production, for all five (on standard error: 2>/dev/null keeps it off the screen).
        environment["LOG_LEVEL"] = "INFO"
        build_site({**environment, "DJANGO_SETTINGS_MODULE": "bench.settings"}, workdir, 10, None)
        access_log = workdir / "access.log"
        config = ("--config", str(CONFIG))
        servers = [
            gunicorn(environment, options, "plain"),
            gunicorn(
                environment,
                options,
                "before",
                (*config, "--access-logfile", str(access_log)),
                {"GUNICORN_MAX_REQUESTS": "2000"},
            ),
            gunicorn(environment, options, "now + access log", (*config, "--access-logfile", str(access_log))),
            gunicorn(environment, options, "now + recycling", config, {"GUNICORN_MAX_REQUESTS": "2000"}),
            gunicorn(environment, options, "now, heartbeat on disk", (*config, "--worker-tmp-dir", str(workdir))),
            gunicorn(environment, options, "now", config),
        ]
        leak = gunicorn(environment, options, "now, uncached", config, page_cache=False)
        try:
            for server in [*servers, leak]:
                server.wait_until_up(STORY)
            print(
                f"{options.workers} sync workers per server; wrk -c{options.connections} -d{options.seconds}s on "
                f"{STORY} (cached), {options.rounds} rounds\n"
            )
            runs = {server.name: [] for server in servers}
            for round_number in range(options.rounds):
                order = servers[round_number % len(servers) :] + servers[: round_number % len(servers)]
                for server in order:
                    runs[server.name].append(run_wrk(server, STORY, options))
                print(f"  round {round_number + 1} of {options.rounds} done", flush=True)
            print("\n| server | requests/s | p50 | p99 | CPU per request | errors |")
            print("| --- | ---: | ---: | ---: | ---: | ---: |")
            for server in servers:
                server_runs = runs[server.name]
                requests = sum(run["requests"] for run in server_runs)
                print(
                    f"| {server.name} | {requests / sum(run['seconds'] for run in server_runs):,.0f} | "
                    f"{statistics.median(run['p50'] for run in server_runs) * 1000:.1f} ms | "
                    f"{statistics.median(run['p99'] for run in server_runs) * 1000:.1f} ms | "
                    f"{sum(run['cpu'] for run in server_runs) / requests * 1000:.2f} ms | "
                    f"{sum(run['errors'] for run in server_runs)} |"
                )
            measure_memory(leak, options)
        finally:
            for server in [*servers, leak]:
                server.stop()


def measure_memory(server, options):
    """Each worker's resident memory while it renders --leak-requests uncached pages, in two halves."""
    per_page = max(1, options.leak_requests // 2 // len(UNCACHED_PAGES))
    print(f"\nMemory (RSS) of the workers of 'now' with PAGE_CACHE=0, {options.leak_requests:,} requests of 4 pages:")
    print(f"  after start-up and warm-up: {worker_memory_mb(server)} MB")
    for half in ("half-way", "at the end"):
        for path in UNCACHED_PAGES:
            done = 0
            while done < per_page:
                run = run_wrk(server, path, options, seconds=2)
                done += run["requests"]
        print(f"  {half}: {worker_memory_mb(server)} MB")


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
