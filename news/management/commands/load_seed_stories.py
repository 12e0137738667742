from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import transaction

from news.models import NewsStory, start_of_day
from news.seed import SEED_PAGE, read_seed_stories


class Command(BaseCommand):
    help = "Publishes the stories of the old site's news page (news/seed/news-page.txt)."

    def add_arguments(self, parser):
        parser.add_argument("--page", type=Path, default=SEED_PAGE, help="The news page as text.")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when the site already has stories.")

    @transaction.atomic
    def handle(self, *args, page, if_empty, **options):
        if if_empty and NewsStory.objects.exists():
            self.stdout.write("The site already has stories; none loaded.")
            return
        created = 0
        # Last on the page first: undated stories are listed newest-created first.
        for seed in reversed(read_seed_stories(page.read_text(encoding="utf-8"))):
            exists = NewsStory.objects.filter(
                translations__language_code=seed.language, translations__slug=seed.slug
            ).exists()
            if exists:
                continue
            story = NewsStory(
                category=seed.category,
                publish_at=start_of_day(seed.publish_date) if seed.publish_date else None,
            )
            story.set_current_language(seed.language)
            story.status = NewsStory.Status.PUBLISHED
            story.title = seed.title
            story.slug = seed.slug
            story.summary = seed.summary
            story.dateline = seed.dateline
            story.save()
            if seed.publish_date is None:
                # An archive copied, not news published: the old page's undated stories stay undated (listed last).
                NewsStory.objects.filter(pk=story.pk).update(publish_at=None)
            created += 1
        self.stdout.write(self.style.SUCCESS(f"{created} stories loaded."))
