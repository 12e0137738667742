from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from operations.backups import BackupError, create_backup


class Command(BaseCommand):
    help = (
        "Writes the database and the uploaded files (public and private) into one dated archive, keeps the newest "
        "archives and prints the new archive's path as the last line. Safe to run from cron: no questions, and a "
        "second run waits for nothing but fails at once while one is running."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", default=None, help="Directory for the archive (default: BACKUP_DIR).")
        parser.add_argument(
            "--keep",
            type=int,
            default=None,
            help="How many archives to keep in that directory, newest first (default: BACKUP_KEEP). Only this "
            "command's ietp-backup-*.tar files are ever deleted.",
        )

    def handle(self, *args, output=None, keep=None, **options):
        try:
            archive = create_backup(
                output or settings.BACKUP_DIR,
                settings.BACKUP_KEEP if keep is None else keep,
                log=self.stdout.write,
            )
        except (BackupError, DatabaseError, OSError, BotoCoreError, ClientError) as error:
            raise CommandError(f"Backup failed: {error}") from error
        self.stdout.write(str(archive))
