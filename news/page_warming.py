"""The pages that show a story rendered by the background worker once a change to it is committed, so that their
first visitors are answered from the cache (issue 24).

A save starts a new page-cache generation (models.pages_out_of_date). Pages that do not show the changed story come
back cheaply for their first reader (news/rendered_pages.py: two small queries); the pages that show it were rendered
in full by whoever asked first: 6-9 ms of CPU each, 15-20 ms after an edit of the story's own text, whose
fragments are rendered again too (bench/README.md). Work done per request that could be done once per publish
belongs to the publish: once the change commits, a job (render_pages_showing_story) asks the site, in the worker's
process and as an anonymous visitor (caching/warm_up.py), for

- the story's page on each site language's pages where visitors can read it (in that language, or in the other,
  labelled, as the lists link to it);
- the first page of the news list, and of the story's category, in both languages (the newest stories: where a
  publication shows first);
- the pages of its newer and older neighbours and of its related stories (each shows its card, or may).

Each is asked for twice: the first rendering after a change finds which stories the page shows and caches that, the
second caches the page as rendered under their versions (rendered_pages.CachedPage); both store it in the page cache
under the current generation. The second rendering of a page is a cached rendered page, a few milliseconds.

What happens when:

- the story is a draft in every language, before and after the change: nothing visitors see changed, and no job is
  queued (a draft saved on a published translation, TranslationDraft, saves no story or translation at all);
- a translation is unpublished or deleted: it was visible, so the lists (and the pages that were its neighbours')
  are rendered without it; its own address answers 410 and is not asked for;
- many saves in a row: one job waiting per story is enough (enqueue_warm_up: a save finding one not yet started
  queues none); a save committed while the job runs queues another, since the running one may have read the story
  before it;
- the job runs after a newer change: it renders the pages as they are then, which is what visitors would be given;
  running it twice renders them twice, harmlessly;
- a page that is missing (404, 410) or fails is only reported, never raised into the worker;
- the cache server is down: nothing rendered could be kept for visitors, and the job returns at once (with
  PAGE_CACHE off, in development, the pages still fill the rendered pages' cache);
- a scheduled publication (a story's or a translation's time to come, without a draft): saving it queues a job at
  once, whose renderings show nothing new (the lists do not have it yet). When its time comes nothing is saved: the
  page cache's generation ends by the clock (page_cache.has_ended) and the first visitor of each page renders it.
  A scheduled draft is different: the first request after its time publishes it (publishing.publish_due_drafts),
  a save, which queues the job (that request's two queries more). Nothing here schedules a job for a time to come.

Staff previews are never rendered here (the requests carry no session), and the pages cached are those any visitor
would have cached by asking.
"""

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django_tasks import task
from django_tasks_db.compat import normalize_json
from django_tasks_db.models import DBTaskResult

from background.queue import labelled
from caching.page_cache import current_generation
from caching.warm_up import render_for_visitors
from site_shell.languages import SITE_LANGUAGES

from .models import NewsStory, NewsStoryTranslation, PublicationStatus, StoryDocument

# Before the jobs waiting beside it at the default priority (an image's renditions take seconds): a warm-up takes a
# fraction of one, and is worth most in the first seconds after a change, when its first visitors come.
WARM_UP_PRIORITY = 10
# Two renderings: the first finds (and caches) which stories a page shows, the second caches it as rendered.
RENDERINGS = 2


@labelled(_("Render the pages that show a changed story, for its first visitors"))
@task(queue_name="pages", priority=WARM_UP_PRIORITY)
def render_pages_showing_story(story_id):
    """Renders the pages that show the story `story_id` as visitors will ask for them (see the module's docstring);
    returns how many addresses were rendered (0 when the cache cannot keep them)."""
    if current_generation() is None:
        return 0  # the cache server is down: nothing rendered now could be kept for visitors
    paths = pages_showing(story_id)
    for _rendering in range(RENDERINGS):
        render_for_visitors(paths)
    return len(paths)


def pages_showing(story_id):
    """The addresses of the pages that show the story `story_id` now, in every site language: the list's and the
    story's category's first pages, the story's own page and its neighbours' and related stories' pages (if visitors
    can read it)."""
    published = NewsStory.objects.published()
    story = published.filter(pk=story_id).first() or NewsStory.objects.filter(pk=story_id).first()
    shown = []
    if story is not None:
        # Found by its place among the published stories, whether or not it is one of them now: an unpublished
        # story's former neighbours showed it until now.
        newer, older = story.newer_and_older(published)
        shown = [neighbour for neighbour in (newer, older) if neighbour is not None]
        shown += list(story.related_stories(published))
        if published.filter(pk=story_id).exists():
            shown.insert(0, story)
    paths = []
    for code in SITE_LANGUAGES:
        with translation.override(code):
            paths.append(reverse("news:list"))
            if story is not None:
                paths.append(reverse("news:category", kwargs={"category": story.category}))
            for shown_story in shown:
                # Its slug in this language if visitors can read it in it, else in the one they can (parler's
                # fallback, among the readable versions published() carries): the address the lists link to.
                shown_story.set_current_language(code)
                paths.append(shown_story.get_absolute_url())
    return list(dict.fromkeys(paths))


def enqueue_warm_up(story_id):
    """Queues render_pages_showing_story for the story, unless a job for it is waiting to start already (it will
    read the story as committed now). Called once the change is committed."""
    arguments = normalize_json({"args": [story_id], "kwargs": {}})
    waiting = DBTaskResult.objects.ready().filter(
        task_path=render_pages_showing_story.module_path, args_kwargs=arguments
    )
    if not waiting.exists():
        render_pages_showing_story.enqueue(story_id)


def warm_up_after_commit(story_id):
    transaction.on_commit(lambda: enqueue_warm_up(story_id), robust=True)


def has_published_version(story_id):
    return NewsStoryTranslation.objects.filter(master=story_id, status=PublicationStatus.PUBLISHED).exists()


@receiver(pre_save, sender=NewsStoryTranslation)
def note_status_before_save(sender, instance, raw=False, **kwargs):
    """Whether the version was published before this save: unpublished, the pages that showed it change too."""
    if raw or instance.pk is None:
        instance.was_published = False
        return
    stored = sender.objects.filter(pk=instance.pk).values_list("status", flat=True).first()
    instance.was_published = stored == PublicationStatus.PUBLISHED


@receiver([post_save, post_delete], sender=NewsStoryTranslation)
def version_changed(sender, instance, raw=False, **kwargs):
    if raw:
        return
    if instance.status == PublicationStatus.PUBLISHED or getattr(instance, "was_published", False):
        warm_up_after_commit(instance.master_id)


@receiver([post_save, post_delete], sender=NewsStory)
def story_changed(sender, instance, raw=False, **kwargs):
    # Deleted, its published versions were deleted first (each queued the lists); saved, it shows if published.
    if not raw and kwargs["signal"] is post_save and has_published_version(instance.pk):
        warm_up_after_commit(instance.pk)


@receiver([post_save, post_delete], sender=StoryDocument)
def document_changed(sender, instance, raw=False, **kwargs):
    if not raw and has_published_version(instance.story_id):
        warm_up_after_commit(instance.story_id)
