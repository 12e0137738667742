"""Story cards and a story's own text, rendered once per translation and language and cached (news/fragments.py):
a page of twelve stories reads its cards in one cache call instead of rendering twelve templates."""

import hashlib

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from news.fragments import cache_fragments, cached_fragments, fragment_key
from site_shell.languages import site_language

register = template.Library()


@register.simple_tag
def story_cards(stories, lead=False, eager=3):
    """The cards of `stories` in order, as HTML: the first is the lead card if `lead`; the next `eager` cards
    are in view at once, so their pictures load at once, and the later ones as the reader scrolls."""
    kinds = ["lead"] if lead else []
    kinds += ["eager"] * eager + ["lazy"] * len(stories)
    language = site_language()
    cards = {
        fragment_key(f"story-card-{kind}", language, story): (story, kind)
        for story, kind in zip(stories, kinds, strict=False)
    }
    cached = cached_fragments(cards.keys())
    missing = {key: render_card(story, kind, language) for key, (story, kind) in cards.items() if key not in cached}
    cache_fragments(missing)
    # Marked safe again: a cache may hand back a plain string.
    return [mark_safe(cached[key] if key in cached else missing[key]) for key in cards]  # noqa: S308


def render_card(story, kind, language):
    context = {"story": story, "lead": kind == "lead", "eager": kind != "lazy", "page_language": language}
    return render_to_string("news/includes/story_card.html", context)


@register.simple_tag
def story_article(story):
    """The story's title, standfirst, date and place, picture, text and documents, as its page shows them."""
    language = site_language()
    # Documents can be added or changed without saving the story: the key names each one shown.
    documents = [
        (document.pk, document.title, document.file.name, document.size, document.language_code, document.position)
        for document in story.documents_for_page
    ]
    documents_digest = hashlib.blake2b(repr(documents).encode(), digest_size=8).hexdigest()
    key = fragment_key("story-article", language, story, documents_digest)
    article = cached_fragments([key]).get(key)
    if article is None:
        article = render_to_string("news/includes/story_article.html", {"story": story, "page_language": language})
        cache_fragments({key: article})
    return mark_safe(article)  # noqa: S308
