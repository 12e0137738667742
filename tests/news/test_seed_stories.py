"""The sample content: the old news page's stories, loaded by a management command."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from news.models import NewsStory

pytestmark = pytest.mark.django_db


def test_every_story_on_the_old_page_is_published_once():
    call_command("load_seed_stories")

    # 23 cards on the old page, one of them shown twice.
    assert NewsStory.objects.published().count() == 22
    women = NewsStory.objects.filter(
        translations__title="IETP Adopts the United Nations Women’s Empowerment Principles"
    )
    assert women.count() == 1


def test_chinese_only_stories_stay_chinese_only():
    call_command("load_seed_stories")

    wechat = NewsStory.objects.get(translations__title="ESCP 建立微信号,加强与中国內地工厂的沟通")
    assert list(wechat.get_available_languages()) == ["zh-hans"]
    assert timezone.localdate(wechat.publish_at) == datetime.date(2023, 8, 1)
    assert wechat.safe_translation_getter("summary", language_code="zh-hans").startswith("Ethical Supply Chain Program")


def test_dates_datelines_and_summaries_are_kept():
    call_command("load_seed_stories")

    flag = NewsStory.objects.get(translations__slug__startswith="ietp-joins-hundreds")
    audit = NewsStory.objects.get(translations__slug="key-audit-deadlines-for-chinese-new-year-2024")
    lean = NewsStory.objects.get(translations__slug="building-factory-capability-lean-manufacturing")

    # The old dateline "25 September 2023, London" gives its place; the date is the publish date, shown once.
    assert timezone.localdate(flag.publish_at) == datetime.date(2023, 9, 25) and flag.dateline == "London"
    assert audit.summary.startswith("In order to allow time for Chinese New Year 2024 celebrations")
    assert lean.publish_at is None and lean.summary.startswith("To help factories respond")


def test_seed_stories_are_listed_in_the_old_page_order(client):
    call_command("load_seed_stories")

    first_page = client.get("/news/").content.decode()
    second_page = client.get("/news/?page=2").content.decode()

    assert first_page.index("Focus on Family-Friendly Spaces") < first_page.index("Key Audit Deadlines")
    # The undated stories come last, in the order the old page showed them.
    assert second_page.index("Building Factory Capability") < second_page.index("CCR CSR and ICTI")


def test_loading_twice_adds_nothing():
    call_command("load_seed_stories")
    call_command("load_seed_stories")
    assert NewsStory.objects.count() == 22


def test_if_empty_leaves_an_edited_site_alone(make_story):
    make_story({"en": "An editor's story"})
    call_command("load_seed_stories", "--if-empty")
    assert NewsStory.objects.count() == 1
