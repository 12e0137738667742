"""Full-page screenshots of every public page, for a reviewer to look at the whole site in a minute.

    .venv/bin/python -m bench.screenshots [--output screenshots/2026-11-27]    # from the project's root

Builds a throwaway SQLite site (the old news page's stories, four illustrated stories, one story in both
languages), serves it with the development server, and has Debian's Chromium save each page in English and
Chinese, at 375 and 1280 px, in light and dark mode, as <output>/<page>-<language>-<width>-<scheme>.png.
The membership form is also shown with the errors an empty submission gets. Screenshots are not committed.
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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_output = ROOT / "screenshots" / datetime.datetime.now().strftime("%Y-%m-%d-%H%M")
    parser.add_argument("--output", type=Path, default=default_output, help="folder for the PNG files")
    options = parser.parse_args()
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
        }
        print("Building the site...")
        subprocess.run([sys.executable, "manage.py", "shell", "-c", BUILD_SITE], cwd=ROOT, env=environment, check=True)
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
                    executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
                )
                count = shoot_every_page(browser, base, options.output)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"{count} screenshots in {options.output}")


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


if __name__ == "__main__":
    main()
