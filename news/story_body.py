"""A story's body: the rich-text editor's field, the HTML it may hold, and its plain text.

The editor's extensions (STORY_BODY_EXTENSIONS) decide both what editors can write and, through
django-prose-editor, which tags and attributes survive cleaning: one allow-list. Bodies are cleaned
with nh3 (the Rust html5ever/ammonia sanitiser) on every save, whoever saves (the admin, the seed
command, a script), and again when shown, so a body stored before these rules is still safe.
"""

import html
import re

import nh3
from django.utils.html import linebreaks
from django.utils.text import Truncator
from django_prose_editor.config import allowlist_from_extensions
from django_prose_editor.fields import ProseEditorField

STORY_BODY_EXTENSIONS = {
    "Heading": {"levels": [2, 3]},
    "Bold": True,
    "Italic": True,
    "BulletList": True,
    "OrderedList": True,
    "ListItem": True,
    "Blockquote": True,
    "HardBreak": True,
    # Links open in the same tab: readers decide themselves where a link opens.
    "Link": {"enableTarget": False, "protocols": ["http", "https", "mailto", "tel"]},
}
# Removed with everything inside them: their content is code or widgets, never story text.
HIDDEN_CONTENT_TAGS = {
    "script", "style", "template", "noscript", "iframe", "frame", "frameset", "object", "embed",
    "applet", "svg", "math", "textarea", "select", "title", "noembed", "noframes", "xmp",
}  # fmt: skip

LOOKS_LIKE_HTML = re.compile(r"</?[a-zA-Z][^>]*>|<!--")
# Where one block of text ends and the next begins, so their words don't run together.
BLOCK_BOUNDARY = re.compile(r"</(?:p|h[1-6]|li|blockquote|div)\s*>|<br\s*/?>", re.IGNORECASE)
EMPTY_PARAGRAPH = re.compile(r"<p>(?:\s|<br>)*</p>")
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")

story_body_cleaner = nh3.Cleaner(
    **allowlist_from_extensions(STORY_BODY_EXTENSIONS), clean_content_tags=HIDDEN_CONTENT_TAGS, strip_comments=True
)
text_cleaner = nh3.Cleaner(tags=set(), attributes={}, clean_content_tags=HIDDEN_CONTENT_TAGS)


def clean_story_body(value):
    """Safe story HTML from what an editor saved: HTML from the editor, or plain text with blank lines."""
    if not value:
        return ""
    if not LOOKS_LIKE_HTML.search(value):
        value = linebreaks(value, autoescape=True)
    # Enter pressed twice in the editor leaves empty paragraphs: uneven gaps on the page.
    cleaned = EMPTY_PARAGRAPH.sub("", story_body_cleaner.clean(value))
    # The editor sends "<p></p>" for an empty body: keep it empty, so templates can test it.
    return cleaned if story_body_text(cleaned) else ""


def story_body_text(value):
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


class StoryBodyField(ProseEditorField):
    """The rich-text editor in the admin; the HTML is cleaned on every save, not only
    through the admin form (the seed command and scripts write bodies too)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, extensions=STORY_BODY_EXTENSIONS, sanitize=clean_story_body, **kwargs)

    def pre_save(self, model_instance, add):
        value = self.sanitize(getattr(model_instance, self.attname))
        setattr(model_instance, self.attname, value)
        return value
