"""The site's own address for absolute links (canonical, og:url, feeds, sitemaps, links in emails): SITE_URL, never
the Host a request named. Django checks a request's host name against ALLOWED_HOSTS but not its port, so a request for
`Host: ethicaltoyprogram.org:6666` would otherwise put port 6666 in a password-reset link or a cached canonical URL.
Without SITE_URL (a development machine), the request's own address, so that links work on any port runserver uses.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.http.request import split_domain_port, validate_host
from django.utils.encoding import iri_to_uri

# Outside a request on a development machine without SITE_URL (the resend command): where runserver listens.
DEVELOPMENT_ORIGIN = "http://127.0.0.1:8000"


def site_origin(request=None):
    """scheme://host[:port] of the site, without a trailing slash."""
    if settings.SITE_URL:
        parts = urlsplit(settings.SITE_URL)
        return f"{parts.scheme}://{parts.netloc}"
    if request is not None:
        return f"{request.scheme}://{request.get_host()}"
    return DEVELOPMENT_ORIGIN


def absolute_url(request, location):
    """`location` (a path, or an address already absolute, such as a picture on object storage) on the site."""
    # Encoded as Django's build_absolute_uri() encodes it: a Chinese slug in %-escapes.
    if "://" in location:
        return iri_to_uri(location)
    return iri_to_uri(site_origin(request) + location)


def canonical_address(request, path, page_number=1):
    """A page's one address, as canonical links and hreflang alternates give it: its path, with the page number
    when past the first page, and no other part of the query (a search's words, tracking parameters)."""
    url = absolute_url(request, path)
    return f"{url}?page={page_number}" if page_number > 1 else url


def page_number_of(context):
    """The number of the page of a paginated list a template renders, else 1."""
    page_obj = context.get("page_obj")
    return page_obj.number if page_obj is not None else 1


@checks.register(checks.Tags.security, deploy=True)
def check_site_url(app_configs, **kwargs):
    """`check --deploy`: a production site names its address, and answers to it (and to nothing else)."""
    errors = []
    if not settings.SITE_URL:
        errors.append(
            checks.Error(
                "SITE_URL is not set: absolute links (password reset, canonical, feeds) would follow the Host a "
                "request names.",
                hint="Set SITE_URL to the public address, e.g. https://ethicaltoyprogram.org.",
                id="site_shell.E001",
            )
        )
    elif not validate_host(split_domain_port(urlsplit(settings.SITE_URL).netloc)[0], settings.ALLOWED_HOSTS):
        errors.append(
            checks.Error(
                "SITE_URL's host is not in ALLOWED_HOSTS: the site would refuse its own links.",
                id="site_shell.E002",
            )
        )
    if "*" in settings.ALLOWED_HOSTS:
        errors.append(checks.Error("ALLOWED_HOSTS accepts any host: list the site's host names.", id="site_shell.E003"))
    return errors
