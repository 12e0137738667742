"""Featured images: what editors may upload, the clean copies and renditions made once per upload.

Nothing an editor uploads is ever served as uploaded: every file is decoded and re-encoded by
Pillow, which drops location data and any payload hidden after the image data (polyglots).
Files are written and deleted through the storage API only, so media may live on a mounted
volume or in object storage (see README.md, "Media storage").
"""

import io
import posixpath
import uuid
import warnings
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import models
from django.template.defaultfilters import filesizeformat
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageCms, ImageOps

from .stored_files import DeletesUnusedFilesAfterCommit

MAX_UPLOAD_BYTES = 15 * 1024 * 1024
# Well below Pillow's own decompression-bomb limit (about 89 megapixels); a 48 MP phone photo
# exported at full size is refused, with a message saying how to make it smaller.
MAX_PIXELS = 40_000_000
# Pillow calls a phone's JPEG with a depth or HDR map "MPO"; its first frame is the photo.
ACCEPTED_FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WEBP"}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
ORIENTATION = 0x0112

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

# No rendition is wider than the largest hero, and a hero is at most twice as wide as it is tall: an image is
# decoded no larger than that (a 40-megapixel JPEG at a quarter of its size, by the decoder; a PNG cannot be, and is
# reduced once decoded), so that one upload costs a worker a fraction of the memory. MAX_PIXELS bounds what a PNG
# costs while it is decoded.
DECODED_MIN_SIZE = (HERO_WIDTHS[-1], round(HERO_WIDTHS[-1] / HERO_WIDEST))
# EXIF orientations that turn the photo a quarter: its stored width is its upright height.
QUARTER_TURNS = {5, 6, 7, 8}

WEBP_QUALITY = 70
JPEG_QUALITY = 78
MASTER_QUALITY = 90


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


def check_image(upload, accepted_formats, not_an_image):
    """Refuses a file Pillow cannot fully decode as one still image in one of `accepted_formats` (Pillow's
    names), or with too many pixels (checked from the header, before decoding). Membership letters use it too.

    `not_an_image` gives the message for any other file."""
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(upload)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(too_many_pixels_message(), code="too_many_pixels") from None
    except Exception:
        raise ValidationError(not_an_image(), code="not_an_image") from None
    with image:
        if image.format not in accepted_formats:
            raise ValidationError(not_an_image(), code="not_an_image")
        width, height = image.size  # from the header: nothing is decoded yet
        if width * height > MAX_PIXELS:
            raise ValidationError(too_many_pixels_message(width, height), code="too_many_pixels")
        if image.format != "MPO" and getattr(image, "n_frames", 1) > 1:
            raise ValidationError(
                _("Animated images cannot be used. Please upload a single still photo."), code="animated"
            )
        try:
            image.draft(image.mode, decoded_min_size(image))  # every byte is still read and checked
            image.load()
        except Exception:
            raise ValidationError(
                _("This image file is damaged or incomplete. Please export it again and upload the new file."),
                code="damaged",
            ) from None
    upload.seek(0)


def not_an_image_message():
    return _("This file is not a JPEG, PNG or WebP image (SVG, GIF and other formats are not accepted).")


def too_many_pixels_message(width=None, height=None):
    limit = MAX_PIXELS // 1_000_000
    if width is None:
        return _("This image has far too many pixels. Please reduce it to at most %(limit)d megapixels.") % {
            "limit": limit
        }
    return _(
        "This image is %(width)d × %(height)d pixels, more than %(limit)d megapixels. "
        "Please reduce it and upload it again."
    ) % {"width": width, "height": height, "limit": limit}


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


def decoded_min_size(image, min_size=DECODED_MIN_SIZE):
    """The smallest size, as stored, that still gives every rendition its full width once the photo is upright."""
    width, height = min_size
    return (height, width) if image.getexif().get(ORIENTATION) in QUARTER_TURNS else (width, height)


def decoded_small(image, min_size=DECODED_MIN_SIZE):
    """The image decoded no larger than the renditions (or `min_size`) need, metadata kept: a new image when it is
    reduced."""
    needed_width, needed_height = decoded_min_size(image, min_size)
    image.draft(image.mode, (needed_width, needed_height))  # JPEG: decoded at 1/2, 1/4 or 1/8 of its size
    image.load()
    factor = min(image.width // needed_width, image.height // needed_height)
    return image.reduce(factor) if factor >= 2 else image


def clean_pixels(image):
    """The photo as it should look, upright, in sRGB, as a new image carrying no metadata at all."""
    image = ImageOps.exif_transpose(image)
    icc_profile = image.info.get("icc_profile")
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    mode = "RGBA" if has_alpha else "RGB"
    image = image.convert(mode)
    if icc_profile:
        # Stripping a wide-gamut profile (most phones) would dull the colours: convert to sRGB first.
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
            image = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode=mode)
        except (ImageCms.PyCMSError, OSError):
            pass
    clean = Image.new(mode, image.size)
    clean.paste(image)
    return clean


def encode(image, image_format, quality, optimize_png=True):
    """`optimize_png=False` for large files from the public (letters): optimising a big scan takes a minute."""
    buffer = io.BytesIO()
    if image_format == "JPEG":
        if image.mode == "RGBA":
            flattened = Image.new("RGB", image.size, "white")
            flattened.paste(image, mask=image.getchannel("A"))
            image = flattened
        image.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True)
    elif image_format == "WEBP":
        image.save(buffer, "WEBP", quality=quality, method=6)
    else:
        image.save(buffer, "PNG", optimize=optimize_png)
    return buffer.getvalue()


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


def make_share_rendition(storage, directory, image):
    """The link-card picture: one JPEG (what every service reads), 1.91:1, 1200 px wide unless the photo is
    narrower, with its size in bytes (an RSS enclosure gives it)."""
    cropped = ImageOps.fit(image, (image.width, round(image.width / SHARE_ASPECT))) if image.width else image
    width = min(SHARE_WIDTH, cropped.width)
    height = round(cropped.height * width / cropped.width)
    resized = cropped.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    data = encode(resized, "JPEG", JPEG_QUALITY)
    path = storage.save(f"{directory}/share-{width}.jpg", ContentFile(data))
    return {"width": width, "height": height, "webp": [], "jpeg": [[width, path]], "bytes": len(data)}


def store_featured_image(field_file, keep_original=False):
    """Replaces a stored image by its clean copy, in its folder, and stores renditions beside it.

    Returns the renditions' record. The original is deleted at once unless keep_original is set.
    """
    field_file.open("rb")
    field_file.seek(0)
    with Image.open(field_file) as original:
        image_format = ACCEPTED_FORMATS[original.format]
        decoded = decoded_small(original)
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
