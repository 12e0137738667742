"""Whole news pages cached as rendered, under the versions of the stories they show, for visitors.

The page cache (caching/page_cache.py) keeps a page until anything changes: any save starts a new generation, and
the first reader of every page renders it again, though most pages show nothing that changed. Here a page is cached in
two parts that a change elsewhere leaves standing:

- Which stories it shows (a story page's six: the story for its address, the newer and older ones, three related;
  a list page's twelve), cached under the published order: every published story's place, category and readable
  versions' slugs (published_order()). A change to a story's text leaves the order, and so every page's stories, as
  they were; a publication, a new date or slug makes a new order.
- The rendered page, compressed (caching/compressed.py), under a key naming those stories and when each last
  changed, with the versions visitors may read (as news/fragments.py names a card), and a story page's documents.

After a change elsewhere, the first reader's page is then two small queries and two cache reads instead of finding
and loading six or twelve stories and rendering the templates; the order is read once per generation (one narrow
query over the published stories).

The pages that show the changed story itself are rendered once the change is committed by the background worker
(news/page_warming.py), as a visitor would ask for them: their first reader finds them in both caches.

A key names everything a page is rendered from: the release digest (templates, code, translations and the settings
that change the markup: operations/release.py), the site's address, the path and page number, the language, the year
(the footer's), and the stories as above. Nothing is invalidated: a change makes new keys. Staff, who see drafts,
never read or fill these: only visitors' pages, of views the page cache may cache, are cached. While the cache server
is down pages are rendered every time, as fragments are.
"""

import functools
import hashlib
import re

from django.contrib.auth.models import AnonymousUser
from django.db import connections
from django.utils import timezone, translation
from django.utils.functional import cached_property

from caching.compressed import compressed_page, response_from_compressed
from caching.fragments import cache_fragments, cached_fragments
from caching.page_cache import current_generation, generation_key, keep_for_generation, read_for_generation
from operations.release import release_digest
from site_shell.site_address import site_origin

from .models import NewsStory, NewsStoryTranslation, PublicationStatus, StoryDocument, translations_visible_to
from .sql import Columns, public_versions_of_public_stories, public_versions_with_their_stories

# A page for a version lives this long at most; new versions make new keys, so the timeout only frees space.
RENDERED_PAGE_TIMEOUT = 24 * 60 * 60


def page_address(request, kind):
    """The page's address as its links are made (SITE_URL, else the request's host), with a list's page number as the
    list reads it ("2" for "02", or "last"): two requests that differ by anything else (utm_source...) ask for the same
    page. None for a page number no list has (answered 404, never cached), so that no one can fill the cache with
    addresses."""
    address = f"{site_origin(request)}{request.path}"
    if kind != "list-page":
        return address  # a story page has no page number
    number = request.GET.get("page", "")
    if number and number != "last":
        if not re.fullmatch(r"[0-9]{1,18}", number):
            return None
        number = str(int(number))
    return f"{address}?page={number}"


def published_order(generation=None):
    """A digest of what decides which stories every page shows: each published story's place in the order, its
    category, and the slugs of the versions visitors may read. Read once per cache generation (a save or a scheduled
    time starts a new one; `generation`, when already read) by one narrow query; None when the cache cannot be
    used."""
    key = generation_key("published-order", generation=generation)
    if key is None:
        return None
    digest = read_for_generation(key)
    if digest is None:
        connection = connections[NewsStoryTranslation.objects.db]
        digest = published_order_in_postgresql(connection) if connection.vendor == "postgresql" else None
        if digest is None:
            # The versions visitors may read, each with its story's place and category: their stories are the
            # published ones.
            versions = translations_visible_to(AnonymousUser()).order_by("master", "language_code")
            fields = ["master", "master__publish_at", "master__category", "language_code", "slug"]
            digest = hashlib.sha256(repr(list(versions.values_list(*fields))).encode()).hexdigest()
        keep_for_generation(key, digest)
    return digest


def published_order_in_postgresql(connection):
    """published_order()'s digest made by PostgreSQL from the same rows: at 10,000 stories reading the 15,000
    versions into Python cost the first request after a save ~50 ms of CPU; here the process reads one row."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(published_order_sql(), [PublicationStatus.PUBLISHED, now, now])
        return cursor.fetchone()[0] or "none published"


def versions_of(story_ids, documents_of=None):
    """What the stories `story_ids` are now, as a page shows them: each story's last change and picture, and each
    version visitors may read with its last change; and the documents of the story `documents_of`. One query, two
    with documents, written out once: this is the whole work of a page cached here, and building the same statement
    through the ORM cost more than three times what running it does."""
    if not story_ids:
        return []
    connection = connections[NewsStoryTranslation.objects.db]
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    placeholders = ", ".join(["%s"] * len(story_ids))
    with connection.cursor() as cursor:
        cursor.execute(versions_sql().format(stories=placeholders), [PublicationStatus.PUBLISHED, now, *story_ids])
        stamps = cursor.fetchall()
        if documents_of is not None:
            cursor.execute(documents_sql(), [documents_of])
            stamps += cursor.fetchall()
    return [tuple(str(part) for part in row) for row in stamps]


@functools.cache
def versions_sql():
    # public_translation_condition(story=None): published, and the version's own time (if any) has come; the story's
    # time has come for every story a page shows (they were chosen among the published stories of the order).
    v, s = Columns(NewsStoryTranslation, "v"), Columns(NewsStory, "s")
    return (
        f"SELECT {v.master}, {s.updated_at}, {s.image}, {v.language_code}, {v.id}, {v.changed_at} "
        f"{public_versions_with_their_stories(v, s)} "
        f"AND {v.master} IN ({{stories}}) ORDER BY {v.master}, {v.language_code}"
    )


@functools.cache
def published_order_sql():
    v, s = Columns(NewsStoryTranslation, "v"), Columns(NewsStory, "s")
    row = f"concat_ws(',', {v.master}, {s.publish_at}, {s.category}, {v.language_code}, {v.slug})"
    return (
        f"SELECT md5(string_agg({row}, ';' ORDER BY {v.master}, {v.language_code})) "
        f"{public_versions_of_public_stories(v, s)}"
    )


@functools.cache
def documents_sql():
    d = Columns(StoryDocument, "d")
    return (
        f"SELECT {d.id}, {d.title}, {d.file}, {d.size}, {d.language_code}, {d.position} "
        f"FROM {d.table} WHERE {d.story} = %s ORDER BY {d.id}"
    )


class CachedPage:
    """A visitor's request for a page cached here, of `kind` ("story-page", "list-page"): which stories the page at its
    address shows (`shown`, ids as the view names them) and the page as rendered.

    A rendered page is cached only under the versions read before its stories were: a change committed meanwhile then
    leaves an entry nobody asks for, never a page older than its key. And nothing is cached from a request during which
    a new generation began: what it found may be partly from before a change and partly after."""

    def __init__(self, request, kind):
        self.request, self.kind = request, kind
        self.generation = current_generation()
        self.order = published_order(self.generation) if self.generation is not None else None
        self.page_key, self.page_key_shown = None, None

    @cached_property
    def address(self):
        return page_address(self.request, self.kind)

    @cached_property
    def shown_key(self):
        if self.order is None or self.address is None:
            return None
        address = hashlib.sha256(self.address.encode()).hexdigest()[:32]  # anything a visitor typed
        return f"shown-stories:{release_digest()}:{self.order}:{self.kind}:{translation.get_language()}:{address}"

    @cached_property
    def shown(self):
        """The ids cached for the published order, or None."""
        return cached_fragments([self.shown_key]).get(self.shown_key) if self.shown_key else None

    def response(self, shown, story_ids, documents_of=None):
        """The response with the page showing `shown` (the stories `story_ids`, and the documents of the story
        `documents_of`) as they are now, or None; its key is remembered for cache_rendered()."""
        self.page_key = rendered_page_key(self.address, shown, versions_of(story_ids, documents_of))
        self.page_key_shown = shown
        page = cached_fragments([self.page_key]).get(self.page_key)
        return response_from_compressed(self.request, page) if page is not None else None

    def cache_shown(self, shown):
        if self.shown_key is not None and self.nothing_changed():
            cache_fragments({self.shown_key: shown}, timeout=RENDERED_PAGE_TIMEOUT)

    def cache_rendered(self, shown, html):
        """Caches the page rendered showing `shown`, if its key was made for those stories (rendered())."""
        if self.page_key is not None and shown == self.page_key_shown and self.nothing_changed():
            cache_fragments({self.page_key: compressed_page(html)}, timeout=RENDERED_PAGE_TIMEOUT)

    def nothing_changed(self):
        generation = current_generation()
        return generation is not None and generation["began"] == self.generation["began"]


def rendered_page_key(address, shown, stamps):
    """The key of the page at `address` (page_address()) showing `shown` (its stories' ids in their places) as they
    are now (`stamps`, from versions_of)."""
    named = repr(
        (
            release_digest(),
            address,
            translation.get_language(),
            timezone.localtime().year,
            shown,
            stamps,
        )
    )
    return "rendered-page:" + hashlib.sha256(named.encode()).hexdigest()
