from django.contrib.sitemaps import Sitemap
from django.utils import translation

from .models import NewsStory


class StorySitemap(Sitemap):
    """Each story once per language it is public in, with hreflang alternates, the date that version last
    changed, and its picture."""

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
        # The newest change in any language: the sitemap's own Last-Modified. Each entry gets its version's below.
        return max([story.updated_at, *(version.changed_at for version in story.translations.all())])

    def get_urls(self, page=1, site=None, protocol=None):
        urls = super().get_urls(page, site, protocol)
        origin = f"{self.get_protocol(protocol)}://{self.get_domain(site)}"
        for url in urls:
            story, language_code = url["item"]
            version = next(version for version in story.translations.all() if version.language_code == language_code)
            url["lastmod"] = version.changed_at
            picture = story.share_picture
            # Media may be on another host (S3): its address is then absolute already.
            url["images"] = [picture.url if "://" in picture.url else origin + picture.url] if picture else []
        return urls
