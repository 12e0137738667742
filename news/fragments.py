"""Parts of news pages rendered once and cached (Django's cache API, shared by the workers): story cards, and a
story's own text and picture on its page.

A fragment's key names everything it is rendered from: the release digest (operations/release.py), the page's
language, the story and when it last changed, the translation shown and when it last changed, and whatever else the
fragment shows. An edit or a publication therefore makes new keys and nothing needs invalidating: fragments no
longer shown simply expire. A translation visitors may not read (a draft a staff member previews) has keys of its
own, and so do a published translation's unpublished changes. While the cache server is down, fragments are
rendered every time, and the cache is left alone for a few seconds, as the page cache does (caching/page_cache.py).
"""

from django.core.cache import cache

from caching.page_cache import CacheHealth
from operations.release import release_digest

# Long enough for a fragment to be read many times; the key, not the timeout, keeps it right.
FRAGMENT_TIMEOUT = 7 * 24 * 60 * 60


def fragment_key(kind, language, story, *more):
    """The key of a fragment of `kind` showing `story` (the translation shown) on a page in `language`."""
    translation = story.shown_translation
    # The image too: a background job puts a new one on the story without changing updated_at (news/images.py).
    parts = [kind, release_digest(), language.code, story.pk, story.updated_at.timestamp(), story.image.name]
    parts += [translation.pk, translation.changed_at.timestamp(), *more]
    if drafted_at := getattr(translation, "shown_draft_at", None):
        # Unpublished changes shown to staff or a preview link: never the published text's fragment.
        parts.append(f"draft{drafted_at.timestamp()}")
    return ":".join(str(part) for part in parts)


def cached_fragments(keys):
    """{key: HTML} of the fragments the cache holds."""
    if not CacheHealth.available():
        return {}
    try:
        return cache.get_many(keys)
    except Exception as error:  # noqa: BLE001 - any cache failure means the same: render the fragments
        CacheHealth.failed(error)
        return {}


def cache_fragments(fragments, timeout=FRAGMENT_TIMEOUT):
    if not fragments or not CacheHealth.available():
        return
    try:
        cache.set_many(fragments, timeout)
    except Exception as error:  # noqa: BLE001
        CacheHealth.failed(error)


def fragments_rendered_once(wanted, render):
    """{key: HTML} for `wanted` ({key: arguments of render}): each from the cache, or rendered now and cached."""
    cached = cached_fragments(wanted.keys())
    missing = {key: render(*arguments) for key, arguments in wanted.items() if key not in cached}
    cache_fragments(missing)
    return {**cached, **missing}
