"""The database stopped for a while under load, and started again: what visitors get meanwhile, how soon the site
is back, and what became of the applications sent during the outage (see bench/README.md).

    .venv/bin/python -m bench.db_outage [--outage 30] [--threads 4] [--before 5] [--after 10]

Run from the project's root, with PostgreSQL's initdb and pg_ctl on the PATH (Debian: postgresql). It makes a
PostgreSQL cluster of its own in a temporary directory, on a port in 18700-18799 (as the `postgres` user when run
as root), migrates it, loads the sample stories and serves the site with gunicorn (two sync workers; the test
settings: production settings with emails kept in memory). The cluster is dropped at the end.
"""

import argparse
import tempfile

from testkit.outage import OutageSite, fetch, run_outage


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--outage", type=float, default=30, help="seconds the database stays stopped")
    parser.add_argument("--threads", type=int, default=4, help="visitors requesting pages without pause")
    parser.add_argument("--before", type=float, default=5, help="seconds of load before the database stops")
    parser.add_argument("--after", type=float, default=10, help="seconds of load after it is back")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ietp-db-outage-") as directory, OutageSite(directory) as site:
        fetch(site.url("/news/"))  # warm the cache
        figures = run_outage(site, options.outage, options.threads, options.before, options.after)
    for name, value in figures.items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
