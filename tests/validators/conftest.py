"""The validator tests: the site as deployed (gunicorn, production settings, on a database of its own), served once
for the session (tests/validators/validated_site.py has what they share)."""

import json
import os
from pathlib import Path

import pytest

from testkit import prepared
from testkit.servers import Gunicorn, manage, site_env

from .validated_site import MAKE_STORIES, ORGANISATION_EMAIL, Site


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The site served by gunicorn (with its media), as production serves it, for the whole session."""
    directory = tmp_path_factory.mktemp("validated-site")
    env = site_env(
        directory,
        f"sqlite:///{directory / 'db.sqlite3'}",
        ORGANISATION_EMAIL=ORGANISATION_EMAIL,
        ORGANISATION_ADDRESS="Example House\n1 Example Road\nHong Kong",
        # Low enough for a test to see the 429 page after a few searches; Lighthouse never searches.
        SEARCHES_PER_MINUTE="20",
    )
    prepared.migrated_sqlite(directory / "db.sqlite3")  # migrated once for the run
    result = manage(env, "load_seed_stories")
    assert result.returncode == 0, result.stdout + result.stderr
    made = manage(env, "shell", "-c", MAKE_STORIES)
    assert made.returncode == 0, made.stdout + made.stderr
    stories = json.loads(made.stdout.strip().splitlines()[-1])
    server = Gunicorn(env, app="testkit.media_wsgi:application").start(directory / "gunicorn.log")
    yield Site(server.base_url, stories)
    server.stop()


def pytest_collection_modifyitems(config, items):
    """The validators' site has a database of its own, SQLite, whatever DATABASE_URL names: the run on PostgreSQL
    (.ci/run's second) would check the same site the same way again, for two minutes. There they are deselected,
    and said so; the run on SQLite checks it."""
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return
    here = Path(__file__).parent
    validators = [item for item in items if here in Path(item.path).parents]
    if validators:
        items[:] = [item for item in items if item not in validators]
        config.hook.pytest_deselected(items=validators)
        print(f"\nThe {len(validators)} validator tests run on SQLite only (their site has its own database).")
