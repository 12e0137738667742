"""Every model of the site has a name in each admin language: Django's delete confirmation lists the related rows it
deletes by their model's name, so a model left unnamed shows English (or "…s") in the Chinese admin."""

from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.utils import translation


def is_the_sites(app_config):
    folder = Path(app_config.path).resolve()
    return Path(settings.BASE_DIR).resolve() in folder.parents and ".venv" not in folder.parts


SITE_MODELS = [model for model in apps.get_models() if is_the_sites(model._meta.app_config)]


def names(model, language):
    with translation.override(language):
        return str(model._meta.verbose_name), str(model._meta.verbose_name_plural)


def test_the_site_has_models_to_check():
    assert {"membership.ApplicationEvent", "news.NewsStory"} <= {model._meta.label for model in SITE_MODELS}


@pytest.mark.parametrize("model", SITE_MODELS, ids=lambda model: model._meta.label)
def test_every_model_is_named_in_chinese_as_the_delete_confirmation_lists_it(model):
    english, chinese = names(model, "en"), names(model, "zh-hans")
    assert not set(english) & set(chinese), f"{model._meta.label} is named {chinese} in Chinese"
    assert not any(name.endswith("s") for name in chinese), f"{model._meta.label}: a plural made by adding s"
