"""Story documents: what an editor may attach in the admin, how the story page lists them, how readers get them."""

import random

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.utils.translation import override

from news.documents import MAX_UPLOAD_BYTES, DocumentFormField
from news.models import NewsStory, StoryDocument
from testkit.files import minimal_pdf, office_file, office_zip_bomb, with_claimed_sizes
from testkit.pages import parse_page
from testkit.stories import story_form

pytestmark = pytest.mark.django_db

WORD_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def upload(content, name="audit-deadlines.pdf", content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def with_documents(*documents, initial=0, **fields):
    """The admin's story form with the documents inline filled in: each document a dict of its fields."""
    form = story_form(**fields)
    form["documents-TOTAL_FORMS"] = str(len(documents))
    form["documents-INITIAL_FORMS"] = str(initial)
    for number, document in enumerate(documents):
        defaults = {"title": "Audit deadlines 2024", "language_code": "en", "position": "0"}
        for name, value in (defaults | document).items():
            form[f"documents-{number}-{name}"] = value
    return form


def files_in(directory):
    return sorted(path for path in directory.rglob("*") if path.is_file()) if directory.exists() else []


def add_story_with(staff_client, *documents, language="en"):
    return staff_client.post(f"/admin/news/newsstory/add/?language={language}", with_documents(*documents))


def make_document(story, content=None, language="en", title="Audit deadlines 2024", **fields):
    return StoryDocument.objects.create(
        story=story,
        language_code=language,
        title=title,
        file=upload(content or minimal_pdf(), fields.pop("name", "audit-deadlines.pdf")),
        **fields,
    )


def document_list(page):
    section = parse_page(page).find("section", class_="story__documents")
    return [item.text for item in section.find_all("li")] if section else []


# --- Attaching in the admin ---------------------------------------------------------------------


def test_editor_attaches_a_pdf_which_readers_see_listed_with_type_and_size_in_both_languages(
    staff_client, media_root, client
):
    pdf = minimal_pdf()
    response = add_story_with(
        staff_client,
        {"file": upload(pdf, "Audit deadlines 2024.PDF")},
        {"file": upload(pdf, "审计截止日期.pdf"), "title": "审计截止日期 2024", "language_code": "zh-hans"},
    )

    assert response.status_code == 302, response.context["errors"] if response.context else response
    story = NewsStory.objects.get()
    english, chinese = story.documents.order_by("pk")
    assert english.content_type == "application/pdf" and english.size == len(pdf)
    assert english.file.name.startswith("news/documents/") and english.file.name.endswith("/audit-deadlines-2024.pdf")
    assert chinese.file.name.endswith("/审计截止日期.pdf")
    assert len(files_in(media_root)) == 2
    assert document_list(client.get(story.get_absolute_url())) == ["Audit deadlines 2024 (PDF, 1 KB)"]
    with override("zh-hans"):
        assert document_list(client.get(story.get_absolute_url())) == ["审计截止日期 2024（PDF，1 KB）"]


def test_the_documents_inline_starts_in_the_language_of_the_open_tab(staff_client):
    page = parse_page(staff_client.get("/admin/news/newsstory/add/?language=zh-hans"))
    select = page.find("select", name="documents-0-language_code")
    assert "selected" in select.find("option", value="zh-hans").attrs
    assert "selected" not in select.find("option", value="en").attrs


BAD_FILES = {
    "html renamed as pdf": (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "not a PDF, Word"),
    "executable renamed as pdf": (b"MZ\x90\x00\x03" + b"\x00" * 400, "not a PDF, Word"),
    "pdf header after other bytes": (b"<html>" + minimal_pdf(), "not a PDF, Word"),
    "html behind a pdf header": (b"%PDF-1.4\n<html><script>alert(1)</script>" + minimal_pdf()[9:], "not a PDF, Word"),
    "truncated pdf": (minimal_pdf()[:200], "damaged or incomplete"),
    "empty file": (b"", "The submitted file is empty"),
    "word with macros": (office_file(macros=True), "with macros"),
    "zip that is no office file": (office_file(main_part="payload.html"), "not a PDF, Word"),
}


@pytest.mark.parametrize("content, message", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_file_that_is_not_a_document_is_refused_and_nothing_is_stored(staff_client, media_root, content, message):
    response = add_story_with(staff_client, {"file": upload(content)})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not NewsStory.objects.exists() and not StoryDocument.objects.exists()
    assert files_in(media_root) == []


MB = 1024 * 1024
# Office files are ZIPs: read from the archive's own directory, never unpacked.
OFFICE_BOMBS = {
    "more than 2,000 parts": office_file(parts=[(f"word/media/part{number}.xml", b"<p/>") for number in range(2001)]),
    "parts unpacking to over 100 MB together": with_claimed_sizes(
        with_claimed_sizes(
            office_file(parts=[("word/media/a.bin", b"a"), ("word/media/b.bin", b"b")]), "word/media/a.bin", 60 * MB, MB
        ),
        "word/media/b.bin",
        60 * MB,
        MB,
    ),
    "a part packed over 100 to 1": office_file(parts=[("word/media/image1.bmp", bytes(2 * MB))]),
}


@pytest.mark.parametrize("content", OFFICE_BOMBS.values(), ids=OFFICE_BOMBS.keys())
def test_an_office_file_that_would_unpack_to_far_more_than_a_document_is_refused(staff_client, media_root, content):
    response = add_story_with(staff_client, {"file": upload(content, "report.docx", WORD_TYPE)})

    assert response.status_code == 200
    assert "would unpack to far more than a document holds" in response.content.decode()
    assert not StoryDocument.objects.exists() and files_in(media_root) == []


def test_the_testers_zip_bomb_docx_is_refused_in_both_languages_and_nothing_is_stored(staff_client, media_root):
    bomb = office_zip_bomb()  # 400 MB of zeros in about 400 KB
    assert len(bomb) < 500 * 1024

    english = add_story_with(staff_client, {"file": upload(bomb, "report.docx", WORD_TYPE)})
    chinese = staff_client.post(
        "/zh/admin/news/newsstory/add/?language=zh-hans",
        with_documents({"file": upload(bomb, "report.docx", WORD_TYPE), "language_code": "zh-hans"}),
    )

    assert "would unpack to far more than a document holds" in english.content.decode()
    assert "此文件解压后远超" in chinese.content.decode()
    assert not NewsStory.objects.exists() and not StoryDocument.objects.exists()
    assert files_in(media_root) == []


def test_an_office_file_with_large_parts_that_pack_as_documents_do_is_accepted(make_story, media_root):
    text = random.Random(13).randbytes(6 * MB).hex().encode()  # 12 MB that packs about 2 to 1
    document = make_document(make_story(), office_file(parts=[("word/media/image1.bin", text)]), name="big.docx")
    assert document.content_type == WORD_TYPE


def test_refusals_are_explained_in_chinese_on_the_chinese_admin(staff_client, media_root):
    response = staff_client.post(
        "/zh/admin/news/newsstory/add/?language=zh-hans", with_documents({"file": upload(b"MZ" + b"\x00" * 100)})
    )
    assert "此文件不是 PDF" in response.content.decode()


class HugeUpload(SimpleUploadedFile):
    """An upload the handler counted as 200 MB, which must never be read."""

    def __init__(self, name):
        super().__init__(name, b"%PDF-", content_type="application/pdf")
        self.size = 200 * 1024 * 1024

    def read(self, *args):
        raise AssertionError("a file over the limit was read")


def test_a_200_mb_file_is_refused_before_it_is_read():
    with override("en"), pytest.raises(ValidationError) as refused:
        DocumentFormField().clean(HugeUpload("report.pdf"))
    with override("en"):
        assert refused.value.messages == [
            "This file is 200.0\xa0MB; a document may be at most 25.0\xa0MB. "
            "Please make it smaller and upload it again."
        ]
    assert refused.value.code == "file_too_large"
    assert MAX_UPLOAD_BYTES == 25 * 1024 * 1024


def test_word_and_excel_files_without_macros_are_accepted(make_story, media_root):
    story = make_story()
    word = make_document(story, office_file(), name="Code of conduct.docx")
    excel = make_document(story, office_file("xl/workbook.xml"), name="Wages.xlsx")

    assert word.content_type == WORD_TYPE and word.file.name.endswith("/code-of-conduct.docx")
    assert excel.kind.label == "Excel" and excel.file.name.endswith("/wages.xlsx")


def test_the_extension_is_that_of_the_content_not_of_the_name(make_story, media_root):
    document = make_document(make_story(), minimal_pdf(), name="report.docx")
    assert document.file.name.endswith("/report.pdf")


# --- On the story page ----------------------------------------------------------------------------


def test_documents_in_the_other_language_are_listed_only_when_there_are_none_in_the_page_language(
    make_story, media_root, client
):
    story = make_story({"en": "Audits", "zh-hans": "审核"})
    make_document(story, title="Audit deadlines 2024", position=2)
    make_document(story, title="Audit checklist", position=1)

    assert document_list(client.get("/news/audits/")) == [
        "Audit checklist (PDF, 1 KB)",
        "Audit deadlines 2024 (PDF, 1 KB)",
    ]
    page = parse_page(client.get("/zh/news/审核/"))
    assert page.find("span", lang="en").text == "Audit checklist"
    make_document(story, language="zh-hans", title="审核清单")
    assert document_list(client.get("/zh/news/审核/")) == ["审核清单（PDF，1 KB）"]


def test_sizes_read_in_the_page_language(make_story, media_root):
    document = make_document(make_story())
    document.size = 1536 * 1024
    assert document.readable_size == "1.5 MB"
    with override("zh-hans"):
        assert document.readable_size == "1.5 MB"
    document.size = 240 * 1024
    assert document.readable_size == "240 KB"


# --- Downloading ----------------------------------------------------------------------------------


def test_a_pdf_opens_in_the_browser_which_does_not_sniff_it(make_story, media_root, client):
    document = make_document(make_story(), name="审计截止日期.pdf")
    with override("en"):
        url = document.get_absolute_url()

    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Length"] == str(len(minimal_pdf()))
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].lower().startswith("inline; filename*=utf-8''")
    assert "%E5%AE%A1%E8%AE%A1" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == minimal_pdf()
    assert client.get(f"/zh{url}").status_code == 200


OFFICE_DOWNLOADS = {
    "word": (office_file(), "Code of conduct.docx", 'attachment; filename="code-of-conduct.docx"'),
    "excel": (office_file("xl/workbook.xml"), "Wages.xlsx", 'attachment; filename="wages.xlsx"'),
}


@pytest.mark.parametrize("content, name, disposition", OFFICE_DOWNLOADS.values(), ids=OFFICE_DOWNLOADS.keys())
def test_word_and_excel_files_are_served_only_as_attachments(
    make_story, media_root, client, content, name, disposition
):
    document = make_document(make_story(), content, name=name)

    response = client.get(document.get_absolute_url())

    assert response.status_code == 200
    assert response["Content-Disposition"] == disposition
    assert response["Content-Type"] == document.content_type
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_story_page_links_a_pdf_to_open_and_an_office_file_to_download(make_story, media_root, client):
    story = make_story()
    make_document(story, title="Report", position=1)
    make_document(story, office_file(), title="Form", name="form.docx", position=2)

    links = parse_page(client.get(story.get_absolute_url())).find("section", class_="story__documents").find_all("a")

    assert [(link.text, "download" in link.attrs) for link in links] == [("Report", False), ("Form", True)]


def test_an_old_file_name_redirects_to_the_current_file(make_story, media_root, client):
    document = make_document(make_story())
    response = client.get(f"/news/documents/{document.pk}/old-name.pdf")
    assert response.status_code == 302 and response["Location"] == document.get_absolute_url()


def test_a_draft_storys_document_is_hidden_from_visitors_but_not_from_staff(make_story, media_root, staff_client):
    document = make_document(make_story(status=NewsStory.Status.DRAFT))

    assert Client().get(document.get_absolute_url()).status_code == 404
    response = staff_client.get(document.get_absolute_url())
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]


# --- Removing -------------------------------------------------------------------------------------


def test_a_document_removed_in_the_admin_is_deleted_from_storage_after_commit(
    staff_client, media_root, django_capture_on_commit_callbacks
):
    add_story_with(staff_client, {"file": upload(minimal_pdf())})
    story, document = NewsStory.objects.get(), StoryDocument.objects.get()
    form = with_documents(
        {"id": str(document.pk), "story": str(story.pk), "DELETE": "on"}, initial=1, title=story.title
    )

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = staff_client.post(f"/admin/news/newsstory/{story.pk}/change/?language=en", form)
    assert response.status_code == 302
    assert not StoryDocument.objects.exists()
    assert len(files_in(media_root)) == 1  # still there until the transaction commits
    for callback in callbacks:
        callback()
    assert files_in(media_root) == []


def test_a_replaced_file_and_a_deleted_storys_files_are_deleted_after_commit(
    make_story, media_root, django_capture_on_commit_callbacks
):
    story = make_story()
    document = make_document(story)
    first = files_in(media_root)

    with django_capture_on_commit_callbacks(execute=True):
        document.file = upload(minimal_pdf("Revised"), "revised.pdf")
        document.save()
    assert files_in(media_root) != first and len(files_in(media_root)) == 1

    with django_capture_on_commit_callbacks(execute=True):
        story.delete()
    assert files_in(media_root) == []


def test_a_rolled_back_removal_keeps_the_file(make_story, media_root):
    document = make_document(make_story())
    with pytest.raises(RuntimeError), transaction.atomic():
        document.delete()
        raise RuntimeError
    assert len(files_in(media_root)) == 1
