"""The background job that cleans a received letter of support (see letters.py for the two steps of checking).

The letter is decoded in a child process limited to settings.LETTER_CLEANING_MEMORY_BYTES of memory and killed
after settings.LETTER_CLEANING_SECONDS (uploads/sandbox.py): a hostile file ends that process, never the worker.
Whatever happens, the letter ends "clean" or "refused" with a reason staff read in the admin; the application
itself was saved when it arrived, so nothing the applicant sent is lost. The applicant is not emailed about a
refused letter: staff ask for a new one with the "Information needed" status, whose email carries the upload link
(an automatic email would let anyone make the site mail any address on demand, by uploading a bad file).
"""

import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from background.queue import labelled
from uploads.sandbox import run_bounded

from .letters import LetterRefusal, LetterState, letter_path
from .models import MembershipApplication

logger = logging.getLogger(__name__)


@labelled(_("Check and clean a letter of support"))
@task(queue_name="letters")
def clean_received_letter(application_id):
    """Safe to run twice: a letter no longer being checked (cleaned, refused, replaced, erased) is left alone."""
    application = (
        MembershipApplication.objects.filter(pk=application_id, letter_state=LetterState.CHECKING)
        .exclude(letter="")
        .first()
    )
    if application is None:
        return
    received = application.letter.name
    with application.letter.open("rb") as letter:
        data = letter.read()
    outcome = run_bounded(
        "membership.letters.clean_letter_content",
        data,
        memory_bytes=settings.LETTER_CLEANING_MEMORY_BYTES,
        seconds=settings.LETTER_CLEANING_SECONDS,
        niceness=settings.LETTER_CLEANING_NICENESS,
    )
    clean_name = None
    if not outcome.refusal:
        storage = application.letter.storage
        clean_name = storage.save(letter_path(application, f"letter.{outcome.label}"), ContentFile(outcome.content))
    with transaction.atomic():
        # Only if the letter is still the one cleaned: staff may have erased the application meanwhile.
        current = (
            MembershipApplication.objects.select_for_update()
            .filter(pk=application_id, letter=received, letter_state=LetterState.CHECKING)
            .first()
        )
        if current is None:
            if clean_name:
                application.letter.storage.delete(clean_name)
            return
        if outcome.refusal:
            # The file as received is deleted after commit (the field deletes what the application no longer uses);
            # its name and arrival stay, and the upload link takes a new letter.
            current.letter = ""
            current.letter_state = LetterState.REFUSED
            current.letter_refusal = LetterRefusal.from_code(outcome.refusal)
        else:
            current.letter = clean_name
            current.letter_state = LetterState.CLEAN
            current.letter_refusal = ""
        current.save(update_fields=["letter", "letter_state", "letter_refusal"])
    logger.info(
        "Membership application %s: letter %s %s",
        application_id,
        current.letter_state,
        f"({outcome.refusal}: {outcome.detail})" if outcome.refusal else "",
        extra={"event": "membership_letter_checked", "application": application_id, "state": current.letter_state},
    )
