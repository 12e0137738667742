import datetime
import functools
import hashlib
import io
from types import SimpleNamespace
from urllib.parse import urlsplit

import segno
from django.conf import settings
from django.contrib.sitemaps.views import x_robots_tag
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import http_date
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from site_shell.site_address import site_origin


@functools.lru_cache(maxsize=1024)
def qr_code_svg(content):
    """An SVG QR code, rendered once per content (the WeChat account, a story's address): no image is fetched from
    another host."""
    svg = io.BytesIO()
    segno.make(content, error="m").save(svg, kind="svg", xmldecl=False, scale=4, border=2, dark="#1a1c1e", light="#fff")
    return svg.getvalue()


@functools.lru_cache(maxsize=16)
def qr_code_version(content):
    """A short digest of the QR code's image: part of its address, which changes whenever the image does."""
    return hashlib.sha256(qr_code_svg(content)).hexdigest()[:12]


def wechat_qr_code_version():
    return qr_code_version(settings.WECHAT_ACCOUNT_URL) if settings.WECHAT_ACCOUNT_URL else ""


@require_safe
def wechat_qr_code(request, version=None):
    """The QR code of the WeChat official account, which Chinese readers scan to follow it.

    Cached for a year: its address names its image (another account, or another drawing of the code, is another
    address). An address without that name, or an older one, leads to the current code."""
    if not settings.WECHAT_ACCOUNT_URL:
        raise Http404("No WeChat account is configured.")
    if version != wechat_qr_code_version():
        return redirect("wechat_qr_code", version=wechat_qr_code_version())
    response = HttpResponse(qr_code_svg(settings.WECHAT_ACCOUNT_URL), content_type="image/svg+xml")
    patch_cache_control(response, public=True, max_age=365 * 24 * 60 * 60, immutable=True)
    return response


URLSET = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
    'xmlns:xhtml="http://www.w3.org/1999/xhtml" xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">'
)
SITEMAPINDEX = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
)
XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})


def xml_escape(text):
    # Addresses rarely hold any of these: looking is several times faster than translating every one.
    if "&" in text or "<" in text or ">" in text or '"' in text:
        return text.translate(XML_ESCAPES)
    return text


@require_safe
@x_robots_tag
def sitemap_index(request, sitemaps):
    """The sitemap index, which robots.txt names: every page of every section, each at an address of its own
    (/sitemap-stories-2.xml), which a cache or a CDN that ignores query strings still tells apart."""
    origin = site_origin(request)
    pages = [
        origin + reverse("sitemap_section", kwargs={"section": section, "page": page})
        for section, sitemap in sitemaps.items()
        for page in range(1, sitemap().paginator.num_pages + 1)
    ]
    body = "".join([SITEMAPINDEX, *(f"<sitemap><loc>{xml_escape(page)}</loc></sitemap>" for page in pages)])
    return HttpResponse(body + "</sitemapindex>\n", content_type="application/xml")


@require_safe
@x_robots_tag
def sitemap_section(request, sitemaps, section, page):
    """A page of one section of the sitemap, as Django's sitemap view answers it (a 404 for a section or page that
    does not exist, Last-Modified from its entries), with each picture (Google's image extension). Written without
    a template: a page of 1,000 stories has 1,250 addresses, each with its alternates, and the template language
    took longer than everything else on the page."""
    if section not in sitemaps:
        raise Http404("No such sitemap")
    sitemap = sitemaps[section]()
    try:
        origin = urlsplit(site_origin(request))
        # A sitemap reads only the site's domain: SITE_URL's host and port, not the request's.
        urls = sitemap.get_urls(page=page, site=SimpleNamespace(domain=origin.netloc), protocol=origin.scheme)
    except (EmptyPage, PageNotAnInteger):
        raise Http404("No such page of the sitemap") from None
    body = "".join([URLSET, *url_elements(urls), "</urlset>\n"])
    response = HttpResponse(body, content_type="application/xml")
    if lastmod := getattr(sitemap, "latest_lastmod", None):
        response["Last-Modified"] = http_date(lastmod.timestamp())
    return response


def url_elements(urls):
    """The <url> elements of a sitemap, from what Django's Sitemap.get_urls() gives, dated in the site's time zone."""
    time_zone = timezone.get_current_timezone()
    for url in urls:
        lastmod = url.get("lastmod")
        if isinstance(lastmod, datetime.datetime):
            lastmod = lastmod.astimezone(time_zone)
        yield "".join(
            [
                f"<url><loc>{xml_escape(url['location'])}</loc>",
                f"<lastmod>{lastmod.isoformat()}</lastmod>" if lastmod else "",
                f"<changefreq>{xml_escape(url['changefreq'])}</changefreq>" if url.get("changefreq") else "",
                f"<priority>{url['priority']}</priority>" if url.get("priority") else "",
                *(
                    f'<xhtml:link rel="alternate" hreflang="{xml_escape(alternate["lang_code"])}" '
                    f'href="{xml_escape(alternate["location"])}"/>'
                    for alternate in url.get("alternates", [])
                ),
                *(
                    f"<image:image><image:loc>{xml_escape(image)}</image:loc></image:image>"
                    for image in url.get("images", [])
                ),
                "</url>",
            ]
        )


def period_in_words(days):
    """A retention period as people say it: "24 months", "6 months", "45 days"."""
    if days >= 60:
        months = round(days / (365.25 / 12))
        return ngettext("%(count)d month", "%(count)d months", months) % {"count": months}
    return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}


class PrivacyNoticeView(TemplateView):
    """Who holds applicants' data, where, why, for how long, and how to have it erased: all from settings, which
    are part of the release (the page is served from the page cache)."""

    template_name = "site_shell/privacy_notice.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            controller=settings.PRIVACY_CONTROLLER_NAME,
            contact_email=settings.PRIVACY_CONTACT_EMAIL,
            contact_address=settings.PRIVACY_CONTACT_ADDRESS,
            storage_location=settings.PRIVACY_STORAGE_LOCATION,
            approved_period=period_in_words(settings.MEMBERSHIP_RETAIN_APPROVED_DAYS),
            declined_period=period_in_words(settings.MEMBERSHIP_RETAIN_DECLINED_DAYS),
            **kwargs,
        )
