"""The queue in the admin, for administrators: what waits, what failed and why (read-only; a failed job is queued
again from the page of the thing it worked on, e.g. an image's "Try again")."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from .models import BackgroundJob
from .queue import job_label

# django-tasks-db's own page shows the developer's view (task paths, arguments) in English only.
admin.site.unregister(DBTaskResult)

STATUS_LABELS = {
    TaskResultStatus.READY: _("waiting"),
    TaskResultStatus.RUNNING: _("running"),
    TaskResultStatus.SUCCESSFUL: _("done"),
    TaskResultStatus.FAILED: _("failed"),
}


@admin.register(BackgroundJob)
class BackgroundJobAdmin(admin.ModelAdmin):
    list_display = ["what", "state", "enqueued_at", "finished_at", "reason"]
    list_filter = ["status", "queue_name"]
    fields = ["what", "state", "enqueued_at", "run_after", "started_at", "finished_at", "reason", "traceback"]
    readonly_fields = fields
    date_hierarchy = "enqueued_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("job"))
    def what(self, job):
        return job_label(job.task_path)

    @admin.display(description=_("state"), ordering="status")
    def state(self, job):
        return STATUS_LABELS.get(job.status, job.status)

    @admin.display(description=_("reason"))
    def reason(self, job):
        """The failure's last line (the exception and its message), or nothing."""
        return job.traceback.strip().splitlines()[-1] if job.traceback.strip() else ""
