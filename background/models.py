from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tasks_db.models import DBTaskResult


class BackgroundJob(DBTaskResult):
    """The queue's rows as staff see them in the admin (background/admin.py): what each job does, in their words."""

    class Meta:
        proxy = True
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = [models.F("enqueued_at").desc()]
