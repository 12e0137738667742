from django.core.management.base import BaseCommand

from news.publishing import publish_due_drafts


class Command(BaseCommand):
    help = (
        "Publishes the unpublished changes whose scheduled time has come. The site does this by itself on the first "
        "visit after that time; run this from a timer where changes must be out on time with no visitors."
    )

    def handle(self, *args, **options):
        published = publish_due_drafts()
        self.stdout.write(f"{len(published)} scheduled change(s) published.")
