"""Editor accounts for the newsroom's browser journeys: staff with the Editors group's permissions."""

from django.contrib.auth.models import Permission

PASSWORD = "correct horse battery staple"
# What the Editors group (made by news' migrations) may do; the live server's database is emptied after each
# test, and the group with it, so each editor is given these permissions directly.
STORY_ACTIONS = ["add", "change", "delete", "view"]
EDITOR_PERMISSIONS = [
    *(f"{action}_{model}" for model in ["newsstory", "storydocument"] for action in STORY_ACTIONS),
    "view_storyslugredirect",
    "delete_storyslugredirect",
]


def make_editor(django_user_model, username):
    editor = django_user_model.objects.create_user(username, f"{username}@example.org", PASSWORD, is_staff=True)
    permissions = Permission.objects.filter(content_type__app_label="news", codename__in=EDITOR_PERMISSIONS)
    editor.user_permissions.add(*permissions)
    return editor
