"""uploads/stored_files.py, through the membership letter (a field that owns its files): a file a model no longer
uses leaves storage once the change commits, and stays when the change rolls back."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction

from membership.models import MembershipApplication
from testkit.applications import make_application
from testkit.files import letter_pdf

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("private_media_root")]


def stored(name):
    return storages["private_letters"].exists(name)


def with_letter():
    return make_application(letter=ContentFile(letter_pdf(), name="signed.pdf"))


def test_a_replaced_file_is_removed_from_storage_once_the_change_commits():
    application = with_letter()
    old = application.letter.name
    with transaction.atomic():
        application.letter = ContentFile(letter_pdf(), name="signed-again.pdf")
        application.save()
        assert stored(old)  # until the commit
    assert not stored(old) and stored(application.letter.name)


def test_a_deleted_models_file_is_removed_from_storage_once_the_deletion_commits():
    application = with_letter()
    name = application.letter.name
    with transaction.atomic():
        application.delete()
        assert stored(name)
    assert not stored(name)


def test_a_rolled_back_change_keeps_the_file():
    application = with_letter()
    name = application.letter.name
    with pytest.raises(RuntimeError), transaction.atomic():
        MembershipApplication.objects.get(pk=application.pk).delete()
        raise RuntimeError("the change fails")
    assert stored(name)
    with pytest.raises(RuntimeError), transaction.atomic():
        application.letter = None
        application.save()
        raise RuntimeError("the change fails")
    assert stored(name)
