"""Slow clients, load and hostile requests against the production stack, brought up natively (testkit/native_stack.py:
gunicorn with production settings behind nginx, configured from deploy/nginx/ietp.conf.template, over TLS).

    .venv/bin/python -m bench.production_stack [--seconds 60] [--fuzz-requests 10000] [--workers 2]
    .venv/bin/python -m bench.production_stack --spike [--seconds 60] [--connections 100]
    .venv/bin/python -m bench.production_stack --database-url postgres://postgres@127.0.0.1:5432/name \\
        --redis-url redis://127.0.0.1:6379/6

Run from the project's root with Debian's nginx installed (apt-get install nginx). NATIVE_STACK_PORTS=first-last
keeps its ports in a range. With --database-url, a database beside the one named (`<name>_bench_stack`) is created
and dropped at the end; else SQLite in a temporary directory. The sample stories are loaded.

1. Slow clients: --idle connections held open (TLS set up, nothing sent) and --trickling ones sending a request's
   headers one byte a second, for --seconds, while a fresh visitor asks for /news/ twice a second through the
   front server: every answer should be a 200 within 1 s.
2. Load: --connections clients on kept-alive connections through the front server for --seconds (/news/,
   /zh/news/, /robots.txt in turn): statuses, requests a second, latency; gunicorn's worker timeouts.
3. Hostile requests: bench/fuzz.py, --fuzz-requests of them through the front server, bodies shorter than their
   Content-Length included; the count of each status and every 500. --utf8-only: every charset named is utf-8
   (to look past the known odd-charset 500s, issue 13 item 4).
4. For contrast (--contrast-seconds, 0 to skip): the same slow clients against gunicorn directly, as before the
   front server existed.

--spike instead: the spike of issue 12, with wrk (Debian's package: apt-get install wrk): --connections on 2
threads for --seconds against one story page through nginx with its micro-cache, then the same against gunicorn
directly (the site's own page cache only), and a static file through nginx for reference, in one run:
requests/s, p50, p99, errors (socket errors and statuses other than 2xx/3xx) and how many requests reached
gunicorn (its access log).
"""

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from testkit import hostile_requests, native_stack
from testkit.native_stack import NativeStack


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def report_slow_clients(title, probes, closed):
    answered = [seconds for status, seconds in probes if status == 200]
    print(
        f"{title}: {len(probes)} fresh requests, {len(answered)} answered 200; "
        f"slowest {max((s for _status, s in probes), default=0):.3f} s, median "
        f"{statistics.median([s for _status, s in probes]) if probes else 0:.3f} s; "
        f"over 1 s or failed: {sum(1 for status, s in probes if status != 200 or s >= 1)}; "
        f"slow connections closed by the server: {closed}"
    )


WRK_DURATION_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def wrk_seconds(text):
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * WRK_DURATION_UNITS[unit]


def run_wrk(url, *, connections, seconds, headers):
    """wrk's figures for `url`: requests, requests/s, p50 and p99 (seconds), errors."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, timeout=seconds + 120).stdout
    percentiles = dict(re.findall(r"^\s*(50|99)(?:\.0+)?%\s+([\d.]+(?:us|ms|s|m))\s*$", output, flags=re.MULTILINE))
    if len(percentiles) < 2:
        raise RuntimeError(f"wrk's output has no latency distribution:\n{output}")
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    other_statuses = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "requests": int(re.search(r"(\d+) requests in", output)[1]),
        "per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]),
        "p50": wrk_seconds(percentiles["50"]),
        "p99": wrk_seconds(percentiles["99"]),
        "errors": (sum(int(n) for n in socket_errors.groups()) if socket_errors else 0)
        + (int(other_statuses[1]) if other_statuses else 0),
    }


def spike(stack, *, connections, seconds):
    """The same story page under the same spike through nginx (micro-cache) and from gunicorn directly."""
    listing = stack.request("GET", "/news/").data.decode()
    # A story's address: the list's other links (the feed, categories, years) have no hyphenated slug.
    path = re.search(r'href="(/news/[a-z0-9]+(?:-[a-z0-9]+){2,}/)"', listing)[1]
    stylesheet = next((stack.static_root / "css").glob("site.*.css")).name
    targets = [
        ("nginx, micro-cache", f"{stack.base_url}{path}", {"Host": native_stack.HOST}),
        (
            "gunicorn directly",
            f"http://127.0.0.1:{stack.web_port}{path}",
            {"Host": native_stack.HOST, "X-Forwarded-Proto": "https"},
        ),
        # What this machine allows at best: nginx serving a file from disk over the same TLS, no gunicorn at all.
        ("reference: nginx, a static file", f"{stack.base_url}/static/css/{stylesheet}", {"Host": native_stack.HOST}),
    ]
    # The page rendered once first: a page nobody asked for yet makes the first spike wait for its render.
    stack.request("GET", path)
    print(f"spike: {connections} connections for {seconds} s against {path} (wrk -t2)")
    print("| target | requests | requests/s | p50 | p99 | errors | requests that reached gunicorn |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    failed = False
    for title, url, headers in targets:
        before = len(stack.gunicorn_requests_for(f'"GET {path} HTTP'))
        figures = run_wrk(url, connections=connections, seconds=seconds, headers=headers)
        reached = len(stack.gunicorn_requests_for(f'"GET {path} HTTP')) - before
        print(
            f"| {title} | {figures['requests']} | {figures['per_second']:.0f} | {figures['p50'] * 1000:.1f} ms | "
            f"{figures['p99'] * 1000:.1f} ms | {figures['errors']} | {reached} |",
            flush=True,
        )
        if title.startswith("nginx"):
            failed |= figures["errors"] > 0 or figures["p99"] >= 0.1
    return failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="slow clients and load, each (at most 600)")
    parser.add_argument("--idle", type=int, default=20)
    parser.add_argument("--trickling", type=int, default=20)
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--fuzz-requests", type=int, default=10_000)
    parser.add_argument("--contrast-seconds", type=int, default=10)
    parser.add_argument("--utf8-only", action="store_true", help="hostile requests name only charset=utf-8")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--spike", action="store_true", help="only the spike, with wrk (see above)")
    arguments = parser.parse_args()
    if arguments.spike and not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    seconds = min(arguments.seconds, 600)

    with (
        tempfile.TemporaryDirectory(prefix="ietp-stack-") as workdir,
        NativeStack(
            workdir,
            database_url=arguments.database_url,
            redis_url=arguments.redis_url,
            workers=arguments.workers,
            name="bench_stack",
        ) as stack,
    ):
        print(f"stack: nginx https://127.0.0.1:{stack.https_port} -> gunicorn 127.0.0.1:{stack.web_port} "
              f"({arguments.workers} sync workers), {stack.database_url.split('://')[0]}, "
              f"cache {'Redis' if arguments.redis_url else 'files'}")  # fmt: skip
        if arguments.spike:
            sys.exit(1 if spike(stack, connections=arguments.connections, seconds=seconds) else 0)
        failed = False

        probes, closed = native_stack.hold_slow_clients(
            stack, idle=arguments.idle, trickling=arguments.trickling, seconds=seconds
        )
        report_slow_clients(
            f"1. {arguments.idle} idle + {arguments.trickling} trickling connections for {seconds} s, through nginx",
            probes,
            closed,
        )
        failed |= any(status != 200 or s >= 1 for status, s in probes)

        before = native_stack.worker_timeouts(stack.gunicorn_log_text())
        started = time.monotonic()
        statuses, latencies = native_stack.concurrent_load(stack, connections=arguments.connections, seconds=seconds)
        elapsed = time.monotonic() - started
        log = stack.gunicorn_log_text()
        timeouts = native_stack.worker_timeouts(log) - before
        errors = sum(count for status, count in statuses.items() if status != 200)
        print(
            f"2. {arguments.connections} concurrent connections for {seconds} s, through nginx: "
            f"{sum(statuses.values())} requests ({sum(statuses.values()) / elapsed:.0f}/s), statuses {statuses}, "
            f"errors {errors}; latency p50 {percentile(latencies, 0.5) * 1000:.0f} ms, "
            f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms; "
            f"gunicorn worker timeouts {timeouts}; tracebacks in gunicorn's log {log.count('Traceback')}"
        )
        failed |= bool(errors or timeouts)

        print(f"3. {arguments.fuzz_requests} hostile requests through nginx (bench/fuzz.py):")
        counts, _failures, tracebacks = hostile_requests.run(
            stack.base_url,
            host=native_stack.HOST,
            requests=arguments.fuzz_requests,
            logs=[stack.gunicorn_log],
            truncated_bodies=True,
            odd_charsets=not arguments.utf8_only,
        )
        failed |= bool(counts[500] or tracebacks)
        print(f"   gunicorn worker timeouts so far: {native_stack.worker_timeouts(stack.gunicorn_log_text())}")

        if arguments.contrast_seconds:
            contrast, closed = native_stack.hold_slow_clients(
                stack,
                idle=arguments.idle,
                trickling=arguments.trickling,
                seconds=min(arguments.contrast_seconds, 60),
                target=("127.0.0.1", stack.web_port, False),
            )
            report_slow_clients(
                f"4. contrast: the same slow clients against gunicorn directly, {arguments.contrast_seconds} s",
                contrast,
                closed,
            )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
