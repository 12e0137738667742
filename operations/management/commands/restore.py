from botocore.exceptions import BotoCoreError, ClientError
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from operations.backups import BackupError, restore_backup


class Command(BaseCommand):
    help = (
        "Restores an archive written by `backup` into the configured database (DATABASE_URL) and file storages "
        "(MEDIA_ROOT and PRIVATE_MEDIA_ROOT, or with MEDIA_STORAGE=s3 the two buckets), after checking every file's "
        "checksum. Refuses a database with rows or storages with files unless --force is given. Stop the web "
        "workers first."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="An ietp-backup-*.tar file.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace what is there: the database's tables are dropped and recreated from the archive "
            "(PostgreSQL: pg_restore --clean; SQLite: the file's content is replaced) and the media folders are "
            "(or buckets) emptied before the archive's files are written. What was there is lost.",
        )

    def handle(self, *args, archive, force=False, **options):
        try:
            restore_backup(archive, force=force, log=self.stdout.write)
        except (BackupError, DatabaseError, OSError, BotoCoreError, ClientError) as error:
            raise CommandError(f"Restore failed: {error}") from error
        self.stdout.write("Restore complete.")
