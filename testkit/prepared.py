"""What many tests' site processes need before they start, made once per test run and copied: a SQLite database
`manage.py migrate` has set up (also with the sample stories of `manage.py load_seed_stories`), and the static files
`manage.py collectstatic` has collected (compressed). Each is the output of the site's own commands, run as the
tests ran them; made once instead of per test, it saves a Django start and a migration (about 2 s) per database, a
Django start and the stories' saving per seeded one, and 13 s of compression (CPU on every core) per static folder.

The copies are made for the pytest run by whichever process (xdist worker) asks first, under a lock the others
wait on; tests/conftest.py says where (shared_directory). A test about migrate, load_seed_stories or collectstatic
themselves runs them."""

import fcntl
import os
import shutil
import tempfile
from pathlib import Path

from testkit.servers import manage

# Set by tests/conftest.py for the run: a directory every xdist worker of this run shares. Elsewhere (bench/), one
# of this process's own: never a copy made by an older release.
shared_directory = None


def _made_once(name, make):
    """The path of `name` in the shared directory, made by `make(path)` by the first process to ask."""
    global shared_directory
    if shared_directory is None:
        shared_directory = tempfile.mkdtemp(prefix="ietp-prepared-")
    root = Path(shared_directory)
    root.mkdir(parents=True, exist_ok=True)
    made = root / name
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another worker making it: wait for it
        if not made.exists():
            unfinished = root / f"{name}.unfinished"
            # Left by a process killed while making it.
            if unfinished.is_dir():
                shutil.rmtree(unfinished)
            unfinished.unlink(missing_ok=True)
            make(unfinished)
            unfinished.rename(made)
    return made


def _manage(env, *args):
    result = manage(env, *args)
    assert result.returncode == 0, f"manage.py {' '.join(args)}: {result.stdout}{result.stderr}"


def _command_env(**settings):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DEBUG", "DATABASE_URL", "REDIS_URL", "PYTEST"))
    }
    env.update(SECRET_KEY="prepared-for-the-tests-" + "x" * 40, ALLOWED_HOSTS="127.0.0.1", **settings)
    return env


def _migrate_into(path):
    with tempfile.TemporaryDirectory() as scratch:
        _manage(
            _command_env(DATABASE_URL=f"sqlite:///{path}", DATABASE_POOL="0", CACHE_DIR=scratch, MEDIA_ROOT=scratch),
            "migrate",
            "--no-input",
        )


def _seed_into(path):
    shutil.copyfile(_made_once("migrated.sqlite3", _migrate_into), path)
    with tempfile.TemporaryDirectory() as scratch:
        _manage(
            _command_env(DATABASE_URL=f"sqlite:///{path}", DATABASE_POOL="0", CACHE_DIR=scratch, MEDIA_ROOT=scratch),
            "load_seed_stories",
        )


def _photograph_into(path):
    from testkit.files import photo_like

    path.write_bytes(photo_like(8000, 5000, "JPEG", quality=85))


def _collect_static_into(path):
    # Production settings (no DEBUG): whitenoise's manifest and compressed copies, as the Dockerfile collects them.
    with tempfile.TemporaryDirectory() as scratch:
        _manage(
            _command_env(STATIC_ROOT=str(path), CACHE_DIR=scratch, MEDIA_ROOT=scratch), "collectstatic", "--no-input"
        )


def migrated_sqlite(destination):
    """A copy, at `destination`, of an empty SQLite database migrated by `manage.py migrate`; its sqlite:/// URL.

    Migrations fill nothing that depends on the settings on an empty database (no data migration finds rows), so
    one migrated file serves every test's settings."""
    return _copied(_made_once("migrated.sqlite3", _migrate_into), destination)


def seeded_sqlite(destination):
    """A copy, at `destination`, of migrated_sqlite() with the sample stories `manage.py load_seed_stories`
    publishes; its sqlite:/// URL. Their rows depend on no setting an environment gives (the site's time zone and
    languages are in settings.py); the cache generation their saving started was in a cache of its own, gone."""
    return _copied(_made_once("seeded.sqlite3", _seed_into), destination)


def forty_megapixel_photo(destination):
    """A copy, at `destination`, of an 8000 × 5000 photo-like JPEG (testkit.files.photo_like, quality 85): a photo
    as large as editors and applicants may send. It takes 4 s of CPU to make; the tests of featured images and of
    letters each want it, in whichever xdist worker runs them."""
    destination = Path(destination)
    shutil.copyfile(_made_once("forty-megapixels.jpg", _photograph_into), destination)
    return destination


def _copied(database, destination):
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(database, destination)
    return f"sqlite:///{destination}"


def collected_static(destination):
    """A copy, at `destination` (STATIC_ROOT), of the static files `manage.py collectstatic` collects."""
    shutil.copytree(_made_once("static", _collect_static_into), destination, dirs_exist_ok=True)
    return Path(destination)
