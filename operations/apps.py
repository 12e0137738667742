from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Health probes, backups, the release digest, logging and error reports: what operators run and read."""

    name = "operations"

    def ready(self):
        from .release import release_digest

        # Once, at start-up: what this process renders from, before it serves anything (and, with gunicorn's
        # preload, before its workers are forked).
        release_digest()
