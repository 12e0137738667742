from django.views.generic import DetailView, ListView
from parler.views import TranslatableSlugMixin

from .models import NewsStory


class StoryListView(ListView):
    template_name = "news/story_list.html"
    context_object_name = "stories"
    paginate_by = 12

    def get_queryset(self):
        # The public list is the same for everyone: staff preview drafts one by one.
        return NewsStory.objects.published().for_list()


class StoryDetailView(TranslatableSlugMixin, DetailView):
    """A story found by its slug in any language (parler redirects to the page language's own slug)."""

    template_name = "news/story_detail.html"
    context_object_name = "story"

    def get_queryset(self):
        # Staff preview drafts and scheduled stories on their public addresses.
        return NewsStory.objects.visible_to(self.request.user).for_list()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["newer_story"], context["older_story"] = self.object.newer_and_older(self.get_queryset())
        context["related_stories"] = self.object.related_stories(NewsStory.objects.published())
        return context
