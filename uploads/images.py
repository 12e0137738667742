"""Checking and re-encoding an uploaded image, for whatever keeps one (news' featured images, membership's letters).

Nothing a visitor or an editor uploads is kept as uploaded: every image is decoded and re-encoded by Pillow, which
drops location data and any payload hidden after the image data (polyglots). The checks run from the file's header
before anything is decoded at full size.
"""

import contextlib
import io
import warnings

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageCms, ImageOps

# Well below Pillow's own decompression-bomb limit (about 89 megapixels); a 48 MP phone photo
# exported at full size is refused, with a message saying how to make it smaller.
MAX_PIXELS = 40_000_000
ORIENTATION = 0x0112
# EXIF orientations that turn the photo a quarter: its stored width is its upright height.
QUARTER_TURNS = {5, 6, 7, 8}
# An image is checked decoded no larger than this needs (a JPEG at a fraction of its size, by the decoder): every
# byte is still read and checked, for a fraction of the memory.
CHECKED_SIZE = (1920, 960)
# The clean copy kept of an upload.
MASTER_QUALITY = 90


@contextlib.contextmanager
def opened_still_image(upload, accepted_formats, not_an_image):
    """The upload opened by Pillow, once what its header tells is checked (nothing decoded): one of
    `accepted_formats` (Pillow's names), at most MAX_PIXELS, a single frame. `not_an_image` gives the message for
    any other file. The upload is rewound before and after."""
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
        try:
            frames = getattr(image, "n_frames", 1)
        except Exception:
            raise ValidationError(not_an_image(), code="not_an_image") from None
        if image.format != "MPO" and frames > 1:
            raise ValidationError(
                _("Animated images cannot be used. Please upload a single still photo."), code="animated"
            )
        yield image
    upload.seek(0)


def check_image(upload, accepted_formats, not_an_image):
    """Refuses a file Pillow cannot fully decode as one still image in one of `accepted_formats`, or with too many
    pixels (checked from the header, before decoding)."""
    with opened_still_image(upload, accepted_formats, not_an_image) as image:
        try:
            image.draft(image.mode, decoded_min_size(image, CHECKED_SIZE))  # every byte is still read and checked
            image.load()
        except Exception:
            raise ValidationError(
                _("This image file is damaged or incomplete. Please export it again and upload the new file."),
                code="damaged",
            ) from None


def check_image_header(upload, accepted_formats, not_an_image):
    """What check_image checks from the file's header alone (format, pixels, frames), nothing decoded: a check quick
    enough for a request, where the full decode is left to a background job. Returns the image's size upright
    (width, height: its EXIF orientation applied)."""
    with opened_still_image(upload, accepted_formats, not_an_image) as image:
        width, height = image.size
        try:
            turned = header_orientation(image) in QUARTER_TURNS
        except Exception:
            raise ValidationError(not_an_image(), code="not_an_image") from None
    return (height, width) if turned else (width, height)


def header_orientation(image):
    """The EXIF orientation, as far as the header tells: Pillow's getexif() would decode a whole PNG to look for an
    eXIf chunk after the pixels, so a PNG's counts only when it comes before them."""
    if image.format == "PNG":
        exif = Image.Exif()
        if "exif" in image.info:
            exif.load(image.info["exif"])
        return exif.get(ORIENTATION)
    return image.getexif().get(ORIENTATION)


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


def decoded_min_size(image, min_size):
    """The smallest size, as stored, that still gives every rendition its full width once the photo is upright."""
    width, height = min_size
    return (height, width) if image.getexif().get(ORIENTATION) in QUARTER_TURNS else (width, height)


def decoded_small(image, min_size):
    """The image decoded no larger than `min_size` needs (what is made of it: renditions, a legible page), metadata
    kept: a new image when it is reduced."""
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
        image.save(buffer, "WEBP", quality=quality, method=settings.IMAGE_WEBP_METHOD)
    else:
        image.save(buffer, "PNG", optimize=optimize_png)
    return buffer.getvalue()
