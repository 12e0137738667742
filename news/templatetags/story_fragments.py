"""Story cards and a story's own text, rendered once per translation and language and cached (news/fragments.py):
a page of twelve stories reads its cards in one cache call instead of rendering twelve templates."""

import hashlib

from django import template
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from caching.fragments import cache_fragments, cached_fragments, fragments_rendered_once
from news.fragments import fragment_key
from news.postgresql_search import story_models
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
    html = fragments_rendered_once(cards, lambda story, kind: render_card(story, kind, language))
    # Marked safe again: a cache may hand back a plain string.
    return [mark_safe(html[key]) for key in cards]  # noqa: S308


def render_card(story, kind, language, excerpt_paragraph=None):
    context = {"story": story, "lead": kind == "lead", "eager": kind != "lazy", "page_language": language}
    return render_to_string("news/includes/story_card.html", {**context, "excerpt_paragraph": excerpt_paragraph})


# Where a search result's card, cached, takes the excerpt: a comment, which no escaped text can hold.
EXCERPT_SLOT = mark_safe("<!--search-excerpt-->")


@register.simple_tag
def search_result_cards(results):
    """The cards of a page of search results (story, excerpt, excerpt's SiteLanguage), as HTML. A card is rendered
    once per translation and language and cached, with a slot where each search puts its own excerpt; a result
    without one (its title matched) is the list's card, and shares its cache. A story found as SQL rows
    (news/postgresql_search.py) is read as a model only if its card must be rendered."""
    language = site_language()
    cards = {}
    for story, excerpt, excerpt_language in results:
        kind = "search" if excerpt else "lazy"
        cards[fragment_key(f"story-card-{kind}", language, story)] = (story, kind, excerpt, excerpt_language)
    rendered = cached_fragments(cards.keys())
    to_render = {key: card for key, card in cards.items() if key not in rendered}
    models = story_models([story for story, *_card in to_render.values()])
    rendered_now = {
        key: render_card(models[story.pk], "lazy", language, EXCERPT_SLOT if kind == "search" else None)
        for key, (story, kind, *_card) in to_render.items()
    }
    cache_fragments(rendered_now)
    rendered.update(rendered_now)
    html = []
    for key, (story, kind, excerpt, excerpt_language) in cards.items():
        card = rendered[key]
        if kind == "search":
            card = card.replace(EXCERPT_SLOT, excerpt_paragraph(story, excerpt, excerpt_language), 1)
        html.append(mark_safe(card))  # noqa: S308 - rendered here, the excerpt escaped by SearchTerms.excerpt
    return html


def excerpt_paragraph(story, excerpt, excerpt_language):
    """Where the story says what was searched for, marked; in the excerpt's language when it is not the card's.
    Written here, not in a template, since it is made for every result of every search."""
    if excerpt_language == story.shown_language:
        return format_html('<p class="story-card__summary">{}</p>', excerpt)
    return format_html('<p class="story-card__summary" lang="{}">{}</p>', excerpt_language.html_code, excerpt)


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
    context = {"story": story, "page_language": language}
    article = fragments_rendered_once({key: ()}, lambda: render_to_string("news/includes/story_article.html", context))
    return mark_safe(article[key])  # noqa: S308
