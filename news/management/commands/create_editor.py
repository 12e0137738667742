import getpass

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from news.roles import ensure_editors_group


class Command(BaseCommand):
    help = (
        "Creates an editor: a staff account in the Editors group, who writes and publishes stories but is not a "
        "superuser (no accounts, no membership applications). For administrators, use createsuperuser."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", help="The editor's username (asked for when not given).")
        parser.add_argument("--email", default="", help="The editor's email address, for password resets.")
        parser.add_argument(
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Ask nothing: the account has no password until `changepassword` or a password reset gives one.",
        )

    @transaction.atomic
    def handle(self, *args, username, email, interactive, **options):
        User = get_user_model()
        if not username:
            if not interactive:
                raise CommandError("Give the editor's username.")
            username = input("Username: ").strip()
        if not username:
            raise CommandError("Give the editor's username.")
        if User.objects.filter(**{User.USERNAME_FIELD: username}).exists():
            raise CommandError(
                f"An account named {username!r} exists already: add it to the Editors group in the admin."
            )
        editors = ensure_editors_group()
        user = User(**{User.USERNAME_FIELD: username}, email=email, is_staff=True)
        password = self.ask_password(user) if interactive else None
        user.set_password(password)  # None: an unusable password
        user.save()
        user.groups.add(editors)
        self.stdout.write(self.style.SUCCESS(f"Editor {username!r} created: a staff account in the Editors group."))
        if password is None:
            self.stdout.write(f"Give it a password with: manage.py changepassword {username}")

    def ask_password(self, user):
        while True:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                self.stderr.write("The passwords differ; try again.")
                continue
            try:
                validate_password(password, user)
            except ValidationError as error:
                self.stderr.write("\n".join(error.messages))
                continue
            return password
