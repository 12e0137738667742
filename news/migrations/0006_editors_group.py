"""The "Editors" group: staff who write and publish stories, without access to accounts or applications.

README.md, "Editors", says how to give someone this role. Running the migration again (or on a
database where the group exists) adds what is missing and takes nothing away.
"""

from django.db import migrations

EDITORS = "Editors"
STORY_ACTIONS = ["add", "change", "delete", "view"]


def create_editors_group(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    # On a new database Django creates permissions only after the last migration: make these now,
    # as it would (it finds them by content type and codename, and leaves them be).
    story_type, _created = ContentType.objects.get_or_create(app_label="news", model="newsstory")
    permissions = [
        Permission.objects.get_or_create(
            content_type=story_type, codename=f"{action}_newsstory", defaults={"name": f"Can {action} news story"}
        )[0]
        for action in STORY_ACTIONS
    ]
    editors, _created = Group.objects.get_or_create(name=EDITORS)
    editors.permissions.add(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("news", "0005_dateline_is_a_place"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    # Unapplying keeps the group: people may belong to it.
    operations = [migrations.RunPython(create_editors_group, migrations.RunPython.noop)]
