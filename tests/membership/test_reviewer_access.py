"""Who may be given an application to review, and what anyone else sees of it (issue 22, finding 2)."""

import pytest
from django.contrib.auth.models import Group, Permission

from testkit.applications import make_application
from testkit.pages import parse_page

pytestmark = pytest.mark.django_db

VIEW_APPLICATIONS = "view_membershipapplication"


def may_view_applications(user):
    user.user_permissions.add(Permission.objects.get(codename=VIEW_APPLICATIONS))


def reviewer_choices(page):
    return {option.text for option in parse_page(page.decode()).find("select", id="id_assigned_to").find_all("option")}


def test_the_reviewer_list_offers_only_active_staff_who_may_view_applications(staff_client, django_user_model):
    users = django_user_model.objects
    may_view_applications(users.create_user("direct", is_staff=True))
    group = Group.objects.create(name="Membership desk")
    group.permissions.add(Permission.objects.get(codename=VIEW_APPLICATIONS))
    users.create_user("in.group", is_staff=True).groups.add(group)
    users.create_superuser("chief.two")
    users.create_user("news.editor", is_staff=True)  # no membership permission
    may_view_applications(users.create_user("left", is_staff=True, is_active=False))
    may_view_applications(users.create_user("not.staff"))
    application = make_application()

    page = staff_client.get(f"/admin/membership/membershipapplication/{application.pk}/change/").content

    assert reviewer_choices(page) == {"---------", "editor", "chief.two", "direct", "in.group"}


def test_an_application_cannot_be_given_to_staff_who_may_not_view_it(staff_client, django_user_model):
    editor = django_user_model.objects.create_user("news.editor", is_staff=True)
    application = make_application()

    staff_client.post(
        f"/admin/membership/membershipapplication/{application.pk}/change/",
        {"status": "new", "assigned_to": editor.pk, "status_message": "", "new_note": ""},
    )

    application.refresh_from_db()
    assert application.assigned_to is None


def test_an_application_whose_reviewer_lost_the_permission_can_still_be_saved(staff_client, django_user_model):
    former = django_user_model.objects.create_user("moved.on", is_staff=True)
    application = make_application(assigned_to=former)  # assigned while they could view applications

    staff_client.post(
        f"/admin/membership/membershipapplication/{application.pk}/change/",
        {"status": "in_review", "assigned_to": former.pk, "status_message": "", "new_note": ""},
    )

    application.refresh_from_db()
    assert application.status == "in_review" and application.assigned_to == former


@pytest.mark.parametrize(
    ("admin", "heading", "explanation"),
    [
        ("/admin/", "Permission denied", "You are not allowed to open this page"),
        ("/zh/admin/", "没有权限", "您无权打开此页面"),
    ],
)
def test_staff_without_the_permission_get_a_styled_translated_403(
    client, django_user_model, admin, heading, explanation
):
    client.force_login(django_user_model.objects.create_user("news.editor", is_staff=True))
    application = make_application()

    for url in [
        f"{admin}membership/membershipapplication/{application.pk}/change/",
        f"{admin}membership/membershipapplication/{application.pk}/personal-data/",
    ]:
        response = client.get(url)

        assert response.status_code == 403, url
        page = parse_page(response.content.decode())
        assert page.find(id="site-name") is not None, "in the admin's look"
        assert page.find("h1").text.strip() == heading
        assert explanation in page.text
