"""An editor chooses a photo on a story form that comes back with another error: the photo is kept, and saved with
the story once the error is put right, in either admin language."""

import pytest
from playwright.sync_api import expect

from news.models import NewsStory
from testkit.background import run_image_jobs
from testkit.files import photo_like

EDITOR = {"username": "editor", "password": "correct horse battery staple"}

WORDS = {
    "/admin/": {
        "username": "Username",
        "password": "Password",
        "log_in": "Log in",
        "image": "Featured image:",
        "alt": "Image description (alt text):",
        "title": "Title:",
        "slug": "Slug:",
        "save": "Save and continue editing",
        "required": "This field is required.",
        "kept": "hall.jpg is kept: it will be saved with the story.",
        "processing": "Processing… (reload to see it)",
    },
    "/zh/admin/": {
        "username": "用户名",
        "password": "密码",
        "log_in": "登录",
        "image": "配图:",
        "alt": "图片说明（替代文字）:",
        "title": "标题:",
        "slug": "网址标识:",
        "save": "保存并继续编辑",
        "required": "这个字段是必填项。",
        "kept": "已保留 hall.jpg：它将随报道一起保存。",
        "processing": "处理中…（重新载入页面即可看到）",
    },
}


@pytest.mark.parametrize("admin", ["/admin/", "/zh/admin/"], ids=["english", "chinese"])
def test_a_photo_chosen_on_a_form_with_another_error_is_kept_and_saved_with_the_story(
    live_server, transactional_db, desktop_page, django_user_model, media_root, admin
):
    words = WORDS[admin]
    page = desktop_page
    django_user_model.objects.create_superuser(email="editor@example.org", **EDITOR)
    page.goto(admin)
    page.get_by_label(words["username"]).fill(EDITOR["username"])
    page.get_by_label(words["password"]).fill(EDITOR["password"])
    page.get_by_role("button", name=words["log_in"]).click()

    page.goto(f"{admin}news/newsstory/add/?language=en")
    # The title is forgotten: the form comes back with that error.
    page.get_by_label(words["slug"]).fill("factory-hall")
    page.get_by_label(words["image"]).set_input_files(
        files=[{"name": "hall.jpg", "mimeType": "image/jpeg", "buffer": photo_like(1200, 800)}]
    )
    page.get_by_label(words["alt"]).fill("Workers at sewing machines in a bright factory hall")
    page.get_by_role("button", name=words["save"]).click()

    expect(page.locator(".field-title .errorlist")).to_have_text(words["required"])
    expect(page.locator(".field-image .kept-image")).to_have_text(words["kept"])
    assert not NewsStory.objects.exists()

    # The editor puts the title right and saves, without choosing the photo again.
    page.get_by_label(words["title"], exact=True).fill("A new sewing hall")
    page.get_by_label(words["slug"]).fill("factory-hall")
    page.get_by_role("button", name=words["save"]).click()

    expect(page.locator(".field-image_preview")).to_contain_text(words["processing"])
    story = NewsStory.objects.get()
    assert story.image_state == "processing"

    run_image_jobs()  # the worker makes the photo's clean copy and renditions
    page.reload()
    preview = page.locator(".field-image_preview img.image-preview")
    expect(preview).to_be_visible()
    assert preview.evaluate("image => image.complete && image.naturalWidth") > 0
    story.refresh_from_db()
    assert story.image_state == "ready" and story.image.name.endswith("/hall.jpg")
