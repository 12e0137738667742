"""The Editors group: staff who write and publish stories, without access to accounts or applications.

Migrations 0006, 0008 and 0009 made it on existing databases; this keeps it whole after every `migrate` (and after
a test database is emptied, which runs the same signal), adding what is missing and taking nothing away: people may
belong to it, and an administrator may have given it more.
"""

from django.contrib.auth.models import Group, Permission

EDITORS = "Editors"
EDITOR_PERMISSIONS = {
    "newsstory": ["add", "change", "delete", "view"],
    # Old addresses are made by saving a story, never typed in: nothing to add or change.
    "storyslugredirect": ["delete", "view"],
    "storydocument": ["add", "change", "delete", "view"],
}


def ensure_editors_group(**kwargs):
    """The Editors group with every permission an editor needs (a post_migrate receiver)."""
    permissions = Permission.objects.filter(
        content_type__app_label="news",
        codename__in=[f"{action}_{model}" for model, actions in EDITOR_PERMISSIONS.items() for action in actions],
    )
    editors, _created = Group.objects.get_or_create(name=EDITORS)
    editors.permissions.add(*permissions)
    return editors
