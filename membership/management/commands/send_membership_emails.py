from django.conf import settings
from django.core.management.base import BaseCommand

from membership.emails import send_application_emails
from membership.models import MembershipApplication


class Command(BaseCommand):
    help = "Sends the confirmation and staff emails of applications whose emails have not gone out yet."

    def handle(self, *args, **options):
        pending = MembershipApplication.objects.with_unsent_emails().order_by("submitted_at")
        sent = failed = 0
        for application_id in pending.values_list("pk", flat=True):
            if send_application_emails(application_id, settings.SITE_URL):
                sent += 1
            else:
                failed += 1
        self.stdout.write(f"Applications with all emails now sent: {sent}; still failing: {failed}.")
        if failed:
            self.stderr.write("See the application's “last email error” in the admin, and the log, for why.")
