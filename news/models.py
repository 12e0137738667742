from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, When
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from parler.managers import TranslatableManager, TranslatableQuerySet
from parler.models import TranslatableModel, TranslatedFields
from parler.utils.context import switch_language

from base.languages import site_language

from .documents import DOCUMENT_KINDS, DocumentFileField, readable_size
from .images import FeaturedImageField, Picture
from .story_body import StoryBodyField, excerpt, story_body_text

# Newest first; undated stories after every dated one.
LIST_ORDER = [F("publish_date").desc(nulls_last=True), "-pk"]


class NewsStoryQuerySet(TranslatableQuerySet):
    def published(self):
        """Stories a visitor may see: published, and not dated in the future."""
        today = timezone.localdate()
        return self.filter(status=NewsStory.Status.PUBLISHED).filter(
            Q(publish_date__isnull=True) | Q(publish_date__lte=today)
        )

    def visible_to(self, user):
        """Staff preview drafts and scheduled stories on their public URLs."""
        return self if user.is_staff else self.published()

    def with_slug(self, slug, language_code):
        """The story whose slug in any language is `slug`, the page's language first; else the story that
        had it as an old slug (StorySlugRedirect); else None."""
        live = (
            NewsStoryTranslation.objects.filter(slug=slug, master__in=self.values("pk"))
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

    def for_list(self):
        """What every list needs: every translation fetched in one query (the order is Meta.ordering)."""
        return self.prefetch_related("translations")


NewsStoryManager = TranslatableManager.from_queryset(NewsStoryQuerySet)


class NewsStory(TranslatableModel):
    class Category(models.TextChoices):
        NEWS = "news", _("News")
        BLOG = "blog", _("Blog")
        EVENT = "event", _("Event")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    translations = TranslatedFields(
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
        meta={
            "constraints": [
                models.UniqueConstraint(
                    fields=["language_code", "slug"],
                    name="news_story_slug_unique_per_language",
                    violation_error_message=_("Another story in this language already uses this slug."),
                )
            ]
        },
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, default=Category.NEWS)
    publish_date = models.DateField(
        _("publish date"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_(
            "Stories are listed newest first. Leave empty for an undated story (listed last); "
            "a future date keeps a published story hidden until that day."
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
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    image = FeaturedImageField(
        _("featured image"),
        blank=True,
        renditions_field="image_renditions",
        help_text=_(
            "Optional photo shown on the story card and at the top of the story. JPEG, PNG or WebP, "
            "up to 15 MB and 40 megapixels. Location data and other hidden details are removed on upload."
        ),
    )
    # Filled by the image field, once per image:
    # {"card"|"hero": {"width", "height", "webp": [[width, path], ...], "jpeg": [...]}}
    image_renditions = models.JSONField(default=dict, blank=True, editable=False)
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

    @property
    def card_picture(self):
        return Picture.from_rendition_set(self.image.storage, self.image_renditions.get("card"), fallback_width=640)

    @property
    def hero_picture(self):
        return Picture.from_rendition_set(self.image.storage, self.image_renditions.get("hero"), fallback_width=1280)

    @property
    def shown_language(self):
        """The SiteLanguage this story is read in: the page's, or the one parler falls back to.

        Templates mark text in another language than the page's with it (lang, "In English only").
        """
        current = self.get_current_language()
        shown = next(
            (code for code in [current, *self.get_fallback_languages()] if self.has_translation(code)), current
        )
        return site_language(shown)

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
        """What a story card says: the summary, or else the start of the body, as plain text."""
        if self.summary:
            return excerpt(self.summary, words=60)
        return excerpt(story_body_text(self.body), words=40)

    @property
    def meta_description(self):
        """For search engines and link previews: summary, start of the body, or title."""
        return excerpt(self.summary or story_body_text(self.body) or self.title, words=40)

    @property
    def documents_for_page(self):
        """The documents in the page's language; if there are none, those in other languages (a Chinese
        reader may still want the English report). Reads the prefetched documents: no query of its own."""
        documents = list(self.documents.all())
        in_page_language = [document for document in documents if document.language_code == get_language()]
        return in_page_language or documents

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
        """The stories before and after this one in list order, within queryset."""
        if self.publish_date is None:
            newer = Q(publish_date__isnull=False) | Q(publish_date__isnull=True, pk__gt=self.pk)
            older = Q(publish_date__isnull=True, pk__lt=self.pk)
        else:
            newer = Q(publish_date__gt=self.publish_date) | Q(publish_date=self.publish_date, pk__gt=self.pk)
            older = (
                Q(publish_date__lt=self.publish_date)
                | Q(publish_date=self.publish_date, pk__lt=self.pk)
                | Q(publish_date__isnull=True)
            )
        list_order = queryset.for_list()
        newer_story = list_order.filter(newer).reverse().first()
        older_story = list_order.filter(older).first()
        return newer_story, older_story


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
    def readable_size(self):
        return readable_size(self.size)

    @property
    def filename(self):
        return self.file.name.rsplit("/", 1)[-1]


NewsStoryTranslation = NewsStory._parler_meta.root_model


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
def keep_old_slug_working(sender, instance, raw=False, **kwargs):
    """However a translation is saved (admin or code), its published story's old address stays a redirect.

    Drafts leave no redirects: their addresses were never public. A slug in use is never also a redirect, so
    changing a slug back and forth makes no loop; every old slug points at the story, so any redirect is one hop.
    """
    if raw:
        return
    stored_slug = sender.objects.filter(pk=instance.pk).values_list("slug", flat=True).first() if instance.pk else None
    if stored_slug == instance.slug:
        return
    # The slug taken, by this story or another, is live again.
    StorySlugRedirect.objects.filter(language_code=instance.language_code, old_slug=instance.slug).delete()
    if stored_slug and instance.master.status == NewsStory.Status.PUBLISHED:
        StorySlugRedirect.objects.update_or_create(
            language_code=instance.language_code, old_slug=stored_slug, defaults={"story_id": instance.master_id}
        )
