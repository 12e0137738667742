from django.contrib.sitemaps import Sitemap

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

    def lastmod(self, story):
        return story.updated_at

