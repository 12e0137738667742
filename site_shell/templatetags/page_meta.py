"""What a page says about itself to search engines and to the apps a link is shared in: its canonical address,
link-card picture and the pieces of structured data (schema.org JSON-LD) every kind of page builds from (a story's
own are in news/templatetags/news_structured_data.py)."""

import json

from django import template
from django.templatetags.static import static
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from site_shell.site_address import absolute_url, canonical_address, page_number_of
from site_shell.site_address import site_origin as site_origin_of

register = template.Library()

# The site's own picture for a page without one (made by docs/draw-share-images.py).
DEFAULT_SHARE_IMAGE = {"path": "img/ietp-share.jpg", "width": 1200, "height": 630}
PUBLISHER_LOGO = {"path": "img/ietp-logo.png", "width": 512, "height": 512}
# Characters that could end a <script> element or open a comment inside it, written as JSON escapes.
SCRIPT_SAFE = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


class CaptureNode(template.Node):
    child_nodelists = ("nodelist",)  # so that {% block %} tags inside are still found and overridden

    def __init__(self, nodelist, name):
        self.nodelist, self.name = nodelist, name

    def render(self, context):
        # What the nodelist rendered is escaped already, as it would have been in place.
        context[self.name] = mark_safe(self.nodelist.render(context).strip())  # noqa: S308
        return ""


@register.tag
def capture(parser, token):
    """{% capture as name %}…{% endcapture %}: renders its content once into a variable, so that one block
    (a page's title or description) can feed several tags."""
    bits = token.split_contents()
    if len(bits) != 3 or bits[1] != "as":
        raise template.TemplateSyntaxError("Usage: {% capture as name %}…{% endcapture %}")
    nodelist = parser.parse(("endcapture",))
    parser.delete_first_token()
    return CaptureNode(nodelist, bits[2])


@register.simple_tag(takes_context=True)
def site_origin(context):
    """scheme://host[:port] of the site (SITE_URL), for an absolute address written in a template."""
    return site_origin_of(context["request"])


@register.simple_tag(takes_context=True)
def canonical_url(context, versions):
    """The page's one address (canonical_address); on a fallback page, that of the version it shows
    (site_languages.LanguageVersions)."""
    if versions.fallback is not None:
        return versions.fallback["absolute_url"]
    return canonical_address(context["request"], context["request"].path, page_number_of(context))


@register.simple_tag(takes_context=True)
def link_card_image(context):
    """The picture a link to this page shows: the story's own, else the site's. Absolute, as apps need."""
    request = context["request"]
    story = context.get("story")
    picture = story.share_picture if story is not None else None
    if picture is not None:
        return {
            "url": absolute_url(request, picture.url),
            "width": picture.width,
            "height": picture.height,
            "alt": story.image_alt,
        }
    return {
        "url": absolute_url(request, static(DEFAULT_SHARE_IMAGE["path"])),
        "width": DEFAULT_SHARE_IMAGE["width"],
        "height": DEFAULT_SHARE_IMAGE["height"],
        "alt": _("ICTI Ethical Toy Program"),
    }


def json_ld(data):
    """A <script type="application/ld+json"> element: JSON that no string inside can break out of."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(SCRIPT_SAFE)
    return mark_safe(f'<script type="application/ld+json">{text}</script>')  # noqa: S308


def publisher(request, url):
    """The organisation as schema.org's publisher, at `url` (the address of its home page)."""
    return {
        "@type": "Organization",
        "name": _("ICTI Ethical Toy Program"),
        "url": absolute_url(request, url),
        "logo": {
            "@type": "ImageObject",
            "url": absolute_url(request, static(PUBLISHER_LOGO["path"])),
            "width": PUBLISHER_LOGO["width"],
            "height": PUBLISHER_LOGO["height"],
        },
    }


def breadcrumb_list(request, crumbs):
    return {
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": position, "name": str(name), "item": absolute_url(request, url)}
            for position, (name, url) in enumerate(crumbs, start=1)
        ],
    }
