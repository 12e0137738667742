"""A reader shares a story: the QR code under it scans to the story's address in the page's language, and the
"Copy link" button copies that address (it is the site's own script; the page works without it)."""

import io
from urllib.parse import quote

import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import BILINGUAL_STORY, PHONE, PHONE_BROWSER


def test_the_share_qr_code_scans_to_the_chinese_page_and_copy_link_copies_it(shared_news_site, open_shared_page):
    page = open_shared_page(PHONE, **PHONE_BROWSER)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    address = f"{shared_news_site.url}/zh/news/{quote(BILINGUAL_STORY['zh-hans']['slug'])}/"
    page.goto(address)

    share = page.get_by_role("region", name="分享这篇新闻")
    code = share.get_by_role("img", name="本页网址的二维码")
    code.scroll_into_view_if_needed()
    expect(share.get_by_text("扫码分享到微信")).to_be_visible()
    page.wait_for_function("image => image.complete && image.naturalWidth > 0", arg=code.element_handle())
    scanned = zxingcpp.read_barcodes(Image.open(io.BytesIO(code.screenshot())))
    assert [result.text for result in scanned] == [address]

    share.get_by_role("button", name="复制链接").click()
    expect(share.get_by_role("status")).to_have_text("链接已复制")
    assert page.evaluate("navigator.clipboard.readText()") == address


def test_without_javascript_the_share_links_are_there_and_no_dead_button(shared_news_site, open_shared_page):
    page = open_shared_page(PHONE, java_script_enabled=False)
    page.goto(f"/news/{BILINGUAL_STORY['en']['slug']}/")

    share = page.get_by_role("region", name="Share this story")
    for service in ["LinkedIn", "X", "Facebook", "Email"]:
        expect(share.get_by_role("link", name=service, exact=True)).to_be_visible()
    expect(share.get_by_role("button", name="Copy link")).to_be_hidden()
