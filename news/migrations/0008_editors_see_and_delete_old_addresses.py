"""Editors may see and delete the redirects from stories' old addresses (they are made by saving a story,
never typed in, so there is nothing to add or change). As 0006, it only ever adds permissions."""

from django.db import migrations

REDIRECT_ACTIONS = ["delete", "view"]


def let_editors_see_and_delete_redirects(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    # Made now, as Django would after the last migration (see 0006).
    redirect_type, _created = ContentType.objects.get_or_create(app_label="news", model="storyslugredirect")
    permissions = [
        Permission.objects.get_or_create(
            content_type=redirect_type,
            codename=f"{action}_storyslugredirect",
            defaults={"name": f"Can {action} old story address"},
        )[0]
        for action in REDIRECT_ACTIONS
    ]
    editors, _created = Group.objects.get_or_create(name="Editors")
    editors.permissions.add(*permissions)


class Migration(migrations.Migration):
    dependencies = [("news", "0007_story_slug_redirects")]

    operations = [migrations.RunPython(let_editors_see_and_delete_redirects, migrations.RunPython.noop)]
