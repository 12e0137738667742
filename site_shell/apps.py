from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SiteShellConfig(AppConfig):
    """What every page of the site shares: the languages, the fixed pages, robots.txt, their sitemap, error pages
    and the headers every response carries."""

    name = "site_shell"
    verbose_name = _("Site")

    def ready(self):
        from . import site_address  # noqa: F401 - registers the SITE_URL deployment check
