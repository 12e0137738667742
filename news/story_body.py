"""A story's body: the rich-text editor's field, the HTML it may hold, and its plain text.

The editor's extensions (STORY_BODY_EXTENSIONS) decide both what editors can write and, through
django-prose-editor, which tags and attributes survive cleaning: one allow-list. Bodies are cleaned
with nh3 (the Rust html5ever/ammonia sanitiser) on every save, whoever saves (the admin, the seed
command, a script), and again when shown, so a body stored before these rules is still safe.
"""

import difflib
import html
import html.parser
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


# --- Two bodies compared, with their formatting ------------------------------------------------------------------

# A word, one CJK character (Chinese has no spaces between words), or the space between words.
DIFF_WORD = re.compile(rf"{CJK.pattern}|[^\s\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]+|\s+")
VOID_TAGS = {"br"}
# The body's own tags plus the marks of what changed; the result is cleaned again by this allow-list.
body_diff_cleaner = nh3.Cleaner(
    **{
        **allowlist_from_extensions(STORY_BODY_EXTENSIONS),
        "tags": allowlist_from_extensions(STORY_BODY_EXTENSIONS)["tags"] | {"ins", "del"},
    },
    clean_content_tags=HIDDEN_CONTENT_TAGS,
    strip_comments=True,
)


class BodyWord:
    """A word of a body with the elements around it, outermost first: ((element id, tag, attributes), ...)."""

    def __init__(self, text, elements):
        self.text, self.elements = text, elements
        # What is compared: the word and its formatting (a word made bold, or a link's new address, is a change).
        self.key = (text, tuple((tag, attrs) for _id, tag, attrs in elements))


class BodyWords(html.parser.HTMLParser):
    """The words of cleaned body HTML, each with its formatting; element ids start with `prefix`."""

    def __init__(self, prefix):
        super().__init__(convert_charrefs=True)
        self.prefix, self.count, self.open, self.words = prefix, 0, [], []

    def handle_starttag(self, tag, attrs):
        self.count += 1
        element = (f"{self.prefix}{self.count}", tag, tuple(sorted((name, value or "") for name, value in attrs)))
        if tag in VOID_TAGS:
            self.words.append(BodyWord("", (*self.open, element)))
        else:
            self.open.append(element)

    def handle_endtag(self, tag):
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index][1] == tag:
                del self.open[index:]
                break

    def handle_data(self, data):
        # Any run of spaces is one space, as the browser shows it.
        words = (" " if word.isspace() else word for word in DIFF_WORD.findall(data))
        self.words += [BodyWord(word, tuple(self.open)) for word in words]

    @classmethod
    def of(cls, value, prefix):
        parser = cls(prefix)
        parser.feed(clean_story_body(value))
        parser.close()
        return parser.words


def body_diff(old, new):
    """The new body as HTML with its formatting, words added marked <ins> and words removed <del>, in place (where
    a formatting changed, the word is removed in the old and added in the new formatting). Both bodies are
    cleaned first and the result again: it is safe to show as it is."""
    old_words, new_words = BodyWords.of(old, "old"), BodyWords.of(new, "new")
    matcher = difflib.SequenceMatcher(
        None, [word.key for word in old_words], [word.key for word in new_words], autojunk=False
    )
    opcodes = matcher.get_opcodes()
    # An old element whose words are kept is the new element they are in: words removed from it are shown there.
    same_element = {}
    for operation, old_start, old_end, new_start, _new_end in opcodes:
        if operation == "equal":
            for offset in range(old_end - old_start):
                # Equal keys: the same formatting, element by element.
                pairs = zip(old_words[old_start + offset].elements, new_words[new_start + offset].elements, strict=True)
                same_element.update((was[0], now[0]) for was, now in pairs)
    for operation, old_start, old_end, new_start, new_end in opcodes:
        if operation == "replace":
            pair_replaced_elements(old_words[old_start:old_end], new_words[new_start:new_end], same_element)
    marked = []  # (word, mark) in reading order; mark is None, "del" or "ins"
    for operation, old_start, old_end, new_start, new_end in opcodes:
        if operation == "equal":
            marked += [(word, None) for word in new_words[new_start:new_end]]
            continue
        removed = [in_new_elements(word, same_element) for word in old_words[old_start:old_end]]
        marked += interleaved(removed, new_words[new_start:new_end])
    return body_diff_cleaner.clean(render_marked_words(marked))


def in_new_elements(word, same_element):
    elements = tuple((same_element.get(id_, id_), tag, attrs) for id_, tag, attrs in word.elements)
    return BodyWord(word.text, elements)


def pair_replaced_elements(removed, added, same_element):
    """Where words were replaced, an old element and a new one of the same kind, in the same place, are one: a
    heading reworded shows both wordings in one heading, not two."""
    taken = set(same_element.values())
    unpaired_new = []
    for word in added:
        for depth, (id_, tag, attrs) in enumerate(word.elements):
            parent = word.elements[depth - 1][0] if depth else None
            if id_ not in taken and (id_, tag, attrs, parent) not in unpaired_new:
                unpaired_new.append((id_, tag, attrs, parent))
    for word in removed:
        for depth, (id_, tag, attrs) in enumerate(word.elements):
            if id_ in same_element:
                continue
            parent = same_element.get(word.elements[depth - 1][0], word.elements[depth - 1][0]) if depth else None
            match = next((new for new in unpaired_new if new[1:] == (tag, attrs, parent)), None)
            if match is not None:
                same_element[id_] = match[0]
                unpaired_new.remove(match)


def interleaved(removed, added):
    """Words removed and added where they changed, in reading order: what was removed from a block is shown just
    before what was added to it, and a block that gets nothing added shows its removed words where they were."""

    def block(word):
        return word.elements[0][0] if word.elements else None

    pending, marked = list(removed), []
    for index, word in enumerate(added):
        blocks_still_added_to = {block(later) for later in added[index:]}
        while pending and (block(pending[0]) == block(word) or block(pending[0]) not in blocks_still_added_to):
            marked.append((pending.pop(0), "del"))
        marked.append((word, "ins"))
    return marked + [(word, "del") for word in pending]


def render_marked_words(marked):
    parts, open_elements, open_mark = [], [], None
    for word, mark in marked:
        is_void = word.elements and word.elements[-1][1] in VOID_TAGS
        containers = word.elements[:-1] if is_void else word.elements
        shared = 0
        while shared < min(len(open_elements), len(containers)) and open_elements[shared][0] == containers[shared][0]:
            shared += 1
        if open_mark and (mark != open_mark or shared < len(open_elements)):
            parts.append(f"</{open_mark}>")
            open_mark = None
        for _id, tag, _attrs in reversed(open_elements[shared:]):
            parts.append(f"</{tag}>")
        for _id, tag, attrs in containers[shared:]:
            parts.append(start_tag(tag, attrs))
        open_elements = list(containers)
        if mark and mark != open_mark:
            parts.append(f"<{mark}>")
            open_mark = mark
        parts.append(start_tag(word.elements[-1][1], word.elements[-1][2]) if is_void else html.escape(word.text))
    if open_mark:
        parts.append(f"</{open_mark}>")
    parts += [f"</{tag}>" for _id, tag, _attrs in reversed(open_elements)]
    return "".join(parts)


def start_tag(tag, attrs):
    return "<{}{}>".format(tag, "".join(f' {name}="{html.escape(value)}"' for name, value in attrs))
