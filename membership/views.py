import functools
import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.forms.utils import ErrorDict
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.views.generic import CreateView, TemplateView

from base.client_address import client_address
from base.error_pages import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS

from .emails import send_application_emails
from .forms import MembershipApplicationForm
from .models import MembershipApplication

logger = logging.getLogger(__name__)

# The new application's id, kept in the visitor's session for the one redirect to the thank-you page:
# the page can name the address the confirmation goes to without putting it in the URL.
NEW_APPLICATION = "membership_new_application"


def visitor_ip(request):
    return client_address(request)


def over_submission_limit(request):
    """Counts this POST against the visitor's allowance; True once they have used it up."""
    key = f"membership:submissions:{visitor_ip(request)}"
    try:
        cache.add(key, 0, timeout=settings.MEMBERSHIP_SUBMISSIONS_WINDOW_SECONDS)
        try:
            count = cache.incr(key)
        except ValueError:  # Expired between add() and incr().
            cache.set(key, 1, timeout=settings.MEMBERSHIP_SUBMISSIONS_WINDOW_SECONDS)
            count = 1
    except Exception:  # noqa: BLE001 - the cache server is down: a buyer's application matters more than the limit
        logger.warning("Cache unavailable: membership submissions are not counted", exc_info=True)
        return False
    return count > settings.MEMBERSHIP_SUBMISSIONS_PER_IP


class ApplicationCreateView(CreateView):
    model = MembershipApplication
    form_class = MembershipApplicationForm
    template_name = "membership/application_form.html"
    success_url = reverse_lazy("membership:thanks")

    def post(self, request, *args, **kwargs):
        if over_submission_limit(request):
            logger.warning("Membership form: too many submissions from %s", visitor_ip(request))
            return render(request, "membership/too_many_submissions.html", status=429)
        self.object = None
        form = self.get_form()
        try:
            return self.handle_application(form)
        except DATABASE_UNAVAILABLE as error:
            # Nothing was saved: the visitor gets their answers back, told to send them again shortly.
            logger.warning("Membership form: database unavailable, application not saved: %s", error)
            if form._errors is None:
                # Not checked (checking asks the database): shown as typed, with no answer marked wrong.
                form._errors = ErrorDict()
            response = self.render_to_response(self.get_context_data(form=form, not_saved=True), status=503)
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response

    def handle_application(self, form):
        if form.caught_in_honeypot():
            # Look like success, so the software learns nothing.
            logger.info("Membership form: honeypot filled from %s", visitor_ip(self.request))
            return redirect(self.success_url)
        # Validation asks the database too (constraints), each time waiting for it: ask once, up front.
        connection.ensure_connection()
        if form.is_valid():
            return self.form_valid(form)
        return self.form_invalid(form)

    def form_valid(self, form):
        if MembershipApplication.objects.recent_from(form.cleaned_data["contact_email"]).exists():
            return redirect("membership:already_received")
        form.instance.language = translation.get_language()
        with transaction.atomic():
            self.object = form.save()
            transaction.on_commit(
                functools.partial(
                    send_application_emails, self.object.pk, self.request.build_absolute_uri("/").rstrip("/")
                )
            )
        # An event for the operators, without the applicant's name or address.
        logger.info(
            "Membership application %s received",
            self.object.pk,
            extra={"event": "membership_application_received", "application": self.object.pk},
        )
        self.request.session[NEW_APPLICATION] = self.object.pk
        return redirect(self.success_url)


class ThanksView(TemplateView):
    template_name = "membership/thanks.html"

    def get_context_data(self, **kwargs):
        # Read once: reloaded later, or opened directly, the page names no address.
        application_id = self.request.session.pop(NEW_APPLICATION, None)
        contact_emails = MembershipApplication.objects.filter(pk=application_id).values_list("contact_email", flat=True)
        return super().get_context_data(confirmation_to=contact_emails.first() if application_id else None, **kwargs)


class AlreadyReceivedView(TemplateView):
    template_name = "membership/already_received.html"
