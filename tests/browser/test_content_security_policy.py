"""The Content-Security-Policy as Chromium enforces it: the pages visitors see, and the admin's story editor, work
with no violation reported (neither a securitypolicyviolation event nor a console message), nor any
complaint about the Permissions-Policy header."""

from playwright.sync_api import expect

from testkit.stories import make_story

EDITOR = {"username": "csp-editor", "password": "correct horse battery staple"}
# Each violation is recorded in the page itself, before any of the page's own scripts run.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} at ${where}`);
});
"""


def watch_for_violations(page):
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(RECORD_VIOLATIONS)
    return console


def assert_no_violations(page, console):
    reported = page.evaluate("window.cspViolations")
    policy_messages = [text for text in console if "Content Security Policy" in text or "Permissions-Policy" in text]
    assert reported == [] and policy_messages == [], f"{page.url}\n{reported}\n{policy_messages}"


def test_public_pages_break_no_rule_of_their_policy(shared_news_site, shared_desktop_page):
    page = shared_desktop_page
    console = watch_for_violations(page)
    story = shared_news_site.bilingual_story

    for path in ["/news/", f"/news/{story['en']['slug']}/", "/zh/news/", "/buyer-membership/", "/search/?q=factory"]:
        response = page.goto(path)
        assert "script-src 'self'" in response.headers["content-security-policy"], path
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_no_violations(page, console)

    # The story page's own script ran: the "Copy link" button appears only when it does. Its JSON-LD is data, which
    # script-src does not govern: no violation for it either.
    page.goto(f"/news/{story['en']['slug']}/")
    expect(page.get_by_role("button", name="Copy link")).to_be_visible()
    assert page.locator('script[type="application/ld+json"]').count() == 1
    assert_no_violations(page, console)


def test_the_story_editor_works_under_the_admin_policy(transactional_db, desktop_page, django_user_model):
    django_user_model.objects.create_superuser(EDITOR["username"], "csp-editor@example.org", EDITOR["password"])
    story = make_story({"en": "Factory training reaches 1,200 workers"})
    page = desktop_page
    console = watch_for_violations(page)

    page.goto("/admin/login/")
    assert_no_violations(page, console)
    page.get_by_label("Username").fill(EDITOR["username"])
    page.get_by_label("Password").fill(EDITOR["password"])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Stories and membership applications")).to_be_visible()

    page.goto(f"/admin/news/newsstory/{story.pk}/change/")
    # The editor's toolbar is rendered by its module scripts, which the import map names.
    expect(page.get_by_role("button", name="bold", exact=True)).to_be_visible()
    editor = page.locator(".field-body [contenteditable=true]")
    editor.click()
    page.keyboard.insert_text("Typed under the policy.")
    expect(editor).to_contain_text("Typed under the policy.")
    assert_no_violations(page, console)
