from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembershipConfig(AppConfig):
    name = "membership"
    verbose_name = _("Buyer membership")

    def ready(self):
        # Connects the sending of emails after each response.
        from . import emails  # noqa: F401
