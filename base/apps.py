from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BaseConfig(AppConfig):
    """What every page of the site shares: the languages, the fixed pages, robots.txt and their sitemap."""

    name = "base"
    verbose_name = _("Site")
