"""The emails a subscriber gets, each in plain text and HTML, in their language: the confirmation, a story, a digest.

Every email but the confirmation carries the one-click unsubscribe of RFC 8058 (List-Unsubscribe with an https
address, List-Unsubscribe-Post) and a visible link to the subscriber's preferences; links are absolute, on SITE_URL.
A pair of templates per email in templates/subscriptions/emails/: `<name>.txt` and `<name>.html`, the first line of
the text one its subject.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from parler.utils.context import switch_language

from site_shell.site_address import absolute_url


def organisation():
    return {"name": settings.PRIVACY_CONTROLLER_NAME, "address": settings.ORGANISATION_ADDRESS}


def story_in(story, language_code):
    """What an email shows of the story's translation in `language_code`: headline, standfirst, image, link."""
    with switch_language(story, language_code):
        picture = story.card_picture
        return {
            "title": story.title,
            "standfirst": story.card_summary,
            "url": absolute_url(None, story.get_absolute_url()),
            "image_url": absolute_url(None, picture.fallback_url) if picture else "",
            "image_alt": story.image_alt,
            "category": story.get_category_display() if story.shows_category else "",
        }


def message(subscriber, name, language_code, context, *, unsubscribe=True):
    """The email `name` to `subscriber`, worded in `language_code`."""
    with translation.override(language_code):
        context = {
            **context,
            "subscriber": subscriber,
            "organisation": organisation(),
            "preferences_url": absolute_url(None, subscriber.preferences_url()),
            "unsubscribe_url": absolute_url(None, subscriber.unsubscribe_url()),
            "html_lang": "zh-Hans" if language_code == "zh-hans" else language_code,
        }
        subject, _blank, text = render_to_string(f"subscriptions/emails/{name}.txt", context).partition("\n")
        html = render_to_string(f"subscriptions/emails/{name}.html", context)
    headers = {"Auto-Submitted": "auto-generated"}
    if unsubscribe:
        # RFC 8058: mail programs show an Unsubscribe button that POSTs "List-Unsubscribe=One-Click" to the https URL.
        targets = [f"<{context['unsubscribe_url']}>"]
        if settings.SUBSCRIPTION_UNSUBSCRIBE_MAILTO:
            targets.append(f"<mailto:{settings.SUBSCRIPTION_UNSUBSCRIBE_MAILTO}?subject=unsubscribe>")
        headers["List-Unsubscribe"] = ", ".join(targets)
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email = EmailMultiAlternatives(
        subject=subject.strip(), body=text.lstrip("\n"), to=[subscriber.email], headers=headers
    )
    email.attach_alternative(html, "text/html")
    return email


def confirmation_email(subscriber):
    return message(
        subscriber,
        "confirmation",
        subscriber.interface_language,
        {"confirmation_url": absolute_url(None, subscriber.confirmation_url())},
        unsubscribe=False,
    )


def story_email(delivery):
    """One story, in the delivery's language: a subscriber to both languages gets each translation in its own."""
    return message(
        delivery.subscriber,
        "story",
        delivery.language_code,
        {"story": story_in(delivery.story, delivery.language_code)},
    )


def digest_email(subscriber, deliveries):
    """The stories waiting for a daily or weekly subscriber, each in the language it was published in."""
    language = subscriber.languages if subscriber.languages != subscriber.Languages.BOTH else None
    return message(
        subscriber,
        "digest",
        language or subscriber.interface_language,
        {
            "stories": [story_in(delivery.story, delivery.language_code) for delivery in deliveries],
            "weekly": subscriber.frequency == subscriber.Frequency.WEEKLY,
        },
    )
