from django.contrib.sitemaps import Sitemap
from django.utils import translation

from .models import NewsStory


class StorySitemap(Sitemap):
    """Each story once per language it is written in, with hreflang alternates."""

    i18n = True
    alternates = True
    x_default = True

    def items(self):
        return NewsStory.objects.published().for_list()

    def get_languages_for_item(self, story):
        return list(story.get_available_languages())

    def location(self, story):
        # Django calls this once per language, with that language active.
        return story.url_in(translation.get_language())

    def lastmod(self, story):
        return story.updated_at
