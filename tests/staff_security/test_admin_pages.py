"""The admin's own error pages, for staff who mistype an address (issue 22, finding 6)."""

import pytest

from testkit.pages import parse_page

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "heading"),
    [
        ("/admin/does-not-exist/", "Page not found"),
        ("/admin/membership/no-such-model/", "Page not found"),
        ("/zh/admin/does-not-exist/", "找不到该页面"),
    ],
)
def test_an_unknown_admin_address_is_the_admins_404_for_staff(staff_client, url, heading, mailoutbox, settings):
    settings.ADMINS = [("Ops", "ops@example.org")]

    response = staff_client.get(url)

    assert response.status_code == 404
    page = parse_page(response.content.decode())
    assert page.find(id="site-name") is not None, "in the admin's look"
    assert heading in page.find("h1").text
    assert mailoutbox == []
