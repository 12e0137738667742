from django.conf import settings
from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from parler.admin import TranslatableAdmin
from parler.forms import TranslatableModelForm

from base.languages import SITE_LANGUAGES, site_language

from .images import SHARP_HERO_WIDTH
from .models import NewsStory, StoryDocument, StorySlugRedirect


def image_too_small_warning(story):
    """What to tell an editor whose photo the story page will enlarge, or None."""
    hero_width = story.image_renditions.get("hero", {}).get("width", 0)
    if not story.image or not hero_width or hero_width >= SHARP_HERO_WIDTH:
        return None
    return _(
        "This image is only %(width)d pixels wide: at the top of the story page it is enlarged and looks "
        "blurred on most screens. If you have a larger version (at least %(minimum)s pixels wide), upload it "
        "instead."
    ) % {"width": hero_width, "minimum": number_format(SHARP_HERO_WIDTH, force_grouping=True)}


class TranslatedIntoFilter(admin.SimpleListFilter):
    title = _("translated into")
    parameter_name = "language"

    def lookups(self, request, model_admin):
        return settings.LANGUAGES

    def queryset(self, request, queryset):
        if self.value() in dict(settings.LANGUAGES):
            return queryset.filter(translations__language_code=self.value()).distinct()
        return queryset


class NewsStoryAdminForm(TranslatableModelForm):
    def clean(self):
        cleaned_data = super().clean()
        # A new upload, or the stored image when the editor kept it; False when "Clear" is ticked.
        if cleaned_data.get("image") and not cleaned_data.get("image_alt", "").strip():
            self.add_error("image_alt", _("Describe the image in this language for readers who cannot see it."))
        return cleaned_data


class StoryDocumentInline(admin.TabularInline):
    model = StoryDocument
    fields = ["title", "language_code", "file", "position"]
    extra = 1

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        # A document added on the Chinese tab is most likely in Chinese.
        story_admin = self.admin_site._registry[self.parent_model]
        formset.form.base_fields["language_code"].initial = story_admin._language(request, obj)
        return formset


@admin.register(NewsStory)
class NewsStoryAdmin(TranslatableAdmin):
    form = NewsStoryAdminForm
    list_display = ["title_in_any_language", "publish_date", "status", "languages"]
    list_filter = ["status", "category", TranslatedIntoFilter]
    search_fields = ["translations__title"]
    date_hierarchy = "publish_date"
    actions = ["publish", "unpublish"]
    readonly_fields = ["image_preview"]
    inlines = [StoryDocumentInline]

    class Media:
        css = {"all": ["css/admin.css"]}

    def get_fieldsets(self, request, obj=None):
        # The photo the story has, shown beside the box that replaces it.
        image_fields = ["image", "image_preview"] if obj is not None and obj.image else ["image"]
        return [
            (
                _("Publishing"),
                {
                    "fields": ["status", "publish_date", "category", "event_date", "event_place"],
                    "description": _(
                        "Status, publish date, category and event date are the same in every language; "
                        "the event place is written in each."
                    ),
                },
            ),
            (None, {"fields": ["title", "slug", "dateline", "summary", "body"]}),
            (_("Featured image"), {"fields": [*image_fields, "image_alt", "image_caption", "image_credit"]}),
        ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("translations")

    def _language(self, request, obj=None):
        """The tab to open: the one asked for; else the admin's language, if the story is written in it."""
        if request.GET.get(self.query_language_key):
            return super()._language(request, obj)
        # parler would open its first tab (English) even for a Chinese-only story or under /zh/admin/.
        admin_language = site_language().code
        if obj is None:
            return admin_language
        written = obj.get_available_languages()
        return next((code for code in [admin_language, *SITE_LANGUAGES] if code in written), admin_language)

    def get_prepopulated_fields(self, request, obj=None):
        return {"slug": ("title",)}

    def get_view_on_site_url(self, obj=None):
        """The story's page in the language of the open tab, as readers of that language find it."""
        written = obj.get_available_languages() if obj is not None else []
        if not written:
            return None
        tab = obj.get_current_language()
        if tab in written:
            return obj.url_in(tab)
        # A tab still to be written holds an empty translation: the page in its language shows the story
        # in a language it is written in, at that language's slug.
        shown = next(code for code in SITE_LANGUAGES if code in written)
        with translation.override(tab):
            return reverse("news:story", kwargs={"slug": obj.safe_translation_getter("slug", language_code=shown)})

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "image" in form.changed_data and (warning := image_too_small_warning(obj)):
            messages.warning(request, warning)

    @admin.display(description=_("preview"))
    def image_preview(self, story):
        picture = story.hero_picture
        if picture is None:
            return ""
        thumbnail = format_html(
            '<img class="image-preview" src="{}" srcset="{}" sizes="20rem" width="{}" height="{}" alt="{}">',
            picture.fallback_url,
            picture.jpeg_srcset,
            picture.width,
            picture.height,
            story.image_alt,
        )
        if warning := image_too_small_warning(story):
            return format_html('{}<ul class="messagelist"><li class="warning">{}</li></ul>', thumbnail, warning)
        return thumbnail

    @admin.display(description=_("title"))
    def title_in_any_language(self, story):
        return str(story)

    @admin.display(description=_("languages"))
    def languages(self, story):
        return self.all_languages_column(story)

    def get_language_short_title(self, language_code):
        # The chips read as the site's language switch does: "EN", "中文".
        language = site_language(language_code)
        return format_html('<span lang="{}">{}</span>', language.html_code, language.switch_label)

    # Only those who may change stories may publish them (Django offers every action to anyone who can see the list).
    @admin.action(description=_("Publish the selected stories"), permissions=["change"])
    def publish(self, request, queryset):
        # update() skips auto_now: the feed and the sitemap read updated_at.
        count = queryset.update(status=NewsStory.Status.PUBLISHED, updated_at=timezone.now())
        self.message_user(
            request,
            ngettext("%(count)d story published.", "%(count)d stories published.", count) % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Unpublish the selected stories (back to draft)"), permissions=["change"])
    def unpublish(self, request, queryset):
        count = queryset.update(status=NewsStory.Status.DRAFT, updated_at=timezone.now())
        self.message_user(
            request,
            ngettext("%(count)d story unpublished.", "%(count)d stories unpublished.", count) % {"count": count},
            messages.SUCCESS,
        )


@admin.register(StorySlugRedirect)
class StorySlugRedirectAdmin(admin.ModelAdmin):
    """Made when a published story's slug changes; an editor may only look and delete."""

    list_display = ["old_address", "story", "language_code", "created_at"]
    list_filter = ["language_code"]
    search_fields = ["old_slug", "story__translations__title", "story__translations__slug"]
    list_select_related = ["story"]
    fields = ["story", "language_code", "old_address", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("story__translations")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("old address"), ordering="old_slug")
    def old_address(self, redirect):
        return redirect.old_url
