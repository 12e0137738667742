"""What an editor typed is not lost when their admin session ended before they pressed Save.

The session ends after a working day idle (STAFF_SESSION_IDLE_MINUTES), or with a password change elsewhere: the
admin then answers a form's POST with the login page, and the typed text would be gone. Instead the form's fields
(not its files: a browser never sends those again) are kept in the new session; once the editor has logged in
again, the form's address shows what was kept, to be sent as it was (the admin's own checks then run, including the
merge with another editor's changes since: news/merging.py) or discarded.
"""

import datetime
import time

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext

SESSION_KEY = "unsent_admin_form"
RESEND_FIELD, DISCARD_FIELD = "_resend_unsent_form", "_discard_unsent_form"
# Never resent: the token is the new session's, the others steer this module.
NOT_KEPT = {"csrfmiddlewaretoken", RESEND_FIELD, DISCARD_FIELD}


def is_form_address(path):
    """An admin add or change form, the only pages whose POST carries typed text worth keeping."""
    return path.rstrip("/").endswith(("/change", "/add"))


def keep(request):
    """Keeps the refused POST's fields in the session (the one anonymous visitors get) for after the login."""
    request.session[SESSION_KEY] = {
        "path": request.get_full_path(),
        "fields": [[name, values] for name, values in request.POST.lists() if name not in NOT_KEPT],
        "files": [upload.name for upload in request.FILES.values()],
        "kept_at": time.time(),
    }
    messages.warning(
        request,
        gettext("Your session had ended, so nothing was saved. Log in again: what you typed is kept for you."),
    )


def kept_for(request):
    kept = request.session.get(SESSION_KEY)
    return kept if kept and kept["path"] == request.get_full_path() else None


def answer(request, admin_site, protected_view, *args, **kwargs):
    """The admin view's answer, or the page of the form kept for this address, or the discarding of it."""
    if request.method == "POST" and is_form_address(request.path) and not admin_site.has_permission(request):
        keep(request)
    elif request.method == "POST" and (DISCARD_FIELD in request.POST or RESEND_FIELD in request.POST):
        request.session.pop(SESSION_KEY, None)
        if DISCARD_FIELD in request.POST:
            messages.info(request, gettext("What you typed before your session ended was discarded."))
            return HttpResponseRedirect(request.get_full_path())
    elif request.method == "GET" and admin_site.has_permission(request) and (kept := kept_for(request)):
        context = {
            **admin_site.each_context(request),
            "title": gettext("Your changes were not saved"),
            "kept": kept,
            "kept_at": datetime.datetime.fromtimestamp(kept["kept_at"], tz=datetime.UTC),
            "resend_field": RESEND_FIELD,
            "discard_field": DISCARD_FIELD,
        }
        return TemplateResponse(request, "admin/unsent_form.html", context)
    return protected_view(request, *args, **kwargs)
