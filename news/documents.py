"""Story documents: which files editors may attach, where they are stored, and how their size reads.

A document is served as uploaded (unlike a photo, it cannot be re-encoded), so its kind is decided by
its content alone: a PDF, or a Word or Excel file without macros. A renamed HTML page or program is
refused, whatever its name says. Files are written and deleted through the storage API only, so they
live where the featured images do (README.md, "Media storage").
"""

import posixpath
import uuid
import zipfile
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from uploads.stored_files import DeletesUnusedFilesAfterCommit

MAX_UPLOAD_BYTES = 25 * 1024 * 1024
# A PDF ends with %%EOF, perhaps followed by a line break or a few bytes a tool appended.
PDF_TAIL_BYTES = 1024
# Bytes that make a browser or a mail scanner take a file for a web page.
HTML_MARKERS = (b"<!doctype html", b"<html", b"<script", b"<body", b"<iframe")
# [Content_Types].xml is a few kilobytes; more means something is wrong (or a zip bomb).
MAX_CONTENT_TYPES_BYTES = 1024 * 1024
# An Office file is a ZIP, which a reader's Word or Excel unpacks whole: a zip bomb (400 MB of zeros in 400 KB) is
# refused from what the archive's directory declares, never by unpacking it. A long report with pictures has a few
# hundred parts and unpacks to tens of megabytes at most (the upload itself is at most 25 MB).
MAX_OFFICE_PARTS = 2000
MAX_OFFICE_UNPACKED_BYTES = 100 * 1024 * 1024
# Document XML packs about 10 to 1; Apache POI (the Java library for Office files) refuses parts that pack over 100
# to 1. Small parts may pack as tightly as they like: only a large one can make a bomb.
MAX_OFFICE_PACKING_RATIO = 100
PACKING_RATIO_FROM_BYTES = 1024 * 1024


@dataclass(frozen=True)
class DocumentKind:
    content_type: str
    extension: str
    label: str  # what readers are told, e.g. "(PDF, 240 KB)": product names, the same in every language


PDF = DocumentKind("application/pdf", "pdf", "PDF")
WORD = DocumentKind("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx", "Word")
EXCEL = DocumentKind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", "Excel")
DOCUMENT_KINDS = {kind.content_type: kind for kind in (PDF, WORD, EXCEL)}
# The part of an Office file that makes it a Word document or a workbook.
OFFICE_MAIN_PARTS = {"word/document.xml": WORD, "xl/workbook.xml": EXCEL}


def not_a_document_message():
    return _(
        "This file is not a PDF, Word (.docx) or Excel (.xlsx) document. Other kinds of file are not "
        "accepted, even when renamed."
    )


def document_kind(upload):
    """The DocumentKind of an uploaded file, judged by its content; ValidationError if it is not one.

    The size is checked first, from what the upload handler counted, so a huge file is never read.
    """
    if upload.size == 0:
        raise ValidationError(_("This file is empty. Please choose the document again."), code="empty")
    if upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _(
                "This file is %(size)s; a document may be at most %(limit)s. "
                "Please make it smaller and upload it again."
            ),
            code="file_too_large",
            params={"size": filesizeformat(upload.size), "limit": filesizeformat(MAX_UPLOAD_BYTES)},
        )
    upload.seek(0)
    head = upload.read(PDF_TAIL_BYTES)
    try:
        if head.startswith(b"%PDF-"):
            return pdf_kind(upload, head)
        if head.startswith(b"PK\x03\x04"):
            return office_kind(upload)
        raise ValidationError(not_a_document_message(), code="not_a_document")
    finally:
        upload.seek(0)


def pdf_kind(upload, head):
    # Only at the very start: a PDF header after other bytes is how HTML/PDF polyglots are made.
    if any(marker in head.lower() for marker in HTML_MARKERS):
        raise ValidationError(not_a_document_message(), code="not_a_document")
    upload.seek(max(upload.size - PDF_TAIL_BYTES, 0))
    tail = upload.read(PDF_TAIL_BYTES)
    if b"%%EOF" not in tail or b"startxref" not in tail or b" obj" not in head + tail:
        raise ValidationError(
            _("This PDF is damaged or incomplete. Please save or export it again and upload the new file."),
            code="damaged",
        )
    return PDF


def office_kind(upload):
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            check_unpacked_size(archive.infolist())
            names = set(archive.namelist())
            content_types = archive.getinfo("[Content_Types].xml")
            if content_types.file_size > MAX_CONTENT_TYPES_BYTES:
                raise ValidationError(not_a_document_message(), code="not_a_document")
            declared = archive.read(content_types).lower()
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, NotImplementedError, EOFError):
        raise ValidationError(not_a_document_message(), code="not_a_document") from None
    if (
        b"vbaproject" in declared
        or b"macroenabled" in declared
        or any(name.lower().endswith(("vbaproject.bin", "vbadata.xml")) for name in names)
    ):
        raise ValidationError(
            _(
                "Word and Excel files with macros (.docm, .xlsm) cannot be attached. Please save the file as "
                ".docx or .xlsx, or as a PDF, and upload it again."
            ),
            code="macros",
        )
    kinds = [kind for part, kind in OFFICE_MAIN_PARTS.items() if part in names]
    if len(kinds) != 1:
        raise ValidationError(not_a_document_message(), code="not_a_document")
    return kinds[0]


def check_unpacked_size(parts):
    """Refuses an archive that would unpack to far more than a document holds, from its directory alone."""
    if (
        len(parts) > MAX_OFFICE_PARTS
        or sum(part.file_size for part in parts) > MAX_OFFICE_UNPACKED_BYTES
        or any(
            part.file_size > PACKING_RATIO_FROM_BYTES
            and part.file_size > MAX_OFFICE_PACKING_RATIO * max(part.compress_size, 1)
            for part in parts
        )
    ):
        raise ValidationError(
            _(
                "This file would unpack to far more than a document holds (over %(size)s, or more than %(parts)s "
                "parts), which can overload the computers that open it. Please save it again as .docx, .xlsx or "
                "PDF and upload the new file."
            ),
            code="zip_bomb",
            params={
                "size": filesizeformat(MAX_OFFICE_UNPACKED_BYTES),
                "parts": number_format(MAX_OFFICE_PARTS, force_grouping=True),
            },
        )


def readable_size(size):
    """A file's size as readers expect it, in the page's language: "240 KB", "1.5 MB"."""
    if size < 1024 * 1024:
        return _("%(size)s KB") % {"size": number_format(max(round(size / 1024), 1), force_grouping=True)}
    return _("%(size)s MB") % {"size": number_format(round(size / (1024 * 1024), 1), decimal_pos=1)}


class DocumentFormField(forms.FileField):
    """The upload box in forms: checks the file before anything is stored."""

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "accept": ".pdf,.docx,.xlsx," + ",".join(DOCUMENT_KINDS)}

    def to_python(self, data):
        upload = super().to_python(data)
        if upload is not None:
            document_kind(upload)
        return upload


def document_path(document, filename):
    """A directory of its own for each upload, and the extension of what the file is, not of its name."""
    stem = slugify(posixpath.splitext(posixpath.basename(filename))[0], allow_unicode=True)[:80] or "document"
    return f"news/documents/{uuid.uuid4().hex}/{stem}.{DOCUMENT_KINDS[document.content_type].extension}"


class DocumentFileField(DeletesUnusedFilesAfterCommit, models.FileField):
    """A story document's file, which fills in the document's content type and size, as ImageField fills
    width and height. A file the document no longer uses (replaced, or the document deleted, with its
    story or alone) is deleted once the change is committed, so a rolled-back edit keeps its file.
    """

    def __init__(self, *args, content_type_field="content_type", size_field="size", **kwargs):
        self.content_type_field, self.size_field = content_type_field, size_field
        kwargs.setdefault("upload_to", document_path)
        kwargs.setdefault("max_length", 255)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("upload_to", None)
        if kwargs.get("max_length") == 255:
            del kwargs["max_length"]
        return name, path, args, kwargs

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": DocumentFormField, **kwargs})

    def pre_save(self, instance, add):
        field_file = getattr(instance, self.attname)
        if field_file and field_file.name not in self.stored_files(instance):
            # Checked again here, so a file stored by code is held to what the admin allows.
            kind = document_kind(field_file.file)
            setattr(instance, self.content_type_field, kind.content_type)
            setattr(instance, self.size_field, field_file.size)
        return super().pre_save(instance, add)
