from django.core import signing
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import FormView, TemplateView, UpdateView

from site_shell.error_pages import plain_page

from .forms import ChoicesForm, SubscribeForm
from .models import Subscriber
from .signup import REQUEST_LIMIT_WINDOW_SECONDS, change_preferences, over_request_limit, request_subscription


def too_many_requests(request):
    return plain_page(
        request,
        429,
        _("Too many subscription requests"),
        _("We have received many subscription requests from your network in the last hour. Please try again later."),
        **{"Retry-After": str(REQUEST_LIMIT_WINDOW_SECONDS)},
    )


def link_not_valid(request):
    return plain_page(
        request,
        400,
        _("This link does not work"),
        _("The link is incomplete or was changed. Copy the whole link from the email, or subscribe again."),
    )


# The form is on the news pages, which the page cache shares between visitors: it can carry no CSRF token. Posting
# it on someone's behalf gains nothing: it only ever sends a confirmation, at most one a day, to the address typed.
@method_decorator([csrf_exempt, never_cache], name="dispatch")
class SubscribeView(FormView):
    form_class = SubscribeForm
    template_name = "subscriptions/subscribe.html"

    def post(self, request, *args, **kwargs):
        if over_request_limit(request):
            return too_many_requests(request)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        request_subscription(
            data["email"],
            languages=data["languages"],
            categories=data["categories"],
            frequency=data["frequency"],
            interface_language=get_language(),
        )
        return redirect("subscriptions:requested")

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class RequestedView(TemplateView):
    template_name = "subscriptions/requested.html"


@method_decorator(never_cache, name="dispatch")
class ConfirmView(TemplateView):
    """The link in the confirmation email opens a page with one button: a mail scanner that follows links confirms
    nothing."""

    template_name = "subscriptions/confirm.html"

    def dispatch(self, request, token):
        try:
            self.subscriber, self.expired = Subscriber.for_confirmation_token(token)
        except signing.BadSignature:
            return link_not_valid(request)
        if self.subscriber is None:
            return link_not_valid(request)
        return super().dispatch(request, token)

    def post(self, request, token):
        if not self.expired:
            self.subscriber.confirm()
        return self.get(request, token)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            subscriber=self.subscriber, expired=self.expired and not self.subscriber.receives_mail, **kwargs
        )


class SubscriberByLinkMixin:
    """A page reached by the signed link in every email: no account, the link is the key."""

    def dispatch(self, request, token):
        self.subscriber = Subscriber.for_manage_token(token)
        if self.subscriber is None:
            return link_not_valid(request)
        return super().dispatch(request, token)

    def get_object(self, queryset=None):
        return self.subscriber


@method_decorator(never_cache, name="dispatch")
class PreferencesView(SubscriberByLinkMixin, UpdateView):
    form_class = ChoicesForm
    template_name = "subscriptions/preferences.html"

    def form_valid(self, form):
        change_preferences(self.subscriber, **{name: form.cleaned_data[name] for name in ChoicesForm.Meta.fields})
        return redirect(reverse("subscriptions:preferences", kwargs={"token": self.kwargs["token"]}) + "?saved=1")

    def get_context_data(self, **kwargs):
        return super().get_context_data(subscriber=self.subscriber, saved="saved" in self.request.GET, **kwargs)


# RFC 8058: mail programs POST "List-Unsubscribe=One-Click" to this address without a cookie or a token of ours; the
# signed link is the authority. A GET (a person, or a scanner following links) only shows the button.
@method_decorator([csrf_exempt, never_cache], name="dispatch")
class LeaveView(SubscriberByLinkMixin, TemplateView):
    template_name = "subscriptions/leave.html"

    def post(self, request, token):
        self.subscriber.leave()
        return render(request, "subscriptions/left.html", {"subscriber": self.subscriber})

    def get_context_data(self, **kwargs):
        return super().get_context_data(subscriber=self.subscriber, **kwargs)
