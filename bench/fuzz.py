"""Hostile requests against a running site: none may be answered 500, none may leave a traceback in its log.

    .venv/bin/python -m bench.fuzz https://127.0.0.1:18692 --host localhost --log /path/gunicorn.log
    .venv/bin/python -m bench.fuzz http://127.0.0.1:8000 --host localhost --as-front --requests 1000

The requests (testkit/hostile_requests.py, which tests/stack/test_fuzz.py sends too) are generated from a fixed seed
(--seed, 13), so a run is repeatable and a failure can be sent again.
It prints the count of each status per kind of request, and every request answered 500
(method, target, headers, body), then the tracebacks that appeared in the --log files during the run. It exits 1
when there was a 500 or a traceback. --as-front adds X-Forwarded-Proto: https and X-Forwarded-For, as the front
server does, for a gunicorn reached directly (a request may still set them itself). --truncated-bodies also sends
bodies shorter than their Content-Length (a server without a buffering front server holds a worker for each).
--utf8-only generates the same requests but names only `charset=utf-8` (to look past the odd-charset 500s).
"""

import argparse
import sys

from testkit.hostile_requests import run


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_url")
    parser.add_argument("--host", default="", help="the Host header of ordinary requests (default: the URL's)")
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--log", action="append", default=[], help="a server log to search for tracebacks")
    parser.add_argument("--as-front", action="store_true")
    parser.add_argument("--truncated-bodies", action="store_true")
    parser.add_argument("--utf8-only", action="store_true", help="every charset named is exactly utf-8")
    arguments = parser.parse_args()
    counts, _failures, tracebacks = run(
        arguments.base_url,
        host=arguments.host,
        requests=arguments.requests,
        seed=arguments.seed,
        concurrency=arguments.concurrency,
        logs=arguments.log,
        as_front=arguments.as_front,
        truncated_bodies=arguments.truncated_bodies,
        odd_charsets=not arguments.utf8_only,
    )
    sys.exit(1 if counts[500] or tracebacks else 0)


if __name__ == "__main__":
    main()
