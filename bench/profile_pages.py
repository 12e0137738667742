"""CPU time per request of the site's pages rendered without the page cache, and where it goes (see bench/README.md).

    .venv/bin/python -m bench.profile_pages [--requests 100] [--older-stories 10] [--profile DIR]
    .venv/bin/python -m bench.profile_pages --database-url postgres://postgres@127.0.0.1:5432/name --older-stories 10000

Run from the project's root. It builds the throwaway site bench/throughput.py builds (12 illustrated stories and
--older-stories plain ones, production settings, SQLite in a temporary directory or a PostgreSQL database made
beside the one named and dropped at the end), then requests each page `--requests` times through Django's WSGI
handler, the one gunicorn calls (routing, middleware, view, queries, templates, compression; Accept-Encoding:
gzip), with the page cache off, and prints the median and lowest CPU time per request: no network, no server,
nothing else in the process. /robots.txt, a small template behind the same middleware, is the floor.

The cache generation stays the same throughout, so from the second request on a page is what it is until something
changes: the stories it shows are known and it is kept as rendered under their versions (news/rendered_pages.py), as
a page rendered again for a client without gzip, or on another host name, is. --after-change starts a new
generation before each request, as a save does, and measures each page as the first reader after a change elsewhere
gets it: the generation's one-time work (when the next scheduled change falls, the published order: paid once by
the first request of any page after a change) is done before the timed request and timed on its own line, and the
page's stories and fragments are as they were (the changed story's own pages aside).

With --profile DIR it also writes, for each page, a cProfile of 50 requests (DIR/<page>.prof: read it with
`python -m pstats DIR/news.prof`, then `sort cumulative` and `stats 40`) and, if pyinstrument is installed (it is
not a dependency), its call tree (DIR/<page>.txt).
"""

import argparse
import statistics
import time
from pathlib import Path

from bench.throughput import site_in_process
from testkit.wsgi import wsgi_get

PAGES = [
    "/robots.txt",
    "/news/",
    "/zh/news/",
    "/news/factory-visit-12/",
    "/zh/news/factory-visit-6/",
    "/buyer-membership/",
    "/zh/buyer-membership/",
    "/sitemap.xml",
    "/sitemap-stories-1.xml",
]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=100, help="timed requests of each page")
    parser.add_argument("--older-stories", type=int, default=10, help="plain stories besides the 12 illustrated")
    parser.add_argument("--database-url", help="a PostgreSQL server: the database is made beside the one named")
    parser.add_argument("--redis-url", help="the shared cache in this Redis database (emptied) instead of files")
    parser.add_argument("--profile", type=Path, help="write a profile of each page into this directory")
    parser.add_argument("--pages", nargs="+", default=PAGES, help="the addresses to measure (default: the usual nine)")
    parser.add_argument(
        "--after-change",
        action="store_true",
        help="start a new cache generation before each request: each page as the first reader after a change elsewhere "
        "gets it (the generation's one-time work timed on its own line); fragments stay cached",
    )

    options = parser.parse_args()

    with site_in_process(options.database_url, options.redis_url, options.older_stories, "bench_profile"):
        measure(options)


def measure(options):
    from django.core.wsgi import get_wsgi_application

    from caching.page_cache import start_new_generation
    from news.rendered_pages import published_order

    application = get_wsgi_application()
    each = "each page, each the first after a change" if options.after_change else "each page"
    print(f"\nCPU time per request, rendered without the page cache ({options.requests} requests of {each})")
    print(f"{'page':<32}{'median':>10}{'lowest':>10}{'SQL (wall)':>12}{'queries':>9}{'bytes sent':>12}")
    for path in options.pages:
        status, body = request(application, path)
        for _warm_up in range(4):
            request(application, path)
        times, sql_times, generation_times = [], [], []
        for _request in range(options.requests):
            if options.after_change:
                start_new_generation()
                started = time.process_time()
                published_order()  # the generation's start, as the first request after a change makes it
                generation_times.append(time.process_time() - started)
            with SqlTimer() as sql:
                started = time.process_time()
                request(application, path)
                times.append(time.process_time() - started)
            sql_times.append(sql.seconds)
        print(
            f"{path:<32}{ms(statistics.median(times)):>10}{ms(min(times)):>10}{ms(statistics.median(sql_times)):>12}"
            f"{sql.queries:>9}{len(body):>12}  {status}"
        )
        if generation_times:
            print(f"{'  (the change, once for all pages)':<32}{ms(statistics.median(generation_times)):>10}")
        if options.profile:
            profile(application, path, options.profile)


class SqlTimer:
    """The wall time the database took for one request's queries (the server's work and the round trips, which the
    process's CPU time leaves out), and how many there were."""

    def __enter__(self):
        from django.db import connection

        self.seconds, self.queries = 0.0, 0
        self.wrapper = connection.execute_wrapper(self)
        self.wrapper.__enter__()
        return self

    def __exit__(self, *exc_info):
        self.wrapper.__exit__(*exc_info)

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.queries += 1


def request(application, path):
    """Status and body of a GET, as gunicorn would call the site."""
    status, _headers, body = wsgi_get(application, path)
    return status, body


def profile(application, path, directory):
    import cProfile

    directory.mkdir(parents=True, exist_ok=True)
    name = path.strip("/").replace("/", "_").replace(".", "_") or "root"
    profiler = cProfile.Profile()
    profiler.enable()
    for _request in range(50):
        request(application, path)
    profiler.disable()
    profiler.dump_stats(directory / f"{name}.prof")
    try:
        from pyinstrument import Profiler
    except ImportError:
        return
    tree = Profiler(interval=0.0005)
    tree.start()
    for _request in range(50):
        request(application, path)
    tree.stop()
    (directory / f"{name}.txt").write_text(tree.output_text(unicode=True, show_all=False))


def ms(seconds):
    return f"{seconds * 1000:.2f} ms"


if __name__ == "__main__":
    main()
