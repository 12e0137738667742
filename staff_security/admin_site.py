"""The admin site: Django's, asking staff for a second factor (django-otp: an authenticator app, or a backup code).

Staff log in with their password as before (django-axes guards that form, staff_security/login_guard.py); a user with an
authenticator app, and every superuser when ADMIN_REQUIRE_2FA_FOR_SUPERUSERS is on, then gives a code before any
admin page opens. A superuser without an app yet is taken to set one up. README.md, "Admin security".
"""

import hashlib
import logging
from base64 import b32encode
from functools import update_wrapper
from urllib.parse import urlsplit

import segno
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.generic import FormView
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from site_shell.client_address import client_address
from site_shell.rate_limits import count_in_window
from site_shell.site_address import site_origin

from . import unsent_forms

security_log = logging.getLogger("ietp.security")
BACKUP_CODE_COUNT = 10
# Password-reset emails an hour: for one email address (a forgetful staff member asks twice), and from one client
# address (an office behind one address). Beyond them the form answers "sent" and sends nothing.
PASSWORD_RESET_WINDOW_SECONDS = 60 * 60
PASSWORD_RESETS_PER_ACCOUNT = 3
PASSWORD_RESETS_PER_ADDRESS = 10
# The names a staff member's devices are given: stored in English, shown in the admin's language whoever set them up
# (staff_security/two_factor_admin.py).
AUTHENTICATOR_APP = gettext_noop("Authenticator app")
BACKUP_CODES = gettext_noop("Backup codes")


def has_authenticator(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def second_factor_missing(user):
    """True while a staff member who must give a second factor has not given it in this session."""
    if not user.is_authenticated or getattr(user, "is_verified", lambda: False)():
        return False
    if not hasattr(user, "_ietp_second_factor_missing"):
        # Asked several times per admin page: one query at most.
        required = user.is_superuser and settings.ADMIN_REQUIRE_2FA_FOR_SUPERUSERS
        user._ietp_second_factor_missing = required or has_authenticator(user)
    return user._ietp_second_factor_missing


def is_verified_staff(user):
    """Staff who have given every factor asked of them: only they are treated as staff outside the admin (drafts
    previewed on public pages, pages kept out of shared caches). A password alone makes a visitor."""
    return user.is_active and user.is_staff and not second_factor_missing(user)


class SiteAdmin(admin.AdminSite):
    def has_permission(self, request):
        return super().has_permission(request) and not second_factor_missing(request.user)

    def admin_view(self, view, cacheable=False):
        """Every admin view; staff it refuses, or who ask for what is not there, get the admin's own page in
        their admin language rather than the site's (whose language switch cannot name an admin address)."""

        def view_with_admin_errors(request, *args, **kwargs):
            try:
                return view(request, *args, **kwargs)
            except PermissionDenied:
                return self.error_page(request, 403, "admin/403.html", gettext("Permission denied"))
            except Http404:
                return self.error_page(request, 404, "admin/404.html", gettext("Page not found"))

        protected = super().admin_view(update_wrapper(view_with_admin_errors, view), cacheable)

        def keeping_unsent_forms(request, *args, **kwargs):
            # A form sent after the session ended is kept for after the login (staff_security/unsent_forms.py).
            return unsent_forms.answer(request, self, protected, *args, **kwargs)

        return update_wrapper(keeping_unsent_forms, protected)

    def error_page(self, request, status, template, title):
        context = {**self.each_context(request), "title": title}
        return TemplateResponse(request, template, context, status=status)

    def login(self, request, extra_context=None):
        # A password already given, the second factor not yet: ask for it, or for an app to be set up.
        if request.method == "GET" and super().has_permission(request) and second_factor_missing(request.user):
            view = "admin:two_factor" if has_authenticator(request.user) else "admin:two_factor_set_up"
            return redirect_to_login(safe_next(request), reverse(view))
        return super().login(request, extra_context)

    def get_urls(self):
        two_factor_urls = [
            path("two-factor/", staff_only(TwoFactorView.as_view(admin_site=self)), name="two_factor"),
            path(
                "two-factor/set-up/",
                staff_only(AuthenticatorSetUpView.as_view(admin_site=self)),
                name="two_factor_set_up",
            ),
        ]
        return two_factor_urls + super().get_urls()


def safe_next(request):
    next_url = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME, "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return next_url
    return reverse("admin:index")


def staff_only(view):
    """Staff who have given their password; unlike the admin's own views, not yet their second factor."""

    def staff_view(request, *args, **kwargs):
        if not (request.user.is_active and request.user.is_staff):
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        return view(request, *args, **kwargs)

    return never_cache(staff_view)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}),
    )

    def clean_code(self):
        return "".join(self.cleaned_data["code"].split()).lower()


class AdminPageMixin:
    admin_site = None
    title = None

    def get_context_data(self, **kwargs):
        return {
            **self.admin_site.each_context(self.request),
            "title": self.title,
            "next": safe_next(self.request),
            **super().get_context_data(**kwargs),
        }


class TwoFactorView(AdminPageMixin, FormView):
    """The second step of logging in: a code from the authenticator app, or one of the backup codes."""

    form_class = CodeForm
    template_name = "admin/two_factor/verify.html"
    title = _("Two-factor authentication")

    def dispatch(self, request, *args, **kwargs):
        if not second_factor_missing(request.user):
            return redirect(safe_next(request))
        if not has_authenticator(request.user):
            return redirect_to_login(safe_next(request), reverse("admin:two_factor_set_up"))
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        user = self.request.user
        with transaction.atomic():
            # Each device throttles its own failures (django-otp); a backup code is deleted once used.
            device = next(
                (d for d in devices_for_user(user, for_verify=True) if d.verify_token(form.cleaned_data["code"])), None
            )
        if device is None:
            security_log.warning(
                "Failed second factor: username %r from %s", user.get_username(), client_address(self.request)
            )
            form.add_error("code", gettext("This code is not right, or has been used. Try the newest one."))
            return self.form_invalid(form)
        otp_login(self.request, device)
        security_log.info(
            "Second factor given: %s from %s (%s)",
            user.get_username(),
            client_address(self.request),
            "backup code" if isinstance(device, StaticDevice) else "authenticator app",
        )
        return redirect(safe_next(self.request))


class AuthenticatorSetUpView(AdminPageMixin, FormView):
    """A staff member adds an authenticator app: scan the QR code, type the first code, keep the backup codes."""

    form_class = CodeForm
    template_name = "admin/two_factor/set_up.html"
    title = _("Set up two-factor authentication")

    def dispatch(self, request, *args, **kwargs):
        # Someone who has an app proves it before replacing it: a stolen password alone must not add a device.
        if has_authenticator(request.user) and not request.user.is_verified():
            return redirect_to_login(safe_next(request), reverse("admin:two_factor"))
        self.device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
        if self.device is None:
            self.device = TOTPDevice.objects.create(user=request.user, name=AUTHENTICATOR_APP, confirmed=False)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        secret = b32encode(self.device.bin_key).decode()
        return super().get_context_data(
            qr_code=segno.make(self.device.config_url, error="m").svg_inline(scale=5, border=2),
            secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            replacing=has_authenticator(self.request.user),
            **kwargs,
        )

    def form_valid(self, form):
        user = self.request.user
        if not self.device.verify_token(form.cleaned_data["code"]):
            form.add_error("code", gettext("This code is not right. Type the six digits the app shows now."))
            return self.form_invalid(form)
        with transaction.atomic():
            # One app and one set of backup codes per person: a new app replaces the old one.
            TOTPDevice.objects.filter(user=user, confirmed=True).delete()
            StaticDevice.objects.filter(user=user).delete()
            self.device.confirmed = True
            self.device.save()
            backup = StaticDevice.objects.create(user=user, name=BACKUP_CODES)
            codes = [StaticToken.random_token() for _number in range(BACKUP_CODE_COUNT)]
            StaticToken.objects.bulk_create(StaticToken(device=backup, token=code) for code in codes)
        otp_login(self.request, self.device)
        security_log.info("Authenticator app set up: %s from %s", user.get_username(), client_address(self.request))
        # Shown once, in this response only.
        context = {
            **self.admin_site.each_context(self.request),
            "title": gettext("Your backup codes"),
            "codes": codes,
            "next": safe_next(self.request),
        }
        return TemplateResponse(self.request, "admin/two_factor/backup_codes.html", context)


class StaffPasswordResetForm(PasswordResetForm):
    """The admin's "Forgotten your password?": only staff accounts are sent a link, at most a few an hour for one
    email address and from one client address, and the link is on SITE_URL (site_shell/site_address.py)."""

    def get_users(self, email):
        return (user for user in super().get_users(email) if user.is_staff)

    def save(self, *args, request=None, **kwargs):
        """Sends the link unless a limit is reached; either way the view answers with the same "sent" page, so that
        neither the limit nor the form tells anyone which addresses have an account."""
        email = self.cleaned_data["email"]
        address = client_address(request)
        # Both are counted, so that one address cannot spend every account's allowance nor the reverse.
        over_address = count_reset(f"address:{address}") > PASSWORD_RESETS_PER_ADDRESS
        over_account = count_reset(f"account:{email_key(email)}") > PASSWORD_RESETS_PER_ACCOUNT
        if over_address or over_account:
            security_log.warning(
                "Password reset not sent: the hour's limit for this %s was reached (client %s)",
                "email address" if over_account else "client address",
                address,
            )
            return
        origin = urlsplit(site_origin(request))
        kwargs.update(domain_override=origin.netloc, use_https=origin.scheme == "https")
        super().save(*args, request=request, **kwargs)


def email_key(email):
    """The email address as counted: case ignored, hashed (no address in the cache's keys)."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def count_reset(subject):
    """One more password reset for `subject` this hour, in the shared cache: the count so far (0 with no cache)."""
    key = f"staff:password-reset:{subject}"
    try:
        return count_in_window(key, PASSWORD_RESET_WINDOW_SECONDS)
    except Exception:  # noqa: BLE001 - the cache server is down: staff locked out of their password matter more
        security_log.warning("Cache unavailable: password resets are not counted", exc_info=True)
        return 0
