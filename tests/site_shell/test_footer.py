"""The footer: how to reach the organisation, in the reader's language, and nothing that is not configured."""

import pytest

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
    assert '<img src="/wechat-qr.svg"' in english and "Scan to follow “ESCP” on WeChat" in english
    assert "联系我们" in chinese and "扫码关注微信公众号“ESCP”" in chinese
    assert '<a href="/zh/privacy/">隐私声明</a>' in chinese


def test_footer_shows_no_contact_details_that_are_not_configured(client, settings):
    settings.ORGANISATION_EMAIL = settings.ORGANISATION_ADDRESS = settings.WECHAT_ACCOUNT_URL = ""

    page = client.get("/news/").content.decode()

    assert "Contact us" not in page and "wechat-qr.svg" not in page
    assert client.get("/wechat-qr.svg").status_code == 404


def test_wechat_qr_code_is_an_svg_served_by_the_site(client, organisation):
    response = client.get("/wechat-qr.svg")

    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg") and b"http" not in response.content.split(b">", 1)[1]
    assert "max-age=86400" in response["Cache-Control"] and "public" in response["Cache-Control"]
    assert client.post("/wechat-qr.svg").status_code == 405
