import csv
import io
from collections import Counter

from django.contrib import admin, messages
from django.db.models import Count, Q
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from news.models import NewsStory

from .models import Delivery, StoryAnnouncement, Subscriber
from .sending import queue_deliveries
from .signup import stop_sending


def subscriber_counts():
    """Confirmed subscribers by language and by category (one wanting every category counts in each)."""
    active = list(Subscriber.objects.filter(status=Subscriber.Status.ACTIVE).values_list("languages", "categories"))
    by_language = Counter(languages for languages, _categories in active)
    by_category = Counter()
    for _languages, categories in active:
        by_category.update(categories or [value for value, _label in NewsStory.Category.choices])
    return {
        "total": len(active),
        "by_language": [(label, by_language[value]) for value, label in Subscriber.Languages.choices],
        "by_category": [(label, by_category[value]) for value, label in NewsStory.Category.choices],
        "by_status": [
            (label, count)
            for value, label in Subscriber.Status.choices
            if (count := Subscriber.objects.filter(status=value).count())
        ],
    }


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["email", "languages", "categories_shown", "frequency", "status", "confirmed_at", "last_sent_at"]
    list_display += ["bounces"]
    list_filter = ["status", "languages", "frequency"]
    search_fields = ["email"]
    readonly_fields = ["email", "status", "created_at", "confirmation_sent_at", "confirmed_at", "left_at"]
    readonly_fields += ["last_sent_at", "bounces", "interface_language"]
    fields = ["email", "languages", "categories", "frequency", "interface_language", "status", "created_at"]
    fields += ["confirmation_sent_at", "confirmed_at", "left_at", "last_sent_at", "bounces"]
    actions = ["export_as_csv", "mark_bounced", "mark_complained", "erase"]
    change_list_template = "admin/subscriptions/subscriber/change_list.html"

    def has_add_permission(self, request):
        return False  # readers subscribe themselves (double opt-in)

    @admin.display(description=_("categories"))
    def categories_shown(self, subscriber):
        return ", ".join(subscriber.category_labels())

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), "counts": subscriber_counts()})

    @admin.action(description=_("Export the selected subscribers as CSV"))
    def export_as_csv(self, request, queryset):
        out = io.StringIO()
        writer = csv.writer(out)
        fields = ["email", "languages", "categories", "frequency", "status", "created_at", "confirmed_at"]
        fields += ["left_at", "last_sent_at", "bounces"]
        writer.writerow([str(Subscriber._meta.get_field(name).verbose_name) for name in fields])
        for subscriber in queryset.order_by("email"):
            row = [getattr(subscriber, name) for name in fields]
            row[2] = " ".join(subscriber.categories)
            writer.writerow(["" if value is None else value for value in row])
        response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="subscribers-{timezone.localdate():%Y-%m-%d}.csv"'
        return response

    @admin.action(description=_("Mark as bounced: send nothing more"))
    def mark_bounced(self, request, queryset):
        changed = stop_sending(queryset, Subscriber.Status.BOUNCED)
        self.message_user(request, ngettext("%d address stopped.", "%d addresses stopped.", changed) % changed)

    @admin.action(description=_("Mark as complained (spam): send nothing more"))
    def mark_complained(self, request, queryset):
        changed = stop_sending(queryset, Subscriber.Status.COMPLAINED)
        self.message_user(request, ngettext("%d address stopped.", "%d addresses stopped.", changed) % changed)

    @admin.action(description=_("Erase the selected addresses and everything sent to them"))
    def erase(self, request, queryset):
        if request.POST.get("confirmed") != "yes":
            return TemplateResponse(
                request,
                "admin/subscriptions/subscriber/erase.html",
                {
                    **self.admin_site.each_context(request),
                    "title": _("Erase subscribers"),
                    "subscribers": queryset,
                    "deliveries": Delivery.objects.filter(subscriber__in=queryset).count(),
                    "opts": self.model._meta,
                    "action_name": "erase",
                },
            )
        count = queryset.count()
        queryset.delete()  # their deliveries go with them (on_delete=CASCADE)
        self.message_user(request, ngettext("%d address erased.", "%d addresses erased.", count) % count)
        return None


@admin.register(StoryAnnouncement)
class StoryAnnouncementAdmin(admin.ModelAdmin):
    list_display = ["story", "language_code", "created_at", "queued_at", "sent", "waiting", "failed"]
    list_filter = ["language_code"]
    search_fields = ["story__translations__title"]
    actions = ["send_again"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("story").exclude(before_subscriptions=True)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # A story's announcements go with it: whoever may delete stories may delete them.
        return request.user.has_perm("news.delete_newsstory")

    def counts(self, announcement):
        if not hasattr(announcement, "_counts"):
            announcement._counts = Delivery.objects.filter(
                story=announcement.story_id, language_code=announcement.language_code
            ).aggregate(
                sent=Count("pk", filter=Q(status=Delivery.Status.SENT)),
                waiting=Count("pk", filter=Q(status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING])),
                failed=Count("pk", filter=Q(status=Delivery.Status.FAILED)),
            )
        return announcement._counts

    @admin.display(description=_("sent"))
    def sent(self, announcement):
        return self.counts(announcement)["sent"]

    @admin.display(description=_("waiting"))
    def waiting(self, announcement):
        return self.counts(announcement)["waiting"]

    @admin.display(description=_("failed"))
    def failed(self, announcement):
        return self.counts(announcement)["failed"]

    @admin.action(description=_("Send the selected stories again to whoever has not received them"))
    def send_again(self, request, queryset):
        recipients = {announcement: receivers_of(announcement) for announcement in queryset}
        if request.POST.get("confirmed") != "yes":
            return TemplateResponse(
                request,
                "admin/subscriptions/storyannouncement/send_again.html",
                {
                    **self.admin_site.each_context(request),
                    "title": _("Send again"),
                    "recipients": recipients.items(),
                    "total": sum(recipients.values()),
                    "opts": self.model._meta,
                    "announcements": queryset,
                },
            )
        queued = sum(
            queue_deliveries(announcement.story_id, announcement.language_code, resend=True)
            for announcement in queryset
        )
        self.message_user(request, ngettext("%d email queued.", "%d emails queued.", queued) % queued, messages.SUCCESS)
        return None


def receivers_of(announcement):
    """How many would receive the story if sent again: subscribers of its language and category now who have not
    received it (subscribed since, or whose email failed)."""
    recipients = set(Subscriber.objects.receiving(announcement.language_code, announcement.story.category))
    received = set(
        Delivery.objects.filter(story=announcement.story_id, language_code=announcement.language_code)
        .exclude(status=Delivery.Status.FAILED)
        .values_list("subscriber_id", flat=True)
    )
    return len(recipients - received)
