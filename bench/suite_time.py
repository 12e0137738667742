"""The test suite's time beside a reference timed in the same run (see bench/README.md, "The suite's time against a
reference").

    .venv/bin/python -m bench.suite_time [--database-url postgres://postgres@127.0.0.1:5432/postgres]
        [--redis-url redis://127.0.0.1:6379/1] [--workers N] [-- PYTEST_ARGS...]

Run from the project's root. The machines the suite runs on are shared and differ by half from one session to the next
(the constant view's CPU a request went from 1.09 ms to 1.41 ms between two sessions' machines), so a wall time alone
says little. This times the same fixed piece of pure-Python work (building, encoding and decoding a dictionary: one
CPU, no I/O) before and after the suite, which it runs with `make test` itself (its workers, scheduling and
environment), and prints the suite's wall time, its CPU as `time` counts it (the processes it waited for: not the
browsers' renderers, which Chromium detaches) and the wall time in units of the reference. The reference's two timings
say how steady the machine was through the run: far apart, the run says little.
"""

import argparse
import json
import os
import re
import resource
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def reference_work():
    entries = {str(number): [number, number * 2, str(number * 3)] for number in range(200_000)}
    return len(json.loads(json.dumps(entries)))


def reference_seconds(repeats=5):
    """The median CPU seconds of reference_work, in this process."""
    timings = []
    for _ in range(repeats):
        started = time.process_time()
        reference_work()
        timings.append(time.process_time() - started)
    return statistics.median(timings)


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="PostgreSQL for the suite (default: SQLite)")
    parser.add_argument("--redis-url", help="Redis for the suite's cache (default: files)")
    parser.add_argument("--workers", type=int, help="test processes (default: the Makefile's WORKERS)")
    parser.add_argument("pytest_args", nargs="*", help="more arguments for pytest, after --")
    options = parser.parse_args()

    environment = {**os.environ}
    for name, value in (("DATABASE_URL", options.database_url), ("REDIS_URL", options.redis_url)):
        if value:
            environment[name] = value
    command = ["make", "--no-print-directory", "test", f"PYTEST_ARGS={shlex.join(['-q', *options.pytest_args])}"]
    if options.workers:
        command.append(f"WORKERS={options.workers}")

    before = reference_seconds()
    cpu_before, started = children_cpu(), time.monotonic()
    result = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True)
    wall, cpu = time.monotonic() - started, children_cpu() - cpu_before
    after = reference_seconds()

    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr[-2000:]
    reference = (before + after) / 2
    print(f"suite: {summary}")
    workers = re.search(r"-m pytest -n (\d+) ", result.stdout)  # the command make printed
    print(f"database: {'PostgreSQL' if options.database_url else 'SQLite'}; workers: {workers[1] if workers else '?'}")
    print(f"wall {wall // 60:.0f}:{wall % 60:04.1f}; CPU of the processes waited for {cpu / 60:.2f} min")
    drift = abs(after - before) / reference
    print(f"reference: {before:.2f} s before, {after:.2f} s after (steady within {drift:.0%})")
    print(f"wall in reference units: {wall / reference:.0f}")
    sys.exit(result.returncode)


if __name__ == "__main__":
    main()
