from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect
from django.utils import translation
from django.views.generic import DetailView, ListView

from .models import NewsStory


class StoryListView(ListView):
    template_name = "news/story_list.html"
    context_object_name = "stories"
    paginate_by = settings.NEWS_STORIES_PER_PAGE

    def get_queryset(self):
        # The public list is the same for everyone: staff preview drafts one by one.
        return NewsStory.objects.published().for_list()


class StoryDetailView(DetailView):
    template_name = "news/story_detail.html"
    context_object_name = "story"

    def get_queryset(self):
        # Staff preview drafts and scheduled stories on their public addresses.
        return NewsStory.objects.visible_to(self.request.user)

    def get_object(self, queryset=None):
        stories = self.get_queryset().prefetch_related("translations")
        slug = self.kwargs["slug"]
        language = translation.get_language()
        story = stories.filter(translations__language_code=language, translations__slug=slug).first()
        if story is None:
            # A link in the other language, e.g. after switching language on a story.
            story = stories.filter(translations__slug=slug).first()
        if story is None:
            raise Http404("No story has this address.")
        return story

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        if self.object.translation_in_page_language().slug != self.kwargs["slug"]:
            # The story has its own slug in this language: send the reader there.
            return redirect(self.object.get_absolute_url(), permanent=True)
        return self.render_to_response(self.get_context_data(object=self.object))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        story = self.object
        context["newer_story"], context["older_story"] = story.newer_and_older(self.get_queryset())
        # Each language's version of this story has its own slug, so the generic switch won't do.
        context["language_urls"] = {code: story.url_in(code) for code, _name in settings.LANGUAGES}
        context["translated_languages"] = story.get_available_languages()
        return context
