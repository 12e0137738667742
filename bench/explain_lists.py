"""The database's own time for a list page at depth, read from PostgreSQL's EXPLAIN ANALYZE (see bench/README.md).

    .venv/bin/python -m bench.explain_lists postgres://postgres@127.0.0.1:5432/name

Against a database bench.throughput or bench.profile_pages has built (e.g. --older-stories 10000), left in place:
the first page, page 830 read from its first story (news/pagination.py), and the positions query that finds every
page's first story once per cache generation.
"""

import os
import sys

os.environ.update(
    DJANGO_SETTINGS_MODULE="bench.settings",
    DEBUG="0",
    SECRET_KEY="explain-benchmark-only-" + "x" * 40,
    ALLOWED_HOSTS="127.0.0.1",
    DATABASE_URL=sys.argv[1],
    DATABASE_POOL="0",
)
import django  # noqa: E402

django.setup()

from news.models import NewsStory  # noqa: E402
from news.pagination import ListOrder  # noqa: E402

stories = NewsStory.objects.published().for_list()
positions = list(stories.prefetch_related(None).values_list(*ListOrder.fields)[::12])
deepest = len(positions)
for label, query in [
    ("page 1", stories[:13]),
    (f"page {deepest}, from its first story", stories.filter(ListOrder.from_start_of(positions[-1]))[:13]),
    ("every page's first story (once per generation)", stories.prefetch_related(None).values_list("publish_at", "pk")),
]:
    plan = query.explain(analyze=True).splitlines()
    print(f"{label:<50} {plan[-1].strip()}   ({plan[2].strip()[:70]})")
