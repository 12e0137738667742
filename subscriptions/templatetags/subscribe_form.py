from django import template

from subscriptions.forms import SubscribeForm

register = template.Library()


@register.inclusion_tag("subscriptions/includes/subscribe_form.html")
def subscribe_form(place):
    """The short subscription form, at `place` ("list", "story", "footer"): its ids are its own on a page."""
    return {"form": SubscribeForm(auto_id=f"subscribe-{place}-%s"), "place": place}
