from django.core.management.base import BaseCommand

from membership.emails import send_emails
from membership.models import ApplicationEmail
from site_shell.site_address import site_origin


class Command(BaseCommand):
    help = (
        "Sends every membership email still pending or that failed, up to MEMBERSHIP_EMAIL_MAX_ATTEMPTS tries each. "
        "Safe to run from cron, even twice at once: each email is claimed by one run before it is sent."
    )

    def handle(self, *args, **options):
        to_send = list(ApplicationEmail.objects.to_send().order_by("created_at", "pk").values_list("pk", flat=True))
        sent, failed = send_emails(to_send, site_origin())
        given_up = ApplicationEmail.objects.undelivered().count() - ApplicationEmail.objects.to_send().count()
        self.stdout.write(f"Emails sent: {sent}; failed: {failed}; given up after too many tries: {given_up}.")
        if failed or given_up:
            self.stderr.write("See each application's timeline in the admin, and the log, for why.")
