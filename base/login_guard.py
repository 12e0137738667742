"""The admin's defences against password guessing (django-axes), and the security log of staff logins.

Axes counts failed logins in the database (shared by every worker and server) per username and address, and its
backend refuses a locked-out pair before the password is hashed: a guesser costs the server a few queries, not a
PBKDF2 hash. On top, one address is refused after ADMIN_LOGIN_FAILURES_PER_ADDRESS failures whatever the usernames.
"""

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
from django.db.models import Sum
from django.dispatch import receiver
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext

from membership.views import visitor_ip

security_log = logging.getLogger("ietp.security")


def client_address(request):
    """The visitor's address, taken as everywhere else on the site (TRUST_X_FORWARDED_FOR)."""
    return visitor_ip(request)


class LoginGuardHandler(AxesDatabaseHandler):
    """Axes' database handler, with a ceiling on the failures from one address across all usernames."""

    def is_locked(self, request, credentials=None):
        return super().is_locked(request, credentials) or address_over_ceiling(request)

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is not None and not getattr(request, "axes_locked_out", False) and address_over_ceiling(request):
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send("axes", request=request, username=None, ip_address=request.axes_ip_address)


def address_over_ceiling(request):
    failures = AccessAttempt.objects.filter(
        ip_address=request.axes_ip_address, attempt_time__gte=get_cool_off_threshold(request)
    ).aggregate(total=Sum("failures_since_start"))["total"]
    return (failures or 0) >= settings.ADMIN_LOGIN_FAILURES_PER_ADDRESS


def locked_out_page(request, original_response=None, credentials=None):
    """The lock-out page, in the admin's look and language (the admin lives under /zh/ too)."""
    context = {
        **admin.site.each_context(request),
        "title": gettext("Too many failed logins"),
        "minutes": math.ceil(get_cool_off(request).total_seconds() / 60),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
    }
    response = TemplateResponse(request, "admin/locked_out.html", context, status=429)
    response.render()
    add_never_cache_headers(response)
    return response


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
