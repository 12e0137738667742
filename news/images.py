"""Featured images: what editors may upload, the clean copies and renditions made once per upload.

Nothing an editor uploads is ever served as uploaded: every file is decoded and re-encoded by
Pillow (uploads/images.py), which drops location data and any payload hidden after the image data (polyglots).
Files are written and deleted through the storage API only, so media may live on a mounted
volume or in object storage (see README.md, "Media storage").
"""

import posixpath
import uuid
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import models
from django.template.defaultfilters import filesizeformat
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps

from uploads.images import MASTER_QUALITY, check_image, clean_pixels, decoded_small, encode
from uploads.stored_files import DeletesUnusedFilesAfterCommit

MAX_UPLOAD_BYTES = 15 * 1024 * 1024
# Pillow calls a phone's JPEG with a depth or HDR map "MPO"; its first frame is the photo.
ACCEPTED_FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WEBP"}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}

# Widths in pixels for each srcset; a card is cropped to 3:2 so the list lines up.
CARD_WIDTHS = [320, 480, 640, 960]
CARD_ASPECT = (3, 2)
HERO_WIDTHS = [640, 960, 1280, 1920]
# A hero keeps the photo's shape, cropped only when wider than 2:1 or taller than 4:5.
HERO_WIDEST, HERO_TALLEST = 2.0, 0.8
# The story page shows the hero 44rem (704 CSS px) wide on a desktop and the phone's width less 2rem on a
# phone: about 1,000 device pixels on most phones (2-3x screens). A narrower photo is enlarged, and looks
# blurred, for most readers; a 2x desktop (1,408 px) enlarges a 1,000 px photo by 1.4, which few notice.
SHARP_HERO_WIDTH = 1000

# Link cards (WeChat, LinkedIn, X, Facebook) show a 1.91:1 picture; 1200 px wide is what they all ask for.
SHARE_WIDTH, SHARE_ASPECT = 1200, 1.91
# Search engines' article results (Google's NewsArticle) ask for the picture at 16:9, 4:3 and 1:1, each at least
# 1200 px wide where the photo allows; named in the renditions record as "share-16x9" and so on.
ARTICLE_ASPECTS = {"share-16x9": (16, 9), "share-4x3": (4, 3), "share-1x1": (1, 1)}

# No rendition is wider than the largest hero, and a hero is at most twice as wide as it is tall: an image is
# decoded no larger than that (a 40-megapixel JPEG at a quarter of its size, by the decoder; a PNG cannot be, and is
# reduced once decoded), so that one upload costs a worker a fraction of the memory. MAX_PIXELS (uploads/images.py)
# bounds what a PNG costs while it is decoded.
DECODED_MIN_SIZE = (HERO_WIDTHS[-1], round(HERO_WIDTHS[-1] / HERO_WIDEST))

WEBP_QUALITY = 70
JPEG_QUALITY = 78


# --- What editors may upload ------------------------------------------------------------------


def validate_featured_image(upload):
    """Refuses anything but a single still JPEG, PNG or WebP of a sensible size, before decoding it."""
    if upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _(
                "This file is %(size)s; an image may be at most %(limit)s. "
                "Please save it at a smaller size and upload it again."
            ),
            code="file_too_large",
            params={"size": filesizeformat(upload.size), "limit": filesizeformat(MAX_UPLOAD_BYTES)},
        )
    check_image(upload, ACCEPTED_FORMATS, not_an_image_message)


def not_an_image_message():
    return _("This file is not a JPEG, PNG or WebP image (SVG, GIF and other formats are not accepted).")


class FeaturedImageFormField(forms.FileField):
    """The upload box in forms: checks the file before anything is stored."""

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "accept": "image/jpeg,image/png,image/webp"}

    def to_python(self, data):
        upload = super().to_python(data)
        if upload is not None:
            validate_featured_image(upload)
        return upload


def featured_image_path(story, filename):
    """Each upload gets a directory of its own, shared with its renditions."""
    stem = slugify(posixpath.splitext(posixpath.basename(filename))[0])[:60] or "image"
    extension = posixpath.splitext(filename)[1].lower()
    return f"news/images/{uuid.uuid4().hex}/{stem}{extension}"


# --- The clean copy and its renditions --------------------------------------------------------


def crop_to_ratio(image, widest, tallest):
    ratio = image.width / image.height
    if ratio > widest:
        return ImageOps.fit(image, (round(image.height * widest), image.height))
    if ratio < tallest:
        return ImageOps.fit(image, (image.width, round(image.width / tallest)))
    return image


def srcset_widths(available, wanted):
    """The wanted widths the photo can fill, plus its own width when it is smaller: never upscaled."""
    widths = [width for width in wanted if width <= available]
    if available < wanted[-1] and available not in widths:
        widths.append(available)
    return widths


def make_rendition_set(storage, directory, name, image, wanted_widths):
    widths = srcset_widths(image.width, wanted_widths)
    rendition_set = {"width": 0, "height": 0, "webp": [], "jpeg": []}
    for width in widths:
        height = round(image.height * width / image.width)
        resized = image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
        for image_format, quality, extension in (("WEBP", WEBP_QUALITY, "webp"), ("JPEG", JPEG_QUALITY, "jpg")):
            path = storage.save(
                f"{directory}/{name}-{width}.{extension}", ContentFile(encode(resized, image_format, quality))
            )
            rendition_set[extension if extension == "webp" else "jpeg"].append([width, path])
        rendition_set["width"], rendition_set["height"] = width, height
    return rendition_set


def make_share_rendition(storage, directory, image, aspect=SHARE_ASPECT, name="share"):
    """A picture for link cards or search results: one JPEG (what every service reads), cropped about the photo's
    centre to `aspect` (width / height), 1200 px wide unless the crop is narrower, with its size in bytes (an RSS
    enclosure gives it)."""
    crop_width = min(image.width, round(image.height * aspect))
    crop_size = (crop_width, round(crop_width / aspect))
    cropped = ImageOps.fit(image, crop_size) if image.width else image
    width = min(SHARE_WIDTH, cropped.width)
    height = round(cropped.height * width / cropped.width)
    resized = cropped.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    data = encode(resized, "JPEG", JPEG_QUALITY)
    path = storage.save(f"{directory}/{name}-{width}.jpg", ContentFile(data))
    return {"width": width, "height": height, "webp": [], "jpeg": [[width, path]], "bytes": len(data)}


def make_article_renditions(storage, directory, image):
    """The pictures of a story's structured data, one per aspect search engines ask for (ARTICLE_ASPECTS)."""
    return {
        name: make_share_rendition(storage, directory, image, aspect=width / height, name=name)
        for name, (width, height) in ARTICLE_ASPECTS.items()
    }


def add_missing_article_renditions(field_file, renditions):
    """For an image stored before article renditions existed: its renditions record with them added, made from
    the clean copy (manage.py make_article_renditions)."""
    field_file.open("rb")
    field_file.seek(0)
    with Image.open(field_file) as stored:
        image = clean_pixels(decoded_small(stored, DECODED_MIN_SIZE))
    storage, directory = field_file.storage, posixpath.dirname(field_file.name)
    return {**renditions, **make_article_renditions(storage, directory, image)}


def store_featured_image(field_file, keep_original=False):
    """Replaces a stored image by its clean copy, in its folder, and stores renditions beside it.

    Returns the renditions' record. The original is deleted at once unless keep_original is set.
    """
    field_file.open("rb")
    field_file.seek(0)
    with Image.open(field_file) as original:
        image_format = ACCEPTED_FORMATS[original.format]
        decoded = decoded_small(original, DECODED_MIN_SIZE)
        if decoded is not original:
            original.close()  # frees the full-size pixels before the copies below are made
        image = clean_pixels(decoded)
        del decoded
    storage, directory = field_file.storage, posixpath.dirname(field_file.name)
    stem = posixpath.splitext(posixpath.basename(field_file.name))[0]
    if not keep_original:
        storage.delete(field_file.name)
    clean_copy = ContentFile(encode(image, image_format, MASTER_QUALITY))
    field_file.name = storage.save(f"{directory}/{stem}.{EXTENSIONS[image_format]}", clean_copy)
    card = crop_to_ratio(image, CARD_ASPECT[0] / CARD_ASPECT[1], CARD_ASPECT[0] / CARD_ASPECT[1])
    hero = crop_to_ratio(image, HERO_WIDEST, HERO_TALLEST)
    return {
        "card": make_rendition_set(storage, directory, "card", card, CARD_WIDTHS),
        "hero": make_rendition_set(storage, directory, "hero", hero, HERO_WIDTHS),
        "share": make_share_rendition(storage, directory, image),
        **make_article_renditions(storage, directory, image),
    }


# --- The field that owns these files ----------------------------------------------------------


class FeaturedImageField(DeletesUnusedFilesAfterCommit, models.ImageField):
    """A story's photo, kept only as its clean copy, with renditions recorded in `renditions_field`.

    As ImageField fills width_field and height_field itself, this field looks after its files: a new
    image (uploaded, or stored by code) is replaced by its clean copy and renditions when the model
    is saved, and files the model no longer uses are deleted once the change is committed, so a
    rolled-back edit keeps its image.
    """

    def __init__(self, *args, renditions_field=None, **kwargs):
        self.renditions_field = renditions_field
        kwargs.setdefault("upload_to", featured_image_path)
        kwargs.setdefault("max_length", 255)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.renditions_field:
            kwargs["renditions_field"] = self.renditions_field
        return name, path, args, kwargs

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": FeaturedImageFormField, **kwargs})

    def files_of(self, instance):
        """Every file the instance's image occupies in storage: the clean copy and each rendition."""
        field_file = getattr(instance, self.attname)
        if not field_file:
            return set()
        renditions = getattr(instance, self.renditions_field) or {}
        paths = {field_file.name}
        for rendition_set in renditions.values():
            paths.update(path for _width, path in rendition_set.get("webp", []) + rendition_set.get("jpeg", []))
        return paths

    def files_are_loaded(self, instance):
        return {self.attname, self.renditions_field} <= instance.__dict__.keys()

    def pre_save(self, instance, add):
        # The clean copy and renditions too: a save that fails half-way leaves none of them.
        with self.removing_new_files_on_failure(instance):
            return self.store_new_image(instance, add)

    def store_new_image(self, instance, add):
        field_file = super().pre_save(instance, add)  # stores a new upload, as any FileField does
        stored_files = self.stored_files(instance)
        if field_file and (field_file.name not in stored_files or not getattr(instance, self.renditions_field)):
            # A new image, uploaded or stored by code: as uploaded it may carry location data, so
            # only its clean copy is kept (the original goes after commit if the saved model uses it).
            renditions = store_featured_image(field_file, keep_original=field_file.name in stored_files)
            setattr(instance, self.renditions_field, renditions)
        elif not field_file:
            setattr(instance, self.renditions_field, {})
        return field_file


# --- On the page --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Picture:
    """A rendition set as a <picture> needs it: srcsets, a JPEG fallback and the size to reserve."""

    webp_srcset: str
    jpeg_srcset: str
    fallback_url: str
    width: int
    height: int

    @classmethod
    def from_rendition_set(cls, storage, rendition_set, fallback_width):
        if not rendition_set or not rendition_set.get("jpeg"):
            return None

        def srcset(candidates):
            return ", ".join(f"{storage.url(path)} {width}w" for width, path in candidates)

        jpegs = rendition_set["jpeg"]
        fallback = next((path for width, path in jpegs if width >= fallback_width), jpegs[-1][1])
        return cls(
            webp_srcset=srcset(rendition_set["webp"]),
            jpeg_srcset=srcset(jpegs),
            fallback_url=storage.url(fallback),
            width=rendition_set["width"],
            height=rendition_set["height"],
        )


@dataclass(frozen=True)
class SharePicture:
    """One JPEG for link cards and feeds: its address, size in pixels, and its path in storage."""

    url: str
    width: int
    height: int
    path: str

    @classmethod
    def from_path(cls, storage, path, width, height):
        return cls(url=storage.url(path), width=width, height=height, path=path)

    @classmethod
    def from_renditions(cls, storage, renditions):
        """The share rendition, or for an image stored before share renditions existed, its hero JPEG closest to
        1200 px wide; None without an image."""
        share = renditions.get("share")
        if share and share.get("jpeg"):
            return cls.from_path(storage, share["jpeg"][0][1], share["width"], share["height"])
        hero = renditions.get("hero")
        if not hero or not hero.get("jpeg"):
            return None
        width, path = next(((width, path) for width, path in hero["jpeg"] if width >= SHARE_WIDTH), hero["jpeg"][-1])
        return cls.from_path(storage, path, width, round(hero["height"] * width / hero["width"]))

    @classmethod
    def for_articles(cls, storage, renditions):
        """The pictures for search engines' article results: one per aspect (ARTICLE_ASPECTS), or for an image
        stored before these existed, the link-card picture alone; [] without an image."""
        pictures = [
            cls.from_path(storage, rendition["jpeg"][0][1], rendition["width"], rendition["height"])
            for rendition in (renditions.get(name) for name in ARTICLE_ASPECTS)
            if rendition and rendition.get("jpeg")
        ]
        if pictures:
            return pictures
        share = cls.from_renditions(storage, renditions)
        return [share] if share else []
