"""Staff review a Chinese buyer's application: the lead assigns it in the English admin, the reviewer finds it under
"assigned to me" in the Chinese admin, asks for information, notes the answer and approves; the buyer's emails arrive
in Chinese, the reviewer's in English, and the timeline tells it all."""

import re

from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from membership.models import MembershipApplication
from testkit.applications import emails_when_sent, make_application

APPLICANT = "chen.mei@bright-toys.example.cn"
QUESTION = "请寄来高管签署的支持函。"


def log_in(page, admin, username, password, login_words):
    page.goto(admin)
    page.get_by_label(login_words["username"]).fill(username)
    page.get_by_label(login_words["password"]).fill(password)
    page.get_by_role("button", name=login_words["log_in"]).click()


def test_staff_assign_ask_for_information_and_approve_and_the_buyer_hears_in_chinese(
    membership_site, desktop_page, open_page, django_user_model
):
    outbox = membership_site
    django_user_model.objects.create_superuser("lead", "lead@ethicaltoyprogram.org", "lead password 1")
    reviewer = django_user_model.objects.create_user(
        "li.wei", "li.wei@ethicaltoyprogram.org", "reviewer password 1", is_staff=True, first_name="Li", last_name="Wei"
    )
    reviewer.user_permissions.set(
        Permission.objects.filter(codename__in=["view_membershipapplication", "change_membershipapplication"])
    )
    application = make_application(
        company_name="明亮玩具有限公司", contact_name="陈美", contact_email=APPLICANT, language="zh-hans"
    )
    make_application(company_name="Other Toys Ltd", contact_email="other@example.com")

    # The lead, in English, finds the unassigned application and gives it to Li Wei.
    lead = desktop_page
    log_in(
        lead, "/admin/", "lead", "lead password 1", {"username": "Username", "password": "Password", "log_in": "Log in"}
    )
    lead.goto("/admin/membership/membershipapplication/")
    lead.locator("#changelist-filter").get_by_role("link", name="Unassigned").click()
    lead.get_by_role("link", name="明亮玩具有限公司").click()
    lead.get_by_label("Reviewer").select_option(label="li.wei")
    lead.get_by_role("button", name="Save and continue editing").click()
    expect(lead.locator(".messagelist")).to_contain_text("was changed successfully")
    timeline = lead.locator(".application-timeline")
    expect(timeline).to_contain_text("lead assigned it to li.wei")
    [assignment] = emails_when_sent(application, outbox, 1)
    assert assignment.to == ["li.wei@ethicaltoyprogram.org"]
    assert assignment.subject == "Assigned to you: buyer membership application from 明亮玩具有限公司"
    admin_link = re.search(r"http://\S+/admin/membership/membershipapplication/\d+/change/", assignment.body).group()

    # Li Wei works in Chinese: the application is under "assigned to me"; they ask for the signed letter.
    page = open_page({"width": 1280, "height": 800})
    log_in(
        page,
        "/zh/admin/",
        "li.wei",
        "reviewer password 1",
        {"username": "用户名", "password": "密码", "log_in": "登录"},
    )
    page.goto("/zh/admin/membership/membershipapplication/")
    page.locator("#changelist-filter").get_by_role("link", name="分配给我的").click()
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    page.get_by_role("link", name="明亮玩具有限公司").click()
    assert admin_link.split("/admin/")[1] in page.url  # the page the email links to
    page.get_by_label("状态").select_option(label="需补充信息")
    page.get_by_role("button", name="保存并继续编辑").click()
    # Forgot the message: the form says so, in Chinese, and nothing is sent.
    expect(page.locator(".field-status_message .errorlist")).to_have_text(
        "请写明申请人需要提供什么：这是他们收到的邮件的主要内容。"
    )
    page.get_by_label("致申请人的留言").fill(QUESTION)
    page.get_by_role("button", name="保存并继续编辑").click()
    expect(page.locator(".application-timeline")).to_contain_text("li.wei 将状态从“新申请”改为“需补充信息”")
    _assignment, question = emails_when_sent(application, outbox, 2)
    assert question.to == [APPLICANT]
    assert question.subject == "您的 IETP 买家会员申请需要补充信息"
    assert question.body.startswith("陈美，您好：") and QUESTION in question.body

    # The letter arrives: Li Wei notes it and approves.
    page.get_by_label("添加备注").fill("支持函已收到，签署人为首席执行官。")
    page.get_by_label("状态").select_option(label="已批准")
    page.get_by_role("button", name="保存并继续编辑").click()
    timeline = page.locator(".application-timeline")
    expect(timeline).to_contain_text("li.wei 将状态从“需补充信息”改为“已批准”")
    expect(timeline.locator(".application-timeline__note")).to_have_text("支持函已收到，签署人为首席执行官。")
    _assignment, _question, approval = emails_when_sent(application, outbox, 3)
    assert approval.to == [APPLICANT]
    assert approval.subject == "欢迎加入：您的 IETP 买家会员申请已获批准"
    assert "明亮玩具有限公司 的买家会员申请已获批准" in approval.body
    expect(timeline.locator(".application-timeline__entry--email")).to_have_count(3)
    expect(timeline.locator(".application-timeline__entry--unsent")).to_have_count(0)

    application.refresh_from_db()
    assert application.status == MembershipApplication.Status.APPROVED
    assert application.assigned_to == reviewer
    assert [(note.author, note.text) for note in application.notes.all()] == [
        (reviewer, "支持函已收到，签署人为首席执行官。")
    ]
