"""The validator tests' site and helpers (conftest.py serves it): the site as deployed (gunicorn, production
settings, on a database of its own with the sample stories and a few more), checked from outside by the tools
search engines, feed readers and browsers use: the Nu HTML Checker, feedparser, extruct, the sitemaps' XML schemas
and Lighthouse.

The checkers are installed by tests/validators/install-validators (`make test` runs it): Java from Debian, and the
npm packages pinned in tests/validators/node/package-lock.json. Without them the tests that need them are skipped
with the reason, and in CI (CI=true) they fail.
"""

import http.cookiejar
import re
import shutil
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from testkit.servers import IN_CI

VALIDATORS = Path(__file__).resolve().parent
NODE_MODULES = VALIDATORS / "node" / "node_modules"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
LIGHTHOUSE = NODE_MODULES / ".bin" / "lighthouse"
ARTIFACTS = Path("test-artifacts/validators")
ORGANISATION_EMAIL = "info@example.org"

# Stories besides the sample ones (which are each in one language, without pictures): one in both languages with a
# photo, an event, and the address of a removed story (410). Prints what the tests need to find them.
MAKE_STORIES = """
import datetime, json
from django.core.files.uploadedfile import SimpleUploadedFile
from news.models import NewsStory, RemovedStoryAddress
from testkit.files import photo_like
from testkit.stories import make_story
story = make_story(
    {
        "en": {"title": "Worker helplines now answer in five languages", "slug": "worker-helplines",
               "summary": "Workers in certified factories can call in their own language.",
               "body": "<p>The helpline now answers in five languages.</p>",
               "image_alt": "A helpline operator at her desk"},
        "zh-hans": {"title": "工人热线现提供五种语言服务", "slug": "工人热线",
                    "summary": "认证工厂的工人可以用母语拨打热线。", "body": "<p>热线现在提供五种语言服务。</p>",
                    "image_alt": "热线接线员在办公桌前"},
    },
    image=SimpleUploadedFile("helpline.jpg", photo_like(1600, 1000)),
    publish_date=datetime.date(2024, 3, 1),
)
event = make_story({"en": {"title": "Family-friendly spaces conference", "slug": "ffs-conference"},
                    "zh-hans": {"title": "家庭友好空间会议", "slug": "家庭友好空间会议"}},
                   category=NewsStory.Category.EVENT, publish_date=datetime.date(2024, 2, 1))
RemovedStoryAddress.record("en", "a-removed-story")
chinese_only = next(s for s in NewsStory.objects.published() if not s.has_translation("en"))
english_only = next(s for s in NewsStory.objects.published() if not s.has_translation("zh-hans"))
print(json.dumps({
    "bilingual": {"en": story.url_in("en"), "zh-hans": story.url_in("zh-hans")},
    "event": {"en": event.url_in("en"), "zh-hans": event.url_in("zh-hans")},
    "chinese_only": chinese_only.url_in("zh-hans"), "chinese_only_fallback": chinese_only.url_in("en"),
    "english_only": english_only.url_in("en"), "english_only_fallback": english_only.url_in("zh-hans"),
}))
"""


def tool_missing(*paths):
    """The reason to skip a test whose tools are not installed (None when they are); in CI they must be."""
    missing = [str(path) for path in paths if not Path(path).exists()]
    if not shutil.which("java") and VNU_JAR in paths:
        missing.append("java")
    if not missing:
        return None
    reason = f"Validator tools missing: {', '.join(missing)} (run tests/validators/install-validators)"
    if IN_CI:
        pytest.fail(f"CI=true: {reason}")
    pytest.skip(reason)


@dataclass
class Page:
    url: str
    status: int
    headers: dict
    body: bytes

    @property
    def text(self):
        return self.body.decode()


@dataclass
class Site:
    base_url: str
    stories: dict
    cookies: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)

    def get(self, path, headers=None, data=None):
        """The response to GET (or POST with data), whatever its status; redirects are followed."""
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        request = urllib.request.Request(self.url(path), data=data, headers=headers or {})
        try:
            with opener.open(request, timeout=60) as response:
                return Page(response.url, response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return Page(error.url, error.code, dict(error.headers), error.read())

    def url(self, path):
        return path if "://" in path else self.base_url + urllib.parse.quote(path, safe="/%?=&")

    def form_with_errors(self, path):
        """The form at `path` posted empty: the page a visitor sees after a mistake."""
        form = self.get(path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        # The CSRF cookie is Secure, as in production: sent back by hand over the tests' plain HTTP.
        cookie = re.search(r"csrftoken=[^;]+", form.headers["Set-Cookie"]).group(0)
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": token}).encode()
        return self.get(path, headers={"Referer": self.url(path), "Cookie": cookie}, data=data)


def public_pages(site):
    """{name: path} of every kind of public page, in both languages."""
    stories = site.stories
    pages = {}
    for code, prefix in (("en", ""), ("zh-hans", "/zh")):
        pages.update(
            {
                f"list {code}": f"{prefix}/news/",
                f"list page 2 {code}": f"{prefix}/news/?page=2",
                f"category {code}": f"{prefix}/news/category/event/",
                f"year {code}": f"{prefix}/news/2023/",
                f"story with picture {code}": stories["bilingual"][code],
                f"event {code}": stories["event"][code],
                f"search {code}": f"{prefix}/search/",
                f"search results {code}": f"{prefix}/search/?q=audit",
                f"search without results {code}": f"{prefix}/search/?q=zzzzqqq",
                f"membership form {code}": f"{prefix}/buyer-membership/",
                f"privacy notice {code}": f"{prefix}/privacy/",
                f"admin login {code}": f"{prefix}/admin/login/",
                f"not found {code}": f"{prefix}/news/no-such-story/",
                f"removed story {code}": f"{prefix}/news/a-removed-story/",
            }
        )
    pages.update(
        {
            "story in English only, en": stories["english_only"],
            "story in Chinese only, zh-hans": stories["chinese_only"],
            "fallback page: Chinese story on an English page": stories["chinese_only_fallback"],
            "fallback page: English story on a Chinese page": stories["english_only_fallback"],
        }
    )
    return pages
