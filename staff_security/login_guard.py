"""The admin's defences against password guessing (django-axes), and the security log of staff logins.

Axes counts failed logins in the database (shared by every worker and server) per username and address, and its
backend refuses a locked-out pair before the password is hashed. On top, one address is refused after
ADMIN_LOGIN_FAILURES_PER_ADDRESS failures whatever the usernames. A lock-out is also noted in the shared cache, where
LockedOutLoginGate finds it before the session, the CSRF check or the database are touched: eight guessers then
cost the two workers little more than eight readers would (bench/login_guessing.py). Without the cache, axes'
database check still refuses them, at a few queries each.
"""

import hashlib
import logging
import math

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.db import DatabaseError
from django.db.models import Sum
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext

from site_shell.client_address import client_address

security_log = logging.getLogger("ietp.security")


class LoginGuardHandler(AxesDatabaseHandler):
    """Axes' database handler, with a ceiling on the failures from one address across all usernames."""

    def is_locked(self, request, credentials=None):
        return super().is_locked(request, credentials) or address_over_ceiling(request)

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        try:
            super().user_login_failed(sender, credentials, request=request, **kwargs)
        except DatabaseError:
            # SQLite refuses a second writer at once rather than wait: one failure goes uncounted, never a 500.
            security_log.warning("A failed login could not be counted", exc_info=True)
            return
        if request is None:
            return
        address = request.axes_ip_address
        if address_over_ceiling(request):
            if not request.axes_locked_out:
                request.axes_locked_out = True
                request.axes_credentials = credentials
                user_locked_out.send("axes", request=request, username=None, ip_address=address)
            remember_lock_out(request, address)
        elif request.axes_locked_out:
            remember_lock_out(request, address, get_client_username(request, credentials) or "")


def address_over_ceiling(request):
    failures = AccessAttempt.objects.filter(
        ip_address=request.axes_ip_address, attempt_time__gte=get_cool_off_threshold(request)
    ).aggregate(total=Sum("failures_since_start"))["total"]
    return (failures or 0) >= settings.ADMIN_LOGIN_FAILURES_PER_ADDRESS


def lock_key(address, username=None):
    """The shared cache's note of a locked-out address (username None) or username-and-address pair."""
    kind = "address" if username is None else "pair"
    digest = hashlib.sha256(f"{address}\n{username or ''}".encode()).hexdigest()[:32]
    return f"admin-login:locked:{kind}:{digest}"


def remember_lock_out(request, address, username=None):
    try:
        cache.set(lock_key(address, username), True, timeout=get_cool_off(request).total_seconds())
    except Exception:  # noqa: BLE001 - without the cache, axes' database check still refuses the guesser
        security_log.warning("Cache unavailable: a lock-out is kept in the database only", exc_info=True)


@receiver(post_delete, sender=AccessAttempt)
def forget_lock_out(sender, instance, **kwargs):
    """An attempt deleted (axes_reset_username, axes_reset_ip, axes_reset, the admin, its expiry) unlocks its pair and
    its address at once, on every worker."""
    try:
        cache.delete_many([lock_key(instance.ip_address), lock_key(instance.ip_address, instance.username or "")])
    except Exception:  # noqa: BLE001 - the note expires by itself within the cool-off time
        security_log.warning("Cache unavailable: a lock-out note stays until it expires", exc_info=True)


def int_or_zero(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        return 0


class LockedOutLoginGate:
    """Answers a login post from a locked-out address or username-and-address pair with the lock-out page, before
    the session, the CSRF check, the database or a password hash: a guesser costs a cache read."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.method == "POST"
            and request.path_info.endswith(f"/{settings.ADMIN_URL}login/")
            and settings.AXES_ENABLED
            # A login form is small; anything larger is refused further down before its body is read.
            and 0 < int_or_zero(request.META.get("CONTENT_LENGTH")) <= settings.REQUEST_BODY_MAX_BYTES
        ):
            address = client_address(request)
            try:
                username = request.POST.get("username", "")
            except Exception:  # noqa: BLE001 - a body that cannot be read is answered further down, as anywhere
                return self.get_response(request)
            try:
                locked = cache.get_many([lock_key(address), lock_key(address, username)])
            except Exception:  # noqa: BLE001 - axes' database check decides instead
                locked = {}
            if locked:
                security_log.warning("Failed admin login: username %r from %s (locked out)", username, address)
                language = translation.get_language_from_path(request.path_info) or settings.LANGUAGE_CODE
                with translation.override(language):
                    return locked_out_page(request)
        return self.get_response(request)


def locked_out_page(request, original_response=None, credentials=None):
    """The lock-out page, in the admin's look and language (the admin lives under /zh/ too). It names nobody and
    needs no session (LockedOutLoginGate answers before there is one), so each worker renders it once per language."""
    minutes = math.ceil(get_cool_off(request).total_seconds() / 60)
    version = (translation.get_language(), minutes, settings.AXES_FAILURE_LIMIT)
    if version not in LOCKED_OUT_PAGES:
        context = {
            "site_header": admin.site.site_header,
            "site_title": admin.site.site_title,
            "site_url": admin.site.site_url,
            "has_permission": False,
            "is_nav_sidebar_enabled": False,
            "title": gettext("Too many failed logins"),
            "minutes": minutes,
            "failure_limit": settings.AXES_FAILURE_LIMIT,
        }
        LOCKED_OUT_PAGES[version] = TemplateResponse(request, "admin/locked_out.html", context).render().content
    response = HttpResponse(LOCKED_OUT_PAGES[version], status=429)
    add_never_cache_headers(response)
    return response


LOCKED_OUT_PAGES = {}


@receiver(user_logged_in)
def log_staff_login(sender, request, user, **kwargs):
    if user.is_staff and request is not None:
        security_log.info("Staff login: %s from %s", user.get_username(), client_address(request))


@receiver(user_login_failed)
def log_failed_login(sender, credentials, request=None, **kwargs):
    # Only the username: Django's credentials hold the password too, which never reaches a log.
    username = get_client_username(request, credentials) if request is not None else credentials.get("username")
    address = client_address(request) if request is not None else "-"
    security_log.warning("Failed admin login: username %r from %s", username, address)


@receiver(user_locked_out)
def log_lock_out(sender, request, username, ip_address, **kwargs):
    if username:
        security_log.warning(
            "Lock-out: username %r from %s, for %s minutes", username, ip_address, settings.AXES_COOLOFF_MINUTES
        )
    else:
        security_log.warning("Lock-out: address %s, too many failed logins across usernames", ip_address)
