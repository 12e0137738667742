"""The search page for a visitor without a session: rendered once per language and shape as a shell, with slots for
what each search puts in, and served from the shared cache.

Rendering the whole page template for each search (base.html's blocks, the header, the footer, the language switch)
cost about a millisecond of CPU, whether the results were cached or not. Everything of the page but the query, the
page number shown, the results and the language switch's link is the same for every search of a shape (with or
without a query, on the first page or a later one, shortened or not): the shell is that page rendered with slot
markers in their place, split at them (caching/page_with_slots.py), and compressed once around them. Each value is
escaped exactly as the template escapes it; tests/news/test_search_page.py compares the shell's pages with the
template's.
"""

import copy
import re
from urllib.parse import quote as urlquote

from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import localize
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext

from caching.fragments import fragments_rendered_once
from caching.page_cache import CacheHealth, is_anonymous_read
from caching.page_with_slots import Deflated, PageWithSlots
from operations.release import release_digest
from site_shell.site_address import site_origin
from site_shell.templatetags.site_languages import switch_query

from .search import SearchTerms
from .templatetags.story_fragments import search_result_cards

# Where the shell takes each search's values: text that no translation, and nothing escaped, holds.
QUERY_SLOT = "[search-query]"
PAGE_NUMBER_SLOT = "[search-page-number]"
RESULTS_SLOT = "[search-results]"
# The language switch's link ends with the query string the switch keeps (switch_query). The shell is rendered as if
# the query were this word, which neither urlencode nor escape changes, so the link ends with "?q=" and the word.
SWITCH_QUERY_WORD = "search-switch-query"
SWITCH_QUERY_SLOT = f"?q={SWITCH_QUERY_WORD}"
SLOTS = re.compile("|".join(map(re.escape, [QUERY_SLOT, PAGE_NUMBER_SLOT, RESULTS_SLOT, SWITCH_QUERY_SLOT])))


class SearchPageShell:
    """The search page of one shape, with a slot wherever a search's values go: the query appears more than once, and a
    translation may put the page number before it, so the slots are named in the order the page has them."""

    def __init__(self, html):
        self.slots = SLOTS.findall(html)
        self.page = PageWithSlots(html, *self.slots)

    def response(self, request, values):
        """The page with `values` ({slot: HTML}) in its slots, compressed if the client accepts gzip."""
        return self.page.response(request, *(values[slot] for slot in self.slots))


def serves_the_shell(request):
    """Whether the visitor gets the page from the cached shell: a GET with no session (staff, or whatever the site
    remembers of them), while the cache can be used; else the page template is rendered."""
    return is_anonymous_read(request) and CacheHealth.available()


def likely_shape(request, terms):
    """The shape of the page a search shows (with a query, on a later page, shortened), as far as the address tells
    before the results are read: its shell is asked for with them. A page out of range shows another; its shell is
    then asked for again."""
    later_page = bool(terms.query) and request.GET.get("page", "").lstrip("0") not in ("", "1")
    return shape_of(terms, later_page)


def shape_of(terms, later_page):
    return (bool(terms.query), later_page, terms.shortened)


def shell_response(view, terms, results, cached):
    """The search page for `terms` from its shell (in `cached`, as read with the results, else read or rendered now),
    with `results` ({} for an empty query, else page_number and the results' HTML, as StorySearchView.page_of_results
    gives them)."""
    request = view.request
    shape = shape_of(terms, results.get("page_number", 1) > 1)
    key = shell_key(request, shape)
    shell = cached.get(key)
    if shell is None:
        shell = fragments_rendered_once({key: shape}, lambda *shape: render_shell(view, *shape))[key]
    shown = results.get("results", "")
    if results.get("deflated"):
        shown = Deflated(shown, results["deflated"])  # compressed when cached, not for each visitor
    return shell.response(
        request,
        {
            QUERY_SLOT: escape(terms.query),
            PAGE_NUMBER_SLOT: escape(localize(results.get("page_number", 1))),
            RESULTS_SLOT: shown,
            SWITCH_QUERY_SLOT: escape(switch_query(request, 1)),
        },
    )


def shell_key(request, shape):
    """The shell of this shape in this language, as this release renders it for the site's address in this year (the
    footer's). Nothing a story says is in it: it holds no cache generation."""
    parts = ["search-page-shell", release_digest(), translation.get_language(), site_origin(request)]
    return ":".join(str(part) for part in [*parts, timezone.localtime().year, *(int(flag) for flag in shape)])


def render_shell(view, has_query, later_page, shortened):
    """The page template rendered with slot markers for the values, as StorySearchView renders it for a search of this
    shape, and split at them."""
    shell_request = copy.copy(view.request)
    shell_request.GET = QueryDict(mutable=True)
    shell_request.GET["q"] = SWITCH_QUERY_WORD
    terms = SearchTerms(QUERY_SLOT if has_query else "", shortened, (), ())
    context = {
        **view.page_context(terms),
        "later_page": later_page,
        "page_number": PAGE_NUMBER_SLOT,
        "results": mark_safe(RESULTS_SLOT),  # noqa: S308 - a marker, replaced by the results' HTML
    }
    return SearchPageShell(render_to_string(view.template_name, context, shell_request))


def results_part(context):
    """The page of results (the count, the cards, the links to the other pages) as HTML, from the search view's
    context: written here rather than in a template, as the cards' excerpts are (story_fragments.py), since every
    first search makes one, and a template cost ~0.4 ms of CPU. Escaped and translated as a template would be."""
    terms, page, paginator = context["terms"], context["page_obj"], context["paginator"]
    # Spaced and broken as the template it replaces was: the same bytes as the pages cached before.
    if context["results"]:
        total = ngettext("%(total)s story found", "%(total)s stories found", paginator.count)
        cards = "".join(f"<li>{card}</li>" for card in search_result_cards(context["results"]))
        html = [
            f'\n\n\n  <p class="search-count">{total % {"total": localize(paginator.count)}}</p>\n'
            f'  <ul class="story-grid story-grid--results" role="list">\n    {cards}\n  </ul>\n'
        ]
    else:
        none_found = gettext("No stories match “%(query)s”. Try fewer or other words.")
        html = [f"\n\n\n  <p>{none_found % {'query': escape(terms.query)}}</p>\n"]
    html.append("\n")
    if context["is_paginated"]:
        query = escape(urlquote(terms.query, safe="/"))  # as the urlencode filter writes it
        previous = next_ = ""
        if page.has_previous():
            previous = (
                f'<a rel="prev" href="?q={query}&amp;page={page.previous_page_number()}">'
                f"{gettext('Previous results')}</a>"
            )
        if page.has_next():
            next_ = f'<a rel="next" href="?q={query}&amp;page={page.next_page_number()}">{gettext("More results")}</a>'
        position = gettext("Page %(number)s of %(total)s") % {
            "number": localize(page.number),
            "total": localize(paginator.num_pages),
        }
        html.append(
            f'\n  <nav class="pagination" aria-label="{gettext("More results")}">\n    {previous}\n'
            f'    <span class="pagination__position">{position}</span>\n    {next_}\n  </nav>\n'
        )
    html.append("\n")
    return mark_safe("".join(html))  # noqa: S308 - the query escaped, the cards and excerpts escaped where made
