from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.utils.cache import get_conditional_response, patch_cache_control

from site_shell import error_pages
from site_shell.client_address import is_warm_up
from staff_security.admin_site import is_verified_staff

from . import page_cache, registry


class SharedPageCacheMiddleware:
    """Serves visitors without a session the public pages from the shared cache (caching/page_cache.py), with
    validators for 304s and headers a CDN may follow; staff get `private, no-store`. Placed before GZipMiddleware,
    so pages are cached compressed (one copy per encoding).

    A visitor without a session is answered from the cache before any middleware below runs (session, language,
    CSRF, authentication: nothing there changes a shared page): only pages the cacheable views rendered are ever
    stored, so a page found under the request's key is one. A revalidation of a current copy never gets here: it is
    answered before Django's handler, from the version alone (caching/wsgi.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.page_cache = None
        request.page_cache_lookup = None
        early = self.answer_from_cache(request)
        if early is not None:
            return early
        response = self.get_response(request)
        # No URL here depends on Accept-Language: the path names the language (English has no prefix).
        remove_from_vary(response, "Accept-Language")
        if request.page_cache is None:
            has_session = settings.SESSION_COOKIE_NAME in request.COOKIES
            if has_session and not is_never_cached(response) and may_be_staff(request):
                patch_cache_control(response, private=True, no_store=True)  # staff may see drafts on public pages
            return response
        key, generation, hit = request.page_cache
        # The same page for every visitor without a session, whatever their cookies.
        remove_from_vary(response, "Cookie")
        if not hit:
            if not page_cache.is_shareable(request, response):
                return response
            page_cache.add_validators(response, key, generation)
            page_cache.public_cache_control(response)
            page_cache.store(key, response, generation)
        return self.served(request, response, generation)

    def answer_from_cache(self, request):
        """The cached page (or its 304) for a visitor without a session, or None (then the page is rendered, and
        process_view knows the cache was already asked). A revalidation of a current copy is answered before Django's
        handler (caching/wsgi.py); here a 304 is only ever for a page found in the cache."""
        if not settings.PAGE_CACHE or not page_cache.is_anonymous_read(request):
            return None
        try:
            key = page_cache.page_key(request)
        except DisallowedHost:
            return None  # CommonMiddleware answers it
        if is_warm_up(request):
            # Rendered ahead of visitors (caching/warm_up.py): the page is rendered and stored even when a copy of
            # this generation is cached, so that the view also fills what it caches on a second rendering.
            generation = page_cache.current_generation()
            request.page_cache_lookup = (key, generation) if generation is not None else None
            return None
        generation, cached = page_cache.generation_and_page(key)
        if generation is None:
            return None
        if cached is None:
            request.page_cache_lookup = (key, generation)
            return None
        request.page_cache = (key, generation, True)
        remove_from_vary(cached, "Cookie")
        return self.served(request, cached, generation)

    @staticmethod
    def served(request, response, generation):
        page_cache.let_front_server_cache(response)
        if not response.has_header("ETag"):
            return response
        conditional = get_conditional_response(
            request, etag=response["ETag"], last_modified=int(generation["began"]), response=response
        )
        if request.method == "HEAD":
            conditional.content = b""
        return conditional

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.page_cache_lookup is None or request.resolver_match.view_name not in registry.CACHEABLE_VIEWS:
            return None
        key, generation = request.page_cache_lookup
        request.page_cache = (key, generation, False)
        return None


def is_never_cached(response):
    """Already cached by no cache: whether the visitor is staff changes nothing, so their session is not read (with
    the database down, reading it would wait for the database a second time)."""
    return "no-store" in response.get("Cache-Control", "")


def may_be_staff(request):
    """Whether the visitor with a session is staff. With the database down the session cannot be read: the answer is
    then "perhaps" (the page is not cached), rather than an error that would replace the page rendered for them (the
    membership form with their answers) by the bare 503 page."""
    if getattr(request, "user", None) is None:
        return False
    try:
        # A staff session still waiting for its second factor is shown what visitors see (news.views.reader).
        return is_verified_staff(request.user)
    except error_pages.database_unavailable():
        return True


def remove_from_vary(response, header):
    if response.has_header("Vary"):
        remaining = [value.strip() for value in response["Vary"].split(",") if value.strip().lower() != header.lower()]
        if remaining:
            response["Vary"] = ", ".join(remaining)
        else:
            del response["Vary"]
