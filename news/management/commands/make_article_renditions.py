from django.core.management.base import BaseCommand

from caching.registry import content_changed
from news.images import ARTICLE_ASPECTS, add_missing_article_renditions
from news.models import NewsStory


class Command(BaseCommand):
    help = (
        "Makes the 16:9, 4:3 and 1:1 pictures search engines read from a story's structured data, for the stories "
        "whose image was stored before they were made on upload. Safe to run again: stories that have them are left "
        "alone. Until then such a story's structured data gives its link-card picture."
    )

    def handle(self, *args, **options):
        made = 0
        for story in NewsStory.objects.exclude(image="").only("pk", "image", "image_renditions").iterator():
            if all(name in story.image_renditions for name in ARTICLE_ASPECTS):
                continue
            renditions = add_missing_article_renditions(story.image, story.image_renditions)
            # Only the record changes: a save would date the story as edited.
            NewsStory.objects.filter(pk=story.pk).update(image_renditions=renditions)
            made += 1
        if made:
            content_changed()
        self.stdout.write(f"Article pictures made for {made} stor{'y' if made == 1 else 'ies'}.")
