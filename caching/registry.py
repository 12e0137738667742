"""How the feature apps tell the page cache what it needs to know of them, as `admin.site.register()` lets apps
announce their models: nothing in caching/ imports a feature app. Each app calls these from its AppConfig.ready().

- `cache_pages_of("news:list", ...)`: views whose pages are the same for every visitor without a session;
- `next_change_from(callable)`: a callable giving when the app's content next changes by itself (a scheduled
  publication), an aware datetime or None; the page cache's generation ends then;
- `content_changed()`: to call once a change to content visitors see is committed: every cached page is stale.
"""

# Views whose pages are the same for every visitor without a session (see README.md, "Caching").
CACHEABLE_VIEWS = set()
NEXT_CHANGE_SOURCES = []


def cache_pages_of(*view_names):
    CACHEABLE_VIEWS.update(view_names)


def next_change_from(source):
    if source not in NEXT_CHANGE_SOURCES:
        NEXT_CHANGE_SOURCES.append(source)


def next_scheduled_change():
    """The soonest time any app's content changes by itself, or None."""
    changes = [change for change in (source() for source in NEXT_CHANGE_SOURCES) if change is not None]
    return min(changes, default=None)


def content_changed():
    """Every cached page is stale from now: the next request starts a new cache generation."""
    from .page_cache import start_new_generation

    start_new_generation()
