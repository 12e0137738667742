from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class BaseConfig(AppConfig):
    """What every page of the site shares: the languages, the fixed pages, robots.txt and their sitemap."""

    name = "base"
    verbose_name = _("Site")


class SiteAdminConfig(admin_apps.AdminConfig):
    """Django's admin on the site's own AdminSite, which asks staff for their second factor: every
    admin.site.register() and @admin.register() elsewhere keeps working unchanged."""

    default = False  # named in INSTALLED_APPS in place of "django.contrib.admin"; "base" stays BaseConfig
    default_site = "base.admin_site.SiteAdmin"

    def ready(self):
        super().ready()
        # Staff logins, failed logins and lock-outs go to the "ietp.security" log.
        from base import login_guard  # noqa: F401
