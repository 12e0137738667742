"""The HTML a story body may contain, and the plain text cards and search engines get from it.

Bodies are cleaned with nh3 (the Rust html5ever/ammonia sanitiser) when they are saved and
again when they are shown, so a story saved before these rules, or written by a script
that skipped the form, is still safe on the page.
"""

import html
import re
from urllib.parse import urlsplit

import nh3
from django.conf import settings
from django.http.request import validate_host
from django.utils.html import linebreaks
from django.utils.text import Truncator

# What a news story needs, and what the admin editor can produce (see STORY_BODY_EDITOR).
STORY_TAGS = {"h2", "h3", "p", "br", "strong", "em", "ul", "ol", "li", "a", "blockquote"}
STORY_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
LINK_SCHEMES = {"http", "https", "mailto", "tel"}
# Removed with everything inside them: their content is code or widgets, never story text.
HIDDEN_CONTENT_TAGS = {
    "script", "style", "template", "noscript", "iframe", "frame", "frameset", "object", "embed",
    "applet", "svg", "math", "textarea", "select", "title", "noembed", "noframes", "xmp",
}  # fmt: skip
OUTBOUND_REL = "noopener noreferrer"

STORY_BODY_EDITOR = {
    "Heading": {"levels": [2, 3]},
    "Bold": True,
    "Italic": True,
    "BulletList": True,
    "OrderedList": True,
    "ListItem": True,
    "Blockquote": True,
    "HardBreak": True,
    # Links open in the same tab: readers decide themselves where a link opens.
    "Link": {"enableTarget": False, "protocols": sorted(LINK_SCHEMES)},
}

story_cleaner = nh3.Cleaner(
    tags=STORY_TAGS,
    attributes=STORY_ATTRIBUTES,
    clean_content_tags=HIDDEN_CONTENT_TAGS,
    url_schemes=LINK_SCHEMES,
    link_rel=None,  # added below to links that leave the site only
    strip_comments=True,
)
text_cleaner = nh3.Cleaner(tags=set(), attributes={}, clean_content_tags=HIDDEN_CONTENT_TAGS)

LOOKS_LIKE_HTML = re.compile(r"</?[a-zA-Z][^>]*>|<!--")
# nh3's serialiser always writes attributes as name="value", with " escaped inside values.
OPENING_LINK = re.compile(r'<a((?:\s+[\w-]+="[^"]*")*)\s*>')
HREF = re.compile(r'\shref="([^"]*)"')
# Where one block of text ends and the next begins, so their words don't run together.
BLOCK_BOUNDARY = re.compile(r"</(?:p|h[1-6]|li|blockquote|div)\s*>|<br\s*/?>", re.IGNORECASE)
EMPTY_PARAGRAPH = re.compile(r"<p>(?:\s|<br>)*</p>")
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")


def is_outbound(href):
    host = urlsplit(html.unescape(href)).hostname
    # "*" would make every host ours; a link elsewhere must still be marked as leaving.
    own_hosts = [allowed for allowed in settings.ALLOWED_HOSTS if allowed != "*"]
    return bool(host) and not validate_host(host, own_hosts)


def add_rel_to_outbound_link(match):
    attributes = match.group(1)
    href = HREF.search(attributes)
    if href and is_outbound(href.group(1)):
        return f'<a{attributes} rel="{OUTBOUND_REL}">'
    return match.group(0)


def clean_story_html(value):
    """Safe story HTML from what an editor saved: HTML from the editor, or plain text with blank lines."""
    if not value:
        return ""
    if not LOOKS_LIKE_HTML.search(value):
        value = linebreaks(value, autoescape=True)
    cleaned = OPENING_LINK.sub(add_rel_to_outbound_link, story_cleaner.clean(value))
    # Enter pressed twice in the editor leaves empty paragraphs: uneven gaps on the page.
    cleaned = EMPTY_PARAGRAPH.sub("", cleaned)
    # The editor sends "<p></p>" for an empty body: keep it empty, so templates can test it.
    return cleaned if story_plain_text(cleaned) else ""


def story_plain_text(value):
    """The words of a story body, without markup; entities decoded (templates escape them once)."""
    if not value:
        return ""
    text = html.unescape(text_cleaner.clean(BLOCK_BOUNDARY.sub(" ", value)))
    return " ".join(text.split())


def excerpt(text, words):
    """About `words` words; Chinese has no spaces between words, so it is cut by characters."""
    letters = text.replace(" ", "")
    if letters and len(CJK.findall(letters)) * 3 >= len(letters):
        return Truncator(text).chars(words * 2)
    return Truncator(text).words(words)
