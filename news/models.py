from django.db import models
from django.db.models import F, Q
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django_prose_editor.fields import ProseEditorField
from parler.managers import TranslatableManager, TranslatableQuerySet
from parler.models import TranslatableModel, TranslatedFields

from .images import FeaturedImageField, Picture, delete_files_after_commit, store_featured_image, stored_files
from .story_html import STORY_BODY_EDITOR, clean_story_html, excerpt, story_plain_text


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

    def in_list_order(self):
        """Newest first; undated stories after every dated one."""
        return self.order_by(F("publish_date").desc(nulls_last=True), "-pk")

    def for_list(self):
        """What every list needs: list order, with every translation fetched in one query."""
        return self.in_list_order().prefetch_related("translations")


NewsStoryManager = TranslatableManager.from_queryset(NewsStoryQuerySet)


class StoryBodyField(ProseEditorField):
    """The rich-text editor in the admin; the HTML is cleaned on every save, not only
    through the admin form (the seed command and scripts write bodies too)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, extensions=STORY_BODY_EDITOR, sanitize=clean_story_html, **kwargs)

    def pre_save(self, model_instance, add):
        value = self.sanitize(getattr(model_instance, self.attname))
        setattr(model_instance, self.attname, value)
        return value


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
            help_text=_('Where and when the story was written, e.g. "25 September 2023, London".'),
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
    category = models.CharField(
        _("category"), max_length=20, choices=Category.choices, default=Category.NEWS
    )
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
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    image = FeaturedImageField(
        _("featured image"),
        blank=True,
        help_text=_(
            "Optional photo shown on the story card and at the top of the story. JPEG, PNG or WebP, "
            "up to 15 MB and 40 megapixels. Location data and other hidden details are removed on upload."
        ),
    )
    # Made once per upload by news.images: {"card"|"hero": {"width", "height", "webp": [[width, path]], "jpeg": [...]}}
    image_renditions = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = NewsStoryManager()

    class Meta:
        verbose_name = _("news story")
        verbose_name_plural = _("news stories")
        ordering = [F("publish_date").desc(nulls_last=True), "-pk"]

    def __str__(self):
        title = self.safe_translation_getter("title", any_language=True)
        if not title and self.pk:
            # The admin's tab for a language not yet written holds an empty translation: name the story
            # by a language it is written in.
            title = next((written.title for written in self.translations.all() if written.title), "")
        return title or str(_("(untitled story)"))

    @classmethod
    def from_db(cls, db, field_names, values):
        story = super().from_db(db, field_names, values)
        if not {"image", "image_renditions"} & story.get_deferred_fields():
            story._image_files_when_loaded = stored_files(story.image, story.image_renditions)
        return story

    def save(self, *args, **kwargs):
        stale_files = getattr(self, "_image_files_when_loaded", set())
        if self.image and (not self.image._committed or not self.image_renditions):
            # An image stored by code (FieldFile.save) gets the same cleaning as an upload,
            # and its raw bytes, which may carry location data, are removed.
            if self.image._committed:
                stale_files = stale_files | {self.image.name}
            self.image_renditions = store_featured_image(self.image)
        elif not self.image:
            self.image_renditions = {}
        super().save(*args, **kwargs)
        current_files = stored_files(self.image, self.image_renditions)
        stale_files = stale_files - current_files
        delete_files_after_commit(self.image.storage, stale_files)
        self._image_files_when_loaded = current_files

    @property
    def card_picture(self):
        return Picture.from_rendition_set(self.image.storage, self.image_renditions.get("card"), fallback_width=640)

    @property
    def hero_picture(self):
        return Picture.from_rendition_set(self.image.storage, self.image_renditions.get("hero"), fallback_width=1280)

    @property
    def shown_language(self):
        """The language this story is read in on a page in the active language."""
        active = translation.get_language()
        if self.has_translation(active):
            return active
        available = self.get_available_languages()
        return available[0] if available else active

    @property
    def is_in_page_language(self):
        return self.shown_language == translation.get_language()

    def translation_in_page_language(self):
        return self.get_translation(self.shown_language)

    @property
    def card_summary(self):
        """What a story card says: the summary, or else the start of the body, as plain text."""
        translated = self.translation_in_page_language()
        if translated.summary:
            return excerpt(translated.summary, words=60)
        return excerpt(story_plain_text(translated.body), words=40)

    @property
    def meta_description(self):
        """For search engines and link previews: summary, start of the body, or title."""
        translated = self.translation_in_page_language()
        return excerpt(translated.summary or story_plain_text(translated.body) or translated.title, words=40)

    def get_absolute_url(self):
        slug = self.translation_in_page_language().slug
        return reverse("news:story", kwargs={"slug": slug})

    def url_in(self, language_code):
        with translation.override(language_code):
            return self.get_absolute_url()

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


@receiver(post_delete, sender=NewsStory)
def delete_image_files_with_story(sender, instance, **kwargs):
    delete_files_after_commit(instance.image.storage, stored_files(instance.image, instance.image_renditions))
