from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import Exists, OuterRef, Prefetch
from django.http import FileResponse, Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from django.views.generic import DetailView, ListView, RedirectView, YearArchiveView

from caching.compressed import accepts_gzip
from caching.fragments import cached_fragments
from caching.page_cache import generation_and_entries, is_anonymous_read, is_shareable
from caching.page_with_slots import deflated
from site_shell.error_pages import plain_page
from site_shell.site_address import absolute_url
from site_shell.views import qr_code_svg
from staff_security.admin_site import is_verified_staff

from .models import NewsStory, PreviewLink, RemovedStoryAddress, StoryDocument, show_drafts, translations_visible_to
from .pagination import ListOrder, StoryPaginator
from .postgresql_search import MatchingStories
from .rendered_pages import CachedPage
from .search import (
    MAX_QUERY_LENGTH,
    SEARCH_LIMIT_WINDOW_SECONDS,
    SearchTerms,
    cache_results,
    cached_results,
    over_search_limit,
    results_key,
)
from .search_page import likely_shape, results_part, serves_the_shell, shell_key, shell_response

# The furthest row a database can be asked to start from (OFFSET, a 64-bit integer on PostgreSQL and SQLite).
MAX_OFFSET = 2**63 - 1


def reader(request):
    """Who is reading: staff (who preview drafts) with every factor given, else an anonymous visitor; found without
    opening a session that is not there (opening one marks the page `Vary: Cookie`, which splits every shared cache).
    A staff session waiting for its second factor reads as a visitor."""
    if settings.SESSION_COOKIE_NAME not in request.COOKIES or not is_verified_staff(request.user):
        return AnonymousUser()
    return request.user


class PublishedStoriesMixin:
    """What every list of stories shares: the published stories, newest first, twelve a page."""

    context_object_name = "stories"
    paginate_by = 12
    paginator_class = StoryPaginator
    # Names the list's stories (whatever the page's language) for StoryPaginator's positions; None: read with OFFSET.
    positions_name = None

    def get_queryset(self):
        # Public lists are the same for everyone: staff preview drafts one by one.
        return NewsStory.objects.published().for_list()

    def get_paginator(self, queryset, per_page, **kwargs):
        if issubclass(self.paginator_class, StoryPaginator) and self.positions_name:
            kwargs.update(order=ListOrder, positions_name=self.positions_name)
        return super().get_paginator(queryset, per_page, **kwargs)


class RenderedOncePerVersionMixin:
    """A list page a visitor without a session reads is cached as rendered under the versions of the stories it shows,
    and which stories those are under the published order (news/rendered_pages.py): after a change elsewhere the
    page is one small query."""

    def get(self, request, *args, **kwargs):
        cached = CachedPage(request, "list-page") if is_anonymous_read(request) else None
        if cached is not None and cached.shown is not None:
            response = cached.response(cached.shown, cached.shown["stories"])
            if response is not None:
                return response
        response = super().get(request, *args, **kwargs)
        if cached is not None:
            response.add_post_render_callback(lambda response: self.cache_page(response, cached))
        return response

    def cache_page(self, response, cached):
        if response.status_code != 200 or not is_shareable(self.request, response):
            return
        page = response.context_data["page_obj"]
        shown = {"stories": [story.pk for story in page.object_list], "has_next": page.has_next()}
        if cached.shown is None:
            cached.cache_shown(shown)  # the page itself the next time, under versions read before its stories
        else:
            cached.cache_rendered(shown, response.content.decode())


class StoryListView(RenderedOncePerVersionMixin, PublishedStoriesMixin, ListView):
    template_name = "news/story_list.html"
    positions_name = "list"


class CategoryStoryListView(RenderedOncePerVersionMixin, PublishedStoriesMixin, ListView):
    """The stories of one category (/news/category/event/); the categories are fixed, so an empty one is a page."""

    template_name = "news/story_section.html"

    def get_queryset(self):
        if self.kwargs["category"] not in NewsStory.Category.values:
            raise Http404("No such category")
        self.positions_name = f"category:{self.kwargs['category']}"
        return super().get_queryset().filter(category=self.kwargs["category"])

    def get_context_data(self, **kwargs):
        headings = {
            NewsStory.Category.NEWS: _("News"),
            NewsStory.Category.BLOG: _("Blog posts"),
            NewsStory.Category.EVENT: _("Events"),
        }
        return super().get_context_data(section_title=headings[self.kwargs["category"]], **kwargs)


class YearStoryListView(PublishedStoriesMixin, YearArchiveView):
    """The stories published in one year (/news/2023/), with links to the years before and after."""

    template_name = "news/story_section.html"
    date_field = "publish_at"
    make_object_list = True

    def get(self, request, *args, **kwargs):
        # A story slugged like a year ("2023"), now or before, keeps the address it had before year pages existed.
        stories = NewsStory.objects.visible_to(reader(request))
        if stories.with_slug(kwargs["year"], translation.get_language(), reader(request)) is not None:
            return StoryDetailView.as_view()(request, slug=kwargs["year"])
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        title = _("Stories from %(year)s") % {"year": self.get_year()}
        return super().get_context_data(section_title=title, **kwargs)


class StorySearchView(PublishedStoriesMixin, ListView):
    """/search/?q=: the published stories that say what was searched for, in either language (news/search.py),
    each with an excerpt of the version that says it, its terms marked. Never indexed: the results of any words
    anyone types are not pages for search engines."""

    template_name = "news/search.html"
    paginate_by = 10
    # Results are counted: the page says how many pages there are, and a page out of range shows the nearest one.
    paginator_class = Paginator

    def get(self, request, *args, **kwargs):
        self.terms = SearchTerms.from_query(request.GET.get("q", ""))
        if self.terms.query and over_search_limit(request):
            return too_many_searches(request)
        serves_shell = serves_the_shell(request)
        shell_keys = [shell_key(request, likely_shape(request, self.terms))] if serves_shell else []
        if self.terms.query:
            # The cache generation, this search's cached results and the page's shell: one round trip.
            key = results_key(translation.get_language(), self.terms.query, request.GET.get("page", ""))
            generation, cached = generation_and_entries([key, *shell_keys])
            compressed = serves_shell and accepts_gzip(request)
            results = self.page_of_results(key, cached.get(key), generation, compressed)
        else:
            # No results, so no generation either (finding a new one reads the database).
            cached, results = cached_fragments(shell_keys) if shell_keys else {}, {}
        if serves_shell:
            # A visitor's page: the page template rendered once per language and shape, the search's values put in.
            response = shell_response(self, self.terms, results, cached)
        else:
            context = {**self.page_context(self.terms), **results}
            response = self.render_to_response({**context, "later_page": results.get("page_number", 1) > 1})
        response["X-Robots-Tag"] = "noindex"
        return response

    def page_context(self, terms):
        """What the page template reads besides the results (news/search_page.py renders its shell with it too)."""
        return {"view": self, "terms": terms, "max_query_length": MAX_QUERY_LENGTH}

    def page_of_results(self, key, cached_entry, generation, compressed=False):
        """The page asked for, rendered, from the cache when this search was made before in this cache generation:
        {"page_number": the page shown, "results": its HTML, "deflated": its deflate blocks or None}. `compressed`:
        the page will be sent compressed, so the results are cached compressed too, for every visitor's repeat."""
        results = cached_results(cached_entry, generation)
        if results is None:
            self.object_list = self.get_queryset()
            context = self.get_context_data()
            html = results_part(context)
            results = {
                "page_number": context["page_obj"].number,
                "results": html,
                "deflated": deflated(html.encode(), last=False) if compressed else None,
            }
            cache_results(key, results, generation)
        return {**results, "results": mark_safe(results["results"])}

    def get_template_names(self):
        # A page from the cache has no object_list for ListView to name a template after.
        return [self.template_name]

    def get_queryset(self):
        if not self.terms:
            return NewsStory.objects.none()
        if connections[NewsStory.objects.db].vendor == "postgresql":
            return MatchingStories(self.terms)  # read as SQL text, no model made (news/postgresql_search.py)
        return NewsStory.objects.search(self.terms)

    def paginate_queryset(self, queryset, page_size):
        """The page asked for, and how many stories match, in one query: each row of the page carries the count of
        every match (a window over the ranked stories), so the matches are not ranked once more only to be counted.
        A page number out of range (an old link, an edited address) shows the nearest page, not an error page."""
        paginator = self.get_paginator(queryset, page_size)
        try:
            number = int(self.request.GET.get("page") or 1)
        except ValueError:
            number = 0  # not a number: Paginator.get_page below shows the first page
        start = (number - 1) * page_size
        # A page past what OFFSET can hold (a 64-bit integer) is out of range too, not a database error.
        if number >= 1 and start <= MAX_OFFSET:
            stories, count = queryset.page_with_count(start, start + page_size)
            if stories or number == 1:
                paginator.count = count or 0
                page = Page(stories, number, paginator)
                return paginator, page, stories, page.has_other_pages()
        page = paginator.get_page(self.request.GET.get("page"))  # counts, then reads the nearest page
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(terms=self.terms, **kwargs)
        context["results"] = [(story, *story.search_excerpt(self.terms)) for story in context["stories"]]
        return context


def too_many_searches(request):
    return plain_page(
        request,
        429,
        _("Too many searches"),
        _("You have searched very often in the last minute. Please wait a minute, then search again."),
        **{"Retry-After": str(SEARCH_LIMIT_WINDOW_SECONDS)},
    )


class StoryDetailView(DetailView):
    """A story found by the slug of a version the visitor may read, in any language: a slug in another language
    than the page's redirects to the page language's own slug when that version is readable. A slug the story
    had before redirects permanently to its address now.

    For visitors, which stories the page shows (the story for this slug and language, its newer and older
    neighbours, the related stories) is found once per published order and cached in the shared cache; the page
    itself is cached as rendered under those stories' versions (news/rendered_pages.py): until one of them changes it
    is one small query, and when one has, the six stories are read in one query with their translations and
    documents. Staff, who see drafts, always look them up and render the page."""

    template_name = "news/story_detail.html"
    context_object_name = "story"
    # (newer, older, related) once known for this request; None: looked up in get_context_data.
    stories_around = None
    # The ids of the story and of the stories around it, as cached for the published order, once known.
    shown_ids = None

    @cached_property
    def visible_stories(self):
        # Staff preview drafts and scheduled versions on their public addresses. Built once for the story and its
        # neighbours: building the conditions costs as much as running them.
        return NewsStory.objects.visible_to(reader(self.request))

    @cached_property
    def is_staff(self):
        return reader(self.request).is_staff

    @cached_property
    def cached_page(self):
        """The page as news/rendered_pages.py caches it for visitors; None for staff."""
        return None if self.is_staff else CachedPage(self.request, "story-page")

    def get_queryset(self):
        return self.visible_stories.prefetch_related("documents")

    def get_object(self, queryset=None):
        return self.story_from_cached_ids() or self.story_for_slug()

    def story_for_slug(self):
        language, slug = translation.get_language(), self.kwargs["slug"]
        versions_with_slug = translations_visible_to(reader(self.request)).filter(master=OuterRef("pk"), slug=slug)
        # Two stories may share a slug in different languages: the page's language wins.
        stories = sorted(
            self.get_queryset().filter(Exists(versions_with_slug))[:2],
            key=lambda story: (
                not any(
                    version.slug == slug and version.language_code == language for version in story.translations.all()
                )
            ),
        )
        if not stories:
            raise Http404("No story has this address")
        story = stories[0]
        story.set_current_language(language)
        if self.is_staff:
            show_drafts(story)  # staff check the unpublished changes where readers will read them
        return story

    def story_from_cached_ids(self):
        """The story, with the stories around it (stories_around), from the ids cached for the published order: one
        query and its translations' and documents'. None when they are not cached (the first page of this order)."""
        ids = self.cached_ids
        if ids is None:
            return None
        wanted = self.shown_story_ids(ids)
        stories = NewsStory.objects.published().filter(pk__in=wanted)
        # Only the story's own documents are shown.
        documents = Prefetch("documents", queryset=StoryDocument.objects.filter(story=ids["story"]))
        found = {story.pk: story for story in stories.prefetch_related(documents)}
        if any(pk not in found for pk in wanted):
            return None  # cannot happen within an order; look them up rather than show a gap
        language = translation.get_language()
        for story in found.values():
            story.set_current_language(language)
        newer, older = found.get(ids["newer"]), found.get(ids["older"])
        self.stories_around = newer, older, [found[pk] for pk in ids["related"]]
        self.shown_ids = ids
        return found[ids["story"]]

    def get(self, request, *args, **kwargs):
        if self.cached_ids is not None:
            ids = self.cached_ids
            response = self.cached_page.response(ids, self.shown_story_ids(ids), documents_of=ids["story"])
            if response is not None:
                return response
        try:
            self.object = self.get_object()
        except Http404:
            # Only an address no story has now is looked up among the old ones: a live slug always wins.
            language = translation.get_language()
            story = NewsStory.objects.visible_to(reader(request)).with_old_slug(self.kwargs["slug"], language)
            if story is not None:
                return HttpResponsePermanentRedirect(story.url_in(language))
            if RemovedStoryAddress.objects.filter(slug=self.kwargs["slug"]).exists():
                # In any language: a story's address on the other language's pages was public too.
                return TemplateResponse(request, "news/story_removed.html", status=410)
            raise
        if self.object.is_in_page_language and self.object.slug != self.kwargs["slug"]:
            # Reached by the other language's slug: this language's version has its own address.
            return HttpResponsePermanentRedirect(self.object.get_absolute_url())
        response = self.render_to_response(self.get_context_data(object=self.object))
        if self.cached_page is not None and is_anonymous_read(request):
            response.add_post_render_callback(self.cache_page)
        return response

    @cached_property
    def cached_ids(self):
        """The ids of the stories the page shows, as cached for the published order (story_from_cached_ids), or None."""
        return self.cached_page.shown if self.cached_page is not None else None

    @staticmethod
    def shown_story_ids(ids):
        """The stories a page with these ids shows: the story, its neighbours (if any), the related ones."""
        return [pk for pk in [ids["story"], ids["newer"], ids["older"], *ids["related"]] if pk is not None]

    def cache_page(self, response):
        if response.status_code != 200 or not is_shareable(self.request, response):
            return
        if self.cached_ids is None:
            self.cached_page.cache_shown(self.shown_ids)  # the page itself the next time, under versions read first
        else:
            self.cached_page.cache_rendered(self.shown_ids, response.content.decode())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.stories_around is None:
            newer, older = self.object.newer_and_older(self.visible_stories)
            # Where to read on: public stories only, for staff too.
            public_stories = NewsStory.objects.published() if self.is_staff else self.visible_stories
            related = list(self.object.related_stories(public_stories))
            self.stories_around = newer, older, related
            self.shown_ids = {
                "story": self.object.pk,
                "newer": newer and newer.pk,
                "older": older and older.pk,
                "related": [story.pk for story in related],
            }

        context["newer_story"], context["older_story"], context["related_stories"] = self.stories_around
        return context


class StoryShareQrCodeView(StoryDetailView):
    """The QR code of a story's address on a page in this language, for readers to share it in WeChat.

    Cached for a year: the code at this address always leads to the story, as the address it holds keeps working
    (a slug changed later redirects, and so does an address whose language version was written later)."""

    @method_decorator(require_safe)
    @method_decorator(cache_control(public=True, max_age=365 * 24 * 60 * 60, immutable=True))
    def get(self, request, *args, **kwargs):
        story = self.get_object()
        svg = qr_code_svg(absolute_url(request, story.get_absolute_url()))
        return HttpResponse(svg, content_type="image/svg+xml")


class StoryPreviewView(StoryDetailView):
    """One translation of a story as last saved (unpublished changes included), for whoever holds a preview link:
    never indexed, cached or passed on in a Referer. A link that is altered, expired or revoked is a 404."""

    cached_page = None  # the stories around it are looked up, the page rendered: a preview is no public page

    def get(self, request, token):
        link = PreviewLink.active_for_token(token)
        if link is None:
            raise Http404("No such preview link")
        if link.language_code != translation.get_language():
            # The page around the story in the version's language.
            return redirect(link.get_absolute_url())
        story = NewsStory.objects.prefetch_related("translations", "documents").get(pk=link.story_id)
        if not story.has_translation(link.language_code):
            raise Http404("This language's version was deleted")
        story.set_current_language(link.language_code)
        self.object = show_drafts(story)
        response = self.render_to_response(self.get_context_data(object=story, preview_link=link))
        response["X-Robots-Tag"] = "noindex, nofollow"
        response["Cache-Control"] = "private, no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response


def document_download(request, pk, filename):
    """A story's document, for whoever may see the story; the file streams from storage. A PDF opens in the
    browser's viewer; a Word or Excel file is only ever downloaded, never shown as the site's own page."""
    document = get_object_or_404(
        StoryDocument.objects.select_related("story").filter(story__in=NewsStory.objects.visible_to(reader(request))),
        pk=pk,
    )
    if filename != document.filename:  # the file was replaced since the link was made
        return redirect(document)
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=not document.opens_in_browser,
        filename=document.filename,
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    if reader(request).is_staff:  # possibly a draft: no shared cache may cache it
        response["Cache-Control"] = "private, no-store"
    return response


class OldSiteStoryRedirectView(RedirectView):
    """The old site's /news-events/<slug>: straight to the story's address now, in one hop."""

    permanent = True

    def get_redirect_url(self, slug):
        language = translation.get_language()
        story = NewsStory.objects.visible_to(reader(self.request)).with_slug(slug, language, reader(self.request))
        if story is None:
            raise Http404
        return story.url_in(translation.get_language())
