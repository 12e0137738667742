from django.contrib.sitemaps import Sitemap
from django.urls import reverse


class FixedPagesSitemap(Sitemap):
    """The site's pages that are not stories, each in every language."""

    i18n = True
    alternates = True
    x_default = True
    changefreq = "weekly"

    def items(self):
        return ["news:list", "membership:apply", "privacy_notice"]

    def location(self, name):
        return reverse(name)
