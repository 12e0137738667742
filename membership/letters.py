"""The signed letter of support: what an applicant may upload, the clean copy kept, where it is kept.

A letter is a PDF, JPEG or PNG, recognised by its content. Nothing is kept as uploaded: an image is decoded and
re-encoded by Pillow (uploads/images.py, as featured images are), a PDF is rewritten by pypdf from its pages, without
scripts, automatic actions or attached files. Letters are private: they live in the "private" storage
(settings.STORAGES: a directory, or a private bucket), which has no URL, and staff download them through the admin
(MembershipApplicationAdmin).
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
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from uploads.images import MASTER_QUALITY, check_image, clean_pixels, decoded_small, encode
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


def clean_letter(upload):
    """The letter as it will be kept: (bytes, extension), or a ValidationError saying why it is refused."""
    if upload.size > MAX_LETTER_BYTES:
        raise ValidationError(
            _(
                "This file is %(size)s; a letter may be at most %(limit)s. Please scan it at a lower resolution "
                "or save it as a smaller PDF, and choose it again."
            ),
            code="file_too_large",
            params={"size": filesizeformat(upload.size), "limit": filesizeformat(MAX_LETTER_BYTES)},
        )
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return clean_pdf(upload.read()), "pdf"
    if head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")):
        return clean_image(upload)
    raise ValidationError(not_a_letter_message(), code="not_a_letter")


def clean_image(upload):
    """Pillow's clean copy: the pixels only, so no metadata and nothing appended to the image survives."""
    try:
        check_image(upload, LETTER_IMAGE_FORMATS, not_a_letter_message)
    except ValidationError as error:
        raise choose_again(error) from None
    with Image.open(upload) as original:
        image_format = "PNG" if original.format == "PNG" else "JPEG"
        # Decoded no larger than a legible A4 page needs (JPEG at a reduced scale by the decoder): a 40-megapixel
        # phone photo would otherwise cost a worker half a gigabyte.
        image = clean_pixels(decoded_small(original, LEGIBLE_PAGE_SIZE))
    # A scan's PNG is written at Pillow's usual compression: optimising it can take a minute of a web worker's time.
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
    """The upload box: checks the letter by its content and gives the clean copy, under the uploaded name."""

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

    def to_python(self, data):
        upload = super().to_python(data)
        if upload is None:
            return None
        content, extension = clean_letter(upload)
        clean = ContentFile(content, name=posixpath.basename(upload.name.replace("\\", "/")))
        clean.letter_extension = extension
        return clean


# --- The field that owns the file ---------------------------------------------------------------


class LetterField(DeletesUnusedFilesAfterCommit, models.FileField):
    """An application's signed letter, in private storage under a random name. As ImageField fills its
    width_field, this field fills `original_name_field` (the name to download it as) and `received_field` (when
    it arrived) when a new letter is saved; a letter the application no longer uses is deleted after commit."""

    def __init__(self, *args, original_name_field=None, received_field=None, **kwargs):
        self.original_name_field, self.received_field = original_name_field, received_field
        kwargs.setdefault("upload_to", letter_path)
        kwargs.setdefault("storage", private_letters_storage)
        kwargs.setdefault("max_length", 100)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.update(original_name_field=self.original_name_field, received_field=self.received_field)
        return name, path, args, kwargs

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": LetterFormField, **kwargs})

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
            if extension is None:  # stored by code, not through a form: checked and cleaned all the same
                content, extension = clean_letter(field_file.file)
                field_file.file = ContentFile(content)
            # The stored name takes the extension of what the file is, whatever the uploaded name said.
            field_file.name = f"letter.{extension}"
        return super().pre_save(instance, add)


# --- The link to send it later --------------------------------------------------------------------


def upload_link_token(application):
    """The signed id in an applicant's personal upload link; it expires UPLOAD_LINK_MAX_AGE_DAYS after signing."""
    return signing.TimestampSigner(salt=UPLOAD_LINK_SALT).sign(str(application.pk))


def application_id_from_token(token):
    """The application id a link was made for; raises signing.SignatureExpired or signing.BadSignature."""
    max_age = datetime.timedelta(days=UPLOAD_LINK_MAX_AGE_DAYS)
    value = signing.TimestampSigner(salt=UPLOAD_LINK_SALT).unsign(token, max_age=max_age)
    return int(value)
