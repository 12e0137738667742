from django.core.management.base import BaseCommand

from subscriptions.signup import erase_expired


class Command(BaseCommand):
    help = "Erases subscribers who left a year ago or never confirmed within 30 days (run daily, e.g. from cron)."

    def handle(self, *args, **options):
        self.stdout.write(f"Subscribers erased: {erase_expired()}")
