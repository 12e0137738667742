"""Pages as a reader gets them: parsed into elements (parse_page), the story cards' titles, what a phone downloads
for a page; and the cache generation named before counting a page's queries."""

import functools
import html
import re
from html.parser import HTMLParser

VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
UNSEEN_ELEMENTS = {"script", "style", "template"}
# Elements that sit within a line of text; any other element's text is set apart from its neighbours'.
INLINE_ELEMENTS = {
    "a",
    "abbr",
    "b",
    "cite",
    "code",
    "em",
    "i",
    "kbd",
    "mark",
    "q",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "time",
    "u",
}


class Element:
    """An element of a parsed page: its name, attributes, children (elements and text) and its markup as served."""

    def __init__(self, name, attrs, source, start):
        self.name, self.attrs, self.children = name, dict(attrs), []
        self._source, self._start, self._end = source, start, len(source)

    def find_all(self, tag=None, /, **attrs):
        """Descendants in page order with this tag name and these attributes.

        class_="a b" matches an element with both classes; for_="x" is the attribute `for`; True matches any value.
        Attributes with a hyphen go in a dict: find_all("input", **{"aria-invalid": "true"}).
        """
        return list(self.matching(tag, attrs))

    def find(self, tag=None, /, **attrs):
        """The first descendant find_all would give, or None."""
        return next(self.matching(tag, attrs), None)

    def matching(self, tag, attrs):
        wanted = {key.removesuffix("_"): value for key, value in attrs.items()}
        # Depth first, each element before its descendants: page order, without recursion.
        unvisited = [iter(self.children)]
        while unvisited:
            for child in unvisited[-1]:
                if isinstance(child, Element):
                    if (tag is None or child.name == tag) and child.has(wanted):
                        yield child
                    unvisited.append(iter(child.children))
                    break
            else:
                unvisited.pop()

    def has(self, attrs):
        for key, value in attrs.items():
            if key not in self.attrs:
                return False
            if key == "class" and value is not True:
                if not set(value.split()) <= set((self.attrs[key] or "").split()):
                    return False
            elif value is not True and self.attrs[key] != value:
                return False
        return True

    @property
    def text(self):
        """The text a reader sees in it, whitespace collapsed (not scripts or styles)."""
        parts = []
        for child in self.children:
            if isinstance(child, str):
                parts.append(child)
            elif child.name not in UNSEEN_ELEMENTS:
                parts.append(child.text if child.name in INLINE_ELEMENTS else f" {child.text} ")
        return " ".join("".join(parts).split())

    @property
    def inner_html(self):
        """The markup between its start and end tags, exactly as served."""
        return self._source[self._start : self._end]

    def __repr__(self):
        return f"<{self.name} {self.attrs}>{self.text[:80]}"


class PageParser(HTMLParser):
    def __init__(self, source):
        super().__init__()
        self.source = source
        self.line_starts = [0] + [match.end() for match in re.finditer("\n", source)]
        self.root = Element(None, {}, source, 0)
        self.open_elements = [self.root]

    def position(self):
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_starttag(self, tag, attrs):
        element = Element(tag, attrs, self.source, self.position() + len(self.get_starttag_text()))
        self.open_elements[-1].children.append(element)
        if tag not in VOID_ELEMENTS:
            self.open_elements.append(element)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID_ELEMENTS:
            self.open_elements.pop()

    def handle_endtag(self, tag):
        # An end tag closes its element and any left open inside it, as a browser does.
        open_elements = self.open_elements
        for depth in range(len(open_elements) - 1, 0, -1):
            if open_elements[depth].name == tag:
                end = self.position()
                for element in open_elements[depth:]:
                    element._end = end
                del open_elements[depth:]
                return

    def handle_data(self, data):
        self.open_elements[-1].children.append(data)


def parse_page(page):
    """A page (a response or its HTML) as a tree of Elements: the root, whose children are the page's top elements.

    An Element is returned as it is, so readers such as card_titles also read a part of a page.
    """
    if isinstance(page, Element):
        return page
    return parsed(page.content.decode() if hasattr(page, "content") else page)


@functools.lru_cache(maxsize=16)
def parsed(source):
    """The tree of a page's HTML, parsed once: tests read the same page many times (its title, each meta tag...)."""
    parser = PageParser(source)
    parser.feed(source)
    parser.close()
    return parser.root


def card_titles(page):
    """The titles of the story cards on a list page, in order: the text of each title's link to its story."""
    titles = parse_page(page).find_all(class_="story-card__title")
    return [link.text for title in titles for link in title.find_all("a", href=True)]


# --- What a phone downloads -----------------------------------------------------------------------

PHONE_WIDTH, PHONE_DPR = 375, 2
REM = 16


def css_length(expression, viewport_width):
    """A sizes length in px: rem, px, vw and calc() with + - * / (all the site uses)."""
    expression = expression.strip()
    if expression.startswith("calc(") and expression.endswith(")"):
        expression = expression[5:-1]
    units = {"rem": REM, "px": 1, "vw": viewport_width / 100}
    arithmetic = re.sub(r"(\d*\.?\d+)(rem|px|vw)", lambda match: str(float(match[1]) * units[match[2]]), expression)
    if not re.fullmatch(r"[\d.\s()+\-*/]+", arithmetic):
        raise ValueError(f"Unsupported length in sizes: {expression!r}")
    return eval(arithmetic, {"__builtins__": {}})  # digits and operators only, checked above


def slot_width(sizes, viewport_width):
    """The first sizes entry whose (min-width) condition holds, or the last, unconditional one."""
    for entry in [part.strip() for part in sizes.split(",") if part.strip()]:
        condition = re.match(r"\(min-width:\s*(\d*\.?\d+)(rem|px)\)\s*(.+)", entry)
        if not condition:
            return css_length(entry, viewport_width)
        minimum = float(condition[1]) * (REM if condition[2] == "rem" else 1)
        if viewport_width >= minimum:
            return css_length(condition[3], viewport_width)
    raise ValueError(f"No size applies in {sizes!r}")


def chosen_candidate(srcset, sizes, viewport_width=PHONE_WIDTH, dpr=PHONE_DPR):
    """The smallest candidate at least as wide as the slot needs, else the widest (as browsers do)."""
    candidates = sorted((int(width), url) for url, width in re.findall(r"(\S+)\s+(\d+)w", html.unescape(srcset)))
    needed = slot_width(sizes, viewport_width) * dpr
    return next((url for width, url in candidates if width >= needed), candidates[-1][1])


def page_resources(page):
    """Stylesheets and the images a WebP-capable phone downloads for this page, each once."""
    document = parse_page(page)
    links = document.find_all("link", rel=True, href=True)
    stylesheets = [link.attrs["href"] for link in links if "stylesheet" in link.attrs["rel"].split()]
    images = [
        chosen_candidate(source.attrs["srcset"], source.attrs["sizes"])
        for source in document.find_all("source", type="image/webp", srcset=True, sizes=True)
    ]
    # Images outside a <picture> (the logo mark): a <picture>'s own <img> has a srcset and is not fetched.
    images += [image.attrs["src"] for image in document.find_all("img", src=True) if "srcset" not in image.attrs]
    return list(dict.fromkeys(stylesheets)), list(dict.fromkeys(images))


def name_cache_generation():
    """Begins the cache generation now, as the first page request after a change does, once for every page: names it
    (one query: when the next scheduled change falls) and reads the published order (two: news/rendered_pages.py).
    A test that counts a page's own queries calls this first."""
    from caching import page_cache
    from news.rendered_pages import published_order

    version = page_cache.current_generation()
    assert version is not None, "the cache did not answer"
    assert published_order() is not None
    return version


def form_as_posted(page, form_id):
    """What the form `form_id` on `page` posts as it stands: its boxes, hidden fields, selected options and ticked
    boxes (no button, no file, no radio answer: the test adds what the person pressed or chose)."""
    form = parse_page(page).find("form", id=form_id)
    data = {}
    for field in form.find_all("input"):
        name, kind = field.attrs.get("name"), field.attrs.get("type")
        if not name or kind in ("submit", "file", "button", "radio"):
            continue
        if kind != "checkbox" or "checked" in field.attrs:
            data[name] = field.attrs.get("value") or ("on" if kind == "checkbox" else "")
    for box in form.find_all("textarea"):
        if box.attrs.get("name"):
            data[box.attrs["name"]] = html.unescape(box.inner_html).removeprefix("\n")
    for select in form.find_all("select"):
        chosen = select.find("option", selected=True)
        data[select.attrs["name"]] = chosen.attrs.get("value", "") if chosen else ""
    return data
