import logging

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.forms.utils import ErrorDict
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.generic import CreateView, TemplateView, UpdateView

from caching.fragments import fragments_rendered_once
from caching.page_cache import CacheHealth, is_anonymous_read
from caching.page_with_slots import PageWithSlots
from operations.release import release_digest
from site_shell.client_address import client_address
from site_shell.error_pages import RETRY_AFTER_SECONDS, database_unavailable
from site_shell.rate_limits import count_in_window
from site_shell.site_address import site_origin

from . import review
from .emails import record_application_emails
from .forms import LetterUploadForm, MembershipApplicationForm, sign_form_started
from .letters import application_id_from_token
from .models import MembershipApplication

logger = logging.getLogger(__name__)

# The new application's id, in a signed cookie for the one redirect to the thank-you page: the page can name the
# address the confirmation goes to without putting it in the URL. A cookie, not the session: once the application is
# committed nothing more is written to the database, so a database stopping at that moment cannot turn a saved
# application into an error page (the buyer would send it again); and the buyer gets no session.
NEW_APPLICATION = "membership_new_application"
NEW_APPLICATION_MAX_AGE_SECONDS = 600

# Where the blank form's page, cached for every visitor, takes each request's own tokens: text that no translation,
# and nothing escaped, holds.
CSRF_TOKEN_SLOT = "[csrf-token]"
FORM_STARTED_SLOT = "[form-started]"


def visitor_ip(request):
    return client_address(request)


def count_against_limit(request, kind, limit):
    """Counts one more `kind` for the visitor in the shared cache; True once the hour's `limit` is passed."""
    key = f"membership:{kind}:{visitor_ip(request)}"
    try:
        count = count_in_window(key, settings.MEMBERSHIP_SUBMISSIONS_WINDOW_SECONDS)
    except Exception:  # noqa: BLE001 - the cache server is down: a buyer's application matters more than the limit
        logger.warning("Cache unavailable: membership submissions are not counted", exc_info=True)
        return False
    return count > limit


def over_post_limit(request):
    """Every POST counts, mistakes included, up to a ceiling that people correcting their answers do not reach."""
    return count_against_limit(request, "posts", settings.MEMBERSHIP_POSTS_PER_IP)


def over_submission_limit(request):
    """Counts an application about to be accepted; True once the address has sent its hour's allowance."""
    return count_against_limit(request, "accepted", settings.MEMBERSHIP_SUBMISSIONS_PER_IP)


def shares_the_blank_page(request):
    """Whether the visitor gets the blank form's page as cached for everyone: a GET with no session (staff, or
    whatever the site remembers of them) and no query string, while the cache can be used; else it is rendered."""
    return is_anonymous_read(request) and not request.GET and CacheHealth.available()


def blank_page_key(request):
    """The blank form's page in this language, as this release renders it for the site's address in this year (the
    footer's)."""
    parts = ["membership-blank-page", release_digest(), translation.get_language(), site_origin(request)]
    return ":".join(str(part) for part in [*parts, timezone.localtime().year])


def too_many_submissions(request):
    logger.warning("Membership form: too many submissions from %s", visitor_ip(request))
    return render(request, "membership/too_many_submissions.html", status=429)


class ApplicationCreateView(CreateView):
    model = MembershipApplication
    form_class = MembershipApplicationForm
    template_name = "membership/application_form.html"
    success_url = reverse_lazy("membership:thanks")
    # The form carries a letter: its body may be larger than others (site_shell/middleware.py reads this).
    request_body_limit_setting = "MEMBERSHIP_REQUEST_MAX_BYTES"

    def get(self, request, *args, **kwargs):
        """The blank form's page from the shared cache (the same for every visitor in a language), with this
        request's own tokens: Django's CSRF token, from get_token() as {% csrf_token %} has it (the cookie set, and
        Vary: Cookie, as before), and the form's timestamp."""
        if not shares_the_blank_page(request):
            return super().get(request, *args, **kwargs)
        key = blank_page_key(request)
        page = fragments_rendered_once({key: ()}, self.render_blank_page)[key]
        return page.response(request, get_token(request), sign_form_started())

    def render_blank_page(self):
        """The page of the blank form as get() renders it, with a slot for each token."""
        self.object = None
        form = self.get_form()
        form.started_token = FORM_STARTED_SLOT
        response = self.render_to_response(self.get_context_data(form=form, csrf_token=CSRF_TOKEN_SLOT))
        return PageWithSlots(response.render().content.decode(), CSRF_TOKEN_SLOT, FORM_STARTED_SLOT)

    def post(self, request, *args, **kwargs):
        if over_post_limit(request):
            return too_many_submissions(request)
        self.object = None
        form = self.get_form()
        try:
            return self.handle_application(form)
        except database_unavailable() as error:
            # Nothing was saved: the visitor gets their answers back, told to send them again shortly.
            logger.warning("Membership form: database unavailable, application not saved: %s", error)
            if form._errors is None:
                # Not checked (checking asks the database): shown as typed, with no answer marked wrong.
                form._errors = ErrorDict()
            response = self.render_to_response(self.get_context_data(form=form, not_saved=True), status=503)
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
            # The visitor's answers: never cached. Rendered without the session or request.user (both in the
            # database), so that a visitor with a session (staff, or a buyer who applied before) gets it too.
            add_never_cache_headers(response)
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
        if over_submission_limit(self.request):
            return too_many_submissions(self.request)
        recent = MembershipApplication.objects.recent_from(form.cleaned_data["contact_email"]).order_by("-submitted_at")
        if earlier := recent.first():
            # Thanked as a first application is, so that the form tells nobody who has applied; staff see a note.
            review.record_duplicate(earlier, company_name=form.cleaned_data["company_name"])
            return self.thank(earlier)
        form.instance.language = translation.get_language()
        try:
            with transaction.atomic():
                self.object = form.save()
                # Recorded with the application, sent after the response: a slow mail server never holds up the
                # buyer.
                record_application_emails(self.object, site_origin(self.request))
        except IntegrityError:
            # The same page's application, sent again at the same instant, was saved by the other request.
            if earlier := MembershipApplication.objects.filter(form_token=form.instance.form_token).first():
                return self.thank(earlier)
            raise
        # An event for the operators, without the applicant's name or address.
        logger.info(
            "Membership application %s received",
            self.object.pk,
            extra={"event": "membership_application_received", "application": self.object.pk},
        )
        return self.thank(self.object)

    def thank(self, application):
        """The thank-you page, naming the address the application (new, or the one already here) is from."""
        response = redirect(self.success_url)
        response.set_signed_cookie(
            NEW_APPLICATION,
            application.pk,
            salt=NEW_APPLICATION,
            max_age=NEW_APPLICATION_MAX_AGE_SECONDS,
            path=str(self.success_url),
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
        return response


class ThanksView(TemplateView):
    template_name = "membership/thanks.html"

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        # Read once: reloaded later, or opened directly, the page names no address.
        if NEW_APPLICATION in request.COOKIES:
            response.delete_cookie(NEW_APPLICATION, path=request.path, samesite="Lax")
            add_never_cache_headers(response)  # it may name the buyer's address
        return response

    def get_context_data(self, **kwargs):
        return super().get_context_data(confirmation_to=self.confirmation_address(), **kwargs)

    def confirmation_address(self):
        application_id = self.request.get_signed_cookie(
            NEW_APPLICATION, default=None, salt=NEW_APPLICATION, max_age=NEW_APPLICATION_MAX_AGE_SECONDS
        )
        if application_id is None:
            return None
        try:
            application = MembershipApplication.objects.filter(pk=application_id)
            return application.values_list("contact_email", flat=True).first()
        except database_unavailable():
            # The application is saved: thanking the buyer without the address beats a page telling them to retry.
            logger.warning("Thank-you page: database unavailable, the confirmation address is not named")
            return None


@method_decorator(never_cache, name="dispatch")  # personal: never cached
class LetterUploadView(UpdateView):
    """The page the confirmation email links to: the applicant uploads the signed letter, without an account.

    The link carries the application's id, signed and dated. A letter already received is not replaced (a new
    one goes to staff by email): each link uploads one letter.
    """

    model = MembershipApplication
    form_class = LetterUploadForm
    template_name = "membership/letter_upload.html"
    context_object_name = "application"

    def dispatch(self, request, *args, **kwargs):
        try:
            application_id = application_id_from_token(kwargs["token"])
        except signing.SignatureExpired:
            return self.link_problem("expired", status=410)
        except (signing.BadSignature, ValueError):
            return self.link_problem("invalid", status=404)
        self.object = MembershipApplication.objects.filter(pk=application_id).first()
        if self.object is None:
            return self.link_problem("invalid", status=404)
        if self.object.letter:
            return self.link_problem("already_received", status=200)
        if self.object.is_decided:
            return self.link_problem("decided", status=410)
        return super().dispatch(request, *args, **kwargs)

    def get_object(self, queryset=None):
        return self.object

    def link_problem(self, problem, status):
        return render(self.request, "membership/letter_link_problem.html", {"problem": problem}, status=status)

    def form_valid(self, form):
        # The first of two uploads at once wins; the second is told the letter is already here.
        with transaction.atomic():
            locked = MembershipApplication.objects.select_for_update().get(pk=self.object.pk)
            if locked.letter:
                return self.link_problem("already_received", status=200)
            # Only the letter's fields: staff may be changing the rest of the application at this moment.
            locked.letter = form.cleaned_data["letter"]
            locked.save(
                update_fields=["letter", "letter_original_name", "letter_received_at", "letter_state", "letter_refusal"]
            )
        logger.info("Membership application %s: letter received through the upload link", self.object.pk)
        return render(self.request, "membership/letter_received.html", {"application": self.object})
