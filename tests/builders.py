"""What the tests build (stories, admin and membership form posts, photo-like images, a free port) and how
they read the pages they get back. bench/page_weight.py builds its site with these too; nothing here imports
from bench/ or from a conftest.py, whose fixtures call these builders.
"""

import copy
import datetime
import html
import io
import itertools
import re
import socket
import time
from html.parser import HTMLParser

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.text import slugify
from PIL import Image, ImageCms, ImageDraw, ImageFilter

# The site's models are imported where they are used: bench/page_weight.py imports this module before
# it configures Django.

# --- Stories ------------------------------------------------------------------------------------

story_numbers = itertools.count(1)


def make_story(translations=None, *, status="published", publish_date=datetime.date(2023, 10, 27), **fields):
    """A story saved by code; translations as {language: title} or {language: {field: value}}.

    Every version has `status` (published unless a version's values say otherwise); the story is dated at the
    start of `publish_date` in the site's time zone, unless `publish_at` is given.
    """
    from news.models import NewsStory, start_of_day

    fields.setdefault("publish_at", start_of_day(publish_date) if publish_date else None)
    story = NewsStory.objects.create(**fields)
    for language, values in (translations or {"en": f"Story {next(story_numbers)}"}).items():
        values = {"title": values} if isinstance(values, str) else dict(values)
        values.setdefault("slug", slugify(values["title"], allow_unicode=True))
        values.setdefault("status", status)
        story.set_current_language(language)
        for name, value in values.items():
            setattr(story, name, value)
        story.save_translations()
    story.set_current_language("en")
    return story


def illustrated_story(number, photo=None, *, sharing_files_of=None):
    """Story `number` (published 2023-10-<number>) with a featured image, as the page-weight budget assumes.

    The photo's bytes are cleaned and made into renditions as an editor's upload is; or, with
    sharing_files_of=story, the story shows that story's image files and no image work is done.
    """
    if sharing_files_of is None:
        image = {"image": SimpleUploadedFile(f"visit-{number}.jpg", photo)}
    else:
        image = {
            "image": sharing_files_of.image.name,
            "image_renditions": copy.deepcopy(sharing_files_of.image_renditions),
        }
    english = {
        "title": f"Factory visit number {number}: what the new worker committee achieved",
        "slug": f"factory-visit-{number}",
        "summary": "Workers elected their own committee, which meets management every month. " * 2,
        "body": "A longer account of the visit. " * 120,
        "image_alt": f"Workers and managers at committee meeting {number}",
    }
    return make_story({"en": english}, publish_date=datetime.date(2023, 10, number), **image)


def illustrated_stories(count):
    """Stories 1 to `count` (the last is the newest), each with a featured image, for the price of one upload.

    The stories share story 1's files, so deleting any of them deletes the image files of all.
    """
    first = illustrated_story(1, photo_like(1000, 750))
    return [first, *(illustrated_story(number, sharing_files_of=first) for number in range(2, count + 1))]


def many_stories(count, *, newest=None, first=0):
    """`count` stories written in bulk, an hour apart back from `newest` (now), for pages at scale: story N (from
    `first`) is "Story N" (slug story-N) in English, published; every other story also has a Chinese version
    "新闻 N" (slug 新闻-N), half of those still drafts."""
    from django.utils import timezone

    from news.models import NewsStory, NewsStoryTranslation

    newest = newest or timezone.now()
    stories = NewsStory.objects.bulk_create(
        NewsStory(publish_at=newest - datetime.timedelta(hours=number)) for number in range(count)
    )
    versions = []
    for number, story in enumerate(stories, start=first):
        versions.append(
            NewsStoryTranslation(
                master=story, language_code="en", title=f"Story {number}", slug=f"story-{number}", status="published"
            )
        )
        if number % 2:
            versions.append(
                NewsStoryTranslation(
                    master=story,
                    language_code="zh-hans",
                    title=f"新闻 {number}",
                    slug=f"新闻-{number}",
                    status="published" if number % 4 == 1 else "draft",
                )
            )
    NewsStoryTranslation.objects.bulk_create(versions, batch_size=2000)
    return stories


def story_form(**fields):
    """What the admin's story form posts for one language tab: a published story without an image.

    The slug is made from the title unless given; a field given as None is left out of the post. The story's
    time is given as publish_date and publish_time (empty strings for an undated story).
    """
    form = {
        "title": "Factory visit in Dongguan",
        "summary": "",
        "body": "",
        "image_alt": "",
        "image_caption": "",
        "image_credit": "",
        "status": "published",
        "publish_date": "2023-10-27",
        "publish_time": "09:00",
        "category": "news",
        "dateline": "",
        "_save": "Save",
        # The documents inline, with no document.
        "documents-TOTAL_FORMS": "0",
        "documents-INITIAL_FORMS": "0",
    }
    form.update(fields)
    form.setdefault("slug", slugify(form["title"], allow_unicode=True))
    # The admin's date and time boxes for the story's time.
    form["publish_at_0"], form["publish_at_1"] = form.pop("publish_date"), form.pop("publish_time")
    return {name: value for name, value in form.items() if value is not None}


# --- Buyer membership applications -------------------------------------------------------------

MEMBERSHIP_STAFF = ["membership@ethicaltoyprogram.org", "review@ethicaltoyprogram.org"]


def application_answers(**changes):
    """A buyer's answers to the membership form, as its fields take them."""
    answers = {
        "company_name": "Bright Toys Ltd",
        "brand_names": "Bright, Little Bright",
        "website": "https://bright-toys.example.com",
        "headquarters_country": "HK",
        "company_type": "brand",
        "product_categories": ["toys", "seasonal"],
        "annual_sales": "10m_50m",
        "supplier_factory_count": "12",
        "supplier_countries": ["CN", "VN"],
        "contact_name": "Mei Chan",
        "contact_job_title": "Sourcing Director",
        "contact_email": "mei.chan@bright-toys.example.com",
        "contact_phone": "+852 2345 6789",
        "executive_name": "Alan Wong",
        "executive_title": "Chief Executive",
        "executive_email": "alan.wong@bright-toys.example.com",
        "toy_association_member": "yes",
        "toy_association_name": "Toys Manufacturers' Association of Hong Kong",
        "heard_from": "factory",
        "message": "We would like to join before the spring fair.",
    }
    return answers | changes


def application_form(**changes):
    """What the membership form posts: the answers, both boxes ticked, the hidden trap left empty, and the
    page shown a minute ago. A change given as None leaves that field out of the post."""
    from membership.forms import sign_form_started

    data = application_answers(
        agrees_to_principles="on",
        consents_to_privacy_notice="on",
        fax="",
        form_started=sign_form_started(time.time() - 60),
    )
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def emails_when_sent(application, outbox, count, seconds=10):
    """The outbox once `count` of the application's emails are recorded as sent: a live server sends them after its
    response, while the browser goes on."""
    deadline = time.monotonic() + seconds
    while application.emails.filter(sent_at__isnull=False).count() < count:
        assert time.monotonic() < deadline, f"{count} emails were not sent within {seconds} s: {outbox}"
        time.sleep(0.05)
    return list(outbox)


def make_application(**fields):
    """A saved application with the same answers, sent from the English form."""
    from membership.models import MembershipApplication

    answers = application_answers()
    values = answers | {
        "supplier_factory_count": int(answers["supplier_factory_count"]),
        "toy_association_member": answers["toy_association_member"] == "yes",
        "agrees_to_principles": True,
        "consents_to_privacy_notice": True,
        "language": "en",
    }
    return MembershipApplication.objects.create(**(values | fields))


# --- Images -------------------------------------------------------------------------------------

ORIENTATION, GPS_IFD = 0x0112, 0x8825


def photo_like(width=1600, height=1200, image_format="JPEG", **save_options):
    """Encoded bytes of a photo-like image (gradients, blotches, shapes, grain): not trivially compressible."""
    channels = [Image.linear_gradient("L").rotate(angle).resize((width, height)) for angle in (0, 90, 45)]
    base = Image.merge("RGB", channels)
    blotches = Image.merge(
        "RGB", [Image.effect_noise((max(width // 60, 2), max(height // 60, 2)), 60) for _ in range(3)]
    ).resize((width, height), Image.Resampling.BICUBIC)
    image = Image.blend(base, blotches, 0.5)
    draw = ImageDraw.Draw(image)
    for step in range(12):
        left, top = (step * 373) % width, (step * 211) % height
        draw.rectangle([left, top, left + width // 6, top + height // 8], fill=(40 + step * 15, 90, 200 - step * 10))
    image = image.filter(ImageFilter.GaussianBlur(1))
    image = Image.blend(image, Image.effect_noise((width, height), 40).convert("RGB"), 0.1)
    buffer = io.BytesIO()
    image.save(buffer, image_format, **save_options)
    return buffer.getvalue()


def phone_photo(width=1600, height=1200):
    """A camera JPEG lying on its side (EXIF orientation 6), with GPS, XMP and an ICC profile."""
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (22.0, 32.0, 41.5), 3: "E", 4: (114.0, 3.0, 12.0)})
    image = Image.open(io.BytesIO(photo_like(width, height)))
    # A marker in the top-left corner as stored on the sensor; upright, it is in the top right.
    image.paste((255, 0, 0), (0, 0, width // 8, height // 8))
    buffer = io.BytesIO()
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    image.save(buffer, "JPEG", exif=exif, icc_profile=icc, xmp=b"<x:xmpmeta>GPSLatitude 22,32</x:xmpmeta>")
    return buffer.getvalue()


# --- Servers ------------------------------------------------------------------------------------


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on, for a server started by a test or the benchmark."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- Reading pages ------------------------------------------------------------------------------

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
        wanted = {key.removesuffix("_"): value for key, value in attrs.items()}
        found = []
        for child in self.children:
            if isinstance(child, Element):
                if (tag is None or child.name == tag) and child.has(wanted):
                    found.append(child)
                found += child.find_all(tag, **attrs)
        return found

    def find(self, tag=None, /, **attrs):
        """The first descendant find_all would give, or None."""
        return next(iter(self.find_all(tag, **attrs)), None)

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
        if any(element.name == tag for element in self.open_elements[1:]):
            end = self.position()
            while True:
                element = self.open_elements.pop()
                element._end = end
                if element.name == tag:
                    break

    def handle_data(self, data):
        self.open_elements[-1].children.append(data)


def parse_page(page):
    """A page (a response or its HTML) as a tree of Elements: the root, whose children are the page's top elements.

    An Element is returned as it is, so readers such as card_titles also read a part of a page.
    """
    if isinstance(page, Element):
        return page
    source = page.content.decode() if hasattr(page, "content") else page
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


# --- Documents ----------------------------------------------------------------------------------


def minimal_pdf(text="Audit deadlines 2024"):
    """A small valid one-page PDF saying `text`, with a correct cross-reference table."""
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    pdf, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(pdf)


def office_file(main_part="word/document.xml", macros=False):
    """The bytes of a skeletal Word (or, with main_part="xl/workbook.xml", Excel) file, with macros if asked."""
    import zipfile

    macro_type = '<Override PartName="/word/vbaProject.bin" ContentType="application/vnd.ms-office.vbaProject"/>'
    content_types = (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        f'content-types">{macro_type if macros else ""}</Types>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr(main_part, "<document/>")
        if macros:
            archive.writestr("word/vbaProject.bin", b"\x00" * 64)
    return buffer.getvalue()


# --- The page cache ------------------------------------------------------------------------------


def name_content_version():
    """Names the content version now, as the first page request after a change does with one query: a test that
    counts a page's own queries calls this first."""
    from caching import page_cache

    version = page_cache.current_generation()
    assert version is not None, "the cache did not answer"
    return version


# --- Letters of support ---------------------------------------------------------------------------


def letter_pdf(
    *, javascript=False, attachment=False, page_actions=False, script_in_resources=False, pages=1, password=None
):
    """A PDF letter made by pypdf, a page with a line of text, and optionally what a letter should not carry: a
    document script run on opening, an attached file, a page action and a link running a script, or a script
    tucked where no neutraliser looks (in the page's resources). With `password` (possibly "", as "protected"
    PDFs that anyone may open are) it is encrypted, with RC4, which pypdf reads without other libraries."""
    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter()
    for _number in range(pages):
        page = writer.add_blank_page(595, 842)
        content = DecodedStreamObject()
        content.set_data(b"BT /F1 24 Tf 72 720 Td (Letter of support, signed) Tj ET")
        page[NameObject("/Contents")] = writer._add_object(content)
    script = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert('letter')")}
    )
    if javascript:
        names = DictionaryObject(
            {NameObject("/Names"): ArrayObject([TextStringObject("opening"), writer._add_object(script)])}
        )
        writer._root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): names})
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(script)
    if attachment:
        writer.add_attachment("payload.exe", b"MZ-attached-payload")
    if page_actions:
        page = writer.pages[0]
        page[NameObject("/AA")] = DictionaryObject({NameObject("/O"): script})
        link = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Link"),
                NameObject("/Rect"): ArrayObject([]),
                NameObject("/A"): script,
            }
        )
        attached = DictionaryObject(
            {NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/FileAttachment")}
        )
        page[NameObject("/Annots")] = ArrayObject([writer._add_object(link), writer._add_object(attached)])
    if script_in_resources:
        writer.pages[0][NameObject("/Resources")] = DictionaryObject({NameObject("/Hidden"): script})
    if password is not None:
        writer.encrypt(user_password=password, owner_password="owner-only", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
