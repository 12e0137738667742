"""What many tests' site processes need before they start, made once per test run and copied: a SQLite database
`manage.py migrate` has set up (also with the sample stories of `manage.py load_seed_stories`), the same as
PostgreSQL template databases, and the static files `manage.py collectstatic` has collected (compressed). Each is
the output of the site's own commands, run as the tests ran them; made once instead of per test, it saves a Django
start and a migration (about 2 s) per database, a Django start and the stories' saving per seeded one, and 13 s of
compression (CPU on every core) per static folder.

The copies are made for the pytest run by whichever process (xdist worker) asks first, under a lock the others
wait on; tests/conftest.py says where (shared_directory). A test about migrate, load_seed_stories or collectstatic
themselves runs them."""

import atexit
import fcntl
import hashlib
import os
import secrets
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from testkit.servers import manage

# Set by tests/conftest.py for the run: a directory every xdist worker of this run shares. Elsewhere (bench/), one
# of this process's own: never a copy made by an older release.
shared_directory = None


def _made_once(name, make):
    """The path of `name` in the shared directory, made by `make(path)` by the first process to ask."""
    global shared_directory
    if shared_directory is None:
        shared_directory = tempfile.mkdtemp(prefix="ietp-prepared-")
        # No test run to drop them at its end: this process is the only one to use them.
        atexit.register(drop_postgres_templates, shared_directory)
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


MIGRATE = ("migrate", "--no-input")
SEED = ("load_seed_stories",)


def _run_on(database_url, *commands):
    """Runs each manage.py command (its arguments) on the database at `database_url`, with scratch folders."""
    with tempfile.TemporaryDirectory() as scratch:
        env = _command_env(DATABASE_URL=database_url, DATABASE_POOL="0", CACHE_DIR=scratch, MEDIA_ROOT=scratch)
        for command in commands:
            _manage(env, *command)


def _migrate_into(path):
    _run_on(f"sqlite:///{path}", MIGRATE)


def _seed_into(path):
    shutil.copyfile(_made_once("migrated.sqlite3", _migrate_into), path)
    _run_on(f"sqlite:///{path}", SEED)


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


# --- PostgreSQL: template databases on the server the suite uses, copied by CREATE DATABASE ... TEMPLATE ---------


def postgres_database(database_url, seeded=False):
    """Makes the PostgreSQL database `database_url` names (replacing one of that name) as a copy of a template that
    `manage.py migrate` (and, seeded, `load_seed_stories`) set up once for the run on the same server; its URL.

    The copy takes a fraction of a second, where migrating takes a Django start and 2 s of CPU. The templates are
    dropped at the end of the run (drop_postgres_templates)."""
    parts = urlsplit(database_url)
    server = urlunsplit(parts._replace(path="/postgres"))
    kind = "seeded" if seeded else "migrated"
    made = _made_once(
        f"postgres-{kind}-{hashlib.sha256(server.encode()).hexdigest()[:12]}", _template_maker(server, kind)
    )
    template = made.read_text().split()[-1]
    name = parts.path.lstrip("/")
    with _maintenance(server) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return database_url


def _template_maker(server, kind):
    def make(path):
        name = f"ietp_prepared_{kind}_{secrets.token_hex(6)}"
        # Named in the shared directory before it exists: the end of the run drops it whatever happens next.
        path.write_text(f"{server} {name}")
        database_url = urlunsplit(urlsplit(server)._replace(path=f"/{name}"))
        if kind == "seeded":
            postgres_database(database_url)  # a copy of the migrated template, which is then seeded
            _run_on(database_url, SEED)
            return
        with _maintenance(server) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        _run_on(database_url, MIGRATE)

    return make


def _maintenance(server):
    import psycopg

    return psycopg.connect(server, autocommit=True)


def drop_postgres_templates(directory=None):
    """Drops the template databases made for the run whose shared directory is `directory` (by default this
    process's): at the end of the run, once no process copies them any more."""
    root = directory or shared_directory
    if root is None or not Path(root).is_dir():
        return
    for made in Path(root).glob("postgres-*"):
        if made.suffix == ".lock":
            continue
        server, _space, name = made.read_text().partition(" ")
        if name:
            with _maintenance(server) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        made.unlink()


def _copied(database, destination):
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(database, destination)
    return f"sqlite:///{destination}"


def collected_static(destination):
    """A copy, at `destination` (STATIC_ROOT), of the static files `manage.py collectstatic` collects."""
    shutil.copytree(_made_once("static", _collect_static_into), destination, dirs_exist_ok=True)
    return Path(destination)
