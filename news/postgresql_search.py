"""A first search on PostgreSQL, read as SQL text: no model is made for a page of results.

Through the ORM (NewsStoryQuerySet.search) a first search cost 8 to 10 ms of CPU at 10,000 stories, half of it
building and compiling its two queries and making parler models of the stories and their translations (parler reads
every field of a translation as it is made). Here the same two queries are one statement written as SQL, its rows
read through the cursor: the page of ranked matching stories, each with how many match, its last change and picture,
and its public translations. The excerpts are cut from those rows (SearchTerms.quote) and the cards read from the
fragment cache (story_fragments.search_result_cards): a story is read as a model only when its card is not cached yet
(story_models). SQLite searches through the ORM; tests/news/test_search_on_postgresql.py checks that both ways show
the same pages. Measured in bench/README.md ("A first search's CPU").
"""

import functools
from collections import namedtuple

from django.db import connections
from django.utils import timezone
from django.utils.translation import get_language

from site_shell.languages import site_language

from .models import NewsStory, NewsStoryTranslation, PublicationStatus, reading_order, shown_language_code
from .sql import Columns, public_versions_of_public_stories, public_versions_with_their_stories

# A public translation of a found story, as its card's key (news/fragments.py) and its excerpt read it.
FoundTranslation = namedtuple("FoundTranslation", "pk language_code changed_at title summary body_text")


class Instant(float):
    """A moment as seconds since the epoch, as the statement reads it: what a card's key reads of a datetime
    (timestamp(), news/fragments.py), without making one. Django's loader of timestamptz, in Python, cost ~0.15 ms of
    CPU for a page's twenty or so."""

    def timestamp(self):
        return float(self)


class MatchingStories:
    """The published stories with a public translation holding every term (SearchTerms), best first, then in list order,
    as NewsStoryQuerySet.search finds them: a page of them with their count (page_with_count), a slice or the count
    alone, as StorySearchView and its paginator read a queryset. Each story is a FoundStory."""

    def __init__(self, terms):
        self.terms = terms
        # One moment for every statement, as the ORM's search builds its conditions once.
        self.now = timezone.now()
        self.connection = connections[NewsStory.objects.db]

    def page_with_count(self, start, stop):
        """The stories [start:stop], and how many there are in all (None when the page is empty), in one query."""
        query, query_params = self.terms.tsquery_sql()
        published, now = PublicationStatus.PUBLISHED, self.now
        # In the order of their placeholders: the rank's query, the matches' conditions, the page, its translations'.
        parameters = [*query_params, published, now, now, *query_params, stop - start, start, published, now]
        with self.connection.cursor() as cursor:
            cursor.execute(page_sql().format(query=query), parameters)
            rows = cursor.fetchall()
        stories = {}
        for story_id, _count, updated_at, image_name, pk, language_code, changed_at, *text in rows:
            if story_id not in stories:
                stories[story_id] = (Instant(updated_at), image_name, [])
            stories[story_id][2].append(FoundTranslation(pk, language_code, Instant(changed_at), *text))
        languages = reading_order(get_language())
        found = [FoundStory(pk, *parts, languages=languages, found_at=now) for pk, parts in stories.items()]
        return found, rows[0][1] if rows else None

    def __getitem__(self, page):
        """A slice of the stories (Paginator.page reads a page out of range so)."""
        return self.page_with_count(page.start, page.stop)[0]

    def count(self):
        query, query_params = self.terms.tsquery_sql()
        with self.connection.cursor() as cursor:
            cursor.execute(
                count_sql().format(query=query), [PublicationStatus.PUBLISHED, self.now, self.now, *query_params]
            )
            return cursor.fetchone()[0]


class FoundStory:
    """A story of a page of results as its rows say: what its card's key (news/fragments.py) and its excerpt read of
    a NewsStory, under the same names. Its card is rendered from a model (story_models)."""

    image_field = NewsStory._meta.get_field("image")

    def __init__(self, pk, updated_at, image_name, translations, languages, found_at):
        """`languages`: the page's reading_order()."""
        self.pk, self.updated_at, self.translations, self.found_at = pk, updated_at, translations, found_at
        self.image = self.image_field.attr_class(self, self.image_field, image_name)
        written_in = {written.language_code: written for written in translations}
        code = shown_language_code(languages, written_in.__contains__)
        self.shown_language, self.shown_translation = site_language(code), written_in[code]

    def search_excerpt(self, terms):
        return terms.quote(self.translations, self.shown_language.code)


def story_models(stories):
    """{id: NewsStory} of `stories`, with the translations visitors may read, to render their cards: models as they
    are, and a FoundStory read now (two queries for them all) as at the moment it was found."""
    models = {story.pk: story for story in stories if not isinstance(story, FoundStory)}
    found = [story for story in stories if isinstance(story, FoundStory)]
    if found:
        wanted = NewsStory.objects.filter(pk__in=[story.pk for story in found])
        read, _translations = wanted.carrying_public_translations(found[0].found_at)
        models.update((story.pk, story) for story in read)
    return models


@functools.cache
def page_sql():
    """A page of the stories matching `{query}` (SearchTerms.tsquery_sql, twice): a row for each public translation
    of each story, carrying how many stories match and the story's last change and picture; parameters: the query's,
    the status, now, now, the query's, how many, from where, the status, now."""
    v, s = Columns(NewsStoryTranslation, "v"), Columns(NewsStory, "s")
    # The best rank of the story's matching public translations (SearchRank), then LIST_ORDER.
    order = f"MAX(ts_rank({v.search_document}, {{query}})) DESC, {s.publish_at} DESC NULLS LAST, {s.id} DESC"
    return (
        f"WITH page AS (SELECT {s.id} AS story, {s.updated_at} AS updated_at, {s.image} AS image, "
        f"COUNT(*) OVER () AS matches, ROW_NUMBER() OVER (ORDER BY {order}) AS place "
        f"{public_versions_of_public_stories(v, s)} AND {v.search_document} @@ {{query}} "
        f"GROUP BY {s.id} ORDER BY place LIMIT %s OFFSET %s) "
        "SELECT page.story, page.matches, EXTRACT(EPOCH FROM page.updated_at)::float8, page.image, translations.* "
        "FROM page CROSS JOIN LATERAL ("
        f"SELECT {v.id}, {v.language_code} AS language, EXTRACT(EPOCH FROM {v.changed_at})::float8, {v.title}, "
        f"{v.summary}, {v.body_text} "
        f"{public_versions_with_their_stories(v, s)} AND {v.master} = page.story) translations "
        "ORDER BY page.place, translations.language"
    )


@functools.cache
def count_sql():
    """How many stories match `{query}`; parameters: the status, now, now, the query's."""
    v, s = Columns(NewsStoryTranslation, "v"), Columns(NewsStory, "s")
    return (
        f"SELECT COUNT(DISTINCT {v.master}) "
        f"{public_versions_of_public_stories(v, s)} AND {v.search_document} @@ {{query}}"
    )
