"""Featured images: what editors may upload, the clean copies and renditions made once per upload.

Nothing an editor uploads is ever served as uploaded: every file is decoded and re-encoded by
Pillow (uploads/images.py), which drops location data and any payload hidden after the image data (polyglots).
Files are written and deleted through the storage API only, so media may live on a mounted
volume or in object storage (see README.md, "Media storage").

Decoding, cleaning and the renditions take seconds (a 5 MB PNG about ten): the save checks only the file's header,
keeps the upload as received in private storage (never served), and a background job (make_featured_image) makes
the clean copy and renditions and puts them on the story. Until then the story shows the image it had, or none.
"""

import contextlib
import datetime
import logging
import os
import posixpath
import uuid
from dataclasses import dataclass

from django import forms
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.db import models, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django_tasks import task
from PIL import Image, ImageOps

from background.queue import enqueue_after_commit, labelled
from uploads.images import MASTER_QUALITY, check_image_header, clean_pixels, decoded_small, encode
from uploads.stored_files import DeletesUnusedFilesAfterCommit, private_uploads_storage

logger = logging.getLogger(__name__)

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
    """Refuses anything but a single still JPEG, PNG or WebP of a sensible size, from its header alone (the full
    decode is the background job's). Notes the image's upright size on the upload (upright_size)."""
    if upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _(
                "This file is %(size)s; an image may be at most %(limit)s. "
                "Please save it at a smaller size and upload it again."
            ),
            code="file_too_large",
            params={"size": filesizeformat(upload.size), "limit": filesizeformat(MAX_UPLOAD_BYTES)},
        )
    upload.upright_size = check_image_header(upload, ACCEPTED_FORMATS, not_an_image_message)


def not_an_image_message():
    return _("This file is not a JPEG, PNG or WebP image (SVG, GIF and other formats are not accepted).")


def hero_width_of(width, height):
    """The width the story page's largest hero rendition will have, for a photo `width` × `height` upright."""
    return min(HERO_WIDTHS[-1], width, round(height * HERO_WIDEST))


class FeaturedImageFormField(forms.FileField):
    """The upload box in forms: checks the file before anything is stored."""

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "accept": "image/jpeg,image/png,image/webp"}

    def to_python(self, data):
        upload = super().to_python(data)
        if upload is not None and not isinstance(upload, PendingImage):
            validate_featured_image(upload)
        return upload


def featured_image_path(story, filename):
    """Each upload gets a directory of its own, shared with its renditions."""
    return f"news/images/{uuid.uuid4().hex}/{file_stem(filename)}{posixpath.splitext(filename)[1].lower()}"


def file_stem(filename):
    return slugify(posixpath.splitext(posixpath.basename(filename))[0])[:60] or "image"


# --- Uploads waiting for the background job ----------------------------------------------------

PENDING_DIRECTORY = "pending-images"
# How long an image kept across a form with errors waits for the form to be saved, before it is deleted.
KEPT_IMAGE_HOURS = 24
KEPT_IMAGE_SALT = "news.kept-image"


def store_pending_image(content, filename):
    """Stores an image as received in private storage, in a directory of its own; returns its name there."""
    extension = posixpath.splitext(filename)[1].lower()
    name = f"{PENDING_DIRECTORY}/{uuid.uuid4().hex}/{file_stem(filename)}{extension}"
    content.seek(0)
    storage = private_uploads_storage()
    try:
        return storage.save(name, content)
    except OSError:
        delete_directory(storage, posixpath.dirname(name))  # what a full disk let through
        raise


class PendingImage(File):
    """An image already waiting in private storage (kept across a form with errors): the story takes it as it is,
    nothing is stored again."""

    def __init__(self, pending_name, original_name, upright_size):
        super().__init__(None, name=original_name)
        self.pending_name = pending_name
        self.upright_size = tuple(upright_size)
        self.size = private_uploads_storage().size(pending_name)

    def open(self, mode="rb"):
        self.file = private_uploads_storage().open(self.pending_name, mode)
        return self


def keep_chosen_image(upload):
    """Keeps an image chosen on a form that has another error, privately, for the form's next post: returns the
    signed token naming it (the form's hidden kept_image). Deleted after KEPT_IMAGE_HOURS unless a story took it."""
    if isinstance(upload, PendingImage):
        pending_name = upload.pending_name
    else:
        pending_name = store_pending_image(upload, upload.name)
        enqueue_after_commit(
            forget_kept_image,
            pending_name,
            run_after=timezone.now() + datetime.timedelta(hours=KEPT_IMAGE_HOURS, minutes=5),
        )
    payload = {"pending": pending_name, "name": posixpath.basename(upload.name), "size": list(upload.upright_size)}
    return signing.dumps(payload, salt=KEPT_IMAGE_SALT, compress=True)


def kept_image(token):
    """The PendingImage a kept_image token names, or None (no token, a forged or expired one, its file gone)."""
    if not token:
        return None
    try:
        payload = signing.loads(token, salt=KEPT_IMAGE_SALT, max_age=datetime.timedelta(hours=KEPT_IMAGE_HOURS))
    except signing.BadSignature:
        return None
    pending_name = payload["pending"]
    if not pending_name.startswith(f"{PENDING_DIRECTORY}/") or not private_uploads_storage().exists(pending_name):
        return None
    return PendingImage(pending_name, payload["name"], payload["size"])


@labelled(_("Delete an image kept for a form that was never saved"))
@task(queue_name="images")
def forget_kept_image(pending_name):
    """A kept image no story took (the editor left the form) is deleted; one a story waits for is its job's."""
    from .models import NewsStory

    if not NewsStory.objects.filter(image_pending=pending_name).exists():
        delete_pending(pending_name)


def delete_pending(pending_name):
    storage = private_uploads_storage()
    storage.delete(pending_name)
    directory = posixpath.dirname(pending_name)
    with contextlib.suppress(OSError, NotImplementedError):
        if not any(storage.listdir(directory)):
            os.rmdir(storage.path(directory))  # a directory only on a filesystem


# --- The clean copy and its renditions --------------------------------------------------------


class ImageState(models.TextChoices):
    NONE = "none", _("no image")
    PROCESSING = "processing", _("processing")
    READY = "ready", _("ready")
    FAILED = "failed", _("failed")


class ImageFailure(models.TextChoices):
    """Why an upload could not be made into the story's image, as the editor reads it after "Failed:"."""

    DAMAGED = "damaged", _("the file is damaged or incomplete. Export it again and upload the new file.")
    NOT_STORED = (
        "not_stored",
        _(
            "the site could not store the image (the media storage is full or cannot be written to). Upload it again "
            "once the people who run the site have fixed it."
        ),
    )
    UNEXPECTED = (
        "unexpected",
        _("the image could not be processed. Try another file, or tell the people who run the site."),
    )


class DamagedImage(Exception):
    """The upload passed the header check, but its image data cannot be decoded."""


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


def decode_clean(original_file):
    """The upload decoded (no larger than the renditions need) and cleaned, and its format; raises DamagedImage."""
    original_file.seek(0)
    try:
        with Image.open(original_file) as original:
            image_format = ACCEPTED_FORMATS[original.format]
            decoded = decoded_small(original, DECODED_MIN_SIZE)
            if decoded is not original:
                original.close()  # frees the full-size pixels before the copies below are made
            image = clean_pixels(decoded)
    except (OSError, SyntaxError, ValueError, KeyError, EOFError, Image.DecompressionBombError) as error:
        raise DamagedImage(str(error)) from error
    return image, image_format


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


def store_clean_image(image, image_format, storage, directory, stem):
    """Stores the clean copy and renditions in `directory`; returns the clean copy's name and the renditions."""
    name = storage.save(
        f"{directory}/{stem}.{EXTENSIONS[image_format]}", ContentFile(encode(image, image_format, MASTER_QUALITY))
    )
    card = crop_to_ratio(image, CARD_ASPECT[0] / CARD_ASPECT[1], CARD_ASPECT[0] / CARD_ASPECT[1])
    hero = crop_to_ratio(image, HERO_WIDEST, HERO_TALLEST)
    return name, {
        "card": make_rendition_set(storage, directory, "card", card, CARD_WIDTHS),
        "hero": make_rendition_set(storage, directory, "hero", hero, HERO_WIDTHS),
        "share": make_share_rendition(storage, directory, image),
        **make_article_renditions(storage, directory, image),
    }


def store_featured_image(field_file, keep_original=False):
    """Replaces a stored image by its clean copy, in its folder, and stores renditions beside it.

    Returns the renditions' record. The original is deleted at once unless keep_original is set.
    """
    field_file.open("rb")
    image, image_format = decode_clean(field_file)
    storage, directory = field_file.storage, posixpath.dirname(field_file.name)
    stem = posixpath.splitext(posixpath.basename(field_file.name))[0]
    if not keep_original:
        storage.delete(field_file.name)
    field_file.name, renditions = store_clean_image(image, image_format, storage, directory, stem)
    return renditions


def delete_directory(storage, directory):
    """Whatever a job wrote into `directory` before it gave up."""
    with contextlib.suppress(OSError, NotImplementedError):
        for name in storage.listdir(directory)[1]:
            storage.delete(f"{directory}/{name}")
        os.rmdir(storage.path(directory))


# --- The background job ------------------------------------------------------------------------


@labelled(_("Make a story image's clean copy and renditions"))
@task(queue_name="images")
def make_featured_image(story_id, pending_name):
    """Decodes an upload waiting in private storage, stores its clean copy and renditions, and puts them on the
    story, if the story still waits for that upload (a newer upload or a removal wins). Safe to run twice: the
    upload is deleted once used, and a second run finds nothing to do."""
    from .models import NewsStory

    NewsStory._meta.get_field("image").make_image(story_id, pending_name)


# --- The field that owns these files ----------------------------------------------------------


class FeaturedImageField(DeletesUnusedFilesAfterCommit, models.ImageField):
    """A story's photo, kept only as its clean copy, with renditions recorded in `renditions_field`, and the state of
    the newest upload in `state_field` (ImageState), `failure_field` (ImageFailure) and `pending_field` (its name in
    private storage while it waits for the background job).

    As ImageField fills width_field and height_field itself, this field looks after its files: a new image
    (uploaded, or stored by code) waits privately for make_featured_image while the story keeps showing the
    image it had; files the model no longer uses are deleted once the change is committed, so a rolled-back edit
    keeps its image. A save that brings no new image keeps the image as the database has it now: a job may have
    put a new one on the story since the model was loaded.
    """

    def __init__(
        self, *args, renditions_field=None, state_field=None, failure_field=None, pending_field=None, **kwargs
    ):
        self.renditions_field = renditions_field
        self.state_field, self.failure_field, self.pending_field = state_field, failure_field, pending_field
        kwargs.setdefault("upload_to", featured_image_path)
        kwargs.setdefault("max_length", 255)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        for option in ("renditions_field", "state_field", "failure_field", "pending_field"):
            if getattr(self, option):
                kwargs[option] = getattr(self, option)
        return name, path, args, kwargs

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": FeaturedImageFormField, **kwargs})

    @property
    def image_columns(self):
        return [self.attname, self.renditions_field, self.state_field, self.failure_field, self.pending_field]

    def files_of(self, instance):
        """Every file the instance's image occupies in storage: the clean copy and each rendition."""
        return self.files_of_values(getattr(instance, self.attname).name, getattr(instance, self.renditions_field))

    @staticmethod
    def files_of_values(name, renditions):
        if not name:
            return set()
        paths = {name}
        for rendition_set in (renditions or {}).values():
            paths.update(path for _width, path in rendition_set.get("webp", []) + rendition_set.get("jpeg", []))
        return paths

    def files_are_loaded(self, instance):
        return {self.attname, self.renditions_field} <= instance.__dict__.keys()

    @property
    def loaded_name_attname(self):
        return f"_{self.name}_loaded_name"

    def remember_stored_files(self, instance, **kwargs):
        super().remember_stored_files(instance, **kwargs)
        if self.files_are_loaded(instance):
            field_file = getattr(instance, self.attname)
            instance.__dict__[self.loaded_name_attname] = field_file.name if field_file._committed else None

    def contribute_to_class(self, cls, name, **kwargs):
        super().contribute_to_class(cls, name, **kwargs)
        if not cls._meta.abstract:
            models.signals.post_save.connect(self.queue_new_image, sender=cls)

    def pre_save(self, instance, add):
        with self.removing_new_files_on_failure(instance):
            return self.take_image(instance, add)

    def take_image(self, instance, add):
        field_file = getattr(instance, self.attname)
        current = None if add else self.current_values(instance)
        if current is not None:
            # Files unused after this save are reckoned from what the story has now, not what it had when loaded.
            setattr(
                instance,
                self.stored_files_attname,
                self.files_of_values(current[self.attname], current[self.renditions_field]),
            )
        loaded_name = instance.__dict__.get(self.loaded_name_attname)
        if field_file and not field_file._committed:
            # Uploaded, or given by code as a file: kept as received, privately, until the job cleans it.
            pending_name = getattr(field_file.file, "pending_name", None) or store_pending_image(
                field_file.file, field_file.name
            )
            self.wait_for(instance, pending_name, current)
        elif field_file and not getattr(instance, self.renditions_field):
            # Stored by code straight into media (FieldFile.save()): raw, it may carry location data; it leaves
            # the public's reach at once.
            with field_file.storage.open(field_file.name) as raw:
                pending_name = store_pending_image(raw, field_file.name)
            field_file.storage.delete(field_file.name)
            self.wait_for(instance, pending_name, current)
        elif (field_file.name or None) == (loaded_name or None):
            # No new image: the image, its renditions and state stay as the database has them now.
            for column in self.image_columns if current is not None else ():
                setattr(instance, column, current[column])
            if current is None:
                self.set_state(instance, ImageState.READY if field_file else ImageState.NONE)
        elif not field_file:
            # Removed: a removal wins over an upload still waiting (its job finds it no longer wanted).
            setattr(instance, self.renditions_field, {})
            setattr(instance, self.pending_field, "")
            self.set_state(instance, ImageState.NONE)
        else:
            # Another stored image with its renditions (a revision restored, a story sharing another's files).
            setattr(instance, self.pending_field, "")
            self.set_state(instance, ImageState.READY)
        return getattr(instance, self.attname)

    def current_values(self, instance):
        """The image columns as the database has them now (locked until the save commits), or None."""
        rows = type(instance)._base_manager.using(instance._state.db or "default").filter(pk=instance.pk)
        if transaction.get_connection(rows.db).in_atomic_block:
            rows = rows.select_for_update()
        return rows.values(*self.image_columns).first()

    def set_state(self, instance, state, failure=""):
        setattr(instance, self.state_field, state)
        setattr(instance, self.failure_field, failure)

    def wait_for(self, instance, pending_name, current):
        """The story waits for `pending_name` and keeps showing the image it has (none for a new story)."""
        setattr(instance, self.attname, current[self.attname] if current else "")
        setattr(instance, self.renditions_field, current[self.renditions_field] if current else {})
        setattr(instance, self.pending_field, pending_name)
        self.set_state(instance, ImageState.PROCESSING)
        instance.__dict__[f"_{self.name}_to_make"] = pending_name

    def queue_new_image(self, instance, raw=False, **kwargs):
        pending_name = instance.__dict__.pop(f"_{self.name}_to_make", None)
        if pending_name and not raw:
            enqueue_after_commit(make_featured_image, instance.pk, pending_name)

    # What the background job does

    def waiting(self, story_id, pending_name):
        return self.model._base_manager.filter(pk=story_id, **{self.pending_field: pending_name})

    def make_image(self, story_id, pending_name):
        private = private_uploads_storage()
        if not private.exists(pending_name) or not self.waiting(story_id, pending_name).exists():
            # Already made, or no longer wanted (replaced, removed, the story deleted).
            delete_pending(pending_name)
            return
        storage, directory = self.storage, f"news/images/{uuid.uuid4().hex}"
        try:
            with private.open(pending_name) as original:
                image, image_format = decode_clean(original)
            name, renditions = store_clean_image(
                image, image_format, storage, directory, file_stem(posixpath.basename(pending_name))
            )
        except DamagedImage:
            self.give_up(story_id, pending_name, ImageFailure.DAMAGED)
            return
        except OSError:
            logger.exception("Could not store a story image's clean copy and renditions")
            delete_directory(storage, directory)
            self.give_up(story_id, pending_name, ImageFailure.NOT_STORED)
            return
        except Exception:
            delete_directory(storage, directory)
            self.give_up(story_id, pending_name, ImageFailure.UNEXPECTED)
            raise  # the job is marked failed, with its traceback, on the background jobs' page
        if not self.put_on_story(story_id, pending_name, name, renditions):
            delete_directory(storage, directory)
        delete_pending(pending_name)

    def put_on_story(self, story_id, pending_name, name, renditions):
        """Swaps the new image in, in one short transaction, if the story still waits for it; the old image's files
        go once that commits. Returns whether the story took it."""
        with transaction.atomic():
            waiting = self.waiting(story_id, pending_name)
            before = waiting.select_for_update().values(self.attname, self.renditions_field).first()
            if before is None or not waiting.update(
                **{
                    self.attname: name,
                    self.renditions_field: renditions,
                    self.state_field: ImageState.READY,
                    self.failure_field: "",
                    self.pending_field: "",
                }
            ):
                return False
            old_files = self.files_of_values(before[self.attname], before[self.renditions_field])
            self.delete_after_commit(self.storage, old_files - self.files_of_values(name, renditions))
            self.model.image_changed(story_id)
        return True

    def give_up(self, story_id, pending_name, failure):
        """The story keeps the image it had (or none), and the editor reads why the new one failed."""
        with transaction.atomic():
            self.waiting(story_id, pending_name).update(
                **{self.state_field: ImageState.FAILED, self.failure_field: failure, self.pending_field: ""}
            )
        delete_pending(pending_name)


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
