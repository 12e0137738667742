from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .models import NewsStory


class LatestStoriesFeed(Feed):
    title = _("ICTI Ethical Toy Program news")
    description = _("News from the ICTI Ethical Toy Program (IETP) and its Ethical Supply Chain Program (ESCP).")

    def link(self):
        return reverse("news:list")

    def items(self):
        return NewsStory.objects.published().for_list()[:20]

    def item_title(self, story):
        return story.title

    def item_description(self, story):
        return story.summary

    def item_pubdate(self, story):
        return story.publish_at

    def item_updateddate(self, story):
        return story.updated_at
