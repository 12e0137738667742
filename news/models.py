import datetime
import uuid

import reversion
from django.conf import settings
from django.contrib.postgres.search import SearchRank, SearchVectorField
from django.core import signing
from django.db import connections, models, transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    When,
    Window,
    prefetch_related_objects,
)
from django.db.models.fields.tuple_lookups import TupleGreaterThan, TupleLessThan
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import cached_property
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from parler.managers import TranslatableManager, TranslatableQuerySet
from parler.models import TranslatableModel, TranslatedFields
from parler.utils.context import switch_language
from parler.utils.i18n import get_language_settings

from caching.registry import content_changed
from site_shell.languages import SITE_LANGUAGES, site_language

from .documents import DOCUMENT_KINDS, PDF, DocumentFileField, readable_size
from .images import FeaturedImageField, ImageFailure, ImageState, Picture, SharePicture
from .search import search_document
from .story_body import StoryBodyField, clean_story_body, excerpt, story_body_text

# Newest first; undated stories after every dated one. A story is dated when first published, so an undated
# published story is one from the old site whose date nobody knows: older than every dated one.
LIST_ORDER = [F("publish_at").desc(nulls_last=True), "-pk"]

# What a translator writes: a change to any of these makes the other languages' versions possibly out of date.
TRANSLATED_CONTENT_FIELDS = [
    "title",
    "slug",
    "summary",
    "body",
    "dateline",
    "event_place",
    "image_alt",
    "image_caption",
    "image_credit",
]


def start_of_day(day):
    """Midnight at the start of `day` in the site's time zone (settings.TIME_ZONE): a story dated that day."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


class PublicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


def public_translation_condition(now=None, story="master__"):
    """The translations visitors may read at `now`: published, and both the story's time and the
    version's own scheduled time (if any) have come. `story` is the path from the queried model to the story,
    or None where the query checks the story's time itself (story_time_condition)."""
    now = now or timezone.now()
    version_time = Q(scheduled_for__isnull=True) | Q(scheduled_for__lte=now)
    condition = Q(status=PublicationStatus.PUBLISHED) & version_time
    return condition if story is None else condition & story_time_condition(now, story)


def story_time_condition(now, story=""):
    """Stories whose time has come at `now`, or that have none (undated)."""
    return Q(**{f"{story}publish_at__isnull": True}) | Q(**{f"{story}publish_at__lte": now})


def reading_order(page_language):
    """The languages a story is read in on a page in `page_language`, best first: the page's, then parler's
    fallbacks."""
    fallbacks = get_language_settings(page_language)["fallbacks"]
    return [page_language, *(code for code in fallbacks if code != page_language)]


def shown_language_code(languages, is_written_in):
    """The language a story is read in: the first of `languages` (reading_order) it is written in, as
    `is_written_in(code)` says of the translations the reader may read; else the page's."""
    return next((code for code in languages if is_written_in(code)), languages[0])


def next_scheduled_publication(now=None):
    """When the next published version becomes public, or its scheduled changes are published, by the clock alone
    (its story's time, its own, or its draft's), or None. One query."""
    now = now or timezone.now()
    times = NewsStoryTranslation.objects.filter(status=PublicationStatus.PUBLISHED).aggregate(
        story=Min("master__publish_at", filter=Q(master__publish_at__gt=now)),
        version=Min("scheduled_for", filter=Q(scheduled_for__gt=now)),
        draft=Min("draft__publish_at", filter=Q(draft__publish_at__gt=now)),
    )
    return min((time for time in times.values() if time is not None), default=None)


def translations_visible_to(user):
    """The translations `user` may read: staff preview every version on the public addresses."""
    versions = NewsStoryTranslation.objects.all()
    return versions if user.is_staff else versions.filter(public_translation_condition())


class NewsStoryQuerySet(TranslatableQuerySet):
    def published(self):
        """Stories with at least one translation visitors may read, each carrying only those versions:
        parler then shows a version that is not public as if it were not written (the other language, labelled)."""
        now = timezone.now()
        stories, public_translations = self.carrying_public_translations(now)
        return stories.filter(Exists(public_translations.filter(master=OuterRef("pk"))))

    def carrying_public_translations(self, now):
        """The stories whose time has come at `now`, each carrying only the versions visitors may read; and those
        versions. The story's time is checked on the story, so each version is checked for its own time only."""
        public_translations = NewsStoryTranslation.objects.filter(public_translation_condition(now, story=None))
        stories = self.filter(story_time_condition(now))
        return stories.prefetch_related(Prefetch("translations", queryset=public_translations)), public_translations

    def published_in(self, language_code):
        """published() stories that visitors may read in this language (not only in another)."""
        versions = NewsStoryTranslation.objects.filter(public_translation_condition(story=None))
        return self.published().filter(Exists(versions.filter(master=OuterRef("pk"), language_code=language_code)))

    def visible_to(self, user):
        """Staff preview drafts and scheduled versions on their public URLs."""
        return self.prefetch_related("translations") if user.is_staff else self.published()

    def with_slug(self, slug, language_code, user):
        """The story with a version `user` may read whose slug is `slug`, the page's language first; else the
        story that had it as an old slug (StorySlugRedirect); else None."""
        live = (
            translations_visible_to(user)
            .filter(slug=slug, master__in=self.values("pk"))
            .order_by(Case(When(language_code=language_code, then=0), default=1))
            .values_list("master", flat=True)
            .first()
        )
        if live is not None:
            return self.get(pk=live)
        return self.with_old_slug(slug, language_code)

    def with_old_slug(self, slug, language_code):
        """The story that had `slug` as its slug in the page's language, else in another; or None."""
        redirect = (
            StorySlugRedirect.objects.filter(old_slug=slug, story__in=self.values("pk"))
            .order_by(Case(When(language_code=language_code, then=0), default=1))
            .select_related("story")
            .first()
        )
        return redirect.story if redirect else None

    def search(self, terms):
        """The published stories with a public version holding every term (SearchTerms), best first, then newest
        first. On PostgreSQL a title match ranks above a summary's, above a body's (SearchRank over the indexed
        search_document); on SQLite, a story whose title holds every term comes first."""
        # A story with a public version that matches is published(): its Exists() would only cost the query time.
        stories, versions = self.carrying_public_translations(timezone.now())
        if connections[self.db].vendor == "postgresql":
            query = terms.tsquery()
            versions = versions.filter(search_document=query)
            rank = Max(SearchRank(F("translations__search_document"), query))
        else:
            versions = versions.filter(terms.translation_condition())
            rank = Max(Case(When(terms.title_condition("translations__"), then=1), default=0))
        # The join to the matching versions is the one the rank is computed over: filter() before annotate().
        return stories.filter(translations__in=versions).annotate(rank=rank).order_by("-rank", *LIST_ORDER)

    def page_with_count(self, start, stop):
        """The stories [start:stop], and how many there are in all (None when the page is empty), in one query: each
        row carries the count of every row (a window), so the stories are not found once more only to be counted."""
        stories = list(self.annotate(matches=Window(Count("*")))[start:stop])
        return stories, stories[0].matches if stories else None

    def for_list(self):
        """What every list needs: its translations fetched in one query (the order is Meta.ordering).
        published() and visible_to() have already chosen which versions to fetch."""
        if "translations" in (getattr(lookup, "prefetch_to", lookup) for lookup in self._prefetch_related_lookups):
            return self
        return self.prefetch_related("translations")


NewsStoryManager = TranslatableManager.from_queryset(NewsStoryQuerySet)


class NewsStory(TranslatableModel):
    class Category(models.TextChoices):
        NEWS = "news", _("News")
        BLOG = "blog", _("Blog")
        EVENT = "event", _("Event")

    Status = PublicationStatus

    translations = TranslatedFields(
        status=models.CharField(
            _("status in this language"),
            max_length=20,
            choices=PublicationStatus.choices,
            default=PublicationStatus.DRAFT,
            db_index=True,
            help_text=_(
                "Each language is published on its own. While this language is a draft, its readers see the "
                "story in the other language, labelled, if that one is published."
            ),
        ),
        scheduled_for=models.DateTimeField(
            _("publish this language at"),
            null=True,
            blank=True,
            help_text=_(
                "Optional, in Hong Kong and mainland China time: a published version stays hidden until then. "
                "Leave empty to publish at the story's date and time."
            ),
        ),
        # When this version's text last changed, and when an editor last confirmed it matches the other
        # languages: a version edited before another one's last change may be out of date.
        edited_at=models.DateTimeField(_("last edited"), null=True, editable=False),
        # Any change to this version, publication included: the sitemap's lastmod for its page.
        changed_at=models.DateTimeField(_("changed"), auto_now=True),
        reviewed_at=models.DateTimeField(_("last marked up to date"), null=True, editable=False),
        title=models.CharField(_("title"), max_length=200),
        slug=models.SlugField(
            _("slug"),
            max_length=200,
            allow_unicode=True,
            help_text=_(
                "The end of the story's web address. Filled in from the title; "
                "letters, numbers and hyphens only, Chinese characters allowed."
            ),
        ),
        summary=models.TextField(
            _("summary"),
            blank=True,
            help_text=_("One or two sentences shown under the title in story lists."),
        ),
        body=StoryBodyField(
            _("body"),
            blank=True,
            help_text=_(
                "The story itself. Use the toolbar for headings, bold, italic, lists, links and quotes. "
                "Text pasted from elsewhere keeps only this formatting; pictures cannot be placed in the text."
            ),
        ),
        dateline=models.CharField(
            _("dateline"),
            max_length=120,
            blank=True,
            help_text=_('Where the story was written, e.g. "London" or "Shenzhen"; it is shown beside the date.'),
        ),
        event_place=models.CharField(
            _("event place"),
            max_length=120,
            blank=True,
            help_text=_('For events only: where it takes place, e.g. "Shenzhen"; shown with the event date.'),
        ),
        image_alt=models.CharField(
            _("image description (alt text)"),
            max_length=250,
            blank=True,
            help_text=_(
                "What the photo shows, for readers who cannot see it, e.g. "
                '"Workers at sewing machines in a bright factory hall". Required when the story has an image.'
            ),
        ),
        image_caption=models.CharField(
            _("image caption"), max_length=300, blank=True, help_text=_("Shown under the image on the story page.")
        ),
        image_credit=models.CharField(
            _("image credit"), max_length=200, blank=True, help_text=_('Who took the photo, e.g. "IETP / Li Wei".')
        ),
        # Kept by save (index_for_search): the body's words, searched and quoted without reading HTML, and on
        # PostgreSQL the indexed tsvector of title, summary and body (news/search.py).
        body_text=models.TextField(blank=True, editable=False),
        search_document=SearchVectorField(null=True, editable=False),
        meta={
            # Named here, or parler's name is "news story Translation" and Django's plural adds an "s" to any language.
            "verbose_name": _("news story translation"),
            "verbose_name_plural": _("news story translations"),
            "constraints": [
                models.UniqueConstraint(
                    fields=["language_code", "slug"],
                    name="news_story_slug_unique_per_language",
                    violation_error_message=_("Another story in this language already uses this slug."),
                )
            ],
        },
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, default=Category.NEWS)
    # Indexed in list order with the id, by migration 0014 (an index Django cannot declare on both databases).
    publish_at = models.DateTimeField(
        _("date and time"),
        null=True,
        blank=True,
        help_text=_(
            "Hong Kong and mainland China time. The story's date, shown with it; stories are listed newest first. "
            "A future time keeps every language hidden until then. Left empty, it is filled in with the moment the "
            "story is first published in any language."
        ),
    )
    event_date = models.DateField(
        _("event date"),
        null=True,
        blank=True,
        help_text=_(
            "For events only: the day it takes place, shown on the story's card and page. "
            "The publish date still decides where the story is listed."
        ),
    )
    image = FeaturedImageField(
        _("featured image"),
        blank=True,
        renditions_field="image_renditions",
        state_field="image_state",
        failure_field="image_failure",
        pending_field="image_pending",
        help_text=_(
            "Optional photo shown on the story card and at the top of the story. JPEG, PNG or WebP, "
            "up to 15 MB and 40 megapixels. Location data and other hidden details are removed after saving, "
            "while the image is processed; until it is ready, the story shows the image it had, or none."
        ),
    )
    # Filled by the image field's background job, once per image:
    # {"card"|"hero": {"width", "height", "webp": [[width, path], ...], "jpeg": [...]},
    #  "share": {"width", "height", "webp": [], "jpeg": [[width, path]], "bytes"}}
    image_renditions = models.JSONField(default=dict, blank=True, editable=False)
    # The newest upload's state (news/images.py): processing while it waits in private storage (image_pending),
    # then ready (on the story) or failed (image_failure says why; the story keeps the image it had).
    image_state = models.CharField(
        _("image state"), max_length=12, choices=ImageState.choices, default=ImageState.NONE, editable=False
    )
    image_failure = models.CharField(
        _("why the image failed"), max_length=20, choices=ImageFailure.choices, blank=True, editable=False
    )
    image_pending = models.CharField(max_length=255, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = NewsStoryManager()

    class Meta:
        verbose_name = _("news story")
        verbose_name_plural = _("news stories")
        ordering = LIST_ORDER

    def __str__(self):
        title = self.safe_translation_getter("title", any_language=True)
        if not title and self.pk:
            # The admin's tab for a language not yet written holds an empty translation: name the story
            # by a language it is written in.
            title = next((written.title for written in self.translations.all() if written.title), "")
        return title or str(_("(untitled story)"))

    @classmethod
    def image_changed(cls, story_id):
        """A background job put a new image on the story: cached pages show the old one, if readers see the story."""
        if NewsStoryTranslation.objects.filter(master=story_id, status=PublicationStatus.PUBLISHED).exists():
            transaction.on_commit(content_changed)

    @property
    def card_picture(self):
        return Picture.from_rendition_set(self.image.storage, self.image_renditions.get("card"), fallback_width=640)

    @property
    def hero_picture(self):
        return Picture.from_rendition_set(self.image.storage, self.image_renditions.get("hero"), fallback_width=1280)

    @property
    def shown_translation(self):
        """The translation shown (see shown_language), from the translations fetched; None if there is none."""
        shown_code = self.shown_language.code
        return next((version for version in self.translations.all() if version.language_code == shown_code), None)

    @property
    def last_changed_at(self):
        """When the version shown last changed (its text or its publication), for search engines."""
        version = self.shown_translation
        return version.changed_at if version is not None else self.updated_at

    @property
    def share_picture(self):
        """The picture of the story's link card (WeChat, LinkedIn...), or None without an image."""
        return SharePicture.from_renditions(self.image.storage, self.image_renditions)

    @property
    def shown_language(self):
        """The SiteLanguage this story is read in: the page's, or the one parler falls back to.

        Templates mark text in another language than the page's with it (lang, "In English only").
        """
        return site_language(shown_language_code(reading_order(self.get_current_language()), self.has_translation))

    @property
    def is_in_page_language(self):
        return self.shown_language == site_language()

    @property
    def shows_category(self):
        """News is what every list is made of; only blog posts and events are worth a label."""
        return self.category != self.Category.NEWS

    @property
    def shows_event_details(self):
        return self.category == self.Category.EVENT and bool(self.event_date or self.event_place)

    @property
    def card_summary(self):
        """What a story card says: the summary, or else the start of the body, as plain text (kept by save: no
        HTML is read here)."""
        if self.summary:
            return excerpt(self.summary, words=60)
        return excerpt(self.body_text, words=40)

    @property
    def meta_description(self):
        """For search engines and link previews: summary, start of the body, or title. Read on every story page
        rendered: the body's words are kept by save (keep_body_text), not taken from its HTML here."""
        return excerpt(self.summary or self.body_text or self.title, words=40)

    @property
    def documents_for_page(self):
        """The documents in the page's language; if there are none, those in other languages (a Chinese
        reader may still want the English report). Reads the prefetched documents: no query of its own.
        Documents are published with the story, whatever the state of their language's version."""
        documents = list(self.documents.all())
        in_page_language = [document for document in documents if document.language_code == get_language()]
        return in_page_language or documents

    def version_states(self, now=None):
        """Each site language's version of the story, for the admin: its state now and whether it may be out
        of date. Reads the prefetched translations."""
        now = now or timezone.now()
        versions = {version.language_code: version for version in self.translations.all()}
        states = []
        for code in SITE_LANGUAGES:
            version = versions.get(code)
            states.append(TranslationState(site_language(code), version, self.publish_at, versions.values(), now))
        return states

    @property
    def is_public_in_shown_language(self):
        """Whether visitors can read the version shown (staff also see drafts and scheduled versions)."""
        return TranslationState(
            self.shown_language, self.shown_translation, self.publish_at, [], timezone.now()
        ).is_public

    def search_excerpt(self, terms):
        """Where the story says what was searched for (SearchTerms.quote): an excerpt of a public translation with the
        terms marked, and its SiteLanguage; (None, None) for a title match. Reads the prefetched translations: no
        query of its own."""
        return terms.quote(self.translations.all(), self.shown_language.code)

    def get_absolute_url(self):
        """The address of the text shown: the slug in the story's language, on a page in the active one."""
        return reverse("news:story", kwargs={"slug": self.slug})

    def url_in(self, language_code):
        """The story's address on a page in that language."""
        with switch_language(self, language_code):
            return self.get_absolute_url()

    def related_stories(self, queryset, count=3):
        """Where to read on: the newest other stories of the same category, within queryset."""
        return queryset.for_list().filter(category=self.category).exclude(pk=self.pk)[:count]

    def newer_and_older(self, queryset):
        """The stories before and after this one in list order, within queryset, with their translations.

        A dated story's neighbours are found by comparing (publish_at, id) as one key, as the list-order index
        holds it: PostgreSQL goes straight to them, however far down the list the story is (Django's row
        comparison, made for composite keys; SQLite gets the same condition spelt out)."""
        list_order = queryset.for_list()
        # Both neighbours' translations are fetched in one query, as the queryset would fetch them.
        translations, stories = list_order._prefetch_related_lookups, list_order.prefetch_related(None)
        if self.publish_at is None:
            newer = stories.filter(Q(publish_at__isnull=False) | Q(pk__gt=self.pk)).reverse().first()
            older = stories.filter(publish_at__isnull=True, pk__lt=self.pk).first()
        else:
            position, here = (F("publish_at"), F("pk")), (self.publish_at, self.pk)
            newer = stories.filter(TupleGreaterThan(position, here)).reverse().first()
            # Undated stories come after every dated one.
            older = stories.filter(TupleLessThan(position, here)).first()
            older = older or stories.filter(publish_at__isnull=True).first()
        prefetch_related_objects([story for story in (newer, older) if story], *translations)
        return newer, older


class StoryDocument(models.Model):
    """A file attached to a story in one language, listed on the story page as "Title (PDF, 240 KB)"."""

    story = models.ForeignKey(NewsStory, on_delete=models.CASCADE, related_name="documents", verbose_name=_("story"))
    language_code = models.CharField(
        _("language"),
        max_length=15,
        choices=settings.LANGUAGES,
        help_text=_("The story page in this language lists the document."),
    )
    title = models.CharField(
        _("title"), max_length=200, help_text=_('What readers see as the link, e.g. "Audit deadlines 2024".')
    )
    file = DocumentFileField(
        _("file"),
        help_text=_(
            "PDF, Word (.docx) or Excel (.xlsx), up to 25 MB. Readers download it as it is: "
            "check it has no comments or tracked changes you would not publish."
        ),
    )
    # Filled in by the file field from what the file is, never from its name.
    content_type = models.CharField(max_length=100, editable=False)
    size = models.PositiveBigIntegerField(_("size in bytes"), editable=False)
    position = models.PositiveSmallIntegerField(
        _("position"), default=0, help_text=_("Documents are listed from the lowest number.")
    )

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(size__gt=0), name="news_story_document_not_empty"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("news:document", kwargs={"pk": self.pk, "filename": self.filename})

    @property
    def language(self):
        return site_language(self.language_code)

    @property
    def kind(self):
        return DOCUMENT_KINDS[self.content_type]

    @property
    def opens_in_browser(self):
        """A PDF opens in the browser's viewer; a Word or Excel file (a ZIP that only Office should unpack) is
        only ever downloaded."""
        return self.content_type == PDF.content_type

    @property
    def readable_size(self):
        return readable_size(self.size)

    @property
    def filename(self):
        return self.file.name.rsplit("/", 1)[-1]


NewsStoryTranslation = NewsStory._parler_meta.root_model


class TranslationDraft(models.Model):
    """Changes an editor saved to a published translation and has not published yet: its translated fields as
    the editor left them. The translation row keeps the published text, so every public query reads it as
    before; Publish copies these values into the row and deletes the draft, Discard deletes it. A translation
    that is not published has no draft: its row is the draft."""

    translation = models.OneToOneField(
        NewsStoryTranslation, on_delete=models.CASCADE, related_name="draft", verbose_name=_("translation")
    )
    # {field: value} for each of TRANSLATED_CONTENT_FIELDS.
    content = models.JSONField(_("content"), default=dict)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("saved by")
    )
    saved_at = models.DateTimeField(_("saved"))
    publish_at = models.DateTimeField(
        _("publish these changes at"),
        null=True,
        blank=True,
        help_text=_(
            "Optional, in Hong Kong and mainland China time: the changes are published then by themselves. "
            "Until then readers see the published text."
        ),
    )

    class Meta:
        verbose_name = _("unpublished changes")
        verbose_name_plural = _("unpublished changes")

    def __str__(self):
        return f"{self.translation_id}: {self.saved_at.isoformat()}"

    def apply_to(self, translation, fields=TRANSLATED_CONTENT_FIELDS):
        """Sets the draft's values on `translation` (in memory; nothing is saved)."""
        for name in fields:
            if name in self.content:
                setattr(translation, name, self.content[name])
        translation.body_text = story_body_text(clean_story_body(translation.body))
        translation.shown_draft_at = self.saved_at  # cached fragments of it are its own (news/fragments.py)


def show_drafts(story):
    """Staff previewing a story read its unpublished changes in place of the published text (one query; the
    slugs stay the published ones, the addresses the preview is on)."""
    translations = {translation.pk: translation for translation in story.translations.all()}
    for draft in TranslationDraft.objects.filter(translation__in=list(translations)):
        shown_fields = [name for name in TRANSLATED_CONTENT_FIELDS if name != "slug"]
        draft.apply_to(translations[draft.translation_id], shown_fields)
    return story


class TranslationState:
    """One translation of a story as the newsroom sees it: not written, draft, scheduled or published,
    and whether another translation changed after it was last edited or marked up to date."""

    def __init__(self, language, translation, story_publish_at, all_translations, now):
        self.language = language
        self.translation = translation
        self.is_written = translation is not None
        self.is_published = self.is_written and translation.status == PublicationStatus.PUBLISHED
        times = [time for time in [story_publish_at, translation.scheduled_for if translation else None] if time]
        self.goes_live_at = max(times) if times else None
        self.is_scheduled = self.is_published and self.goes_live_at is not None and self.goes_live_at > now
        self.is_public = self.is_published and not self.is_scheduled
        self.changed_elsewhere_at = None
        if self.is_written:
            checked_at = max([time for time in [translation.edited_at, translation.reviewed_at] if time], default=None)
            later_edits = [
                other.edited_at
                for other in all_translations
                if other.language_code != translation.language_code
                and other.edited_at
                and (checked_at is None or other.edited_at > checked_at)
            ]
            self.changed_elsewhere_at = max(later_edits, default=None)

    @cached_property
    def draft(self):
        """The unpublished changes to a published translation, or None. A query unless drafts were prefetched
        (translations__draft): only the admin asks."""
        if not self.is_published:
            return None
        try:
            return self.translation.draft
        except TranslationDraft.DoesNotExist:
            return None

    @property
    def has_unpublished_changes(self):
        return self.draft is not None

    @property
    def may_be_out_of_date(self):
        return self.changed_elsewhere_at is not None


class StorySlugRedirect(models.Model):
    """An address a published story had before its slug changed: it answers with a permanent redirect."""

    story = models.ForeignKey(
        NewsStory, on_delete=models.CASCADE, related_name="slug_redirects", verbose_name=_("news story")
    )
    language_code = models.CharField(_("language"), max_length=15, choices=settings.LANGUAGES)
    old_slug = models.SlugField(_("old slug"), max_length=200, allow_unicode=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("old story address")
        verbose_name_plural = _("old story addresses")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["language_code", "old_slug"], name="news_slug_redirect_unique_per_language")
        ]

    def __str__(self):
        return self.old_url

    @property
    def old_url(self):
        with translation.override(self.language_code):
            return reverse("news:story", kwargs={"slug": self.old_slug})


@receiver(pre_save, sender=NewsStoryTranslation)
def note_edits_and_keep_old_slug_working(sender, instance, raw=False, **kwargs):
    """However a version is saved (admin or code): its text's last change is noted (see TranslationState), and a
    published version's old address stays a redirect.

    Drafts leave no redirects: their addresses were never public. A slug in use is never also a redirect, so
    changing a slug back and forth makes no loop; every old slug points at the story, so any redirect is one hop.
    """
    if raw:
        return
    stored_fields = [*TRANSLATED_CONTENT_FIELDS, "status", "edited_at", "reviewed_at"]
    stored = sender.objects.filter(pk=instance.pk).values(*stored_fields).first() if instance.pk else None
    if stored is None:
        # A new translation is written from the others as they are now: it is up to date, and outdates none.
        instance.reviewed_at = timezone.now()
    elif any(stored[field] != getattr(instance, field) for field in TRANSLATED_CONTENT_FIELDS):
        checked_at = max((time for time in [stored["edited_at"], stored["reviewed_at"]] if time), default=None)
        others_edited = sender.objects.filter(master=instance.master_id, edited_at__isnull=False)
        if checked_at is not None and others_edited.filter(edited_at__gt=checked_at).exists():
            # An edit to a version that was out of date brings it up to date; it does not outdate the others.
            instance.reviewed_at = timezone.now()
        else:
            instance.edited_at = timezone.now()
    stored_slug, stored_status = (stored["slug"], stored["status"]) if stored else (None, None)
    if instance.status == PublicationStatus.PUBLISHED and stored_status != PublicationStatus.PUBLISHED:
        # Published again: an address that answered 410 since it was unpublished is live again.
        RemovedStoryAddress.objects.filter(language_code=instance.language_code, slug=instance.slug).delete()
    if stored_slug == instance.slug:
        return
    # The slug taken is live again, in every language (a live slug wins over an old one in any language): the admin
    # form lets an editor take another story's old slug only knowingly (NewsStoryAdminForm, "retire").
    StorySlugRedirect.objects.filter(old_slug=instance.slug).delete()
    RemovedStoryAddress.objects.filter(language_code=instance.language_code, slug=instance.slug).delete()
    if stored_slug and stored_status == PublicationStatus.PUBLISHED:
        StorySlugRedirect.objects.update_or_create(
            language_code=instance.language_code, old_slug=stored_slug, defaults={"story_id": instance.master_id}
        )


@receiver(post_save, sender=NewsStoryTranslation)
def date_the_story_when_first_published(sender, instance, raw=False, **kwargs):
    """However a translation is published (the admin form's status, publishing.py, code), an undated story gets
    the moment of its publication as its date: now, or the translation's scheduled time if that is later. Feeds,
    the story's structured data and the list read that date, never the time of a save."""
    if raw or instance.status != PublicationStatus.PUBLISHED:
        return
    story = instance.master
    if story.publish_at is not None:
        return
    now = timezone.now()
    published_at = max(now, instance.scheduled_for or now)
    if NewsStory.objects.filter(pk=story.pk, publish_at__isnull=True).update(publish_at=published_at):
        story.publish_at = published_at
        if reversion.is_active():
            # The story was added to the revision before its translations were saved: record it dated.
            reversion.add_to_revision(story)


class RemovedStoryAddress(models.Model):
    """The address of a published story or translation that was deleted: it answers 410 Gone, saying the story was
    removed, rather than 404 (the address existed and was shared). One per language and slug; a story that takes
    the slug again makes it live."""

    language_code = models.CharField(_("language"), max_length=15, choices=settings.LANGUAGES)
    slug = models.SlugField(_("slug"), max_length=200, allow_unicode=True)
    removed_at = models.DateTimeField(_("removed"), auto_now_add=True)

    class Meta:
        verbose_name = _("removed story address")
        verbose_name_plural = _("removed story addresses")
        constraints = [
            models.UniqueConstraint(fields=["language_code", "slug"], name="news_removed_address_unique_per_language")
        ]

    def __str__(self):
        return self.slug

    @classmethod
    def record(cls, language_code, slug):
        cls.objects.get_or_create(language_code=language_code, slug=slug)


def removes_the_story(origin):
    """Whether a deletion started from a story (the admin's delete page or its delete action)."""
    return isinstance(origin, NewsStory) or getattr(origin, "model", None) is NewsStory


@receiver(pre_delete, sender=NewsStoryTranslation)
def published_address_answers_gone(sender, instance, **kwargs):
    """A published translation deleted, alone or with its story: its address was public and answers 410."""
    if instance.status == PublicationStatus.PUBLISHED and instance.slug:
        RemovedStoryAddress.record(instance.language_code, instance.slug)


@receiver(pre_delete, sender=StorySlugRedirect)
def old_address_of_a_removed_story_answers_gone(sender, instance, origin=None, **kwargs):
    """The old addresses of a story deleted answer 410 too; an old address deleted on its own (the editor lets it
    go) answers 404."""
    if removes_the_story(origin):
        RemovedStoryAddress.record(instance.language_code, instance.old_slug)


@receiver(pre_save, sender=NewsStoryTranslation)
def keep_body_text(sender, instance, **kwargs):
    """The body's words, stored beside it for search (the body is cleaned on save too: this reads it cleaned)."""
    instance.body_text = story_body_text(clean_story_body(instance.body))


@receiver(post_save, sender=NewsStoryTranslation)
def index_for_search(sender, instance, using, **kwargs):
    """On PostgreSQL, the version's search_document follows its text, in one statement after each save."""
    if connections[using].vendor == "postgresql":
        sender.objects.using(using).filter(pk=instance.pk).update(search_document=search_document(instance))


def preview_link_expiry():
    return timezone.now() + datetime.timedelta(days=settings.PREVIEW_LINK_DAYS)


class PreviewLink(models.Model):
    """A link to one translation of a story as it is now, draft or not, for readers without an account
    (a translator, a member brand). The address carries a signed random key: it cannot be guessed or altered,
    and it stops working when it expires or is revoked."""

    story = models.ForeignKey(
        NewsStory, on_delete=models.CASCADE, related_name="preview_links", verbose_name=_("story")
    )
    language_code = models.CharField(_("language"), max_length=15, choices=settings.LANGUAGES)
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), default=preview_link_expiry)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    SIGNING_SALT = "news.preview-link"

    class Meta:
        verbose_name = _("preview link")
        verbose_name_plural = _("preview links")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.get_absolute_url()

    def get_absolute_url(self):
        with translation.override(self.language_code):
            return reverse("news:preview", kwargs={"token": self.token})

    @property
    def is_active(self):
        return self.revoked_at is None and self.expires_at > timezone.now()

    @property
    def token(self):
        # Signed without a timestamp (the link's expiry is its own): the same link reads the same every time.
        return signing.Signer(salt=self.SIGNING_SALT).sign(self.key.hex)

    @classmethod
    def active_for_token(cls, token):
        """The link a token names, if its signature holds and it has neither expired nor been revoked; else None."""
        try:
            key = uuid.UUID(hex=signing.Signer(salt=cls.SIGNING_SALT).unsign(token))
        except (signing.BadSignature, TypeError, ValueError):
            return None
        return (
            cls.objects.filter(key=key, revoked_at__isnull=True, expires_at__gt=timezone.now())
            .select_related("story")
            .first()
        )


# Every save through the admin keeps a revision: the story with each translation as it was (documents have
# their own files and are not part of a revision).
# The image's processing state is the background job's, not the editor's: a revision restores the image it names.
reversion.register(
    NewsStory,
    follow=["translations"],
    exclude=["created_at", "updated_at", "image_state", "image_failure", "image_pending"],
)
reversion.register(
    NewsStoryTranslation, exclude=["edited_at", "reviewed_at", "changed_at", "body_text", "search_document"]
)


@receiver([post_save, post_delete], sender=NewsStory)
@receiver([post_save, post_delete], sender=NewsStoryTranslation)
@receiver([post_save, post_delete], sender=StoryDocument)
@receiver([post_save, post_delete], sender=StorySlugRedirect)
def pages_out_of_date(sender, raw=False, **kwargs):
    """Whatever changed in the news, cached pages are out of date: now, and again once the change is committed (a
    page rendered in between from what was committed before would otherwise stay cached)."""
    if not raw:
        content_changed()
        transaction.on_commit(content_changed)
