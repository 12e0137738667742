"""`make editor` (manage.py create_editor): an editor's account, in the Editors group, not a superuser."""

from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

pytestmark = pytest.mark.django_db


def test_make_editor_runs_the_command():
    makefile = (Path(__file__).parents[2] / "Makefile").read_text()
    assert "\neditor: install\n\t$(DEV) create_editor\n" in makefile


def test_the_editor_made_opens_the_stories_but_not_the_accounts(monkeypatch):
    answers = iter(["a long editor password", "a long editor password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))

    call_command("create_editor", "lin", "--email", "lin@example.org", stdout=StringIO())

    editor = get_user_model().objects.get(username="lin")
    assert editor.is_staff and not editor.is_superuser and editor.email == "lin@example.org"
    assert [group.name for group in editor.groups.all()] == ["Editors"]
    assert editor.check_password("a long editor password")
    browser = Client()
    browser.force_login(editor)
    assert browser.get("/admin/news/newsstory/add/").status_code == 200
    assert browser.get("/admin/auth/user/").status_code == 403


def test_a_password_too_short_or_mistyped_is_asked_again(monkeypatch, capsys):
    answers = iter(
        ["short", "short", "a long editor password", "typo", "a long editor password", "a long editor password"]
    )
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))

    call_command("create_editor", "lin")

    assert get_user_model().objects.get(username="lin").check_password("a long editor password")
    assert "differ" in capsys.readouterr().err


def test_without_input_the_editor_has_no_password_yet():
    call_command("create_editor", "lin", "--no-input", stdout=StringIO())
    editor = get_user_model().objects.get(username="lin")
    assert editor.groups.filter(name="Editors").exists() and not editor.has_usable_password()


def test_an_existing_account_is_left_alone(django_user_model):
    django_user_model.objects.create_user("lin")
    with pytest.raises(CommandError, match="exists already"):
        call_command("create_editor", "lin", "--no-input")
