"""django-otp's admin pages (staff's authenticator apps and backup codes) in the admin's language.

django-otp names its models, fields and fieldsets in plain English strings, not through gettext, so no catalogue can
translate them: they are named again here, lazily, and its two ModelAdmins are replaced by ones that use these names.
Only what the admin shows is changed (a field's verbose_name, a model's _meta names); what migrations read (the
field's original arguments, Meta as declared) is the library's, so no migration follows.
"""

from django.contrib import admin
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin, StaticTokenInline
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

FIELD_NAMES = {
    "user": pgettext_lazy("two-factor device", "user"),
    "name": pgettext_lazy("two-factor device", "name"),
    "confirmed": pgettext_lazy("two-factor device", "confirmed"),
    "created_at": pgettext_lazy("two-factor device", "created"),
    "last_used_at": pgettext_lazy("two-factor device", "last used"),
    "key": pgettext_lazy("two-factor device", "secret key"),
    "step": pgettext_lazy("two-factor device", "time step"),
    "t0": pgettext_lazy("two-factor device", "start time (t0)"),
    "digits": pgettext_lazy("two-factor device", "digits"),
    "tolerance": pgettext_lazy("two-factor device", "tolerance"),
    "drift": pgettext_lazy("two-factor device", "clock drift"),
    "last_t": pgettext_lazy("two-factor device", "last time step used"),
    "throttling_failure_timestamp": pgettext_lazy("two-factor device", "last failed attempt"),
    "throttling_failure_count": pgettext_lazy("two-factor device", "failed attempts in a row"),
    "device": pgettext_lazy("two-factor device", "backup codes"),
    "token": pgettext_lazy("two-factor device", "code"),
}
HELP_TEXTS = {
    "user": _("The staff member this device belongs to."),
    "name": _("What staff call this device."),
    "confirmed": _("Whether the device can be used to log in."),
    "key": _("The secret the app shares with the site (hexadecimal). Anyone who has it can make codes."),
    "step": _("How many seconds each code lasts."),
    "t0": _("The moment (in seconds since 1970) the codes are counted from."),
    "digits": _("How many digits each code has."),
    "tolerance": _("How many codes before or after the current one are accepted, for clocks that differ."),
    "drift": _("How many steps the app's clock is known to be ahead of (or behind) the site's."),
    "throttling_failure_timestamp": _("When a wrong code was last typed; after several, the device waits."),
    "throttling_failure_count": _("Wrong codes typed one after the other."),
}
SEARCH_HELP = _("Search by the staff member's username or email address.")


def name_in_admin_language():
    """django-otp's models and fields named in the admin's language (lazily, so per request)."""
    for model in (TOTPDevice, StaticDevice, StaticToken):
        for field in model._meta.get_fields():
            if field.name in FIELD_NAMES and hasattr(field, "verbose_name"):
                field.verbose_name = FIELD_NAMES[field.name]
    TOTPDevice._meta.verbose_name = _("authenticator app")
    TOTPDevice._meta.verbose_name_plural = _("authenticator apps")
    StaticDevice._meta.verbose_name = _("set of backup codes")
    StaticDevice._meta.verbose_name_plural = _("sets of backup codes")
    StaticToken._meta.verbose_name = _("backup code")
    StaticToken._meta.verbose_name_plural = _("backup codes")


def translated_fieldsets(fieldsets):
    names = {
        "Identity": _("Whose device"),
        "Timestamps": _("When"),
        "Configuration": _("Configuration"),
        "State": _("State"),
        "Throttling": _("Wrong codes"),
    }
    return [(names.get(title, title), options) for title, options in fieldsets]


class DeviceAdminInAdminLanguage:
    """What both device admins share: the device's name and the help texts in the admin's language."""

    search_help_text = SEARCH_HELP

    def get_list_display(self, request):
        return ["device_name" if name == "name" else name for name in super().get_list_display(request)]

    @admin.display(description=FIELD_NAMES["name"], ordering="name")
    def device_name(self, device):
        # Stored in English ("Authenticator app", "Backup codes"; admin_site.py): shown in the admin's language.
        return gettext(device.name)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        for name, help_text in HELP_TEXTS.items():
            if name in form.base_fields:
                form.base_fields[name].help_text = help_text
        return form


class AuthenticatorAppAdmin(DeviceAdminInAdminLanguage, TOTPDeviceAdmin):
    def get_fieldsets(self, request, obj=None):
        return translated_fieldsets(super().get_fieldsets(request, obj))

    @admin.display(description=_("QR code"))
    def qrcode_link(self, device):
        return super().qrcode_link(device)


class BackupCodeInline(StaticTokenInline):
    verbose_name = _("backup code")
    verbose_name_plural = _("backup codes")


class BackupCodesAdmin(DeviceAdminInAdminLanguage, StaticDeviceAdmin):
    fieldsets = translated_fieldsets(StaticDeviceAdmin.fieldsets)
    inlines = [BackupCodeInline]


def register_in_admin_language(site):
    """Replaces django-otp's device admins on `site` (once the admin modules are imported) with the ones above."""
    name_in_admin_language()
    for model, model_admin in ((TOTPDevice, AuthenticatorAppAdmin), (StaticDevice, BackupCodesAdmin)):
        if site.is_registered(model):
            site.unregister(model)
        site.register(model, model_admin)
