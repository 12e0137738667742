from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from subscriptions.forms import SubscribeForm

register = template.Library()

# {(place, language): HTML}: the blank form is the same for every visitor (no CSRF token: its view is csrf_exempt),
# so each process renders it once per place and language; building the form and its widgets cost a page ~2 ms.
rendered = {}


@register.simple_tag
def subscribe_form(place):
    """The short subscription form, at `place` ("list", "story", "footer"): its ids are its own on a page."""
    key = (place, get_language())
    if key not in rendered:
        form = SubscribeForm(auto_id=f"subscribe-{place}-%s")
        rendered[key] = render_to_string("subscriptions/includes/subscribe_form.html", {"form": form, "place": place})
    return mark_safe(rendered[key])  # noqa: S308 - rendered by the template, escaped already
