from axes import apps as axes_apps
from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static import apps as otp_static_apps
from django_otp.plugins.otp_totp import apps as otp_totp_apps


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
        from django.contrib import admin

        from staff_security import login_guard  # noqa: F401
        from staff_security.two_factor_admin import register_in_admin_language

        # After autodiscover: django-otp's device admins are registered, and are replaced by translated ones.
        register_in_admin_language(admin.site)


# django-axes and django-otp give their apps no translatable name ("Axes", "Otp_Totp", "Otp_Static" in the admin's
# sidebar, in both languages): named in INSTALLED_APPS in their place, these name them for staff. (The libraries'
# modules are imported, not their classes, so that StaffSecurityConfig stays this module's only default.)


class LoginAttemptsConfig(axes_apps.AppConfig):
    default = False
    verbose_name = _("Login attempts")


class AuthenticatorAppsConfig(otp_totp_apps.DefaultConfig):
    default = False
    verbose_name = _("Authenticator apps")


class BackupCodesConfig(otp_static_apps.DefaultConfig):
    default = False
    verbose_name = _("Backup codes")
