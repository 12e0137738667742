from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = _("Email subscriptions")

    def ready(self):
        # Listens for translations published for the first time (news sends post_save for every translation saved).
        from . import sending  # noqa: F401
