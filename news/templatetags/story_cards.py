"""Story cards, drawn once per version of a story and kept in the cache (Django's cache API, shared by the
workers): a page of twelve stories reads its cards in one cache call instead of drawing twelve templates.

A card's key names everything it is drawn from: the release of the site, the page's language, the card's kind
(lead, in view at once, or further down), the story and when it last changed, and the version shown and when it
last changed. An edit or a publication therefore makes a new key and nothing needs invalidating: cards no longer
shown simply expire. A version visitors may not read (a draft a staff member previews) has keys of its own.
"""

from django import template
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from base.languages import site_language
from base.page_cache import CacheHealth
from base.release import release_digest

register = template.Library()

CARD_TEMPLATE = "news/includes/story_card.html"
# Long enough for a card to be read many times; the key, not the timeout, keeps it right.
CARD_TIMEOUT = 7 * 24 * 60 * 60


@register.simple_tag
def story_cards(stories, lead=False, eager=3):
    """The cards of `stories` in order, as HTML: the first is the lead card if `lead`; the next `eager` cards
    are in view at once, so their pictures load at once, and the later ones as the reader scrolls."""
    kinds = ["lead"] if lead else []
    kinds += ["eager"] * eager + ["lazy"] * len(stories)
    language = site_language()
    cards = {card_key(story, kind, language): (story, kind) for story, kind in zip(stories, kinds, strict=False)}
    drawn = kept_cards(cards.keys())
    missing = {key: draw_card(story, kind, language) for key, (story, kind) in cards.items() if key not in drawn}
    keep_cards(missing)
    # Marked safe again: a cache may hand back a plain string.
    return [mark_safe(drawn[key] if key in drawn else missing[key]) for key in cards]  # noqa: S308


# When the cache server fails, cards are drawn as if there were no cache, and the cache is left alone for a few
# seconds, as the page cache does.


def kept_cards(keys):
    if not CacheHealth.available():
        return {}
    try:
        return cache.get_many(keys)
    except Exception as error:  # noqa: BLE001 - any cache failure means the same: draw the cards
        CacheHealth.failed(error)
        return {}


def keep_cards(cards):
    if not cards or not CacheHealth.available():
        return
    try:
        cache.set_many(cards, CARD_TIMEOUT)
    except Exception as error:  # noqa: BLE001
        CacheHealth.failed(error)


def card_key(story, kind, language):
    version = story.shown_version
    return ":".join(
        str(part)
        for part in [
            "story-card",
            release_digest(),
            language.code,
            kind,
            story.pk,
            story.updated_at.timestamp(),
            version.pk,
            version.changed_at.timestamp(),
        ]
    )


def draw_card(story, kind, language):
    context = {"story": story, "lead": kind == "lead", "eager": kind != "lazy", "page_language": language}
    return render_to_string(CARD_TEMPLATE, context)
