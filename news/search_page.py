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

from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import localize
from django.utils.html import escape
from django.utils.safestring import mark_safe

from caching.fragments import fragments_rendered_once
from caching.page_cache import CacheHealth, is_anonymous_read
from caching.page_with_slots import PageWithSlots
from operations.release import release_digest
from site_shell.site_address import site_origin
from site_shell.templatetags.site_languages import switch_query

from .search import SearchTerms

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
    return shell.response(
        request,
        {
            QUERY_SLOT: escape(terms.query),
            PAGE_NUMBER_SLOT: escape(localize(results.get("page_number", 1))),
            RESULTS_SLOT: results.get("results", ""),
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
