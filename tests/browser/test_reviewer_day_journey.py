"""A membership reviewer's day, in each admin language: log in, give an application with a signed letter to a
colleague, ask the applicant for information, approve, download the applicant's data (a zip with the letter; JSON
for an applicant without files), erase their personal data, then delete what is left. No page is an error page,
and every page speaks the admin's language."""

import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from playwright.sync_api import expect

from membership.letters import LetterState
from membership.models import MembershipApplication
from testkit.applications import emails_when_sent, make_application
from testkit.background import run_queued_tasks
from testkit.files import letter_pdf

pytestmark = pytest.mark.usefixtures("private_media_root")

APPLICANT = "chen.mei@bright-toys.example.cn"
COLLEAGUE_EMAIL = "ana.silva@ethicaltoyprogram.org"
# What only an error page shows: Django's production 500 page, or a development traceback.
ERROR_PAGE_TEXTS = ["Server Error", "Traceback", "Page not found", "Forbidden"]


@dataclass(frozen=True)
class AdminWords:
    """What the reviewer reads and clicks, in one admin language. Each step checks its words are on the page and
    the other language's same words are not (text left untranslated)."""

    code: str
    admin: str
    html_lang: str
    applicant_language: str
    username: str
    password: str
    log_in: str
    site_administration: str
    applications: str
    reviewer: str
    status: str
    message: str
    save_and_continue: str
    changed: str
    information_needed: str
    approved: str
    timeline: str
    personal_data: str
    download_letter: str
    download_all_data: str
    erase_link: str
    erase_title: str
    erase_kept: str
    erase_button: str
    erased: str
    erased_name: str
    letter_erased: str
    delete: str
    delete_question: str
    events: str  # the timeline's rows, listed by the delete confirmation
    delete_button: str
    deleted: str
    question: str
    question_subject: str
    approval_subject: str
    company_name: str  # a title in the downloaded data


ENGLISH = AdminWords(
    code="english",
    admin="/admin/",
    html_lang="en",
    applicant_language="en",
    username="Username",
    password="Password",
    log_in="Log in",
    site_administration="IETP site administration",
    applications="Buyer membership applications",
    reviewer="Reviewer",
    status="Status",
    message="Message to the applicant",
    save_and_continue="Save and continue editing",
    changed="was changed successfully",
    information_needed="Information needed",
    approved="Approved",
    timeline="Timeline",
    personal_data="Personal data",
    download_letter="Download letter",
    download_all_data="Download all their data",
    erase_link="Erase their personal data…",
    erase_title="Erase the applicant's personal data?",
    erase_kept="Kept for statistics, naming no one",
    erase_button="Yes, erase the personal data",
    erased="was erased",
    erased_name="(personal data erased)",
    letter_erased="Erased with the personal data.",
    delete="Delete",
    delete_question="Are you sure you want to delete",
    events="Application events",
    delete_button="Yes, I’m sure",
    deleted="was deleted successfully",
    question="Please send the letter signed by your chief executive.",
    question_subject="Information needed for your IETP buyer membership application",
    approval_subject="Welcome: your IETP buyer membership application is approved",
    company_name="Company legal name",
)
CHINESE = AdminWords(
    code="chinese",
    admin="/zh/admin/",
    html_lang="zh-hans",
    applicant_language="zh-hans",
    username="用户名",
    password="密码",
    log_in="登录",
    site_administration="IETP 网站管理",
    applications="买家会员申请",
    reviewer="审核人",
    status="状态",
    message="致申请人的留言",
    save_and_continue="保存并继续编辑",
    changed="成功修改了",
    information_needed="需补充信息",
    approved="已批准",
    timeline="时间线",
    personal_data="个人资料",
    download_letter="下载支持函",
    download_all_data="下载其全部资料",
    erase_link="删除其个人资料…",
    erase_title="删除申请人的个人资料？",
    erase_kept="为统计保留",
    erase_button="是，删除个人资料",
    erased="个人资料已删除",
    erased_name="（个人资料已删除）",
    letter_erased="已随个人资料删除。",
    delete="删除",
    delete_question="你确认想要删除",
    events="申请记录",
    delete_button="是的，我确定",
    deleted="成功删除了",
    question="请寄来首席执行官签署的支持函。",
    question_subject="您的 IETP 买家会员申请需要补充信息",
    approval_subject="欢迎加入：您的 IETP 买家会员申请已获批准",
    company_name="公司法定名称",
)
OTHER_LANGUAGE = {ENGLISH.code: CHINESE, CHINESE.code: ENGLISH}


class ReviewerBrowser:
    """The reviewer's page, which records every page it is answered (to catch an error status) and checks each step's
    page: not an error page, and in the admin's language."""

    def __init__(self, page, words):
        self.page = page
        self.words = words
        self.other = OTHER_LANGUAGE[words.code]
        self.answered = []
        page.on("response", self.note_page_answer)

    def note_page_answer(self, response):
        if response.request.resource_type == "document" and response.frame == self.page.main_frame:
            self.answered.append((response.status, response.url))

    def check_step(self, name, *word_names):
        """The page now is no error page, in the admin's language, and shows the words named (attributes of
        AdminWords), not the other language's."""
        page, words = self.page, self.words
        errors = [(status, url) for status, url in self.answered if status >= 400]
        assert not errors, f"{name}: error pages {errors}"
        expect(page.locator("html")).to_have_attribute("lang", words.html_lang)
        text = page.locator("body").inner_text()
        for error_text in ERROR_PAGE_TEXTS:
            assert error_text not in text, f"{name}: {error_text!r} on {page.url}"
        for word_name in word_names:
            expect(page.locator("body")).to_contain_text(getattr(words, word_name))
            untranslated = getattr(self.other, word_name)
            assert untranslated not in text, f"{name}: {untranslated!r} (untranslated) on {page.url}"

    def log_in(self, username, password):
        page, words = self.page, self.words
        page.goto(words.admin)
        self.check_step("login", "username", "password", "log_in")
        page.get_by_label(words.username).fill(username)
        page.get_by_label(words.password).fill(password)
        page.get_by_role("button", name=words.log_in).click()
        expect(page.get_by_role("link", name=words.applications)).to_be_visible()
        self.check_step("home", "site_administration", "applications")

    def open_application(self, company):
        self.page.get_by_role("link", name=self.words.applications).first.click()
        self.page.get_by_role("link", name=company).click()

    def save(self):
        self.page.get_by_role("button", name=self.words.save_and_continue).click()
        expect(self.page.locator(".messagelist")).to_contain_text(self.words.changed)

    def download(self, link_name):
        """The file behind a link on the page, as the browser saves it: (name, bytes)."""
        with self.page.expect_download() as download_info:
            self.page.get_by_role("link", name=link_name).click()
        download = download_info.value
        return download.suggested_filename, Path(download.path()).read_bytes()


def assert_styled_as_the_admins_delete_confirmation(form):
    """The erasure is as final as a deletion: its buttons look like the delete confirmation's, a red "yes" and a
    grey "no"."""
    expect(form.locator("input[type=submit]")).to_have_css("background-color", "rgb(186, 33, 33)")
    expect(form.locator("a.cancel-link")).to_have_css("background-color", "rgb(116, 116, 116)")


def reviewers_group():
    """The project defines no group: a reviewer is given the application permissions, here through a group."""
    group = Group.objects.create(name="Membership reviewers")
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label="membership",
            codename__in=["view_membershipapplication", "change_membershipapplication", "delete_membershipapplication"],
        )
    )
    return group


def application_with_a_clean_letter(language):
    """An application sent with a signed PDF letter, once the background job has checked and cleaned it."""
    application = make_application(
        company_name="Bright Toys Ltd",
        contact_name="Mei Chen",
        contact_email=APPLICANT,
        language=language,
        letter=ContentFile(letter_pdf(), name="Signed letter.pdf"),
    )
    run_queued_tasks()
    application.refresh_from_db()
    assert application.letter_state == LetterState.CLEAN
    return application


@pytest.mark.parametrize("words", [ENGLISH, CHINESE], ids=["english", "chinese"])
def test_a_reviewers_day_assign_ask_approve_download_and_erase_without_an_error_page(
    membership_site, desktop_page, django_user_model, words
):
    outbox = membership_site
    group = reviewers_group()
    reviewer = django_user_model.objects.create_user(
        "li.wei", "li.wei@ethicaltoyprogram.org", "reviewer password 1", is_staff=True
    )
    colleague = django_user_model.objects.create_user(
        "ana.silva", COLLEAGUE_EMAIL, "colleague password 1", is_staff=True
    )
    for member in (reviewer, colleague):
        member.groups.add(group)
    django_user_model.objects.create_user("sam.editor", "sam@ethicaltoyprogram.org", "editor password", is_staff=True)
    application = application_with_a_clean_letter(words.applicant_language)
    without_files = make_application(company_name="Other Toys Ltd", contact_email="other@example.com")

    browser = ReviewerBrowser(desktop_page, words)
    page = browser.page
    browser.log_in("li.wei", "reviewer password 1")
    browser.open_application("Bright Toys Ltd")
    browser.check_step("application", "status", "reviewer", "timeline", "personal_data", "download_letter")

    # Assign: only staff who may view applications are offered; the colleague is emailed a link.
    reviewer_choice = page.get_by_label(words.reviewer)
    offered = reviewer_choice.locator("option").all_inner_texts()
    assert "ana.silva" in offered and "li.wei" in offered and "sam.editor" not in offered
    reviewer_choice.select_option(label="ana.silva")
    browser.save()
    expect(page.locator(".application-timeline")).to_contain_text("ana.silva")
    browser.check_step("assigned", "changed", "timeline")
    [assignment] = emails_when_sent(application, outbox, 1)
    assert assignment.to == [COLLEAGUE_EMAIL]
    assert "Bright Toys Ltd" in assignment.subject

    # Ask for information: the applicant's email quotes the question, in their language.
    page.get_by_label(words.status).select_option(label=words.information_needed)
    page.get_by_label(words.message).fill(words.question)
    browser.save()
    expect(page.locator(".application-timeline")).to_contain_text(words.information_needed)
    browser.check_step("information-needed", "changed", "information_needed")
    _assignment, question = emails_when_sent(application, outbox, 2)
    assert question.to == [APPLICANT]
    assert question.subject == words.question_subject
    assert words.question in question.body

    # Approve.
    page.get_by_label(words.status).select_option(label=words.approved)
    browser.save()
    expect(page.locator(".application-timeline")).to_contain_text(words.approved)
    browser.check_step("approved", "changed", "approved")
    _assignment, _question, approval = emails_when_sent(application, outbox, 3)
    assert (approval.to, approval.subject) == ([APPLICANT], words.approval_subject)

    # Download their data: a zip of the JSON document and the letter; the letter downloads on its own too.
    name, content = browser.download(words.download_all_data)
    assert name == f"buyer-membership-application-{application.pk}.zip"
    with zipfile.ZipFile(io.BytesIO(content)) as bundle:
        files = {member: bundle.read(member) for member in bundle.namelist()}
    document = json.loads(files.pop(f"buyer-membership-application-{application.pk}.json"))
    assert document[words.company_name] == "Bright Toys Ltd"
    assert APPLICANT in document.values()
    [letter] = files.values()
    assert letter.startswith(b"%PDF")
    letter_name, letter_content = browser.download(words.download_letter)
    assert letter_name == "Signed letter.pdf" and letter_content == letter
    browser.check_step("data-downloaded", "download_all_data")

    # An applicant without files gets a JSON document.
    page.goto(f"{words.admin}membership/membershipapplication/{without_files.pk}/change/")
    browser.check_step("application-without-files", "personal_data", "download_all_data")
    name, content = browser.download(words.download_all_data)
    assert name == f"buyer-membership-application-{without_files.pk}.json"
    assert "other@example.com" in json.loads(content).values()

    # Erase the personal data, after a confirmation page: the names and the letter are gone.
    page.goto(f"{words.admin}membership/membershipapplication/{application.pk}/change/")
    letter_path = Path(application.letter.path)
    page.get_by_role("link", name=words.erase_link).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words.erase_title)
    browser.check_step("erase-confirmation", "erase_title", "erase_kept")
    assert_styled_as_the_admins_delete_confirmation(page.locator("#content form"))
    page.get_by_role("button", name=words.erase_button).click()
    expect(page.locator(".messagelist")).to_contain_text(words.erased)
    browser.check_step("erased", "erased", "erased_name", "letter_erased")
    application.refresh_from_db()
    assert application.anonymised_at is not None
    assert (application.company_name, application.contact_email, application.letter.name) == ("", "", "")
    assert not letter_path.exists()

    # Delete what is left, after Django's confirmation page: gone from the list and the database.
    page.get_by_role("link", name=words.delete, exact=True).click()
    browser.check_step("delete-confirmation", "delete_question", "events")
    page.get_by_role("button", name=words.delete_button).click()
    expect(page.locator(".messagelist")).to_contain_text(words.deleted)
    browser.check_step("deleted", "deleted", "applications")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.locator("#result_list")).to_contain_text("Other Toys Ltd")
    assert not MembershipApplication.objects.filter(pk=application.pk).exists()
    assert re.search(r"/membership/membershipapplication/$", page.url)
