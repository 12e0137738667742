import datetime
import functools
import io

import segno
from django.conf import settings
from django.contrib.sitemaps.views import x_robots_tag
from django.contrib.sites.shortcuts import get_current_site
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe


@functools.lru_cache(maxsize=1024)
def qr_code_svg(content):
    """An SVG QR code, drawn once per content (the WeChat account, a story's address): no image is fetched from
    another host."""
    svg = io.BytesIO()
    segno.make(content, error="m").save(svg, kind="svg", xmldecl=False, scale=4, border=2, dark="#1a1c1e", light="#fff")
    return svg.getvalue()


@require_safe
@cache_control(public=True, max_age=24 * 60 * 60)
def wechat_qr_code(request):
    """The QR code of the WeChat official account, which Chinese readers scan to follow it."""
    if not settings.WECHAT_ACCOUNT_URL:
        raise Http404("No WeChat account is configured.")
    svg = qr_code_svg(settings.WECHAT_ACCOUNT_URL)
    return HttpResponse(svg, content_type="image/svg+xml")


URLSET = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
    'xmlns:xhtml="http://www.w3.org/1999/xhtml" xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">'
)
SITEMAPINDEX = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
)
XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})


@require_safe
@x_robots_tag
def sitemap_index(request, sitemaps):
    """The sitemap index, which robots.txt names: every page of every section, each at an address of its own
    (/sitemap-stories-2.xml), which a cache or a CDN that ignores query strings still tells apart."""
    origin = f"{request.scheme}://{get_current_site(request).domain}"
    pages = [
        origin + reverse("sitemap_section", kwargs={"section": section, "page": page})
        for section, sitemap in sitemaps.items()
        for page in range(1, sitemap().paginator.num_pages + 1)
    ]
    body = "".join([SITEMAPINDEX, *(f"<sitemap><loc>{page.translate(XML_ESCAPES)}</loc></sitemap>" for page in pages)])
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
        urls = sitemap.get_urls(page=page, site=get_current_site(request), protocol=request.scheme)
    except (EmptyPage, PageNotAnInteger):
        raise Http404("No such page of the sitemap") from None
    time_zone = timezone.get_current_timezone()
    body = "".join([URLSET, *(url_element(url, time_zone) for url in urls), "</urlset>\n"])
    response = HttpResponse(body, content_type="application/xml")
    if lastmod := getattr(sitemap, "latest_lastmod", None):
        response["Last-Modified"] = http_date(lastmod.timestamp())
    return response


def url_element(url, time_zone):
    """One <url> of a sitemap, from what Django's Sitemap.get_urls() gives for it, dated in the site's time zone."""
    parts = [f"<url><loc>{url['location'].translate(XML_ESCAPES)}</loc>"]
    if lastmod := url.get("lastmod"):
        lastmod = lastmod.astimezone(time_zone) if isinstance(lastmod, datetime.datetime) else lastmod
        parts.append(f"<lastmod>{lastmod.isoformat()}</lastmod>")
    if url.get("changefreq"):
        parts.append(f"<changefreq>{url['changefreq'].translate(XML_ESCAPES)}</changefreq>")
    if url.get("priority"):
        parts.append(f"<priority>{url['priority']}</priority>")
    for alternate in url.get("alternates", []):
        hreflang, href = alternate["lang_code"].translate(XML_ESCAPES), alternate["location"].translate(XML_ESCAPES)
        parts.append(f'<xhtml:link rel="alternate" hreflang="{hreflang}" href="{href}"/>')
    for image in url.get("images", []):
        parts.append(f"<image:image><image:loc>{image.translate(XML_ESCAPES)}</image:loc></image:image>")
    parts.append("</url>")
    return "".join(parts)
