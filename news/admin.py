import logging
import re

import reversion
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.widgets import AdminSplitDateTime
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.formats import date_format, number_format
from django.utils.html import format_html, format_html_join
from django.utils.text import format_lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from parler.admin import TranslatableAdmin
from parler.forms import TranslatableModelForm

from site_shell.languages import SITE_LANGUAGES, site_language

from . import changes, merging, publishing, revisions
from .images import SHARP_HERO_WIDTH, ImageState, PendingImage, hero_width_of, keep_chosen_image, kept_image
from .models import (
    TRANSLATED_CONTENT_FIELDS,
    NewsStory,
    NewsStoryTranslation,
    PublicationStatus,
    StoryDocument,
    StorySlugRedirect,
    TranslationDraft,
    public_translation_condition,
)

# Letters (any script) or digits: a slug of hyphens and underscores alone makes an address that says nothing.
WORDS_IN_SLUG = re.compile(r"[^\W_]")

logger = logging.getLogger(__name__)


def image_too_small_warning(story):
    """What to tell an editor whose photo the story page will enlarge, or None."""
    hero_width = story.image_renditions.get("hero", {}).get("width", 0)
    return too_small_warning(hero_width) if story.image else None


def upload_too_small_warning(upload):
    """The same, for an image just chosen (its size read from its header), or None."""
    size = getattr(upload, "upright_size", None)
    return too_small_warning(hero_width_of(*size)) if size else None


def too_small_warning(hero_width):
    if not hero_width or hero_width >= SHARP_HERO_WIDTH:
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


class PublicationStateFilter(admin.SimpleListFilter):
    """Stories by the state of their versions: public in some language, or with a draft or scheduled one."""

    title = _("publication")
    parameter_name = "publication"

    def lookups(self, request, model_admin):
        return [
            ("public", _("Public in at least one language")),
            ("unpublished", _("With a language not public yet")),
            ("none", _("Not public in any language")),
            ("changes", _("With unpublished changes")),
        ]

    def queryset(self, request, queryset):
        public_translations = NewsStoryTranslation.objects.filter(public_translation_condition(), master=OuterRef("pk"))
        hidden_translations = NewsStoryTranslation.objects.filter(master=OuterRef("pk")).exclude(
            public_translation_condition()
        )
        if self.value() == "public":
            return queryset.filter(Exists(public_translations))
        if self.value() == "unpublished":
            return queryset.filter(Exists(hidden_translations))
        if self.value() == "none":
            return queryset.exclude(Exists(public_translations))
        if self.value() == "changes":
            return queryset.filter(Exists(TranslationDraft.objects.filter(translation__master=OuterRef("pk"))))
        return queryset


def translation_state_label(state):
    """A version's state as the list and the tabs show it, e.g. "● Published", "◷ Scheduled for 3 Dec, 09:00"."""
    if not state.is_written:
        return gettext("— not written")
    if state.is_scheduled:
        when = date_format(timezone.localtime(state.goes_live_at), "SHORT_DATETIME_FORMAT")
        label = gettext("◷ Scheduled for %(time)s") % {"time": when}
    elif state.is_public:
        label = gettext("● Published")
    else:
        label = gettext("○ Draft")
    if state.has_unpublished_changes:
        label += " · " + gettext("unpublished changes (%(who)s, %(time)s)") % {
            "who": state.draft.saved_by.get_username() if state.draft.saved_by else gettext("another editor"),
            "time": date_format(timezone.localtime(state.draft.saved_at), "SHORT_DATETIME_FORMAT"),
        }
        if state.draft.publish_at:
            when = date_format(timezone.localtime(state.draft.publish_at), "SHORT_DATETIME_FORMAT")
            label += " · " + gettext("◷ to be published %(time)s") % {"time": when}
    if state.may_be_out_of_date:
        label += " · " + gettext("⚠ may be out of date")
    return label


class NewsStoryAdminForm(TranslatableModelForm):
    # The story as the editor opened it (a signed snapshot, news/merging.py): a save over another editor's later
    # save keeps their changes to the fields this editor did not change, and asks about the fields both changed.
    opened_version = forms.CharField(widget=forms.HiddenInput, required=False)
    mark_up_to_date = forms.BooleanField(
        label=_("This version matches the other language"),
        required=False,
        help_text=_("Tick after checking it, and the warning goes away. Editing this version does the same."),
    )

    # The unpublished changes the editor opened (their time), or empty: a save or publish of a draft another
    # editor published or discarded meanwhile is refused once.
    opened_draft = forms.CharField(widget=forms.HiddenInput, required=False)
    publish_changes_at = forms.SplitDateTimeField(
        label=_("Publish these changes at"),
        required=False,
        widget=AdminSplitDateTime,
        help_text=_(
            "Optional, in Hong Kong and mainland China time: Save draft, and the changes are published then by "
            "themselves. Until then readers see the published text. Publish publishes them now."
        ),
    )
    # An image chosen on a form that came back with another error, kept privately (news/images.py): signed, so
    # that it names only a file the site kept for this purpose.
    kept_image = forms.CharField(widget=forms.HiddenInput, required=False)
    retire_redirect = forms.BooleanField(
        label=_("Retire the old address and take this slug"),
        required=False,
        help_text=_(
            "Links to the other story's old address will lead to this story instead. Leave unticked and choose "
            "another slug to keep them working."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["opened_version"].initial = self.instance.updated_at.isoformat()
            shown_draft = getattr(self.instance, "shown_draft", None)
            self.fields["opened_draft"].initial = shown_draft.saved_at.isoformat() if shown_draft else ""
            self.fields["publish_changes_at"].initial = shown_draft.publish_at if shown_draft else None
        self.retired_redirects = []
        self.count_title_as_typed()
        self.merge = merging.NO_MERGE
        if self.instance.pk and self.is_bound:
            self.merge = merging.merge_concurrent_changes(self)
        elif self.instance.pk:
            self.fields["opened_version"].initial = merging.snapshot(self, merging.stored_values(self))

    @property
    def changed_data(self):
        # The keep-theirs / keep-mine choices are answers, not changes to the story.
        return [name for name in super().changed_data if not name.startswith(merging.CHOICE_PREFIX)]

    def count_title_as_typed(self):
        """The title states its limit and counts as the editor types (static/js/title-counter.js); a longer one is
        refused with a message, never cut by the browser (so the box has no maxlength)."""
        title = self.fields["title"]
        limit = title.max_length
        title.widget.attrs.pop("maxlength", None)
        title.help_text = _("Up to %(limit)d characters: the story's heading, and its name in lists and feeds.") % {
            "limit": limit
        }
        title.error_messages["max_length"] = _(
            "This title has %(show_value)d characters; titles have at most %(limit_value)d. Shorten it."
        )
        title.widget.attrs.update(
            {
                "data-limit": limit,
                "data-count-template": gettext("%(count)s of %(limit)s characters"),
                "data-over-template": gettext("%(count)s of %(limit)s characters: too long, shorten the title"),
            }
        )

    def clean_image(self):
        """The image chosen before the form last came back with errors, unless another is chosen or Clear ticked."""
        image = self.cleaned_data.get("image")
        if image is False or isinstance(image, UploadedFile):
            return image
        # kept_image is cleaned after image (declared fields come after the model's): read as posted.
        return kept_image(self.data.get(self.add_prefix("kept_image"))) or image

    def keep_chosen_image(self):
        """The form is shown again with errors: a new image it passed is kept, and the form says so, so that the editor
        need not choose it again."""
        image = getattr(self, "cleaned_data", {}).get("image")
        if not isinstance(image, (UploadedFile, PendingImage)):
            return
        self.data = self.data.copy()
        self.data[self.add_prefix("kept_image")] = keep_chosen_image(image)
        # On the bound field too: it copied the help text when the form was cleaned.
        self["image"].help_text = self.fields["image"].help_text = format_html(
            '<strong class="kept-image">{}</strong><br>{}',
            gettext("%(name)s is kept: it will be saved with the story.") % {"name": image.name.rsplit("/", 1)[-1]},
            self.fields["image"].help_text,
        )

    def clean_publish_at(self):
        """A published story keeps its date: cleared, it would be dated again with the moment of saving (its
        translations are published) and jump to the top of the list as if new."""
        publish_at = self.cleaned_data.get("publish_at")
        if publish_at is None and self.instance.pk:
            stored = NewsStory.objects.filter(pk=self.instance.pk, publish_at__isnull=False)
            if stored.filter(translations__status=NewsStory.Status.PUBLISHED).exists():
                raise forms.ValidationError(
                    _(
                        "A published story keeps its date, which readers and search engines have seen: change it "
                        "instead of clearing it."
                    ),
                    code="published_story_keeps_its_date",
                )
        return publish_at

    def clean_slug(self):
        """Refuses a slug that would take an address from another story: its slug in the other language (both
        stories would answer there), or its old address (readers' links would lead here), unless the editor
        retires that old address knowingly."""
        slug = self.cleaned_data["slug"]
        if not WORDS_IN_SLUG.search(slug):
            raise forms.ValidationError(_("A slug needs at least one letter or number."), code="no_words")
        other_stories = NewsStory.objects.exclude(pk=self.instance.pk) if self.instance.pk else NewsStory.objects
        taken = (
            NewsStoryTranslation.objects.filter(slug=slug, master__in=other_stories.values("pk"))
            .exclude(language_code=self.language_code)
            .select_related("master")
            .first()
        )
        if taken is not None:
            raise forms.ValidationError(
                _(
                    "Another story, “%(story)s”, uses this slug in %(language)s: both would answer at its address. "
                    "Choose another slug."
                ),
                code="slug_in_other_language",
                params={"story": taken.master, "language": site_language(taken.language_code).switch_label},
            )
        redirects = list(StorySlugRedirect.objects.filter(old_slug=slug, story__in=other_stories.values("pk")))
        if redirects and not self.data.get(self.add_prefix("retire_redirect")):
            redirect = redirects[0]
            raise forms.ValidationError(
                _(
                    "%(address)s is an old address of another story, “%(story)s”, and leads readers there. Choose "
                    "another slug, or tick “Retire the old address and take this slug”."
                ),
                code="slug_is_old_address",
                params={"address": redirect.old_url, "story": redirect.story},
            )
        self.retired_redirects = redirects
        return slug

    def clean_draft(self):
        """Refuses once a save of unpublished changes that another editor published or discarded meanwhile: what
        is on the screen is not what this editor thinks it is."""
        opened = self.cleaned_data.get("opened_draft") or ""
        if not opened or publishing.draft_of(self.instance, self.language_code) is not None:
            return
        self.add_error(
            "opened_version",
            gettext(
                "Another editor published or discarded the unpublished changes you opened. Nothing was saved or "
                "published: the form now shows this language as it is, with your own changes kept. To save or "
                "publish it, press the button again."
            ),
        )
        self.data = self.data.copy()
        self.data[self.add_prefix("opened_draft")] = ""

    def clean(self):
        cleaned_data = super().clean()
        if self.instance.pk:
            self.clean_draft()
        if self.merge.conflicts:
            self.add_error("opened_version", merging.conflict_message(self.merge))
        # A new upload, or the stored image when the editor kept it; False when "Clear" is ticked.
        if cleaned_data.get("image") and not cleaned_data.get("image_alt", "").strip():
            self.add_error("image_alt", _("Describe the image in this language for readers who cannot see it."))
        return cleaned_data


class RefusedForMediaStorage:
    """The story form, refused because the media storage failed while it was being saved."""

    def clean(self):
        super().clean()
        raise forms.ValidationError(
            _(
                "The story was not saved: the site could not store its files (the media storage is full or "
                "cannot be written to). Your text is kept below. Tell the people who run the site; once it is "
                "fixed, choose the image or documents again and save."
            ),
            code="media_storage_failed",
        )


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
    list_display = ["title_in_any_language", "publish_at", "version_states"]
    list_filter = [PublicationStateFilter, "category", TranslatedIntoFilter]
    search_fields = ["translations__title"]
    date_hierarchy = "publish_at"
    readonly_fields = ["image_preview", "translation_notice", "preview_links", "publication_state"]
    object_history_template = "admin/news/newsstory/object_history.html"
    inlines = [StoryDocumentInline]

    class Media:
        css = {"all": ["css/admin.css"]}
        js = ["js/title-counter.js", "js/copy-link.js", "js/unsaved-changes.js"]

    def get_fieldsets(self, request, obj=None):
        # The photo the story has, or the state of the one being processed, shown beside the box that replaces it.
        shows_image = obj is not None and (obj.image or obj.image_state != ImageState.NONE)
        image_fields = ["image", "image_preview", "kept_image"] if shows_image else ["image", "kept_image"]
        tab_state = self.tab_state(request, obj)
        translation_review_fields = (
            ["translation_notice", "mark_up_to_date"] if tab_state and tab_state.may_be_out_of_date else []
        )
        preview_fields = ["preview_links"] if obj is not None and tab_state and tab_state.is_written else []
        # A published translation is changed by Save (a draft) and Publish; Unpublish… is a page of its own.
        status_fields = ["status", "scheduled_for"]
        if tab_state and tab_state.is_published:
            # Readers can read it (or will at its time): changes are published, or scheduled, as a whole; a
            # translation still to come out may be moved.
            status_fields = ["publication_state", "publish_changes_at"]
            status_fields += [] if tab_state.is_public else ["scheduled_for"]
        retire_fields = ["retire_redirect"] if self.takes_an_old_address(request, obj) else []
        # The story's own fields have no draft (a draft is per language): on a story readers can read, saving
        # changes them on the site at once, and the editor is told so beside them.
        is_live = obj is not None and any(state.is_public for state in obj.version_states())
        return [
            (
                _("Publishing"),
                {
                    "fields": ["publish_at", "category", "event_date", "event_place"],
                    "description": format_lazy(
                        "{}{}",
                        _(
                            "The date and time, category and event date are the same in every language; "
                            "the event place is written in each."
                        ),
                        self.goes_live_when_saved(
                            _(
                                "This story is published: changes to its date and time, category or event date "
                                "(and to its image and documents) go live when you save, in every language. They "
                                "have no draft."
                            )
                        )
                        if is_live
                        else "",
                    ),
                },
            ),
            (
                _("This language"),
                {
                    "fields": [
                        *status_fields,
                        *translation_review_fields,
                        *preview_fields,
                        "opened_version",
                        "opened_draft",
                    ],
                    "description": format_lazy(
                        "{} {} {}",
                        _("Each language is published on its own: publishing this tab does not publish the other."),
                        _(
                            "Once a language is published, Save keeps your changes as a draft that staff and "
                            "preview links can see; readers see them after you press Publish."
                        ),
                        _(
                            "The date, category, event date, image and documents are shared by every language and "
                            "have no draft: they change on the site when you save."
                        ),
                    ),
                },
            ),
            (None, {"fields": ["title", "slug", *retire_fields, "dateline", "summary", "body"]}),
            (
                _("Featured image"),
                {
                    "fields": [*image_fields, "image_alt", "image_caption", "image_credit"],
                    "description": self.goes_live_when_saved(
                        _(
                            "This story is published: a new or removed image goes live when you save, in every "
                            "language. Its description, caption and credit are this language's text, kept in the "
                            "draft until you publish."
                        )
                    )
                    if is_live
                    else "",
                },
            ),
        ]

    @staticmethod
    def goes_live_when_saved(note):
        return format_html('<p class="shared-fields-note">{}</p>', note)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("translations", "translations__draft")

    def get_object(self, request, object_id, from_field=None):
        """The story, its open tab's translation showing the unpublished changes, if any: the editor carries on
        from them. The published values are kept aside (live_values) so that a save never writes the draft into
        the published row."""
        if request.method == "POST" and object_id and str(object_id).isdigit():
            merging.lock_story(object_id)  # a second editor's save waits, then merges with the first's
        story = super().get_object(request, object_id, from_field)
        if story is None:
            return None
        story.shown_draft = story.live_values = None
        language = self._language(request, story)
        if not story.has_translation(language):
            return story
        translation = story._get_translated_model(language, auto_create=False)
        if translation.status != PublicationStatus.PUBLISHED:
            return story
        story.live_values = {name: getattr(translation, name) for name in TRANSLATED_CONTENT_FIELDS}
        try:
            story.shown_draft = translation.draft
        except TranslationDraft.DoesNotExist:
            return story
        story.shown_draft.apply_to(translation)
        return story

    def takes_an_old_address(self, request, obj):
        """Whether the slug posted, or the one in the draft shown, is another story's old address: the form then
        offers to retire it (so a draft saved with it can be published in one go, the box ticked again knowingly)."""
        shown_slug = obj.safe_translation_getter("slug") if obj is not None else None
        slug = request.POST.get("slug") if request.method == "POST" else shown_slug
        redirects = StorySlugRedirect.objects.filter(old_slug=slug)
        return bool(slug) and (redirects.exclude(story=obj) if obj is not None else redirects).exists()

    def tab_state(self, request, obj):
        """The TranslationState of the language tab open, or None for a new story."""
        if obj is None:
            return None
        tab = self._language(request, obj)
        return next(state for state in obj.version_states() if state.language.code == tab)

    def get_language_tabs(self, request, obj, available_languages, css_class=None):
        tabs = super().get_language_tabs(request, obj, available_languages, css_class)
        if obj is not None:
            states = {state.language.code: state for state in obj.version_states()}
            for index, (url, title, code, status) in enumerate(tabs):
                if code in states and states[code].is_written:
                    tabs[index] = (url, f"{title} · {translation_state_label(states[code])}", code, status)
        return tabs

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
        if form.cleaned_data.get("mark_up_to_date"):
            obj.reviewed_at = timezone.now()
        language = obj.get_current_language()
        publish = "_publish" in request.POST
        published = False
        if getattr(obj, "live_values", None) is None:
            # Not published yet: the translation is its own draft, saved as it is, and published by Publish.
            if publish:
                obj.status = PublicationStatus.PUBLISHED
                published = True
            super().save_model(request, obj, form, change)
        else:
            # Published: the text goes to the draft; the story's own fields (shared by every language), the
            # schedule and "up to date" are saved at once.
            values = {name: getattr(obj, name) for name in TRANSLATED_CONTENT_FIELDS}
            for name, value in obj.live_values.items():
                setattr(obj, name, value)
            # Retiring an old address happens when the slug is published (the translation's save does it).
            form_only = {"opened_version", "opened_draft", "publish_changes_at", "retire_redirect"}
            if any(name not in [*TRANSLATED_CONTENT_FIELDS, *form_only] for name in form.changed_data):
                super().save_model(request, obj, form, change)
            publish_at = None if publish else form.cleaned_data.get("publish_changes_at")
            draft = publishing.save_draft(obj, language, values, user=request.user, publish_at=publish_at)
            language_label = site_language(language).switch_label
            if publish and draft is not None:
                publishing.publish_draft(obj, language, user=request.user)
                published = True
                messages.success(
                    request, gettext("The %(language)s version is published.") % {"language": language_label}
                )
            elif publish:
                messages.info(
                    request,
                    gettext("The %(language)s version had no changes to publish.") % {"language": language_label},
                )
            elif draft is not None:
                messages.info(
                    request,
                    gettext(
                        "Your changes to the %(language)s version are saved as a draft: readers see the published "
                        "text until you press Publish."
                    )
                    % {"language": language_label},
                )
        if form.merge.taken_from_them:
            messages.info(request, merging.taken_message(form.merge))
        if warning := upload_too_small_warning(form.cleaned_data.get("image")):
            messages.warning(request, warning)
        revisions.record_save(
            obj,
            language,
            created=not change,
            changed_fields=[
                name
                for name in form.changed_data
                if name not in ("opened_version", "opened_draft", "mark_up_to_date", "retire_redirect", "kept_image")
                and name in form.fields
            ]
            + (["image"] if "kept_image" in form.changed_data and "image" not in form.changed_data else []),
            marked_up_to_date=bool(form.cleaned_data.get("mark_up_to_date")),
            published=published,
            retired_redirects=form.retired_redirects,
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and object_id and "_discard_draft" in request.POST:
            return self.discard_draft(request, object_id)
        try:
            # Every save from the form is a revision; a form with errors saves nothing and makes none.
            with reversion.create_revision():
                reversion.set_user(request.user)
                return super().changeform_view(request, object_id, form_url, extra_context)
        except OSError:
            if request.method != "POST" or getattr(request, "media_storage_failed", False):
                raise
            # The media storage is full or read-only: nothing was saved (the transaction rolled back, the image's
            # files are gone). The form comes back with what the editor typed, refused with the reason.
            logger.exception("Media storage failed while saving a story")
            request.media_storage_failed = True
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if getattr(request, "media_storage_failed", False):
            return type(form.__name__, (RefusedForMediaStorage, form), {})
        return form

    @admin.display(description=_("translation"))
    def translation_notice(self, story):
        state = self.tab_state(story.opened_by_request, story)
        if state is None or not state.may_be_out_of_date:
            return ""
        return format_html(
            '<ul class="messagelist"><li class="warning">{}</li></ul>',
            gettext(
                "Another language's version was changed on %(time)s, after this one was last edited: "
                "this version may be out of date."
            )
            % {"time": date_format(timezone.localtime(state.changed_elsewhere_at), "DATETIME_FORMAT")},
        )

    @admin.display(description=_("preview links"))
    def preview_links(self, story):
        request = story.opened_by_request
        language = self._language(request, story)
        links = publishing.active_preview_links(story, language)
        # Each link in full (wrapped in a read-only box, however narrow the screen) with a Copy button
        # (static/js/copy-link.js).
        rows = format_html_join(
            "",
            '<li><textarea readonly rows="{}" aria-label="{}" class="preview-link">{}</textarea>'
            '<button type="button" class="button copy-link" data-copied-label="{}" hidden>{}</button> {} '
            '<button type="submit" class="button" name="_revoke_preview_link" value="{}">{}</button></li>',
            (
                (
                    preview_link_rows(url),
                    gettext("Preview link"),
                    url,
                    gettext("Copied"),
                    gettext("Copy"),
                    gettext("works until %(time)s")
                    % {"time": date_format(timezone.localtime(link.expires_at), "SHORT_DATETIME_FORMAT")},
                    link.pk,
                    gettext("Revoke"),
                )
                for link in links
                for url in [request.build_absolute_uri(link.get_absolute_url())]
            ),
        )
        # The buttons (Create, Revoke) submit the form itself: what is on the screen is saved first (see
        # response_change), never lost to a reload.
        # Enter in a box submits the form with its first button, which would be Revoke or this one: an unseen
        # "save and continue editing" comes first, so Enter saves as it does on other admin pages.
        return format_html(
            '<button type="submit" name="_continue" value="1" class="implicit-submit" tabindex="-1" aria-hidden="true">'
            "</button>"
            '<ul class="preview-links">{}</ul><button type="submit" class="button" name="_preview_link" value="1">'
            '{}</button><div class="help">{}</div>',
            rows,
            gettext("Create a preview link for this language"),
            gettext(
                "Your changes are saved first (as a draft if this language is published). Anyone with the link can "
                "read this language's version as last saved, without an account, for %(days)d days or until you "
                "revoke it."
            )
            % {"days": settings.PREVIEW_LINK_DAYS},
        )

    def response_change(self, request, obj):
        """After the form is saved (a published translation's changes as its draft), "Create a preview link" makes
        the link to what was just saved and "Revoke" stops a link; both come back to the form."""
        if "_revoke_preview_link" in request.POST:
            return self.preview_link_revoked(request, obj, request.POST["_revoke_preview_link"])
        if "_preview_link" not in request.POST:
            return super().response_change(request, obj)
        message = gettext(
            "Your changes are saved and a preview link is created; copy it from the “Preview links” box: %(url)s"
        )
        return self.preview_link_made(request, obj, obj.get_current_language(), message)

    def preview_link_made(self, request, story, language, message):
        """Makes a preview link to the story's translation in `language` and goes back to its form, which shows it;
        `message` names the link's address as %(url)s."""
        try:
            link = publishing.create_preview_link(story, language, user=request.user)
        except publishing.NotWritten:
            raise Http404 from None
        url = request.build_absolute_uri(link.get_absolute_url())
        self.message_user(request, message % {"url": url}, messages.SUCCESS)
        return HttpResponseRedirect(self.change_url(story, language))

    def preview_link_revoked(self, request, story, link_id):
        link = story.preview_links.filter(pk=link_id).first() if str(link_id).isdigit() else None
        if link is None:
            raise Http404
        publishing.revoke_preview_link(link)
        self.message_user(
            request,
            gettext("Your changes are saved and the preview link is revoked: it no longer opens the story."),
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self.change_url(story, link.language_code))

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # Read-only fields get only the story (the form's instance): the tab open is on the request.
        if obj is not None:
            obj.opened_by_request = request
        context["tab_state"] = self.tab_state(request, obj)
        form = context["adminform"].form
        if form.is_bound and not getattr(request, "media_storage_failed", False):
            # Shown again with errors (the form's or a document's): the image chosen is kept for the next save.
            form.keep_chosen_image()
        # Another editor's save is told above the form (change_form.html), not as an error to correct.
        if "errors" in context and "opened_version" in context["adminform"].form.errors:
            context["errors"] = merging.errors_besides_the_merge(context["adminform"].form, context["errors"])
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        own = [
            path(
                "<int:story_id>/preview-links/new/",
                self.admin_site.admin_view(self.create_preview_link),
                name="news_newsstory_preview_link_create",
            ),
            path(
                "<int:story_id>/unpublish/",
                self.admin_site.admin_view(self.unpublish_language),
                name="news_newsstory_unpublish",
            ),
            path(
                "<int:story_id>/history/compare/",
                self.admin_site.admin_view(self.compare_revisions),
                name="news_newsstory_compare",
            ),
            path(
                "<int:story_id>/history/<int:version_id>/restore/",
                self.admin_site.admin_view(self.restore_revision),
                name="news_newsstory_restore",
            ),
        ]
        return own + super().get_urls()

    def story_for_change(self, request, story_id, method="POST"):
        story = get_object_or_404(NewsStory, pk=story_id)
        if request.method != method:
            raise Http404
        if not self.has_change_permission(request, story):
            raise PermissionDenied
        return story

    def change_url(self, story, language):
        return reverse("admin:news_newsstory_change", args=[story.pk]) + f"?language={language}"

    def discard_draft(self, request, story_id):
        story = self.story_for_change(request, story_id)
        language = self._language(request, story)
        if publishing.discard_draft(story, language):
            message = gettext("The unpublished changes to the %(language)s version are discarded.")
        else:
            message = gettext(
                "The %(language)s version had no unpublished changes: another editor published or discarded them."
            )
        self.message_user(request, message % {"language": site_language(language).switch_label}, messages.SUCCESS)
        return HttpResponseRedirect(self.change_url(story, language))

    def unpublish_language(self, request, story_id):
        """GET: the public addresses readers lose if the open tab's language is unpublished; POST: unpublish it."""
        story = get_object_or_404(NewsStory.objects.prefetch_related("translations"), pk=story_id)
        if request.method not in ("GET", "POST"):
            raise Http404
        if not self.has_change_permission(request, story):
            raise PermissionDenied
        language = request.GET.get("language")
        if language not in SITE_LANGUAGES or not story.has_translation(language):
            raise Http404
        if request.method == "GET":
            return self.unpublish_confirmation(request, [story], language)
        unpublished = publishing.unpublish(story, user=request.user, language_code=language)
        message = (
            gettext("The %(language)s version is unpublished: it is a draft again, and its address answers “gone”.")
            if unpublished
            else gettext("The %(language)s version was not published.")
        )
        self.message_user(request, message % {"language": site_language(language).switch_label}, messages.SUCCESS)
        return HttpResponseRedirect(self.change_url(story, language))

    def unpublish_confirmation(self, request, stories, language_code, action_name=None):
        """The page that asks before unpublishing: each story with the public addresses readers will lose. From the
        list (`action_name`) it posts the action again, confirmed; from a story's form, to unpublish_language."""
        rows = [
            {
                "story": story,
                "addresses": [
                    (language, request.build_absolute_uri(address))
                    for language, address, _slug in publishing.public_addresses(story, language_code)
                ],
            }
            for story in stories
        ]
        if language_code is None:
            title = gettext("Unpublish in every language?")
        else:
            title = gettext("Unpublish the %(language)s version?") % {
                "language": site_language(language_code).switch_label
            }
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "rows": rows,
            "losing_addresses": any(row["addresses"] for row in rows),
            "action_name": action_name,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "back_url": (
                reverse("admin:news_newsstory_changelist")
                if action_name
                else self.change_url(stories[0], language_code)
            ),
            "media": self.media,
        }
        return TemplateResponse(request, "admin/news/newsstory/unpublish_confirmation.html", context)

    @admin.display(description=_("status in this language"))
    def publication_state(self, story):
        state = self.tab_state(story.opened_by_request, story)
        return translation_state_label(state) if state else ""

    def create_preview_link(self, request, story_id):
        story = self.story_for_change(request, story_id)
        message = gettext("Preview link created; copy it from the “Preview links” box: %(url)s")
        return self.preview_link_made(request, story, request.GET.get("language"), message)

    def history_view(self, request, object_id, extra_context=None):
        story = self.get_object(request, object_id)
        story_revisions = list(revisions.story_revisions(story)) if story else []
        for version in story_revisions:
            version.description = changes.describe(version.revision)
        return super().history_view(
            request,
            object_id,
            {
                **(extra_context or {}),
                "story_revisions": story_revisions,
                "can_restore": story is not None and self.has_change_permission(request, story),
                # The admin's stylesheet (Media): the revisions table fits a phone.
                "media": self.media,
            },
        )

    def compare_revisions(self, request, story_id):
        story = self.story_for_change(request, story_id, method="GET")
        versions = revisions.story_revisions(story)
        older = (
            versions.filter(pk=request.GET.get("older") or 0).first()
            if str(request.GET.get("older", "")).isdigit()
            else None
        )
        newer = (
            versions.filter(pk=request.GET.get("newer") or 0).first()
            if str(request.GET.get("newer", "")).isdigit()
            else None
        )
        if older is None or newer is None:
            raise Http404
        if older.revision.date_created > newer.revision.date_created:
            older, newer = newer, older
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "story": story,
            "title": gettext("Changes to “%(story)s”") % {"story": story},
            "older": older,
            "newer": newer,
            "media": self.media,  # admin.css marks inserted and removed text
            "sections": revisions.compare(revisions.RevisionContent(older), revisions.RevisionContent(newer)),
        }
        return TemplateResponse(request, "admin/news/newsstory/compare.html", context)

    def restore_revision(self, request, story_id, version_id):
        """GET: what restoring the revision will do, and the languages to restore; POST: restore it into the
        drafts of the languages chosen. Nothing readers see changes until an editor publishes."""
        story = get_object_or_404(NewsStory, pk=story_id)
        if request.method not in ("GET", "POST"):
            raise Http404
        if not self.has_change_permission(request, story):
            raise PermissionDenied
        version = get_object_or_404(revisions.story_revisions(story), pk=version_id)
        when = date_format(timezone.localtime(version.revision.date_created), "DATETIME_FORMAT")
        languages = revisions.restorable_languages(version)
        if request.method == "GET":
            latest = revisions.story_revisions(story).first()
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "story": story,
                "title": gettext("Restore the revision of %(time)s?") % {"time": when},
                "languages": languages,
                "media": self.media,  # admin.css marks inserted and removed text
                "sections": revisions.compare(revisions.RevisionContent(latest), revisions.RevisionContent(version)),
            }
            return TemplateResponse(request, "admin/news/newsstory/restore_confirmation.html", context)
        chosen = request.POST.getlist("language") if "language" in request.POST else None
        notes = revisions.restore_revision(story, version, user=request.user, language_codes=chosen)
        self.message_user(
            request,
            gettext(
                "The revision of %(time)s is restored into the draft: check it, then publish. Readers see the "
                "published text until then."
            )
            % {"time": when},
            messages.SUCCESS,
        )
        for note in notes:
            self.message_user(request, note, messages.WARNING)
        return HttpResponseRedirect(reverse("admin:news_newsstory_change", args=[story.pk]))

    @admin.display(description=_("preview"))
    def image_preview(self, story):
        """The image readers see, and the state of a newer upload: being processed, or failed and why."""
        picture = story.hero_picture
        thumbnail = (
            format_html(
                '<img class="image-preview" src="{}" srcset="{}" sizes="20rem" width="{}" height="{}" alt="{}">',
                picture.fallback_url,
                picture.jpeg_srcset,
                picture.width,
                picture.height,
                story.image_alt,
            )
            if picture is not None
            else ""
        )
        if story.image_state == ImageState.PROCESSING:
            shown = gettext("Until it is ready, readers see the image below.") if picture else ""
            return format_html(
                '<p class="image-state image-state--processing" role="status">{} {}</p>{}',
                gettext("Processing… (reload to see it)"),
                shown,
                thumbnail,
            )
        if story.image_state == ImageState.FAILED:
            shown = gettext("Readers see the image below.") if picture else gettext("Readers see no image.")
            return format_html(
                '<ul class="messagelist"><li class="error image-state image-state--failed">{} {} {}</li></ul>{}',
                gettext("Failed: %(reason)s") % {"reason": story.get_image_failure_display()},
                shown,
                gettext("Choose another file above to replace it."),
                thumbnail,
            )
        if warning := image_too_small_warning(story):
            return format_html('{}<ul class="messagelist"><li class="warning">{}</li></ul>', thumbnail, warning)
        return thumbnail

    @admin.display(description=_("title"))
    def title_in_any_language(self, story):
        """The title, marked while its new image is processed or when it failed."""
        marks = {
            ImageState.PROCESSING: gettext("⧗ image processing"),
            ImageState.FAILED: gettext("⚠ image failed"),
        }
        if story.image_state not in marks:
            return str(story)
        return format_html(
            '{} <span class="image-state image-state--{}">{}</span>', story, story.image_state, marks[story.image_state]
        )

    @admin.display(description=_("languages"))
    def version_states(self, story):
        return format_html_join(
            "",
            '<span class="version-state version-state--{}"><span lang="{}">{}</span> {}</span>',
            (
                (
                    "public" if state.is_public else "hidden",
                    state.language.html_code,
                    state.language.switch_label,
                    translation_state_label(state),
                )
                for state in story.version_states()
            ),
        )

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not self.has_change_permission(request):
            return actions
        for code in [*SITE_LANGUAGES, None]:
            for publish in (True, False):
                action = self.publication_action(code, publish)
                actions[action.__name__] = (action, action.__name__, action.short_description)
        return actions

    def publication_action(self, language_code, publish):
        """An action that publishes (or unpublishes) one language's version of the selected stories, or all.
        Made per request, so that its name is in the editor's language."""
        verb = "publish" if publish else "unpublish"
        name = f"{verb}_all" if language_code is None else f"{verb}_{site_language(language_code).url_prefix}"
        description = publishing.describe_change(language_code, publish)
        change = publishing.publish if publish else publishing.unpublish

        def action(modeladmin, request, queryset):
            if not publish and "confirmed" not in request.POST:
                # Readers lose addresses: the editor sees which, and confirms.
                stories = list(queryset.prefetch_related("translations"))
                return modeladmin.unpublish_confirmation(request, stories, language_code, action_name=name)
            changed = sum(
                1
                for story in queryset.prefetch_related("translations")
                if change(story, user=request.user, language_code=language_code)
            )
            message = (
                ngettext("%(count)d story published.", "%(count)d stories published.", changed)
                if publish
                else ngettext("%(count)d story unpublished.", "%(count)d stories unpublished.", changed)
            )
            modeladmin.message_user(request, message % {"count": changed}, messages.SUCCESS)

        action.__name__ = name
        action.short_description = description
        return action


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


def preview_link_rows(url):
    """Lines enough for the link wrapped in its box on a phone (about 34 characters a line), so that it is seen in
    full without scrolling; CSS's field-sizing would fit the box to it, but is not standard CSS yet."""
    return max(2, -(-len(url) // 34))
