"""Backups that restore: `manage.py backup` and `manage.py restore` run as cron runs them (subprocesses with a bare
environment), on the suite's own database (SQLite or PostgreSQL), restored into a fresh database and fresh folders
and compared row by row and file by file."""

import contextlib
import fcntl
import hashlib
import io
import json
import os
import re
import secrets
import signal
import sqlite3
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from urllib.parse import quote

import dj_database_url
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from news.models import StoryDocument
from testkit import prepared
from testkit.applications import make_application
from testkit.files import minimal_pdf, office_file, photo_like
from testkit.object_storage import Buckets, anonymous_get
from testkit.stories import make_story

ROOT = Path(__file__).resolve().parents[2]
ARCHIVE_NAME = re.compile(r"^ietp-backup-\d{8}T\d{6}Z(-\d+)?\.tar$")

pytestmark = pytest.mark.slow


def on_postgres():
    return connection.vendor == "postgresql"


# --- Databases, queried for real --------------------------------------------------------------------


def postgres_url(name):
    settings_dict = connection.settings_dict
    user = quote(settings_dict["USER"] or "", safe="")
    password = f":{quote(str(settings_dict['PASSWORD']), safe='')}" if settings_dict["PASSWORD"] else ""
    host = settings_dict["HOST"] or "127.0.0.1"
    port = settings_dict["PORT"] or 5432
    return f"postgres://{user}{password}@{host}:{port}/{name}"


def postgres_connection(name, **options):
    import psycopg

    return psycopg.connect(postgres_url(name), **options)


def site_database_url(tmp_path):
    """The address of the database the test built its site in, for the commands' DATABASE_URL.

    On PostgreSQL, the suite's test database itself (its rows are committed: transactional_db). SQLite test
    databases live in memory, out of a subprocess's reach: the site is copied, with the backup API, into a file
    that then plays the production database.
    """
    if on_postgres():
        return postgres_url(connection.settings_dict["NAME"])
    path = tmp_path / "site.sqlite3"
    connection.ensure_connection()
    with contextlib.closing(sqlite3.connect(path)) as copy:
        connection.connection.backup(copy)
    return f"sqlite:///{path}"


@pytest.fixture
def fresh_database_url(tmp_path):
    """An empty database to restore into: a new PostgreSQL database on the same server, or a new SQLite file."""
    if not on_postgres():
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    configured = dj_database_url.parse(os.environ["DATABASE_URL"])["NAME"]
    name = f"{configured}_restore_{secrets.token_hex(4)}"
    with postgres_connection("postgres", autocommit=True) as server:
        server.execute(f'CREATE DATABASE "{name}"')
    try:
        yield postgres_url(name)
    finally:
        with postgres_connection("postgres", autocommit=True) as server:
            server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def everything_in(database_url):
    """Every row of every table, the schema and (PostgreSQL) each sequence's position, read from the database."""
    if database_url.startswith("sqlite"):
        with contextlib.closing(sqlite3.connect(database_url.removeprefix("sqlite:///"))) as database:
            tables = [row[0] for row in database.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            contents = {table: database.execute(f'SELECT * FROM "{table}"').fetchall() for table in tables}
            contents["(schema)"] = database.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
    else:
        with postgres_connection(database_url.rsplit("/", 1)[1]) as database:
            tables = [row[0] for row in database.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
            contents = {table: database.execute(f'SELECT * FROM "{table}"').fetchall() for table in tables}
            contents["(schema)"] = database.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
            ).fetchall()
            contents["(sequences)"] = database.execute(
                "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
            ).fetchall()
    return {table: sorted(rows, key=repr) for table, rows in contents.items()}


def checksums(directory):
    return {
        path.relative_to(directory).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


# --- The commands, as cron runs them --------------------------------------------------------------------


def cron_env(database_url, folders, **extra):
    """What a crontab line gives a command: a bare PATH and the site's production settings, nothing of this
    process's environment."""
    return {
        "PATH": "/usr/bin:/bin",
        "SECRET_KEY": "backup-test-" + "k" * 50,
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(folders / "media"),
        "PRIVATE_MEDIA_ROOT": str(folders / "private-media"),
        "BACKUP_DIR": str(folders / "backups"),
        **extra,
    }


def manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )


def archives(directory):
    return sorted(path.name for path in directory.iterdir() if ARCHIVE_NAME.match(path.name))


# --- The site ---------------------------------------------------------------------------------------


@pytest.fixture
def site(transactional_db, settings, tmp_path, django_user_model):
    """A site in use: stories in English and Chinese with featured images and documents, an editor, applications
    from both forms and a private letter; its database address and its folders (media/, private-media/)."""
    folders = tmp_path / "site"
    settings.MEDIA_ROOT = folders / "media"
    settings.PRIVATE_MEDIA_ROOT = folders / "private-media"
    django_user_model.objects.create_superuser("editor", "editor@example.org", "correct horse")
    visit = make_story(
        {
            "en": {"title": "Factory visit in Dongguan", "summary": "Workers elected a committee.", "body": "<p>A</p>"},
            "zh-hans": {"title": "东莞工厂探访", "slug": "东莞工厂探访", "summary": "工人选出了委员会。"},
        },
        image=SimpleUploadedFile("visit.jpg", photo_like(800, 600)),
    )
    make_story({"zh-hans": "只有中文的新闻"}, image=SimpleUploadedFile("fair.png", photo_like(640, 480, "PNG")))
    make_story({"en": "A draft in English"}, status="draft")
    StoryDocument.objects.create(
        story=visit, language_code="en", title="Audit deadlines", file=SimpleUploadedFile("audit.pdf", minimal_pdf())
    )
    StoryDocument.objects.create(
        story=visit, language_code="zh-hans", title="审核时间表", file=SimpleUploadedFile("审核.docx", office_file())
    )
    make_application()
    make_application(company_name="明亮玩具有限公司", contact_email="li@bright.example.cn", language="zh-hans")
    letters = settings.PRIVATE_MEDIA_ROOT / "letters"
    letters.mkdir(parents=True)
    (letters / "application-1.pdf").write_bytes(minimal_pdf("Letter of intent"))
    return site_database_url(tmp_path), folders


def test_a_backup_restores_into_a_fresh_database_and_folders_with_every_row_and_file_alike(
    site, tmp_path, fresh_database_url
):
    database_url, folders = site
    backed_up = manage("backup", env=cron_env(database_url, folders))
    assert backed_up.returncode == 0, backed_up.stderr
    archive = Path(backed_up.stdout.splitlines()[-1])
    assert archive.parent == folders / "backups" and ARCHIVE_NAME.match(archive.name)
    assert archive.stat().st_mode & 0o077 == 0  # applicants' personal data: for the owner only
    with tarfile.open(archive) as opened:
        manifest = json.load(opened.extractfile("manifest.json"))
    assert manifest["database"]["vendor"] == connection.vendor
    assert "0001_initial" in manifest["migrations"]["news"]
    archived = {entry["path"]: entry["sha256"] for entry in manifest["files"]}
    assert (
        archived["private-media/letters/application-1.pdf"]
        == hashlib.sha256(minimal_pdf("Letter of intent")).hexdigest()
    )

    restored = tmp_path / "restored"
    result = manage("restore", str(archive), env=cron_env(fresh_database_url, restored))
    assert result.returncode == 0, result.stderr

    original, copy = everything_in(database_url), everything_in(fresh_database_url)
    assert copy == original
    assert len(original["news_newsstory"]) == 3 and len(original["news_newsstory_translation"]) == 4
    assert len(original["news_storydocument"]) == 2 and len(original["membership_membershipapplication"]) == 2
    assert any("东莞工厂探访" in repr(row) for row in copy["news_newsstory_translation"])
    for folder in ("media", "private-media"):
        assert checksums(restored / folder) == checksums(folders / folder)
    media = checksums(restored / "media")
    assert sum(name.startswith("news/images/") for name in media) > 10  # both photos and their renditions
    assert sum(name.startswith("news/documents/") for name in media) == 2
    assert list(checksums(restored / "private-media")) == ["letters/application-1.pdf"]


def test_restore_refuses_a_database_or_folders_in_use_and_force_replaces_them(site, tmp_path, fresh_database_url):
    database_url, folders = site
    archive = manage("backup", env=cron_env(database_url, folders)).stdout.splitlines()[-1]
    target = tmp_path / "target"
    (target / "media").mkdir(parents=True)
    (target / "media" / "someone-elses.jpg").write_bytes(b"not ours")

    refused = manage("restore", archive, env=cron_env(fresh_database_url, target))
    assert refused.returncode != 0
    assert "Refusing to restore over a site in use" in refused.stderr and "media holds files" in refused.stderr
    assert "--force" in refused.stderr and "Traceback" not in refused.stderr
    assert not [table for table in everything_in(fresh_database_url) if table.startswith("news_")]

    (target / "media" / "someone-elses.jpg").unlink()
    assert manage("restore", archive, env=cron_env(fresh_database_url, target)).returncode == 0
    refused_again = manage("restore", archive, env=cron_env(fresh_database_url, target))
    assert refused_again.returncode != 0 and "the database has rows in" in refused_again.stderr
    assert "news_newsstory" in refused_again.stderr and "membership_membershipapplication" in refused_again.stderr

    (target / "private-media" / "stray.txt").write_text("left behind")
    forced = manage("restore", archive, "--force", env=cron_env(fresh_database_url, target))
    assert forced.returncode == 0, forced.stderr
    assert everything_in(fresh_database_url) == everything_in(database_url)
    assert checksums(target / "private-media") == checksums(folders / "private-media")


def test_restore_checks_every_checksum_before_touching_anything(site, tmp_path, fresh_database_url):
    database_url, folders = site
    archive = Path(manage("backup", env=cron_env(database_url, folders)).stdout.splitlines()[-1])
    with tarfile.open(archive) as opened:
        letter = opened.getmember("private-media/letters/application-1.pdf")
    with open(archive, "r+b") as damaged:
        damaged.seek(letter.offset_data + 20)
        damaged.write(b"X")

    result = manage("restore", str(archive), env=cron_env(fresh_database_url, tmp_path / "target"))
    assert result.returncode != 0
    assert "is damaged: private-media/letters/application-1.pdf does not match its checksum" in result.stderr
    assert not [table for table in everything_in(fresh_database_url) if table.startswith("news_")]
    assert not (tmp_path / "target").exists()


def test_restore_refuses_an_archive_of_the_other_database_with_a_clear_message(site, tmp_path, fresh_database_url):
    database_url, folders = site
    archive = Path(manage("backup", env=cron_env(database_url, folders)).stdout.splitlines()[-1])
    other = "sqlite" if on_postgres() else "postgresql"
    relabelled = with_manifest_changed(archive, tmp_path, lambda manifest: manifest["database"].update(vendor=other))

    result = manage("restore", str(relabelled), env=cron_env(fresh_database_url, tmp_path / "target"))
    assert result.returncode != 0
    assert f"holds a {other} database and this site is configured for {connection.vendor}" in result.stderr


def test_restore_says_when_the_archive_and_this_release_differ_in_migrations(site, tmp_path, fresh_database_url):
    database_url, folders = site
    archive = Path(manage("backup", env=cron_env(database_url, folders)).stdout.splitlines()[-1])

    def from_another_release(manifest):
        manifest["migrations"]["news"].pop()
        manifest["migrations"]["news"].append("9999_from_a_newer_release")

    relabelled = with_manifest_changed(archive, tmp_path, from_another_release)
    result = manage("restore", str(relabelled), env=cron_env(fresh_database_url, tmp_path / "target"))
    assert result.returncode == 0, result.stderr
    assert "The archive's database lacks 1 of this release's migrations" in result.stdout
    assert "run `manage.py migrate` next" in result.stdout
    assert "e.g. news.9999_from_a_newer_release" in result.stdout


def with_manifest_changed(archive, tmp_path, change):
    """A copy of `archive` whose manifest `change` has edited (the files and their checksums untouched)."""
    copy_path = tmp_path / archive.name
    with tarfile.open(archive) as source, tarfile.open(copy_path, "w", format=tarfile.PAX_FORMAT) as copy:
        for member in source:
            content = source.extractfile(member).read()
            if member.name == "manifest.json":
                manifest = json.loads(content)
                change(manifest)
                content = json.dumps(manifest).encode()
                member.size = len(content)
            copy.addfile(member, io.BytesIO(content))
    return copy_path


def test_keep_leaves_the_newest_archives_and_nothing_else_is_deleted(site, tmp_path):
    database_url, folders = site
    backups = folders / "backups"
    backups.mkdir()
    (backups / "notes.txt").write_text("the operator's own file")
    (backups / "ietp-backup-before-upgrade.tar").write_bytes(b"kept by hand")

    written = []
    for _run in range(3):
        result = manage("backup", "--keep", "2", env=cron_env(database_url, folders))
        assert result.returncode == 0, result.stderr
        written.append(Path(result.stdout.splitlines()[-1]).name)
    assert len(set(written)) == 3  # runs within the same second get names of their own
    assert archives(backups) == sorted(written[1:])

    result = manage("backup", env=cron_env(database_url, folders, BACKUP_KEEP="1"))
    assert archives(backups) == [Path(result.stdout.splitlines()[-1]).name]
    assert (backups / "notes.txt").exists() and (backups / "ietp-backup-before-upgrade.tar").exists()


def test_an_interrupted_backup_leaves_no_archive_and_the_next_run_completes(site, tmp_path):
    database_url, folders = site
    backups = folders / "backups"
    big = folders / "media" / "news" / "big.bin"
    with open(big, "wb") as sparse:
        sparse.truncate(600 * 1024 * 1024)  # takes the run long enough to stop it half-way
    run = subprocess.Popen(
        [sys.executable, "manage.py", "backup"],
        cwd=ROOT,
        env=cron_env(database_url, folders),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not list(backups.glob(".ietp-backup-*.partial")) and time.monotonic() < deadline:
            assert run.poll() is None, "the backup finished before it could be interrupted"
            time.sleep(0.005)
        run.send_signal(signal.SIGKILL)
    finally:
        run.wait(timeout=30)
    assert list(backups.glob(".ietp-backup-*.partial")), "the backup was not interrupted while writing"
    assert list(backups.glob(".ietp-backup-work-*"))
    assert archives(backups) == []

    big.unlink()
    result = manage("backup", env=cron_env(database_url, folders))
    assert result.returncode == 0, result.stderr
    # Nothing of the killed run remains: neither its partial archive nor its working copy of the database.
    assert sorted(path.name for path in backups.iterdir()) == [".ietp-backup.lock", archives(backups)[0]]


def test_a_backup_while_another_runs_fails_at_once_and_says_why(site, tmp_path):
    database_url, folders = site
    (folders / "backups").mkdir()
    with open(folders / "backups" / ".ietp-backup.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = manage("backup", env=cron_env(database_url, folders))
    assert result.returncode != 0
    assert "Backup failed: Another backup is running" in result.stderr and "Traceback" not in result.stderr
    assert archives(folders / "backups") == []


def test_a_backup_of_an_unreachable_database_fails_with_a_clear_message_and_no_archive(tmp_path):
    missing = postgres_url(f"missing_{secrets.token_hex(4)}") if on_postgres() else f"sqlite:///{tmp_path / 'no.db'}"
    # Without the connection pool, which would wait its whole timeout for a database that is not there.
    result = manage("backup", env=cron_env(missing, tmp_path, DATABASE_POOL="0"))
    assert result.returncode != 0
    assert "Backup failed:" in result.stderr and "Traceback" not in result.stderr
    assert ("does not exist" in result.stderr) and archives(tmp_path / "backups") == []


def test_a_backup_into_a_place_it_cannot_write_fails_with_a_clear_message(site, tmp_path):
    database_url, folders = site
    not_a_directory = tmp_path / "backups-file"
    not_a_directory.write_text("in the way")
    result = manage("backup", "--output", str(not_a_directory), env=cron_env(database_url, folders))
    assert result.returncode != 0
    assert f"Backup failed: Cannot create the backup directory {not_a_directory}" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_database_that_migrate_has_just_set_up_counts_as_empty(site, tmp_path, fresh_database_url):
    database_url, folders = site
    archive = manage("backup", env=cron_env(database_url, folders)).stdout.splitlines()[-1]
    target = cron_env(fresh_database_url, tmp_path / "target")
    # What `manage.py migrate` leaves in an empty database, made by it once for the run (testkit.prepared).
    if on_postgres():
        prepared.postgres_database(fresh_database_url)
    else:
        prepared.migrated_sqlite(fresh_database_url.removeprefix("sqlite:///"))

    result = manage("restore", archive, env=target)
    assert result.returncode == 0, result.stderr
    assert everything_in(fresh_database_url) == everything_in(database_url)


# --- Files in buckets (MEDIA_STORAGE=s3) ------------------------------------------------------------


def objects_in(buckets):
    """{bucket role: {key: SHA-256}} of every object, read from the S3 server."""
    client = buckets.server.client()
    return {
        role: {
            key: hashlib.sha256(client.get_object(Bucket=bucket, Key=key)["Body"].read()).hexdigest()
            for key in buckets.keys(bucket)
        }
        for role, bucket in (("media", buckets.media), ("private", buckets.private))
    }


@pytest.fixture
def bucket_site(transactional_db, s3_buckets, tmp_path):
    """A site whose files live in buckets: stories with photos (renditions made) and a document, an application
    with its letter in the private bucket; its database address and buckets."""
    visit = make_story({"en": "Factory visit in Dongguan"}, image=SimpleUploadedFile("visit.jpg", photo_like(800, 600)))
    make_story({"zh-hans": "只有中文的新闻"}, image=SimpleUploadedFile("fair.png", photo_like(640, 480, "PNG")))
    StoryDocument.objects.create(
        story=visit, language_code="en", title="Audit", file=SimpleUploadedFile("审核.pdf", minimal_pdf())
    )
    make_application(letter=SimpleUploadedFile("signed.pdf", minimal_pdf("Letter of intent")))
    return site_database_url(tmp_path), s3_buckets


def bucket_env(database_url, buckets, folders):
    """cron_env for a site on `buckets`: its local media folders stay empty (none exist on a machine in a group)."""
    return cron_env(database_url, folders) | buckets.site_env()


def test_a_backup_holds_every_object_of_both_buckets_and_restores_them_into_empty_buckets(
    bucket_site, s3_server, tmp_path, fresh_database_url
):
    database_url, buckets = bucket_site
    original = objects_in(buckets)
    assert len(original["media"]) > 10 and len(original["private"]) == 1

    backed_up = manage("backup", env=bucket_env(database_url, buckets, tmp_path / "site"))
    assert backed_up.returncode == 0, backed_up.stderr
    assert f"{len(original['media'])} files of media, 1 files of private-media" in backed_up.stdout
    archive = Path(backed_up.stdout.splitlines()[-1])
    with tarfile.open(archive) as opened:
        manifest = json.load(opened.extractfile("manifest.json"))
    archived = {entry["path"]: entry["sha256"] for entry in manifest["files"][1:]}
    # The media bucket's keys start with its folder, AWS_LOCATION (media/), as the archive's media/ folder does.
    assert archived == {f"media/{key.removeprefix('media/')}": digest for key, digest in original["media"].items()} | {
        f"private-media/{key}": digest for key, digest in original["private"].items()
    }
    assert not (tmp_path / "site" / "media").exists()  # nothing came from, or went to, a local folder

    empty = Buckets.create(s3_server)
    try:
        result = manage("restore", str(archive), env=bucket_env(fresh_database_url, empty, tmp_path / "target"))
        assert result.returncode == 0, result.stderr
        assert f"into s3://{empty.media}/media" in result.stdout and f"into s3://{empty.private}." in result.stdout
        assert everything_in(fresh_database_url) == everything_in(database_url)
        assert objects_in(empty) == original
        # The restored photos are public again, the letter private again.
        photo = next(key for key in original["media"] if key.endswith(".webp"))
        assert anonymous_get(empty.object_url(empty.media, photo))[0] == 200
        letter = next(iter(original["private"]))
        assert anonymous_get(empty.object_url(empty.private, letter))[0] == 403
    finally:
        empty.delete()


def test_restore_refuses_buckets_in_use_and_force_replaces_their_objects(
    bucket_site, s3_server, tmp_path, fresh_database_url
):
    database_url, buckets = bucket_site
    archive = manage("backup", env=bucket_env(database_url, buckets, tmp_path / "site")).stdout.splitlines()[-1]
    target = Buckets.create(s3_server)
    try:
        target.server.client().put_object(Bucket=target.private, Key="letters/stray.pdf", Body=b"someone else's")
        env = bucket_env(fresh_database_url, target, tmp_path / "target")

        refused = manage("restore", archive, env=env)
        assert refused.returncode != 0 and "Traceback" not in refused.stderr
        assert f"s3://{target.private} holds files" in refused.stderr

        forced = manage("restore", archive, "--force", env=env)
        assert forced.returncode == 0, forced.stderr
        assert objects_in(target) == objects_in(buckets)
    finally:
        target.delete()
