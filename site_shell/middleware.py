"""What every response of the site goes through: its language, the 503 page for a database outage, the limits on
request bodies, and the security headers (Content-Security-Policy, Permissions-Policy, Cross-Origin-Resource-Policy).
"""

import codecs
import functools

from csp.constants import HEADER
from csp.middleware import CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.urls import Resolver404, resolve

from . import error_pages
from .languages import site_language
from .stylesheet import site_stylesheet


class ContentLanguageMiddleware:
    """Names the page's language in the Content-Language header as its HTML does ("zh-Hans", not Django's
    "zh-hans"): Baidu reads this header and ignores hreflang."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response["Content-Language"] = site_language().html_code
        return response


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
        # A view that takes larger bodies (the membership form, with its letter) names the setting of its limit.
        if limit_setting := getattr(getattr(match.func, "view_class", match.func), "request_body_limit_setting", None):
            return getattr(settings, limit_setting)
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


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the admin's own policy (settings.ADMIN_CONTENT_SECURITY_POLICY): its editor
    needs what no public page may have. Never a nonce: public pages are cached in the shared cache.

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
        if report_only or parts.config is not None:
            return parts
        if is_admin_page(request):
            parts.config = settings.ADMIN_CONTENT_SECURITY_POLICY["DIRECTIVES"]
            parts.update = admin_inline_scripts()
        else:
            update = parts.update or {}
            parts.update = {**update, "style-src": [*update.get("style-src", []), *public_inline_styles()["style-src"]]}
        return parts


# What django-csp's view decorators set on a response.
CSP_VIEW_ATTRIBUTES = {"_csp_exempt", "_csp_config", "_csp_update", "_csp_replace"}


@functools.lru_cache(maxsize=8)
def built_policy(policy_id, admin):
    """The header for the public pages or the admin, per policy setting (a test may replace one). The stylesheet a
    public page holds is read once per process (site_shell/stylesheet.py), so its hash stays for the process too."""
    if admin:
        return build_policy(config=settings.ADMIN_CONTENT_SECURITY_POLICY["DIRECTIVES"], update=admin_inline_scripts())
    return build_policy(update=public_inline_styles())


def public_inline_styles():
    """The public pages' one <style> element, the site's stylesheet, allowed by its hash."""
    return {"style-src": [site_stylesheet().csp_source]}


def is_admin_page(request):
    match = getattr(request, "resolver_match", None)
    return match is not None and "admin" in match.namespaces


# Callables giving the script-src sources an admin page adds: the hashes of the admin's inline scripts, which
# staff_security's AppConfig.ready() adds here (the shell sends the header; the admin's editor is not its business).
ADMIN_SCRIPT_SOURCES = []


def admin_inline_scripts():
    """The hashes of the admin's inline scripts: the editor's import map, the same for every page (it names the
    static files' addresses, which change only with a release)."""
    return {"script-src": [source for sources in ADMIN_SCRIPT_SOURCES for source in sources()]}


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
