"""Staff sessions end after a working day without a request (SESSION_COOKIE_AGE, from STAFF_SESSION_IDLE_MINUTES).

A session's expiry moves on only when it is saved. Saving it on every request (SESSION_SAVE_EVERY_REQUEST) would
write to the database for every page staff open, and turn each request during a database outage into an error;
instead a staff member's session is marked active at most every few minutes, which saves it with a fresh expiry.
"""

import time

from django.conf import settings
from django.db import DatabaseError

ACTIVE_AT = "staff_active_at"
# How stale the mark may be before a request renews it: the idle limit is met to within this.
RENEW_AFTER_SECONDS = 300


class StaffSessionActivityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            try:
                renew_if_stale(request)
            except DatabaseError:
                pass  # The database is down: the view has answered; a later request renews the session.
        return response


def renew_if_stale(request):
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_staff:
        now = int(time.time())
        if now - request.session.get(ACTIVE_AT, 0) >= RENEW_AFTER_SECONDS:
            request.session[ACTIVE_AT] = now  # modified: SessionMiddleware saves it, with a new expiry
