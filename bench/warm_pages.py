"""The first visitor's CPU time for the pages that show a story just changed, with and without the background job
that renders them after the change (news/page_warming.py), and the job's own CPU time per change (bench/README.md).

    .venv/bin/python -m bench.warm_pages [--changes 20] [--older-stories 10]
    .venv/bin/python -m bench.warm_pages --database-url postgres://postgres@127.0.0.1:5432/name --redis-url redis://...

Run from the project's root. It builds the throwaway site bench/throughput.py builds (production settings, SQLite
in a temporary directory or a PostgreSQL database made beside the one named), with the page cache on, all in this
one process, through Django's WSGI handler as gunicorn calls it (Accept-Encoding: gzip). Each change retitles the
English version of one story (/news/factory-visit-12/), as an editor's publication does, which starts a new cache
generation; then, in turn:

- without the job: the first visitor's request of the story page, of /news/ and of /zh/news/, each rendered by it
  (the generation's one-time work, paid once for all pages by whichever request comes first, timed on its own line);
- with the job: render_pages_showing_story run as the worker runs it (its CPU time is the job's line), then the same
  three requests, answered from the page cache.

/bench/constant/ (the news list's HTML returned by a view through the same middleware) is timed in every round: the
reference that tells drawing a page from Django's request handling.
"""

import argparse
import statistics
import time

from bench.throughput import site_in_process
from testkit.wsgi import wsgi_get

STORY = "/news/factory-visit-12/"
VISITED = [STORY, "/news/", "/zh/news/"]
REFERENCE = "/bench/constant/"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--changes", type=int, default=20, help="changes measured each way")
    parser.add_argument("--older-stories", type=int, default=10, help="plain stories besides the 12 illustrated")
    parser.add_argument("--database-url", help="a PostgreSQL server: the database is made beside the one named")
    parser.add_argument("--redis-url", help="the shared cache in this Redis database (emptied) instead of files")
    options = parser.parse_args()

    with site_in_process(options.database_url, options.redis_url, options.older_stories, "bench_warm_pages"):
        measure(options)


def measure(options):
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application
    from django_tasks_db.models import DBTaskResult

    from caching.page_cache import current_generation
    from news.models import NewsStoryTranslation
    from news.page_warming import render_pages_showing_story
    from news.rendered_pages import published_order

    settings.PAGE_CACHE = True  # build_site turned it off for building
    application = get_wsgi_application()
    version = NewsStoryTranslation.objects.get(language_code="en", slug=STORY.strip("/").rsplit("/", 1)[-1])
    times = {
        name: [] for name in ["reference", "generation", "job", *(f"{way} {path}" for way in "-+" for path in VISITED)]
    }

    def change(round_number):
        version.title = f"Factory visit, corrected {round_number}"
        version.save()  # a new generation; the warm-up job it queues is run here by hand, or not at all
        DBTaskResult.objects.all().delete()

    def timed(name, work):
        started = time.process_time()
        result = work()
        times[name].append(time.process_time() - started)
        return result

    for path in [REFERENCE, *VISITED]:
        for _warm_up in range(5):
            wsgi_get(application, path)  # templates loaded, fragments cached, as in a worker that has served a while
    for round_number in range(options.changes):
        timed("reference", lambda: wsgi_get(application, REFERENCE))

        change(f"{round_number}a")
        timed("generation", lambda: (current_generation(), published_order()))
        for path in VISITED:
            status = timed(f"- {path}", lambda path=path: wsgi_get(application, path))[0]
            assert status == "200 OK", (path, status)

        change(f"{round_number}b")
        rendered = timed("job", lambda: render_pages_showing_story.call(version.master_id))
        for path in VISITED:
            status, headers, body = timed(f"+ {path}", lambda path=path: wsgi_get(application, path))
            assert status == "200 OK" and f"corrected {round_number}b".encode() in gzip_decompressed(headers, body)

    print(f"\nCPU time, median and lowest of {options.changes} changes (the job renders {rendered} addresses twice)")
    print(f"{'':<66}{'median':>10}{'lowest':>10}")
    rows = [("reference: /bench/constant/ (constant view)", "reference")]
    rows += [(f"first visitor after a change, no job: {path}", f"- {path}") for path in VISITED]
    rows += [("  the change's one-time work, once for all pages", "generation")]
    rows += [(f"first visitor after a change and the job: {path}", f"+ {path}") for path in VISITED]
    rows += [("the job itself, per change (in the worker)", "job")]
    for label, name in rows:
        print(f"{label:<66}{ms(statistics.median(times[name])):>10}{ms(min(times[name])):>10}")


def gzip_decompressed(headers, body):
    import gzip

    return gzip.decompress(body) if headers.get("Content-Encoding") == "gzip" else body


def ms(seconds):
    return f"{seconds * 1000:.2f} ms"


if __name__ == "__main__":
    main()
