from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class StaffSecurityConfig(AppConfig):
    """The admin's defences: its second factor, the login guard and lock-out, the security log."""

    name = "staff_security"

    def ready(self):
        from site_shell.middleware import ADMIN_SCRIPT_SOURCES

        from .admin_scripts import inline_script_hashes

        # The admin's pages allow its editor's inline import map by hash (site_shell sends the header).
        if inline_script_hashes not in ADMIN_SCRIPT_SOURCES:
            ADMIN_SCRIPT_SOURCES.append(inline_script_hashes)


class SiteAdminConfig(admin_apps.AdminConfig):
    """Django's admin on the site's own AdminSite, which asks staff for their second factor: every
    admin.site.register() and @admin.register() elsewhere keeps working unchanged."""

    default = False  # named in INSTALLED_APPS in place of "django.contrib.admin"; "staff_security" stays its own
    default_site = "staff_security.admin_site.SiteAdmin"

    def ready(self):
        super().ready()
        # Staff logins, failed logins and lock-outs go to the "ietp.security" log.
        from staff_security import login_guard  # noqa: F401
