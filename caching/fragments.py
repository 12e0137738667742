"""Rendered HTML cached in the shared cache under keys that name everything it was rendered from (news' story cards
and pages, the membership form's blank page): nothing is invalidated, a change makes new keys, and what is no longer
asked for expires. While the cache server is down, fragments are rendered every time, and the cache is left alone
for a few seconds, as the page cache does (page_cache.CacheHealth)."""

from django.core.cache import cache

from .page_cache import CacheHealth

# Long enough for a fragment to be read many times; the key, not the timeout, keeps it right.
FRAGMENT_TIMEOUT = 7 * 24 * 60 * 60


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
