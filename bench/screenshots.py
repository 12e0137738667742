"""Screenshots of the site: every public page for a reviewer, or the admin for the guides in docs/.

    .venv/bin/python -m bench.screenshots [--output screenshots/2026-11-27]    # from the project's root
    .venv/bin/python -m bench.screenshots --guides

Builds a throwaway SQLite site (the old news page's stories, four illustrated stories, one story in both
languages), serves it with the development server, and has Debian's Chromium save each page in English and
Chinese, at 375 and 1280 px, in light and dark mode, as <output>/<page>-<language>-<width>-<scheme>.png.
The membership form is also shown with the errors an empty submission gets. These screenshots are not committed.

With --guides, it builds a site with staff, stories and membership applications instead, logs in to the admin,
does what the guides describe (saves a story, makes a preview link, reviews an application) and saves the parts
of the admin the guides show: English admin in docs/images/, Chinese admin (/zh/admin/) in docs/zh/images/,
1200 px wide, cropped to the part the text is about, each under 150 KB. These are committed with the guides;
run it again after changing what the admin looks like.
"""

import argparse
import datetime
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

from testkit.chromium import CHROMIUM

ROOT = Path(__file__).resolve().parent.parent
PAGES = {
    "news": "/news/",
    "news-page-2": "/news/?page=2",
    "story-bilingual": "/news/worker-helplines-in-five-languages/",
    "story-chinese-only": f"/news/{quote('核实-escp-职员')}/",
    "story-illustrated": "/news/factory-visit-4/",
    "membership": "/buyer-membership/",
    "membership-thanks": "/buyer-membership/thank-you/",
    "privacy": "/privacy/",
    "search-empty": "/search/",
    "search": "/search/?q=audits",
    "search-chinese": f"/search/?q={quote('微信')}",
    "not-found": "/news/no-such-story/",
}
LANGUAGES = {"en": "", "zh": "/zh"}
WIDTHS = [375, 1280]
SCHEMES = ["light", "dark"]
BUILD_SITE = """
import datetime
from django.core.management import call_command
from news.models import NewsStory
from testkit.files import photo_like
from testkit.stories import illustrated_story, make_story
call_command("migrate", verbosity=0)
call_command("load_seed_stories", verbosity=0)
for number in range(1, 5):
    illustrated_story(number, photo_like(2400, 1600))
make_story(
    {"en": {"title": "Worker helplines now answer in five languages", "slug": "worker-helplines-in-five-languages",
            "summary": "Workers can call in Mandarin, Cantonese, Vietnamese, English and Bahasa."},
     "zh-hans": {"title": "工人热线现提供五种语言服务", "slug": "工人热线五种语言",
                 "summary": "工人可以使用普通话、粤语、越南语、英语和印尼语拨打热线。"}},
    publish_date=datetime.date(2023, 11, 1),
)
"""


# The guides' site: an editor who is a superuser (li.wei) and a reviewer (anna.schmidt), the seed stories, one
# story published in English with its Chinese translation a draft, one scheduled, and applications at every status.
STAFF_PASSWORD = "screenshots only"
GUIDES_SITE = f"""
import datetime
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from membership.emails import record_application_emails
from news.models import start_of_day
from testkit.applications import make_application
from django.contrib.auth.models import Permission
from testkit.files import letter_pdf
from testkit.stories import make_story
call_command("migrate", verbosity=0)
call_command("load_seed_stories", verbosity=0)
User.objects.create_superuser("li.wei", "li.wei@ethicaltoyprogram.org", {STAFF_PASSWORD!r})
reviewer = User.objects.create_user(
    "anna.schmidt", "anna.schmidt@ethicaltoyprogram.org", {STAFF_PASSWORD!r}, is_staff=True
)
# A reviewer is staff who may view and change applications (only they are offered in the Reviewer list).
reviewer.user_permissions.add(*Permission.objects.filter(
    codename__in=["view_membershipapplication", "change_membershipapplication"]
))
today = timezone.localdate()
make_story(
    {{"en": {{"title": "Worker helplines now answer in five languages", "slug": "worker-helplines-in-five-languages",
             "dateline": "Hong Kong",
             "summary": "Workers can call in Mandarin, Cantonese, Vietnamese, English and Bahasa.",
             "body": "<p>The programme's worker helplines now answer in five languages.</p>",
             "image_alt": "A helpline adviser answering a call"}},
      "zh-hans": {{"title": "工人热线现提供五种语言服务", "slug": "工人热线五种语言", "status": "draft",
                  "dateline": "香港",
                  "summary": "工人可以使用普通话、粤语、越南语、英语和印尼语拨打热线。",
                  "body": "<p>项目的工人热线现已提供五种语言服务。</p>",
                  "image_alt": "热线顾问正在接听电话"}}}},
    publish_date=today - datetime.timedelta(days=1),
    category="news",
    image=SimpleUploadedFile("helpline.jpg", open("static/img/ietp-share.jpg", "rb").read()),
)
make_story(
    {{"en": "Meet the programme at the Hong Kong Toys and Games Fair",
      "zh-hans": "香港玩具展：欢迎到展位与项目团队交流"}},
    publish_at=start_of_day(today + datetime.timedelta(days=7)) + datetime.timedelta(hours=9),
    category="event",
)
applicants = [
    dict(company_name="Bright Toys Ltd", status="new", language="en", letter_received_at=timezone.now(),
         letter=ContentFile(letter_pdf(), name="Bright Toys - letter of support.pdf")),
    dict(company_name="深圳市乐童玩具有限公司", status="new", language="zh-hans", headquarters_country="CN",
         contact_name="王芳", contact_email="wang.fang@letong.example.cn", consents_to_transfer_abroad=True,
         letter=ContentFile(letter_pdf(), name="乐童玩具-支持信.pdf"), letter_received_at=timezone.now()),
    dict(company_name="Nordic Play AB", status="in_review", headquarters_country="SE",
         assigned_to=User.objects.get(username="anna.schmidt")),
    dict(company_name="Maple Leaf Games Inc.", status="information_needed", headquarters_country="CA"),
    dict(company_name="广州市星辰文具玩具有限公司", status="approved", language="zh-hans", headquarters_country="CN",
         consents_to_transfer_abroad=True),
    dict(company_name="Kangaroo Kids Pty Ltd", status="declined", headquarters_country="AU"),
]
for days, fields in enumerate(applicants):
    if fields["status"] in ("approved", "declined"):
        fields["decided_at"] = timezone.now() - datetime.timedelta(days=days)
    application = make_application(submitted_at=timezone.now() - datetime.timedelta(days=days * 3, hours=days),
                                   **fields)
    record_application_emails(application, "http://127.0.0.1:8000")
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_output = ROOT / "screenshots" / datetime.datetime.now().strftime("%Y-%m-%d-%H%M")
    parser.add_argument("--output", type=Path, default=default_output, help="folder for the PNG files")
    parser.add_argument(
        "--guides",
        action="store_true",
        help="the admin screenshots of docs/ (written into docs/images, docs/zh/images)",
    )
    options = parser.parse_args()
    if not options.guides:
        options.output.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright

    from testkit.ports import free_port

    with tempfile.TemporaryDirectory(prefix="ietp-screenshots-") as directory:
        environment = {
            **os.environ,
            "DEBUG": "1",
            "DJANGO_SETTINGS_MODULE": "ietp_site.settings",
            "DATABASE_URL": f"sqlite:///{directory}/db.sqlite3",
            "MEDIA_ROOT": f"{directory}/media",
            "PRIVATE_MEDIA_ROOT": f"{directory}/private-media",
            "CACHE_DIR": f"{directory}/cache",
            "MEMBERSHIP_NOTIFY_EMAILS": "membership@ethicaltoyprogram.org",
        }
        print("Building the site...")
        build = GUIDES_SITE if options.guides else BUILD_SITE
        subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", build],
            cwd=ROOT,
            env=environment,
            check=True,
            stdout=subprocess.DEVNULL,  # the emails the console backend prints
        )
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base + "/news/")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM,
                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
                )
                if options.guides:
                    made = shoot_the_guides(browser, base)
                else:
                    made = shoot_every_page(browser, base, options.output)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    if options.guides:
        for path in made:
            print(f"{path.relative_to(ROOT)}  {path.stat().st_size // 1024} KB")
    else:
        print(f"{made} screenshots in {options.output}")


def wait_until_up(url, seconds=30):
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def shoot_every_page(browser, base, output):
    count = 0
    for scheme in SCHEMES:
        for width in WIDTHS:
            context = browser.new_context(
                viewport={"width": width, "height": 800}, color_scheme=scheme, device_scale_factor=1
            )
            page = context.new_page()
            for language, prefix in LANGUAGES.items():
                for name, path in PAGES.items():
                    page.goto(base + prefix + path)
                    page.screenshot(path=output / f"{name}-{language}-{width}-{scheme}.png", full_page=True)
                    count += 1
                page.goto(base + prefix + "/buyer-membership/")
                page.locator("form.membership-form button[type=submit]").click()
                page.wait_for_load_state()
                page.screenshot(path=output / f"membership-errors-{language}-{width}-{scheme}.png", full_page=True)
                count += 1
            context.close()
    return count


# --- The guides' screenshots ---------------------------------------------------------------------------------

GUIDE_WIDTH = 1200
GUIDE_MAX_BYTES = 150 * 1024
# Per admin language: its prefix, the folder of its guides' images, and what the staff member types there.
GUIDE_LANGUAGES = {
    "en": {
        "prefix": "",
        "folder": ROOT / "docs" / "images",
        "locale": "en-GB",
        "story": "Worker helplines now answer in five languages",
        "summary": "Workers can now call the helplines in Mandarin, Cantonese, Vietnamese, English and Bahasa.",
        "caption": "The helpline's advisers in Shenzhen.",
        "correction": "Workers can now call the helplines in Mandarin, Cantonese, Vietnamese, English and Indonesian.",
        "application": "Bright Toys Ltd",
        "note": "Called Mei Chan: their letter is on the way; the factory list is attached to the email.",
        "message": "Please send the list of your supplier factories, with their addresses, by replying to this email.",
    },
    "zh": {
        "prefix": "/zh",
        "folder": ROOT / "docs" / "zh" / "images",
        "locale": "zh-CN",
        "story": "工人热线现提供五种语言服务",
        "summary": "工人现在可以使用普通话、粤语、越南语、英语和印尼语拨打项目热线。",
        "caption": "深圳的热线顾问。",
        "correction": "工人现在可以使用普通话、粤语、越南语、英语和印度尼西亚语拨打项目热线。",
        "application": "深圳市乐童玩具有限公司",
        "note": "已与王芳电话沟通：供应工厂名单将随邮件发送。",
        "message": "请直接回复本邮件，发送贵公司供应工厂的名单及地址。",
    },
}


def shoot_the_guides(browser, base):
    """The admin as the guides show it, in each language; returns the files written."""
    made = []
    for language in GUIDE_LANGUAGES.values():
        language["folder"].mkdir(parents=True, exist_ok=True)
        context = browser.new_context(
            viewport={"width": GUIDE_WIDTH, "height": 900},
            device_scale_factor=1,
            locale=language["locale"],
            timezone_id="Asia/Hong_Kong",  # the editors' (SITE_TIME_ZONE): no "hours behind server time" notes
            base_url=base,
        )
        # The admin's navigation sidebar stays closed: the screenshots show the page itself.
        context.add_init_script("localStorage.setItem('django.admin.navSidebarIsOpen', 'false')")
        page = context.new_page()
        admin = language["prefix"] + "/admin/"
        folder = language["folder"]

        page.goto(admin + "login/")
        page.fill("#id_username", "li.wei")
        page.fill("#id_password", STAFF_PASSWORD)
        page.click("#login-form [type=submit]")
        page.wait_for_selector("#content")

        # Stories: the list, then the bilingual story's editor on the admin's language tab.
        page.goto(admin + "news/newsstory/")
        made.append(crop(page, folder / "story-list.png", "#content", max_height=560))
        page.get_by_role("link", name=language["story"], exact=True).click()
        # Published twice (two revisions to compare), then a correction kept as a draft (the tab says so).
        page.fill("#id_summary", language["summary"])
        story_form = page.url
        page.click("input[name=_publish]")
        page.wait_for_selector(".messagelist")
        page.goto(story_form)
        page.fill("#id_image_caption", language["caption"])
        page.click("input[name=_publish]")
        page.wait_for_selector(".messagelist")
        page.goto(story_form)
        page.fill("#id_summary", language["correction"])
        page.click("input[name=_continue]")
        page.wait_for_selector(".messagelist")
        page.locator(".field-preview_links button").last.click()
        page.wait_for_selector(".preview-link")
        made.append(crop(page, folder / "story-editor.png", "#content", ".field-summary", max_height=1100))
        made.append(
            crop(
                page,
                folder / "publish-controls.png",
                "fieldset:has(.field-publish_at)",
                "fieldset:has(.field-preview_links)",
            )
        )
        made.append(crop(page, folder / "preview-link.png", ".field-preview_links"))
        made.append(crop(page, folder / "featured-image.png", "fieldset:has(.field-image)"))
        made.append(crop(page, folder / "documents.png", ".inline-group"))
        page.locator("#content a.historylink").click()
        page.wait_for_selector("#story-revisions")
        made.append(crop(page, folder / "revisions.png", "#story-revisions"))
        page.locator("#story-revisions .submit-row [type=submit]").click()
        page.wait_for_load_state()
        made.append(crop(page, folder / "compare.png", "#content", max_height=700))

        # A membership application: the list, then a review (status, reviewer, note; then information needed).
        page.goto(admin + "membership/membershipapplication/")
        made.append(crop(page, folder / "application-list.png", "#content", max_height=560))
        page.get_by_role("link", name=language["application"], exact=True).click()
        page.select_option("#id_status", "in_review")
        page.select_option("#id_assigned_to", label="anna.schmidt")
        page.fill("#id_new_note", language["note"])
        page.click("input[name=_continue]")
        page.wait_for_selector(".messagelist")
        page.select_option("#id_status", "information_needed")
        page.fill("#id_status_message", language["message"])
        page.click("input[name=_continue]")
        page.wait_for_selector(".messagelist")
        time.sleep(0.5)  # the emails are sent just after the response
        page.reload()
        made.append(crop(page, folder / "application-review.png", "fieldset:has(.field-status)"))
        made.append(crop(page, folder / "application-timeline.png", "fieldset:has(.field-timeline)"))
        made.append(
            crop(
                page,
                folder / "application-personal-data.png",
                "fieldset:has(.field-letter_download)",
                "fieldset:has(.field-anonymised_at)",
            )
        )
        context.close()
    return made


def crop(page, path, top, bottom=None, max_height=900, margin=8):
    """Saves the page from the top of `top` to the bottom of `bottom` (or of `top`), at most max_height tall;
    returns the path."""
    page.evaluate("window.scrollTo(0, 0)")
    first = page.locator(top).first.bounding_box()
    last = page.locator(bottom).first.bounding_box() if bottom else first
    y = max(first["y"] - margin, 0)
    height = min(last["y"] + last["height"] + margin - y, max_height)
    page.screenshot(path=path, clip={"x": 0, "y": y, "width": GUIDE_WIDTH, "height": height}, full_page=True)
    if path.stat().st_size > GUIDE_MAX_BYTES:
        from PIL import Image

        # 256 colours are plenty for the admin's flat colours and text.
        Image.open(path).convert("RGB").quantize(colors=256).save(path, optimize=True)
    assert path.stat().st_size <= GUIDE_MAX_BYTES, f"{path} is {path.stat().st_size // 1024} KB: crop it further"
    return path


if __name__ == "__main__":
    main()
