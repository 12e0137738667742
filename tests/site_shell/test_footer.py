"""The footer: how to reach the organisation, in the reader's language, and nothing that is not configured."""

import re

import pytest
from pytest_django.asserts import assertRedirects

from testkit.pages import parse_page

pytestmark = pytest.mark.django_db

WECHAT = "https://weixin.qq.com/r/ietp-escp-example"


@pytest.fixture
def organisation(settings):
    settings.ORGANISATION_EMAIL = "escp@ethicaltoyprogram.org"
    settings.ORGANISATION_ADDRESS = "13/F, Example Building\nHong Kong"
    settings.WECHAT_ACCOUNT_URL = WECHAT
    settings.WECHAT_ACCOUNT_NAME = "ESCP"
    return settings


def test_footer_gives_address_email_wechat_and_privacy_notice_in_each_language(client, organisation):
    english = client.get("/news/").content.decode()
    chinese = client.get("/zh/news/").content.decode()

    assert '<h2 id="contact-title">Contact us</h2>' in english and "13/F, Example Building<br>Hong Kong" in english
    assert '<a href="mailto:escp@ethicaltoyprogram.org">escp@ethicaltoyprogram.org</a>' in english
    assert re.search(r'<img src="/wechat-qr-[0-9a-f]{12}\.svg"', english)
    assert "Scan to follow “ESCP” on WeChat" in english
    assert "联系我们" in chinese and "扫码关注微信公众号“ESCP”" in chinese
    assert '<a href="/zh/privacy/">隐私声明</a>' in chinese


def test_footer_shows_no_contact_details_that_are_not_configured(client, settings):
    settings.ORGANISATION_EMAIL = settings.ORGANISATION_ADDRESS = settings.WECHAT_ACCOUNT_URL = ""

    page = client.get("/news/").content.decode()

    assert "Contact us" not in page and "wechat-qr.svg" not in page
    assert client.get("/wechat-qr.svg").status_code == 404


def footer_qr_code_address(page):
    return parse_page(page).find("figure", class_="site-footer__wechat").find("img").attrs["src"]


def test_wechat_qr_code_is_an_svg_served_by_the_site(client, organisation):
    address = footer_qr_code_address(client.get("/news/"))
    response = client.get(address)

    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg") and b"http" not in response.content.split(b">", 1)[1]
    assert client.post(address).status_code == 405


def test_wechat_qr_code_is_kept_for_a_year_at_an_address_that_changes_with_the_code(client, organisation):
    address = footer_qr_code_address(client.get("/news/"))
    code = client.get(address)

    assert {"public", "max-age=31536000", "immutable"} <= set(code["Cache-Control"].replace(" ", "").split(","))
    organisation.WECHAT_ACCOUNT_URL = "https://weixin.qq.com/r/another-account"
    new_address = footer_qr_code_address(client.get("/zh/news/"))
    assert new_address != address
    assert client.get(new_address).content != code.content
    # A page kept from before, and the address without the code's name, lead to the code now.
    assertRedirects(client.get(address), new_address, fetch_redirect_response=False)
    assertRedirects(client.get("/wechat-qr.svg"), new_address, fetch_redirect_response=False)
