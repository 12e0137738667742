"""Requests per second, latency and CPU per request of the site's pages as deployed, with and without the page
cache, beside two references on the same stack (see bench/README.md).

    .venv/bin/python -m bench.throughput [--older-stories 10] [--workers 2] [--seconds 3] [--rounds 3]
    .venv/bin/python -m bench.throughput --database-url postgres://postgres@127.0.0.1:5432/name --scale 10000
    .venv/bin/python -m bench.throughput --redis-url redis://127.0.0.1:6379/5 --ports 18200-18299

Run from the project's root, with Debian's wrk and nginx installed (apt-get install wrk nginx-light). It builds a
throwaway site: a SQLite database in a temporary directory, or with --database-url a PostgreSQL database beside
the one named (`<name>_bench_throughput`, dropped at the end); 12 illustrated stories (testkit/stories.py) and
--older-stories plain ones (10: 22 stories in all); collectstatic into a temporary STATIC_ROOT. The shared cache is
a directory of the temporary site, or the Redis database --redis-url names (emptied).

It serves the site with production settings (DEBUG off, SECRET_KEY set, ALLOWED_HOSTS=127.0.0.1,
SECURE_SSL_REDIRECT=0, bench.settings: ietp_site.settings plus one address) from two gunicorn servers with the same
number of sync workers: one with the page cache (PAGE_CACHE=1, "cached"), one without it (PAGE_CACHE=0,
"uncached": every request renders its page; story cards still come from the shared cache, as on a miss). nginx,
with as many workers, is the front web server of the static reference. Then, --rounds times, each target in turn
(the order rotating), wrk sends requests from --connections connections for --seconds seconds, with
Accept-Encoding: gzip as browsers send it:

- /news/, /zh/news/, a story page and the membership form, cached and uncached;
- reference: /bench/constant/, a Django view answering the news list's HTML as a constant through the same
  middleware (so also compressed): what a page costs when it renders nothing;
- reference: the same HTML as a static file from nginx (gzip_static, compressed beforehand);
- reference: gunicorn serving a WSGI application that does nothing (bench/bare_wsgi.py): what any request to
  gunicorn costs, its floor; the 304's share of the cached story's CPU is printed with both above it.

Requests per second are the target's requests over its seconds; p50 and p99 are the medians of wrk's percentiles
over the rounds; CPU per request is the CPU time (user + system, from /proc) of the server's processes (gunicorn's
or nginx's, not wrk's, the database's or Redis's) over the requests answered. Each page's ratio to the constant
view's CPU per request is printed. With --scale N, it then adds stories to reach N older ones, restarts both
servers and measures again, printing each page's requests per second at N as a share of those with fewer.

Then, from the uncached server: the sitemap index and every sitemap page, a few times each (CPU per request, the
worst page), and how much each worker's memory (RSS) grew while serving them all. Last, a spike on the cached
server: --spike-connections (100) connections for --spike-seconds (60) on the story page, with its errors and
p50/p99 latency (wrk's timeout is 10 s, so a slow answer counts in p99 rather than as a socket error).

--ports FIRST-LAST keeps the servers on ports in that range (on a machine shared with others); otherwise any free
port is used.

Gunicorn's sync workers close the connection after each response; nginx keeps it open. wrk runs on the same
machine and takes CPU from the servers: compare ratios rather than absolute figures on a busy machine.
"""

import argparse
import contextlib
import datetime
import gzip
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from testkit.native_stack import database_beside, drop_database
from testkit.ports import free_port
from testkit.stories import illustrated_stories, many_stories

ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGES = [
    ("/news/", "news list"),
    ("/zh/news/", "news list, Chinese"),
    ("/news/factory-visit-12/", "story page"),
    ("/buyer-membership/", "membership form"),
]
CONSTANT = ("/bench/constant/", "reference: constant view")
REVALIDATED = ("/news/factory-visit-12/", "story page, revalidated")
GZIP = {"Accept-Encoding": "gzip"}
STATIC = ("/news.html", "reference: static file (nginx)")
BARE = ("/", "reference: gunicorn, no work")
NGINX_CONF = """
worker_processes {workers};
pid {prefix}/nginx.pid;
error_log {prefix}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    types {{ text/html html; }}
    client_body_temp_path {prefix}/client; proxy_temp_path {prefix}/proxy; fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi; scgi_temp_path {prefix}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        gzip_static on;
    }}
}}
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--older-stories", type=int, default=10, help="plain stories besides the 12 illustrated")
    parser.add_argument("--scale", type=int, help="then measure again with this many older stories")
    parser.add_argument("--database-url", help="a PostgreSQL server: the database is made beside the one named")
    parser.add_argument("--redis-url", help="the shared cache in this Redis database (emptied) instead of files")
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="gunicorn sync workers, nginx workers")
    parser.add_argument("--connections", type=int, default=4, help="wrk's open connections")
    parser.add_argument("--seconds", type=int, default=3, help="seconds of each wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each target, interleaved")
    parser.add_argument("--sitemap-passes", type=int, default=5, help="requests of each sitemap page")
    parser.add_argument("--spike-connections", type=int, default=100, help="connections of the spike on a story")
    parser.add_argument("--spike-seconds", type=int, default=60, help="length of the spike (0: none)")
    parser.add_argument("--ports", help="serve only on ports in this range, e.g. 18200-18299 (else any free one)")
    options = parser.parse_args()
    first, _, last = (options.ports or "").partition("-")
    options.unused_ports = list(range(int(first), int(last) + 1)) if options.ports else []
    for program in ("wrk", "nginx"):
        if not shutil.which(program) and not Path("/usr/sbin", program).exists():
            sys.exit(f"bench.throughput needs {program}: apt-get install wrk nginx-light")

    with tempfile.TemporaryDirectory(prefix="ietp-bench-") as directory:
        workdir = Path(directory)
        database_url = database_beside(options.database_url, "bench_throughput") if options.database_url else None
        try:
            environment = site_environment(workdir, database_url, options.redis_url)
            print(describe_machine(options, environment))
            build_site(environment, workdir, options.older_stories, options.redis_url)
            first = measure(environment, workdir, options, options.older_stories)
            if options.scale:
                add_older_stories(options.older_stories, options.scale - options.older_stories)
                second = measure(environment, workdir, options, options.scale)
                compare(first, second, options)
        finally:
            if database_url:
                drop_database(database_url)


# --- The site ------------------------------------------------------------------------------------------------


def site_environment(workdir, database_url, redis_url):
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "0",
        "SECRET_KEY": "throughput-benchmark-only-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url or f"sqlite:///{workdir / 'db.sqlite3'}",
        "MEDIA_ROOT": str(workdir / "media"),
        "STATIC_ROOT": str(workdir / "static"),
        "MEDIA_STORAGE": "filesystem",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
        "CACHE_DIR": str(workdir / "cache"),
        "BENCH_CONSTANT_HTML": str(workdir / "html" / "news.html"),
    }
    if redis_url:
        environment["REDIS_URL"] = redis_url
    return environment


def build_site(environment, workdir, older_stories, redis_url):
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v0"], env=environment, check=True, cwd=ROOT)
    subprocess.run([*manage, "collectstatic", "--no-input", "-v0"], env=environment, check=True, cwd=ROOT)
    # This process builds the stories: one connection, not a pool, so the database can be dropped at the end.
    os.environ.update({**environment, "PAGE_CACHE": "0", "DATABASE_POOL": "0", "BENCH_CONSTANT_HTML": ""})
    import django

    django.setup()
    from django.core.cache import cache
    from django.test import Client

    from news.models import start_of_day

    if redis_url:
        cache.clear()
    print(f"Building 12 illustrated stories and {older_stories} older ones...")
    many_stories(older_stories, newest=start_of_day(datetime.date(2023, 9, 30)))
    illustrated_stories(12)
    analyse_tables()
    # The constant view's answer and the static file: the news list as the site renders it.
    html = Client(HTTP_HOST="127.0.0.1").get("/news/").content
    (workdir / "html").mkdir()
    (workdir / "html" / "news.html").write_bytes(html)
    (workdir / "html" / "news.html.gz").write_bytes(gzip.compress(html, compresslevel=6, mtime=0))


@contextlib.contextmanager
def site_in_process(database_url, redis_url, older_stories, database_name):
    """A throwaway site built (build_site) and set up in this process, for benchmarks that call its WSGI application
    here; with database_url, a PostgreSQL database `<name>_<database_name>` beside the one named, dropped at the end."""
    with tempfile.TemporaryDirectory(prefix="ietp-bench-") as directory:
        workdir = Path(directory)
        database = database_beside(database_url, database_name) if database_url else None
        try:
            build_site(site_environment(workdir, database, redis_url), workdir, older_stories, redis_url)
            yield workdir
        finally:
            if database:
                from django.db import connections

                connections.close_all()
                drop_database(database)


def add_older_stories(existing, count):
    from django.core.cache import cache

    from news.models import NewsStory, start_of_day

    print(f"\nAdding {count} older stories...")
    oldest = NewsStory.objects.filter(publish_at__isnull=False).order_by("publish_at").first().publish_at
    many_stories(count, newest=start_of_day(oldest.date() - datetime.timedelta(days=1)), first=existing)
    analyse_tables()
    # The stories were written in bulk, which tells the page cache nothing: start it afresh.
    cache.clear()


def analyse_tables():
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


# --- Servers -------------------------------------------------------------------------------------------------


class Server:
    """A server started here, its processes' CPU time and memory read from /proc."""

    def __init__(self, command, environment, port):
        self.port = port
        self.process = subprocess.Popen(command, env=environment, cwd=ROOT)

    def pids(self):
        master = self.process.pid
        children = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == master:
                    children.append(int(entry.name))
        return [master, *children]

    def cpu_seconds(self):
        total = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / CLOCK_TICKS

    def worker_memory(self):
        """{worker pid: resident memory in bytes}."""
        memory = {}
        for pid in self.pids()[1:]:
            status = Path(f"/proc/{pid}/status").read_text()
            memory[pid] = int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) * 1024
        return memory

    def wait_until_up(self, path):
        for _attempt in range(240):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5)
                return
            except OSError:
                time.sleep(0.25)
        raise RuntimeError(f"the server on port {self.port} did not start")

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def server_port(options):
    """A port nothing listens on, from --ports when given (a shared machine gives each user a range)."""
    while options.unused_ports:
        port = options.unused_ports.pop(0)  # never handed out twice: a server may not be listening yet
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    if options.ports:
        raise RuntimeError(f"no free port left in --ports {options.ports}")
    return free_port()


def gunicorn(environment, options, page_cache, application="media_wsgi:application"):
    port, workers = server_port(options), options.workers
    command = [
        *(sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}"),
        *("--pythonpath", f"{ROOT},{ROOT / 'bench'}", "--log-level", "warning", application),
    ]
    return Server(command, {**environment, "PAGE_CACHE": "1" if page_cache else "0"}, port)


def nginx(workdir, options):
    port, workers = server_port(options), options.workers
    prefix = workdir / "nginx"
    prefix.mkdir(exist_ok=True)
    # nginx's workers run as an unprivileged user: they must be able to read the file.
    for path in (workdir, workdir / "html", *(workdir / "html").iterdir()):
        path.chmod(0o755)
    conf = prefix / "nginx.conf"
    conf.write_text(NGINX_CONF.format(workers=workers, prefix=prefix, port=port, root=workdir / "html"))
    nginx_program = shutil.which("nginx") or "/usr/sbin/nginx"
    command = [nginx_program, "-c", str(conf), "-p", str(prefix), "-e", str(prefix / "error.log"), "-g", "daemon off;"]
    return Server(command, os.environ, port)


# --- Measuring -----------------------------------------------------------------------------------------------


def measure(environment, workdir, options, older_stories):
    print(f"\nServing 12 illustrated and {older_stories} older stories: {options.workers} workers per server")
    cached, uncached = gunicorn(environment, options, page_cache=True), gunicorn(environment, options, page_cache=False)
    front = nginx(workdir, options)
    bare = gunicorn(environment, options, page_cache=False, application="bare_wsgi:application")
    servers = [cached, uncached, front, bare]
    try:
        for server, path in [(cached, "/news/"), (uncached, "/news/"), (front, STATIC[0]), (bare, BARE[0])]:
            server.wait_until_up(path)
        targets = [(CONSTANT, uncached, "reference"), (STATIC, front, "reference"), (BARE, bare, "reference")]
        for page in PAGES:
            targets += [(page, cached, "cached"), (page, uncached, "uncached")]
        targets.append((REVALIDATED, cached, "304"))
        for (path, _label), server, _kind in targets:
            for _warm_up in range(4 * options.workers):  # templates compiled, pages and cards cached
                urllib.request.urlopen(f"http://127.0.0.1:{server.port}{path}", timeout=30).read()
        # A browser's revalidation of the story page it already has (If-None-Match with the page's ETag).
        story = urllib.request.Request(f"http://127.0.0.1:{cached.port}{REVALIDATED[0]}", headers=GZIP)
        options.revalidation_headers = {"If-None-Match": urllib.request.urlopen(story, timeout=30).headers["ETag"]}
        runs = {index: [] for index in range(len(targets))}
        for round_number in range(options.rounds):
            order = list(range(len(targets)))
            order = order[round_number % len(order) :] + order[: round_number % len(order)]
            for index in order:
                (path, _label), server, kind = targets[index]
                headers = options.revalidation_headers if kind == "304" else {}
                runs[index].append(run_wrk(server, path, options, headers=headers))
            print(f"  round {round_number + 1} of {options.rounds} done", flush=True)
        rows = [summarise(target, runs[index]) for index, target in enumerate(targets)]
        report(rows)
        report_revalidation(rows)
        sitemaps = measure_sitemaps(uncached, options)
        spike = measure_spike(cached, options) if options.spike_seconds else None
    finally:
        for server in servers:
            server.stop()
    return {"rows": rows, "sitemaps": sitemaps, "spike": spike}


def run_wrk(server, path, options, connections=None, seconds=None, retried=False, headers=None):
    url = f"http://127.0.0.1:{server.port}{path}"
    connections, seconds = connections or options.connections, seconds or options.seconds
    threads = 2 if connections >= 2 * os.cpu_count() else 1
    command = [*("wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency")]
    command += ["-H", "Accept-Encoding: gzip", *(f"-H{name}: {value}" for name, value in (headers or {}).items()), url]
    cpu_before = server.cpu_seconds()
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    cpu = server.cpu_seconds() - cpu_before
    requests = int(re.search(r"(\d+) requests in ([\d.]+)(\w+)", output).group(1))
    duration = wrk_seconds(*re.search(r"requests in ([\d.]+)(\w+)", output).groups())
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    latency = {
        percent: wrk_seconds(value, unit)
        for percent, value, unit in re.findall(r"^\s+(50|99)\.?0*%\s+([\d.]+)(\w+)\s*$", output, re.MULTILINE)
    }
    if set(latency) != {"50", "99"}:
        if retried:
            raise RuntimeError(f"wrk's answer for {url} has no 50% and 99% latency:\n{output}")
        print(f"wrk's answer for {url} has no 50% and 99% latency, trying again:\n{output}", file=sys.stderr)
        return run_wrk(server, path, options, connections, seconds, retried=True, headers=headers)
    return {
        "requests": requests,
        "seconds": duration,
        "cpu": cpu,
        "p50": latency["50"],
        "p99": latency["99"],
        "errors": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def wrk_seconds(value, unit):
    return float(value) * {"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60}[unit]


def summarise(target, runs):
    (path, label), _server, kind = target
    requests = sum(run["requests"] for run in runs)
    return {
        "path": path,
        "label": label,
        "kind": kind,
        "rate": requests / sum(run["seconds"] for run in runs),
        "p50": statistics.median(run["p50"] for run in runs),
        "p99": statistics.median(run["p99"] for run in runs),
        "cpu": sum(run["cpu"] for run in runs) / requests,
        "errors": sum(run["errors"] for run in runs),
        "socket_errors": "; ".join(run["socket_errors"] for run in runs if run["socket_errors"]),
    }


def measure_sitemaps(server, options):
    """CPU per request of the sitemap index and of each sitemap page, and each worker's memory growth."""
    base = f"http://127.0.0.1:{server.port}"
    index = urllib.request.urlopen(base + "/sitemap.xml", timeout=60).read().decode()
    pages = [urlsplit(location).path for location in re.findall(r"<loc>([^<]+)</loc>", index)]
    memory_before = server.worker_memory()
    cpu = {}
    for path in ["/sitemap.xml", *pages]:
        started = server.cpu_seconds()
        for _pass in range(options.sitemap_passes):
            request = urllib.request.Request(base + path, headers={"Accept-Encoding": "gzip"})
            with urllib.request.urlopen(request, timeout=60) as response:
                assert response.status == 200, (path, response.status)
                response.read()
        cpu[path] = (server.cpu_seconds() - started) / options.sitemap_passes
    memory_after = server.worker_memory()
    growth = {pid: memory_after[pid] - memory_before[pid] for pid in memory_before if pid in memory_after}
    worst = max(cpu, key=cpu.get)
    print(
        f"\nSitemap (uncached server): the index and {len(pages)} pages, {options.sitemap_passes} requests each: "
        f"the costliest, {worst}, {cpu[worst] * 1000:.1f} ms of CPU a request; index "
        f"{cpu['/sitemap.xml'] * 1000:.1f} ms"
    )
    print(
        "  each worker's memory grew by "
        + ", ".join(f"{bytes_growth / 2**20:.1f} MB" for bytes_growth in growth.values())
        + f" (resident: {', '.join(f'{size / 2**20:.0f} MB' for size in memory_after.values())})"
    )
    return {"cpu": cpu, "growth": growth}


def measure_spike(server, options):
    """A spike on one cached story, as when it is shared in a group: many readers at once for a while."""
    path = PAGES[2][0]
    run = run_wrk(server, path, options, connections=options.spike_connections, seconds=options.spike_seconds)
    print(
        f"\nSpike: {options.spike_connections} connections for {options.spike_seconds} s on the cached {path}: "
        f"{run['requests']} requests, {run['requests'] / run['seconds']:.0f} a second, p50 {run['p50'] * 1000:.1f} ms, "
        f"p99 {run['p99'] * 1000:.1f} ms, CPU {run['cpu'] / run['requests'] * 1000:.2f} ms a request; "
        f"errors: {run['errors']} non-2xx/3xx, socket errors: {run['socket_errors'] or 'none'}"
    )
    return run


# --- Reporting -----------------------------------------------------------------------------------------------


def describe_machine(options, environment):
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    database = "PostgreSQL" if environment["DATABASE_URL"].startswith("postgres") else "SQLite"
    cache = "Redis" if environment.get("REDIS_URL") else "files (FileBasedCache)"
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (
        f"{datetime.datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} CPUs ({model}), load average {load}; "
        f"{database}, shared cache in {cache}; Python {platform.python_version()}; wrk -t1 "
        f"-c{options.connections}, {options.rounds} rounds of {options.seconds} s per target"
    )


def report(rows):
    constant = next(row for row in rows if row["path"] == CONSTANT[0])
    print(
        f"\n{'target':<34}{'':9}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'CPU ms/req':>12}"
        f"{'CPU × const':>13}{'req/s × const':>15}"
    )
    for row in rows:
        errors = f"  ERRORS: {row['errors']}" if row["errors"] else ""
        errors += f"  socket errors: {row['socket_errors']}" if row["socket_errors"] else ""
        print(
            f"{row['label'] if row['kind'] == 'reference' else row['path']:<34}{row['kind']:9}{row['rate']:8.0f}"
            f"{row['p50'] * 1000:9.1f}{row['p99'] * 1000:9.1f}{row['cpu'] * 1000:12.2f}"
            f"{row['cpu'] / constant['cpu']:13.1f}{row['rate'] / constant['rate']:15.2f}{errors}"
        )


def report_revalidation(rows):
    """The 304's CPU as a share of the cached page's it revalidates, and both above gunicorn's own cost."""
    cpu = {(row["path"], row["kind"]): row["cpu"] for row in rows}
    cached, revalidated, bare = cpu[REVALIDATED[0], "cached"], cpu[REVALIDATED[0], "304"], cpu[BARE[0], "reference"]
    print(
        f"\nThe story page revalidated (304): {revalidated / cached:.0%} of its cached 200's CPU; above gunicorn's "
        f"own {bare * 1000:.2f} ms, {(revalidated - bare) * 1000:.2f} ms against {(cached - bare) * 1000:.2f} ms"
    )


def compare(first, second, options):
    """Each target's requests per second with more stories as a share of those with fewer; and that share
    relative to the constant view's, which did no more work: a page that slows down with the number of stories
    stands out from a machine that got busier between the two measurements."""
    constant = [next(row for row in rows if row["path"] == CONSTANT[0]) for rows in (first["rows"], second["rows"])]
    machine = constant[1]["rate"] / constant[0]["rate"]
    print(
        f"\nRequests per second with {options.scale} older stories, as a share of those with {options.older_stories}"
        f"; and relative to the constant view's share ({machine:.0%})"
    )
    for before, after in zip(first["rows"], second["rows"], strict=True):
        name = before["label"] if before["kind"] == "reference" else before["path"]
        share = after["rate"] / before["rate"]
        print(f"  {name:<34}{before['kind']:9}{share:8.0%}{share / machine:8.0%}")


if __name__ == "__main__":
    main()
