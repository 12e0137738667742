"""Erases applicants' personal data once the retention settings say it is no longer needed. Run it daily from cron."""

from django.core.management.base import BaseCommand
from django.db import transaction

from membership import personal_data
from membership.models import MembershipApplication


class Command(BaseCommand):
    help = (
        "Erase the personal data of applications decided longer ago than MEMBERSHIP_RETAIN_APPROVED_DAYS (approved) "
        "or MEMBERSHIP_RETAIN_DECLINED_DAYS (declined, withdrawn); what statistics need is kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List what would be erased; change nothing.")

    def handle(self, *args, dry_run=False, **options):
        expired = list(
            MembershipApplication.objects.past_retention().order_by("decided_at").values_list("pk", flat=True)
        )
        erased = 0
        for pk in expired:
            # One application per transaction: stopped halfway, the next run starts from the first one left.
            with transaction.atomic():
                application = MembershipApplication.objects.select_for_update().past_retention().filter(pk=pk).first()
                if application is None:  # Erased meanwhile (by staff, or another run).
                    continue
                decided = f"{application.get_status_display()} {application.decided_at:%Y-%m-%d}"
                if dry_run:
                    self.stdout.write(f"Would erase application {pk} ({decided}).")
                    continue
                personal_data.erase(application)
            erased += 1
            self.stdout.write(f"Erased application {pk} ({decided}).")
        if dry_run:
            self.stdout.write(f"{len(expired)} application(s) past retention; nothing changed (dry run).")
        else:
            self.stdout.write(f"Erased {erased} application(s) past retention.")
