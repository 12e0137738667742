"""The signed letter of support: what an applicant may upload, the clean copy kept, where it is kept.

A letter is a PDF, JPEG or PNG, recognised by its content. It is checked in two steps:

- at once, in the request, and only once every other answer on the form is right: cheaply, from what the file says
  of itself without decoding it (`inspect_letter`: its type from its first bytes, its size, an image's pixels from
  its header and whether it would unpack like a bomb, a PDF's page count and protection). The file is then stored
  as received, and the letter is "being checked";
- then by a background job (membership/letter_cleaning.py), in a child process under a memory and time budget
  (uploads/sandbox.py): `clean_letter_content` decodes it and keeps a clean copy. An image is re-encoded by Pillow
  (uploads/images.py, as featured images are), a PDF is rewritten by pypdf from its pages, without scripts,
  automatic actions or attached files, after its compressed streams were checked for bombs. The letter becomes
  "clean", or "refused" with the reason, and the file as received is deleted.

Letters are private: they live in the "private" storage (settings.STORAGES: a directory, or a private bucket), which
has no URL, and staff download clean letters through the admin (MembershipApplicationAdmin).
"""

import datetime
import io
import posixpath
import unicodedata
import uuid

from django import forms
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import models
from django.db.models.signals import post_save
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from PIL import Image

from uploads.decompression_bombs import image_is_a_bomb, pdf_has_a_bomb
from uploads.images import (
    MASTER_QUALITY,
    check_image,
    clean_pixels,
    decoded_small,
    encode,
    opened_still_image,
)
from uploads.private_storage import private_storage
from uploads.stored_files import DeletesUnusedFilesAfterCommit

MAX_LETTER_BYTES = 10 * 1024 * 1024
# The shorter side of an A4 page scanned at 300 dpi: a photo or scan of a letter is kept at least this large.
LEGIBLE_PAGE_SIZE = (2480, 2480)
# A letter of support is a page or two; more pages than this is not a letter, and costs time to check.
MAX_LETTER_PAGES = 50
# Pillow's names for what may be uploaded ("MPO" is a phone's JPEG with a depth map).
LETTER_IMAGE_FORMATS = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png"}
CONTENT_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}

# What in a PDF runs code, acts by itself, launches or carries another file. A rewritten letter must have none.
ACTIVE_PDF_NAMES = {
    "/JS",
    "/JavaScript",
    "/AA",
    "/OpenAction",
    "/Launch",
    "/EmbeddedFile",
    "/EmbeddedFiles",
    "/FileAttachment",
    "/RichMedia",
    "/XFA",
    "/SubmitForm",
    "/ImportData",
    "/GoToE",
}
# Annotations that play or carry something rather than mark the page.
ACTIVE_ANNOTATIONS = {"/FileAttachment", "/RichMedia", "/Screen", "/Movie", "/Sound", "/3D"}
# Walking a PDF's objects stops here: a letter has a few hundred.
MAX_PDF_OBJECTS = 100_000
# All of a letter's compressed PDF streams together unpack to no more than this (a scanned page in colour, stored
# losslessly, is 26 MB).
MAX_PDF_UNPACKED_BYTES = 256 * 1024 * 1024
# Reading a PDF's structure in the request (its pages, whether it is protected) unpacks no stream larger than this:
# a page tree is a few kilobytes, even inside a compressed object stream.
STRUCTURE_UNPACKED_BYTES = 4 * 1024 * 1024

UPLOAD_LINK_SALT = "membership.letter-upload"
UPLOAD_LINK_MAX_AGE_DAYS = 30


# --- Where letters are kept -------------------------------------------------------------------


def private_letters_storage():
    """The private storage (uploads/private_storage.py): a directory, or a private bucket of its own."""
    return private_storage


def letter_path(application, filename):
    """A random name no one can guess; the uploaded name is kept on the application, for the download."""
    extension = posixpath.splitext(filename)[1].lower()
    return f"letters/{uuid.uuid4().hex}{extension}"


# --- What may be uploaded ---------------------------------------------------------------------


def not_a_letter_message():
    return _(
        "This file is not a PDF, JPEG or PNG, whatever its name says. Please choose the letter again as a PDF or "
        "a photo or scan in JPEG or PNG."
    )


def choose_again(error):
    """An image's refusal from news/images.py, followed by what the applicant must do on this form."""
    return ValidationError(
        _("%(reason)s The file is not kept: please choose it again.") % {"reason": " ".join(error.messages)},
        code=error.code,
    )


def letter_kind(head):
    """What the file is from its first bytes: "pdf", "image", or None."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")):
        return "image"
    return None


def check_size(size):
    if size > MAX_LETTER_BYTES:
        raise ValidationError(
            _(
                "This file is %(size)s; a letter may be at most %(limit)s. Please scan it at a lower resolution "
                "or save it as a smaller PDF, and choose it again."
            ),
            code="file_too_large",
            params={"size": filesizeformat(size), "limit": filesizeformat(MAX_LETTER_BYTES)},
        )


def inspect_letter(upload):
    """What the letter is ("pdf", "jpg" or "png"), from what the file says of itself, decoding nothing: the check
    made at once, in the request. Raises a ValidationError saying why it is refused."""
    check_size(upload.size)
    upload.seek(0)
    kind = letter_kind(upload.read(8))
    upload.seek(0)
    if kind == "pdf":
        inspect_pdf(upload.read())
        upload.seek(0)
        return "pdf"
    if kind == "image":
        try:
            return inspect_image(upload)
        except ValidationError as error:
            raise choose_again(error) from None
        finally:
            upload.seek(0)
    raise ValidationError(not_a_letter_message(), code="not_a_letter")


def inspect_image(upload):
    """The image's extension, from its header: its format, its pixel count, one frame, and what it would take to
    decode it against its file's size (a decompression bomb: a 140 KB PNG of 6000 × 6000 blank pixels)."""
    with opened_still_image(upload, LETTER_IMAGE_FORMATS, not_a_letter_message) as image:
        width, height = image.size
        if image_is_a_bomb(upload.size, width, height, len(image.getbands())):
            raise ValidationError(
                _(
                    "This image is %(width)d × %(height)d pixels but its file is only %(size)s: it is almost "
                    "empty, and would take far more memory to open than a photo or scan of a letter. Please scan "
                    "the signed letter again, or save it as a PDF."
                ),
                code="decompression_bomb",
                params={"width": width, "height": height, "size": filesizeformat(upload.size)},
            )
        return LETTER_IMAGE_FORMATS[image.format]


def inspect_pdf(data):
    """A PDF's structure, read by pypdf without decoding its pages: complete, not protected, a letter's length."""
    # pypdf is imported where a PDF is read: a tenth of the start-up of every process that reads none.
    from pypdf import PdfReader

    # A PDF ends with %%EOF (readers look for it in the last kilobyte): one cut short in transfer does not.
    if b"%%EOF" not in data[-1024:]:
        raise ValidationError(damaged_pdf_message(), code="damaged_pdf")
    try:
        with bounded_pdf_reading(STRUCTURE_UNPACKED_BYTES):
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted and not reader.decrypt(""):
                raise ValidationError(
                    _("This PDF is protected by a password. Please save it without one and choose it again."),
                    code="encrypted_pdf",
                )
            page_count = len(reader.pages)
    except ValidationError:
        raise
    except Exception:  # pypdf reports a broken file in many ways: all of them mean we cannot read it.
        raise ValidationError(damaged_pdf_message(), code="damaged_pdf") from None
    if not page_count:
        raise ValidationError(damaged_pdf_message(), code="damaged_pdf")
    if page_count > MAX_LETTER_PAGES:
        raise ValidationError(
            _("This PDF has more than %(limit)d pages. Please choose the signed letter only.")
            % {"limit": MAX_LETTER_PAGES},
            code="pages",
        )
    return reader


def bounded_pdf_reading(unpacked_bytes):
    """pypdf unpacks no stream beyond `unpacked_bytes` (its own limits are 75 MB a stream)."""
    from pypdf import apply_configuration

    return apply_configuration(
        zlib_maximum_output_length=unpacked_bytes,
        lzw_maximum_output_length=unpacked_bytes,
        run_length_maximum_output_length=unpacked_bytes,
        brotli_maximum_output_length=unpacked_bytes,
        array_based_stream_maximum_output_length=unpacked_bytes,
        maximum_declared_stream_length=unpacked_bytes,
    )


def clean_letter_content(data):
    """The letter as it will be kept: (bytes, extension), or a ValidationError saying why it is refused.

    Run by the background job in a child process under a memory and time budget (uploads/sandbox.py): it decodes
    the file. The checks made at once are made again first, so a file stored before they existed is held to them.
    """
    upload = ContentFile(data)
    extension = inspect_letter(upload)
    if extension == "pdf":
        if pdf_has_a_bomb(data, MAX_PDF_UNPACKED_BYTES):
            raise ValidationError(
                _(
                    "This PDF holds compressed data that would unpack to far more than a letter. Please print the "
                    "letter to a new PDF, or scan it, and choose that file."
                ),
                code="decompression_bomb",
            )
        return clean_pdf(data), "pdf"
    return clean_image(upload)


def clean_letter(upload):
    """The letter checked and cleaned at once, in this process: (bytes, extension), or a ValidationError. For
    code and tests; an uploaded letter is cleaned by the background job (`clean_letter_content`)."""
    upload.seek(0)
    return clean_letter_content(upload.read())


def clean_image(upload):
    """Pillow's clean copy: the pixels only, so no metadata and nothing appended to the image survives."""
    try:
        check_image(upload, LETTER_IMAGE_FORMATS, not_a_letter_message)
    except ValidationError as error:
        raise choose_again(error) from None
    with Image.open(upload) as original:
        image_format = "PNG" if original.format == "PNG" else "JPEG"
        # Decoded no larger than a legible A4 page needs (JPEG at a reduced scale by the decoder): a 40-megapixel
        # phone photo would otherwise cost half a gigabyte.
        image = clean_pixels(decoded_small(original, LEGIBLE_PAGE_SIZE))
    # A scan's PNG is written at Pillow's usual compression: optimising it can take a minute.
    return encode(image, image_format, MASTER_QUALITY, optimize_png=False), LETTER_IMAGE_FORMATS[image_format]


def damaged_pdf_message():
    return _(
        "This PDF is damaged or incomplete, so we cannot read it. Please save or scan the letter again and choose "
        "the new file."
    )


def clean_pdf(data):
    """The PDF rewritten from its pages by pypdf, without scripts, automatic actions or attached files.

    What lies outside the pages (a document's scripts and attachments, bytes after its end, earlier revisions)
    is left behind; a page's own actions and attachments are removed. The copy is read again and refused if
    anything active remains.
    """
    from pypdf import PdfReader, PdfWriter

    # A PDF ends with %%EOF (readers look for it in the last kilobyte): one cut short in transfer does not.
    if b"%%EOF" not in data[-1024:]:
        raise ValidationError(damaged_pdf_message(), code="damaged_pdf")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ValidationError(
                _("This PDF is protected by a password. Please save it without one and choose it again."),
                code="encrypted_pdf",
            )
        if not reader.pages:
            raise ValidationError(damaged_pdf_message(), code="damaged_pdf")
        if len(reader.pages) > MAX_LETTER_PAGES:
            raise ValidationError(
                _("This PDF has more than %(limit)d pages. Please choose the signed letter only.")
                % {"limit": MAX_LETTER_PAGES},
                code="pages",
            )
        writer = PdfWriter()
        for page in reader.pages:
            page.get_contents()  # a page whose content cannot be read is a damaged file
            remove_active_annotations(writer.add_page(page, excluded_keys=("/AA",)))
        writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)
        buffer = io.BytesIO()
        writer.write(buffer)
        clean = buffer.getvalue()
        active = active_pdf_content(PdfReader(io.BytesIO(clean)).trailer)
    except ValidationError:
        raise
    except Exception:  # pypdf reports a broken file in many ways: all of them mean we cannot read it.
        raise ValidationError(damaged_pdf_message(), code="damaged_pdf") from None
    if active:
        raise ValidationError(
            _(
                "This PDF contains scripts or attached files that we cannot remove. Please print the letter to a "
                "new PDF, or scan it, and choose that file."
            ),
            code="active_pdf",
        )
    return clean


def remove_active_annotations(page):
    """Keeps what marks the page (a filled-in field's appearance, a stamp, a note); drops attachments and media,
    and every annotation's actions and form-field links (through which scripts would come back)."""
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject

    if "/Annots" not in page:
        return
    kept = ArrayObject()
    for reference in page["/Annots"]:
        annotation = reference.get_object()
        if not isinstance(annotation, DictionaryObject) or annotation.get("/Subtype") in ACTIVE_ANNOTATIONS:
            continue
        for key in ("/A", "/AA", "/Parent"):
            annotation.pop(NameObject(key), None)
        kept.append(reference)
    page[NameObject("/Annots")] = kept


def active_pdf_content(root):
    """The first name in ACTIVE_PDF_NAMES reachable from `root` (as a key or a value), or None."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    stack, seen, visited = [root], set(), 0
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            if (item.idnum, item.generation) in seen:
                continue
            seen.add((item.idnum, item.generation))
            item = item.get_object()
        visited += 1
        if visited > MAX_PDF_OBJECTS:
            return "too many objects"
        if isinstance(item, DictionaryObject):  # streams too
            for key, value in dict.items(item):
                if key in ACTIVE_PDF_NAMES:
                    return key
                stack.append(value)
        elif isinstance(item, ArrayObject):
            stack.extend(list.__iter__(item))
        elif isinstance(item, NameObject) and item in ACTIVE_PDF_NAMES:
            return str(item)
    return None


class LetterFormField(forms.FileField):
    """The upload box. It gives the file as received: the form looks at it (`check_letter_on_form`) only once
    every other answer is right, so a form sent back with mistakes costs nothing to check."""

    widget = forms.FileInput
    default_error_messages = {
        "invalid": _("No file arrived. Please choose the letter again."),
        "missing": _("No file arrived. Please choose the letter again."),
        "empty": _("This file is empty. Please choose the letter again."),
        "max_length": _("This file's name is too long. Please rename the file and choose it again."),
        "contradiction": _("No file arrived. Please choose the letter again."),
    }

    def __init__(self, *, max_length=None, **kwargs):
        # The model's max_length is for the stored name, which the field chooses; any uploaded name will do.
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "accept": "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png"}


def check_letter_on_form(form, field_name="letter"):
    """The cheap check of a form's letter, made last, and only when every other answer is right (from a form's
    clean()). The file is marked with what it is, for the model field to store it under that extension."""
    upload = form.cleaned_data.get(field_name)
    if not upload or form._errors:
        return
    try:
        upload.letter_extension = inspect_letter(upload)
    except ValidationError as error:
        form.add_error(field_name, error)


# --- The field that owns the file ---------------------------------------------------------------


class LetterState(models.TextChoices):
    CHECKING = "checking", _("being checked")
    CLEAN = "clean", _("checked and cleaned")
    REFUSED = "refused", _("refused")


class LetterRefusal(models.TextChoices):
    """Why the background check refused a letter, as staff read it (the codes of the ValidationErrors above)."""

    DECOMPRESSION_BOMB = "decompression_bomb", _("it would unpack to far more than a letter (a decompression bomb)")
    OUT_OF_MEMORY = "out_of_memory", _("opening it needed more memory than a letter may use")
    OUT_OF_TIME = "out_of_time", _("opening it took longer than a letter may take")
    DAMAGED_PDF = "damaged_pdf", _("the PDF is damaged or incomplete")
    ENCRYPTED_PDF = "encrypted_pdf", _("the PDF is protected by a password")
    ACTIVE_PDF = "active_pdf", _("the PDF holds scripts or attached files that could not be removed")
    PAGES = "pages", _("the PDF has too many pages")
    DAMAGED_IMAGE = "damaged", _("the image is damaged or incomplete")
    TOO_MANY_PIXELS = "too_many_pixels", _("the image has too many pixels")
    ANIMATED = "animated", _("the image is animated")
    NOT_A_LETTER = "not_a_letter", _("it is not a PDF, JPEG or PNG")
    TOO_LARGE = "file_too_large", _("the file is too large")
    FAILED = "failed", _("it could not be read")

    @classmethod
    def from_code(cls, code):
        aliases = {"not_an_image": cls.NOT_A_LETTER}
        return aliases.get(code) or (code if code in cls.values else cls.FAILED)


class LetterField(DeletesUnusedFilesAfterCommit, models.FileField):
    """An application's signed letter, in private storage under a random name. As ImageField fills its
    width_field, this field fills `original_name_field` (the name to download it as), `received_field` (when
    it arrived) and `state_field` ("checking") when a new letter is saved, and has it cleaned by the background
    job once the save commits; a letter the application no longer uses is deleted after commit."""

    def __init__(self, *args, original_name_field=None, received_field=None, state_field=None, **kwargs):
        self.original_name_field, self.received_field = original_name_field, received_field
        self.state_field = state_field
        kwargs.setdefault("upload_to", letter_path)
        kwargs.setdefault("storage", private_letters_storage)
        kwargs.setdefault("max_length", 100)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.update(
            original_name_field=self.original_name_field,
            received_field=self.received_field,
            state_field=self.state_field,
        )
        return name, path, args, kwargs

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": LetterFormField, **kwargs})

    @property
    def to_clean_attname(self):
        return f"_{self.name}_to_clean"

    def contribute_to_class(self, cls, name, **kwargs):
        super().contribute_to_class(cls, name, **kwargs)
        if not cls._meta.abstract:
            post_save.connect(self.clean_after_commit, sender=cls)

    def pre_save(self, instance, add):
        field_file = getattr(instance, self.attname)
        if field_file and not field_file._committed:
            # Control characters (a line break would break the download's header) are dropped.
            original_name = "".join(
                character
                for character in posixpath.basename(field_file.name)
                if not unicodedata.category(character).startswith("C")
            )
            setattr(instance, self.original_name_field, original_name[-200:])
            setattr(instance, self.received_field, timezone.now())
            extension = getattr(field_file.file, "letter_extension", None)
            if extension is None:  # stored by code, not through a form: checked all the same
                extension = inspect_letter(field_file.file)
            # Stored as received, under the extension of what the file is, whatever the uploaded name said.
            field_file.name = f"letter.{extension}"
            setattr(instance, self.state_field, LetterState.CHECKING)
            instance.__dict__[self.to_clean_attname] = True
        return super().pre_save(instance, add)

    def clean_after_commit(self, instance, **kwargs):
        if instance.__dict__.pop(self.to_clean_attname, False):
            from background.queue import enqueue_after_commit

            from .letter_cleaning import clean_received_letter  # it needs the models, which need this field

            enqueue_after_commit(clean_received_letter, instance.pk)


# --- The link to send it later --------------------------------------------------------------------


def upload_link_token(application):
    """The signed id in an applicant's personal upload link; it expires UPLOAD_LINK_MAX_AGE_DAYS after signing."""
    return signing.TimestampSigner(salt=UPLOAD_LINK_SALT).sign(str(application.pk))


def application_id_from_token(token):
    """The application id a link was made for; raises signing.SignatureExpired or signing.BadSignature."""
    max_age = datetime.timedelta(days=UPLOAD_LINK_MAX_AGE_DAYS)
    value = signing.TimestampSigner(salt=UPLOAD_LINK_SALT).unsign(token, max_age=max_age)
    return int(value)
