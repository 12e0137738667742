"""Parts of news pages drawn once and kept in the cache (Django's cache API, shared by the workers): story cards,
and a story's own text and picture on its page.

A fragment's key names everything it is drawn from: the release of the site (base/release.py), the page's
language, the story and when it last changed, the version shown and when it last changed, and whatever else the
fragment shows. An edit or a publication therefore makes new keys and nothing needs invalidating: fragments no
longer shown simply expire. A version visitors may not read (a draft a staff member previews) has keys of its own.
While the cache server is down, fragments are drawn every time, and the cache is left alone for a few seconds, as
the page cache does (base/page_cache.py).
"""

from django.core.cache import cache

from base.page_cache import CacheHealth
from base.release import release_digest

# Long enough for a fragment to be read many times; the key, not the timeout, keeps it right.
FRAGMENT_TIMEOUT = 7 * 24 * 60 * 60


def fragment_key(kind, language, story, *more):
    """The key of a fragment of `kind` showing `story` (its shown version) on a page in `language`."""
    version = story.shown_version
    parts = [kind, release_digest(), language.code, story.pk, story.updated_at.timestamp()]
    parts += [version.pk, version.changed_at.timestamp(), *more]
    return ":".join(str(part) for part in parts)


def kept_fragments(keys):
    """{key: HTML} of the fragments the cache holds."""
    if not CacheHealth.available():
        return {}
    try:
        return cache.get_many(keys)
    except Exception as error:  # noqa: BLE001 - any cache failure means the same: draw the fragments
        CacheHealth.failed(error)
        return {}


def keep_fragments(fragments):
    if not fragments or not CacheHealth.available():
        return
    try:
        cache.set_many(fragments, FRAGMENT_TIMEOUT)
    except Exception as error:  # noqa: BLE001
        CacheHealth.failed(error)
