import codecs
import functools
import logging
import time

from csp.constants import HEADER
from csp.middleware import CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.urls import Resolver404, resolve
from django.utils.cache import get_conditional_response, patch_cache_control

from . import error_pages, page_cache
from .client_address import anonymised_network, client_address
from .languages import site_language

request_logger = logging.getLogger("ietp.requests")


class ContentLanguageMiddleware:
    """Names the page's language in the Content-Language header as its HTML does ("zh-Hans", not Django's
    "zh-hans"): Baidu reads this header and ignores hreflang."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response["Content-Language"] = site_language().html_code
        return response


class SharedPageCacheMiddleware:
    """Serves visitors without a session the public pages from the shared cache (base/page_cache.py), with
    validators for 304s and headers a CDN may follow; staff get `private, no-store`. Placed before GZipMiddleware,
    so pages are kept compressed (one copy per encoding)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.page_cache = None
        response = self.get_response(request)
        # No URL here depends on Accept-Language: the path names the language (English has no prefix).
        remove_from_vary(response, "Accept-Language")
        if request.page_cache is None:
            has_session = settings.SESSION_COOKIE_NAME in request.COOKIES
            if has_session and not is_never_kept(response) and may_be_staff(request):
                patch_cache_control(response, private=True, no_store=True)  # staff may see drafts on public pages
            return response
        key, version, hit = request.page_cache
        # The same page for every visitor without a session, whatever their cookies.
        remove_from_vary(response, "Cookie")
        if not hit:
            if not page_cache.is_shareable(request, response):
                return response
            page_cache.add_validators(response, version)
            page_cache.public_cache_control(response)
            page_cache.store(key, response, version)
        page_cache.let_front_server_keep(response)
        conditional = get_conditional_response(
            request, etag=response["ETag"], last_modified=int(version["began"]), response=response
        )
        if request.method == "HEAD":
            conditional.content = b""
        return conditional

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.PAGE_CACHE or request.resolver_match.view_name not in page_cache.CACHEABLE_VIEWS:
            return None
        if not page_cache.is_anonymous_read(request):
            return None
        key = page_cache.page_key(request)
        version, cached = page_cache.version_and_page(key)
        if version is None:
            return None
        request.page_cache = (key, version, cached is not None)
        return cached


def is_never_kept(response):
    """Already kept by no cache: whether the visitor is staff changes nothing, so their session is not read (with the
    database down, reading it would wait for the database a second time)."""
    return "no-store" in response.get("Cache-Control", "")


def may_be_staff(request):
    """Whether the visitor with a session is staff. With the database down the session cannot be read: the answer is
    then "perhaps" (the page is not kept), rather than an error that would replace the page drawn for them (the
    membership form with their answers) by the bare 503 page."""
    if getattr(request, "user", None) is None:
        return False
    try:
        return request.user.is_staff
    except error_pages.DATABASE_UNAVAILABLE:
        return True


def remove_from_vary(response, header):
    if response.has_header("Vary"):
        kept = [value.strip() for value in response["Vary"].split(",") if value.strip().lower() != header.lower()]
        if kept:
            response["Vary"] = ", ".join(kept)
        else:
            del response["Vary"]


class ServiceUnavailableMiddleware:
    """A view (or its template) that finds the database down answers the 503 page in the visitor's language."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if error_pages.is_database_unavailable(exception):
            return error_pages.service_unavailable(request, exception)
        return None


class RequestBodyLimitsMiddleware:
    """Refuses a request body before anything reads it (and before Django spools its files to disk): one larger than
    where it is sent accepts, one of unknown length (chunked), and one in a charset that cannot be read."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "HTTP_TRANSFER_ENCODING" in request.META and not request.META.get("CONTENT_LENGTH"):
            return error_pages.length_required(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return error_pages.bad_request(request)
        if length > settings.REQUEST_BODY_MAX_BYTES:
            limit = self.body_limit(request)
            if length > limit:
                return error_pages.request_too_large(request, limit)
        if length and not readable_charset(request.content_params.get("charset")):
            return error_pages.bad_request(request)
        return self.get_response(request)

    @staticmethod
    def body_limit(request):
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return settings.REQUEST_BODY_MAX_BYTES
        if match.view_name == "membership:apply":
            return settings.MEMBERSHIP_REQUEST_MAX_BYTES
        # Staff only: the session is looked up for a large body, never read from it.
        if match.namespace == "admin" and getattr(request, "user", None) is not None and request.user.is_staff:
            return settings.STAFF_REQUEST_MAX_BYTES
        return settings.REQUEST_BODY_MAX_BYTES


def readable_charset(charset):
    """A body's declared charset Django can decode: none (UTF-8), or a known name for UTF-8. Django refuses every
    other for forms, and an unknown one makes it fail."""
    if not charset:
        return True
    try:
        return codecs.lookup(charset).name == "utf-8"
    except LookupError:
        return False


class RequestLogMiddleware:
    """One line per request: method, path (never the query string, which may carry what a visitor typed), status,
    duration, language, whether the page cache served it, and the visitor's network (not their address). Health
    probes are logged at DEBUG only: a probe every few seconds would bury everything else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        fields = {
            "method": request.method,
            "path": request.path[:200],
            "status": response.status_code,
            "duration_ms": duration_ms,
            "language": getattr(request, "LANGUAGE_CODE", ""),
            "cache": page_cache_outcome(request),
            "client": anonymised_network(client_address(request)),
        }
        level = logging.DEBUG if getattr(request, "is_health_probe", False) else logging.INFO
        request_logger.log(
            level,
            "%(method)s %(path)s %(status)s %(duration_ms)sms lang=%(language)s cache=%(cache)s client=%(client)s",
            fields,
            extra=fields,
        )
        return response


def page_cache_outcome(request):
    """Whether the shared page cache (base/page_cache.py) served the page: hit, miss, or bypass for a response it
    may not keep."""
    outcome = getattr(request, "page_cache", None)
    if outcome is None:
        return "bypass"
    return "hit" if outcome[2] else "miss"


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the admin's own policy (settings.ADMIN_CONTENT_SECURITY_POLICY): its editor
    needs what no public page may have. Never a nonce: public pages are kept in the shared cache.

    Each policy is built once, not for every response (building one takes longer than serving a cached page);
    a view using django-csp's decorators, or a nonce, gets django-csp's own handling."""

    def process_response(self, request, response):
        if settings.DEBUG or getattr(request, "_csp_nonce", None) or vars(response).keys() & CSP_VIEW_ATTRIBUTES:
            return super().process_response(request, response)
        if HEADER not in response:
            admin = is_admin_page(request)
            policy = settings.ADMIN_CONTENT_SECURITY_POLICY if admin else settings.CONTENT_SECURITY_POLICY
            response[HEADER] = built_policy(id(policy), admin)
        return response

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and parts.config is None and is_admin_page(request):
            parts.config = settings.ADMIN_CONTENT_SECURITY_POLICY["DIRECTIVES"]
            parts.update = admin_inline_scripts()
        return parts


# What django-csp's view decorators set on a response.
CSP_VIEW_ATTRIBUTES = {"_csp_exempt", "_csp_config", "_csp_update", "_csp_replace"}


@functools.lru_cache(maxsize=8)
def built_policy(policy_id, admin):
    """The header for the public pages or the admin, per policy setting (a test may replace one)."""
    if admin:
        return build_policy(config=settings.ADMIN_CONTENT_SECURITY_POLICY["DIRECTIVES"], update=admin_inline_scripts())
    return build_policy()


def is_admin_page(request):
    match = getattr(request, "resolver_match", None)
    return match is not None and "admin" in match.namespaces


def admin_inline_scripts():
    """The hashes of the admin's inline scripts: the editor's import map, the same for every page (it names the
    static files' addresses, which change only with a release)."""
    from .admin_scripts import inline_script_hashes

    return {"script-src": inline_script_hashes()}


class CrossOriginHeadersMiddleware:
    """Permissions-Policy on every response, and Cross-Origin-Resource-Policy: pages and everything else the site
    answers only for itself, static files for anyone (a link preview may show the share image)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        corp = "cross-origin" if request.path.startswith(settings.STATIC_URL) else "same-origin"
        response.setdefault("Cross-Origin-Resource-Policy", corp)
        return response
