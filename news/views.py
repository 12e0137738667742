from django.http import FileResponse, Http404, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, redirect
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.generic import DetailView, ListView, RedirectView, YearArchiveView
from parler.views import TranslatableSlugMixin

from .models import NewsStory, StoryDocument


class PublishedStoriesMixin:
    """What every list of stories shares: the published stories, newest first, twelve a page."""

    context_object_name = "stories"
    paginate_by = 12

    def get_queryset(self):
        # Public lists are the same for everyone: staff preview drafts one by one.
        return NewsStory.objects.published().for_list()


class StoryListView(PublishedStoriesMixin, ListView):
    template_name = "news/story_list.html"


class CategoryStoryListView(PublishedStoriesMixin, ListView):
    """The stories of one category (/news/category/event/); the categories are fixed, so an empty one is a page."""

    template_name = "news/story_section.html"

    def get_queryset(self):
        if self.kwargs["category"] not in NewsStory.Category.values:
            raise Http404("No such category")
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
    date_field = "publish_date"
    make_object_list = True

    def get(self, request, *args, **kwargs):
        # A story slugged like a year ("2023"), now or before, keeps the address it had before year pages existed.
        stories = NewsStory.objects.visible_to(request.user)
        if stories.with_slug(kwargs["year"], translation.get_language()) is not None:
            return StoryDetailView.as_view()(request, slug=kwargs["year"])
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        title = _("Stories from %(year)s") % {"year": self.get_year()}
        return super().get_context_data(section_title=title, **kwargs)


class StoryDetailView(TranslatableSlugMixin, DetailView):
    """A story found by its slug in any language (parler redirects to the page language's own slug), or by a
    slug it had before (a permanent redirect to its address now)."""

    template_name = "news/story_detail.html"
    context_object_name = "story"

    def get_queryset(self):
        # Staff preview drafts and scheduled stories on their public addresses.
        return NewsStory.objects.visible_to(self.request.user).for_list().prefetch_related("documents")

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except Http404:
            # Only an address no story has now is looked up among the old ones: a live slug always wins.
            language = self.get_language()
            story = NewsStory.objects.visible_to(request.user).with_old_slug(self.kwargs["slug"], language)
            if story is None:
                raise
            return HttpResponsePermanentRedirect(story.url_in(language))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["newer_story"], context["older_story"] = self.object.newer_and_older(
            NewsStory.objects.visible_to(self.request.user)
        )
        context["related_stories"] = self.object.related_stories(NewsStory.objects.published())
        return context


def document_download(request, pk, filename):
    """A story's document as an attachment, for whoever may see the story; the file streams from storage."""
    document = get_object_or_404(
        StoryDocument.objects.select_related("story").filter(story__in=NewsStory.objects.visible_to(request.user)),
        pk=pk,
    )
    if filename != document.filename:  # the file was replaced since the link was made
        return redirect(document)
    response = FileResponse(
        document.file.open("rb"), as_attachment=True, filename=document.filename, content_type=document.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    if document.story.status != NewsStory.Status.PUBLISHED:
        response["Cache-Control"] = "private, no-store"
    return response


class OldSiteStoryRedirectView(RedirectView):
    """The old site's /news-events/<slug>: straight to the story's address now, in one hop."""

    permanent = True

    def get_redirect_url(self, slug):
        story = NewsStory.objects.visible_to(self.request.user).with_slug(slug, translation.get_language())
        if story is None:
            raise Http404
        return story.url_in(translation.get_language())
