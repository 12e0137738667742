"""Stories for tests and benchmarks: saved by code (one, illustrated, or many in bulk), and the admin's story form post.

The site's models are imported where they are used: a benchmark imports this module before it configures Django.
"""

import copy
import datetime
import itertools

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.text import slugify

from testkit.files import photo_like

story_numbers = itertools.count(1)


def make_story(translations=None, *, status="published", publish_date=datetime.date(2023, 10, 27), **fields):
    """A story saved by code; translations as {language: title} or {language: {field: value}}.

    Every version has `status` (published unless a version's values say otherwise); the story is dated at the
    start of `publish_date` in the site's time zone, unless `publish_at` is given. With publish_date=None the story
    stays undated even when published (as one from the old site whose date nobody knows), though publishing dates
    a story.
    """
    from news.models import NewsStory, start_of_day

    fields.setdefault("publish_at", start_of_day(publish_date) if publish_date else None)
    story = NewsStory(**fields)
    for language, values in (translations or {"en": f"Story {next(story_numbers)}"}).items():
        values = {"title": values} if isinstance(values, str) else dict(values)
        values.setdefault("slug", slugify(values["title"], allow_unicode=True))
        values.setdefault("status", status)
        story.set_current_language(language)
        for name, value in values.items():
            setattr(story, name, value)
    # Saved once with its translations, as the admin saves a new story: a saved story would look up each
    # language's translation in the database before the first field is set.
    story.save()
    made_image_at_once(story)
    if fields["publish_at"] is None and story.publish_at is not None:
        type(story).objects.filter(pk=story.pk).update(publish_at=None)
        story.publish_at = None
    story.set_current_language("en")
    return story


def made_image_at_once(story):
    """A story given a new image by code has it at once, made here by the background job's own code, not left to the
    queue (tests of the queue itself post through the admin and call testkit.background.run_queued_tasks)."""
    from news.images import ImageState, make_featured_image

    if story.image_state != ImageState.PROCESSING:
        return story
    make_featured_image.call(story.pk, story.image_pending)
    story.refresh_from_db(fields=["image", "image_renditions", "image_state", "image_failure", "image_pending"])
    type(story)._meta.get_field("image").remember_stored_files(story)
    return story


def illustrated_story(number, photo=None, *, sharing_files_of=None, copying_files_of=None):
    """Story `number` (published 2023-10-<number>) with a featured image, as the page-weight budget assumes.

    The photo's bytes are cleaned and made into renditions as an editor's upload is (at once, not by the queue);
    or, with sharing_files_of=story, the story shows that story's image files and no image work is done; or, with
    copying_files_of=story, copies of them under addresses of its own: byte for byte what an upload of the same
    photo would make, without making it again.
    """
    if sharing_files_of is None and copying_files_of is None:
        image = {"image": SimpleUploadedFile(f"visit-{number}.jpg", photo)}
    elif sharing_files_of is not None:
        image = {
            "image": sharing_files_of.image.name,
            "image_renditions": copy.deepcopy(sharing_files_of.image_renditions),
        }
    else:
        image = image_files_copied(copying_files_of, f"copy-{number}")
    english = {
        "title": f"Factory visit number {number}: what the new worker committee achieved",
        "slug": f"factory-visit-{number}",
        "summary": "Workers elected their own committee, which meets management every month. " * 2,
        "body": "A longer account of the visit. " * 120,
        "image_alt": f"Workers and managers at committee meeting {number}",
    }
    return make_story({"en": english}, publish_date=datetime.date(2023, 10, number), **image)


def image_files_copied(story, prefix):
    """`story`'s image and renditions copied in their storage, each named `prefix`-<its name>: the fields to give."""
    import posixpath

    storage = story.image.storage

    def copied(name):
        with storage.open(name) as original:
            return storage.save(
                posixpath.join(posixpath.dirname(name), f"{prefix}-{posixpath.basename(name)}"), original
            )

    def with_copies(value):
        if isinstance(value, dict):
            return {key: with_copies(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(with_copies(item) for item in value)
        if isinstance(value, str) and storage.exists(value):
            return copied(value)
        return value

    return {"image": copied(story.image.name), "image_renditions": with_copies(story.image_renditions)}


def illustrated_stories(count):
    """Stories 1 to `count` (the last is the newest), each with a featured image, for the price of one upload.

    The stories share story 1's files, so deleting any of them deletes the image files of all.
    """
    first = illustrated_story(1, photo_like(1000, 750))
    return [first, *(illustrated_story(number, sharing_files_of=first) for number in range(2, count + 1))]


def many_stories(count, *, newest=None, first=0):
    """`count` stories written in bulk, an hour apart back from `newest` (now), for pages at scale: story N (from
    `first`) is "Story N" (slug story-N) in English, published; every other story also has a Chinese version
    "新闻 N" (slug 新闻-N), half of those still drafts."""
    from django.db import connection
    from django.utils import timezone

    from news.models import NewsStory, NewsStoryTranslation

    newest = newest or timezone.now()
    stories = NewsStory.objects.bulk_create(
        NewsStory(publish_at=newest - datetime.timedelta(hours=number)) for number in range(count)
    )
    versions = []
    for number, story in enumerate(stories, start=first):
        versions.append(
            NewsStoryTranslation(
                master=story, language_code="en", title=f"Story {number}", slug=f"story-{number}", status="published"
            )
        )
        if number % 2:
            versions.append(
                NewsStoryTranslation(
                    master=story,
                    language_code="zh-hans",
                    title=f"新闻 {number}",
                    slug=f"新闻-{number}",
                    status="published" if number % 4 == 1 else "draft",
                )
            )
    NewsStoryTranslation.objects.bulk_create(versions, batch_size=2000)
    if connection.vendor == "postgresql":
        # What autovacuum does after a bulk load in production, which it cannot do for rows a test's transaction has
        # not committed. Without it the planner counts one row and nests its loops: the year page's month query
        # took 7.5 s at 10,000 stories instead of milliseconds.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {NewsStory._meta.db_table}, {NewsStoryTranslation._meta.db_table}")
    return stories


def story_form(**fields):
    """What the admin's story form posts for one language tab: a published story without an image.

    The slug is made from the title unless given; a field given as None is left out of the post. The story's
    time is given as publish_date and publish_time (empty strings for an undated story).
    """
    form = {
        "title": "Factory visit in Dongguan",
        "summary": "",
        "body": "",
        "image_alt": "",
        "image_caption": "",
        "image_credit": "",
        "status": "published",
        "publish_date": "2023-10-27",
        "publish_time": "09:00",
        "category": "news",
        "dateline": "",
        "_save": "Save",
        # The documents inline, with no document.
        "documents-TOTAL_FORMS": "0",
        "documents-INITIAL_FORMS": "0",
    }
    form.update(fields)
    form.setdefault("slug", slugify(form["title"], allow_unicode=True))
    # The admin's date and time boxes for the story's time.
    form["publish_at_0"], form["publish_at_1"] = form.pop("publish_date"), form.pop("publish_time")
    return {name: value for name, value in form.items() if value is not None}
