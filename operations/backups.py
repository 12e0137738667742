"""Backups that restore: the database and the uploaded files in one dated archive, and back again.

An archive (ietp-backup-20261127T071500Z.tar) holds
  database.pgdump or database.sqlite3  a consistent snapshot (pg_dump's custom format; SQLite's online backup API)
  media/...                            the public uploads (storages["default"]: MEDIA_ROOT, or the media bucket)
  private-media/...                    the private files (storages["private"]: PRIVATE_MEDIA_ROOT, or the private
                                       bucket; membership letters)
  manifest.json                        what it holds, each file with its size and SHA-256, and the migrations applied
The database is copied before the files: a file an upload wrote for a row in the snapshot is already stored.
Files are read and written through the storage API, so a folder and a bucket are backed up and restored alike.
Used by the `backup` and `restore` management commands.
"""

import contextlib
import datetime
import fcntl
import hashlib
import io
import json
import os
import posixpath
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

import django
from django.core.files import File
from django.core.files.storage import FileSystemStorage, storages
from django.db import DatabaseError, connections
from django.db.backends.postgresql.client import DatabaseClient as PostgresClient
from django.db.migrations.recorder import MigrationRecorder

FORMAT = "ietp-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE_FILES = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
ARCHIVE_PREFIX = "ietp-backup-"
# Only names like these are ever pruned: anything else in the directory is left alone.
ARCHIVE_NAME = re.compile(r"^ietp-backup-(\d{8}T\d{6}Z)(?:-(\d+))?\.tar$")
PARTIAL_SUFFIX = ".partial"
LOCK_NAME = ".ietp-backup.lock"
WORK_PREFIX = "ietp-backup-work-"
# Tables `migrate` fills by itself (news' migrations create the editors' group): rows there do not make a
# database "in use".
MIGRATE_FILLED_TABLES = {
    "django_migrations",
    "django_content_type",
    "auth_permission",
    "auth_group",
    "auth_group_permissions",
}
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


# --- What is backed up ----------------------------------------------------------------------------


def file_storages():
    """The storages of uploaded files, by their folder name in the archive."""
    return {"media": storages["default"], "private-media": storages["private"]}


def in_a_bucket(storage):
    """Whether `storage` is django-storages' S3 storage. Its module (and boto3, a fifth of a second of each command's
    start) is loaded only where settings name it, so a storage that is one has loaded it already."""
    s3 = sys.modules.get("storages.backends.s3")
    return s3 is not None and isinstance(storage, s3.S3Storage)


def describe(storage):
    """Where a storage keeps its files, for messages: a directory, or s3://bucket/folder."""
    if isinstance(storage, FileSystemStorage):
        return storage.location
    if in_a_bucket(storage):
        return f"s3://{storage.bucket_name}/{storage.location}".rstrip("/")
    return type(storage).__name__


def files_under(root):
    """Regular files under `root`, as sorted paths relative to it (symbolic links are not followed)."""
    if not root.is_dir():
        return []
    found = []
    for directory, subdirectories, names in os.walk(root):
        subdirectories.sort()
        for name in names:
            path = Path(directory, name)
            if path.is_file() and not path.is_symlink():
                found.append(path.relative_to(root))
    return sorted(found)


def stored_names(storage):
    """Every file's name in `storage`, sorted: one listing of the bucket's keys (a thousand a request), or a walk
    of the directory."""
    if isinstance(storage, FileSystemStorage):
        return [relative.as_posix() for relative in files_under(Path(storage.location))]
    if in_a_bucket(storage):
        prefix = f"{storage.location}/" if storage.location else ""
        keys = (item.key for item in storage.bucket.objects.filter(Prefix=prefix))
        # A "folder" an S3 console made is an empty key ending in "/": not a file.
        return sorted(key.removeprefix(prefix) for key in keys if not key.endswith("/"))
    return sorted(walk_storage(storage, ""))


def walk_storage(storage, directory):
    directories, files = storage.listdir(directory)
    for name in files:
        yield posixpath.join(directory, name)
    for name in directories:
        yield from walk_storage(storage, posixpath.join(directory, name))


def database_vendor(alias="default"):
    vendor = connections[alias].vendor
    if vendor not in DATABASE_FILES:
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {vendor}.")
    return vendor


def applied_migrations(alias="default"):
    recorder = MigrationRecorder(connections[alias])
    if not recorder.has_table():
        return {}
    migrations = {}
    for app, name in sorted(recorder.applied_migrations()):
        migrations.setdefault(app, []).append(name)
    return migrations


# --- PostgreSQL -----------------------------------------------------------------------------------


def postgres_env(alias="default"):
    """The environment that points libpq's tools (pg_dump, pg_restore) at the configured database; the password
    goes in the environment, never on a command line other users can read."""
    settings_dict = connections[alias].settings_dict
    _args, secrets = PostgresClient.settings_to_cmd_args_env(settings_dict, [])
    env = dict(os.environ) | (secrets or {})
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"), ("PGDATABASE", "NAME")):
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    return env


def postgres_tool(name, alias="default"):
    """The path of pg_dump or pg_restore, checked to be at least as new as the server (older ones refuse)."""
    path = shutil.which(name)
    if not path:
        raise BackupError(f"{name} was not found on PATH: install the PostgreSQL client (e.g. postgresql-client-15).")
    version = subprocess.run([path, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    match = re.search(r"(\d+)(?:\.(\d+))?", version)
    connection = connections[alias]
    try:
        connection.ensure_connection()
    except DatabaseError as error:
        raise BackupError(f"Cannot connect to the database: {error}") from error
    server_major = connection.pg_version // 10000
    if not match or int(match[1]) < server_major:
        raise BackupError(
            f"{version or name} is older than the database server (PostgreSQL {server_major}): install "
            f"postgresql-client-{server_major} or newer and put it first on PATH."
        )
    return path, version


def run_tool(command, env, what):
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{what} failed (exit code {result.returncode}): {result.stderr.strip()}")
    return result


def dump_postgres(destination, alias="default"):
    pg_dump, version = postgres_tool("pg_dump", alias)
    # One transaction's snapshot: consistent while the site keeps writing.
    run_tool([pg_dump, "--format=custom", "--no-password", f"--file={destination}"], postgres_env(alias), "pg_dump")
    return version


def restore_postgres(dump, *, clean, alias="default"):
    pg_restore, _version = postgres_tool("pg_restore", alias)
    connections[alias].close()
    command = [pg_restore, "--no-owner", "--no-privileges", "--no-password", "--single-transaction", "--exit-on-error"]
    if clean:
        # Drops each table, sequence and index the archive holds before recreating it, in the same transaction.
        command += ["--clean", "--if-exists"]
    env = postgres_env(alias)
    run_tool([*command, f"--dbname={env['PGDATABASE']}", str(dump)], env, "pg_restore")


# --- SQLite ---------------------------------------------------------------------------------------


def sqlite_path(alias="default"):
    name = str(connections[alias].settings_dict["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        raise BackupError("The database is in memory: there is nothing on disk to back up or restore into.")
    return Path(name)


def dump_sqlite(destination, alias="default"):
    source_path = sqlite_path(alias)
    if not source_path.is_file():
        raise BackupError(f"The SQLite database {source_path} does not exist.")
    # The online backup API copies a consistent snapshot while other processes keep writing.
    with contextlib.closing(sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)) as source:
        with contextlib.closing(sqlite3.connect(destination)) as copy:
            source.backup(copy)
    return f"SQLite {sqlite3.sqlite_version}"


def restore_sqlite(snapshot, alias="default"):
    target_path = sqlite_path(alias)
    connections[alias].close()
    target_path.parent.mkdir(parents=True, exist_ok=True)
    # Through the backup API rather than a file copy: the target's journal stays consistent, and processes that
    # have the file open see the restored content instead of a deleted file.
    with contextlib.closing(sqlite3.connect(f"file:{snapshot}?mode=ro", uri=True)) as source:
        with contextlib.closing(sqlite3.connect(target_path)) as target:
            source.backup(target)


# --- Writing an archive ---------------------------------------------------------------------------


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while block := stream.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


class HashingReader:
    """Reads a file into the archive and hashes exactly the bytes archived."""

    def __init__(self, stream):
        self.stream, self.digest = stream, hashlib.sha256()

    def read(self, size=-1):
        block = self.stream.read(size)
        self.digest.update(block)
        return block


def add_file(archive, path, name):
    """Adds the file at `path` as `name`; its manifest entry."""
    with open(path, "rb") as stream:
        info = archive.gettarinfo(fileobj=stream, arcname=name)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        reader = HashingReader(stream)
        archive.addfile(info, reader)
    return {"path": name, "size": info.size, "sha256": reader.digest.hexdigest()}


def add_stored_file(archive, storage, stored_name, name):
    """Adds a stored file as `name`, read through its storage; its manifest entry, or None if it vanished (a
    replaced upload deleted meanwhile)."""
    try:
        stream = storage.open(stored_name, "rb")
    except FileNotFoundError:
        return None
    with stream:
        info = tarfile.TarInfo(name)
        info.size, info.mode = stream.size, 0o644
        with contextlib.suppress(NotImplementedError, OSError):
            info.mtime = storage.get_modified_time(stored_name).timestamp()
        reader = HashingReader(stream)
        archive.addfile(info, reader)
    return {"path": name, "size": info.size, "sha256": reader.digest.hexdigest()}


def archive_name(directory, now):
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    name, number = f"{ARCHIVE_PREFIX}{stamp}.tar", 1
    while (directory / name).exists():
        number += 1
        name = f"{ARCHIVE_PREFIX}{stamp}-{number}.tar"
    return name


@contextlib.contextmanager
def backup_lock(directory):
    """Only one backup at a time writes to a directory (cron may start one before the last has finished)."""
    lock_path = directory / LOCK_NAME
    try:
        lock = open(lock_path, "a")
    except OSError as error:
        raise BackupError(f"Cannot write in the backup directory {directory}: {error}") from error
    with lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError(f"Another backup is running in {directory} (it holds {lock_path}).") from None
        yield


def fsync_directory(directory):
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def create_backup(directory, keep, log=print, alias="default"):
    """Writes an archive into `directory`, keeps the newest `keep` archives there; returns the archive's path."""
    if keep < 1:
        raise BackupError("--keep must be at least 1.")
    directory = Path(directory).resolve()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BackupError(f"Cannot create the backup directory {directory}: {error}") from error
    vendor = database_vendor(alias)
    with backup_lock(directory):
        # A run killed half-way left its partial archive and working folder: nobody else writes here while we
        # hold the lock.
        for stale in directory.glob(f".{ARCHIVE_PREFIX}*{PARTIAL_SUFFIX}"):
            stale.unlink()
        for stale in directory.glob(f".{WORK_PREFIX}*"):
            shutil.rmtree(stale, ignore_errors=True)
        now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
        final = directory / archive_name(directory, now)
        # A hidden name that no reader takes for an archive; renamed only once complete and on disk.
        partial = directory / f".{final.name}{PARTIAL_SUFFIX}"
        try:
            with tempfile.TemporaryDirectory(prefix=f".{WORK_PREFIX}", dir=directory) as work:
                database_file = Path(work) / DATABASE_FILES[vendor]
                dump = dump_postgres if vendor == "postgresql" else dump_sqlite
                tool = dump(database_file, alias)
                manifest = {
                    "format": FORMAT,
                    "format_version": FORMAT_VERSION,
                    "created_at": now.isoformat().replace("+00:00", "Z"),
                    "django_version": django.get_version(),
                    "database": {"vendor": vendor, "file": database_file.name, "tool": tool},
                    "migrations": applied_migrations(alias),
                    "roots": [],
                    "files": [],
                }
                # Readable by its owner only from the start: it holds applicants' personal data.
                with open(partial, "wb", opener=lambda path, flags: os.open(path, flags, 0o600)) as stream:
                    with tarfile.open(fileobj=stream, mode="w", format=tarfile.PAX_FORMAT) as archive:
                        manifest["files"].append(add_file(archive, database_file, database_file.name))
                        for folder, storage in file_storages().items():
                            manifest["roots"].append(folder)
                            for stored_name in stored_names(storage):
                                entry = add_stored_file(archive, storage, stored_name, f"{folder}/{stored_name}")
                                if entry:
                                    manifest["files"].append(entry)
                        body = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
                        info = tarfile.TarInfo(MANIFEST)
                        info.size, info.mtime, info.mode = len(body), now.timestamp(), 0o644
                        archive.addfile(info, io.BytesIO(body))
                    stream.flush()
                    os.fsync(stream.fileno())
            os.replace(partial, final)
            fsync_directory(directory)
        except BaseException as error:
            partial.unlink(missing_ok=True)
            if isinstance(error, OSError):
                raise BackupError(f"Could not write the archive in {directory}: {error}") from error
            raise
        counts = {folder: 0 for folder in manifest["roots"]}
        for entry in manifest["files"][1:]:
            counts[entry["path"].split("/", 1)[0]] += 1
        log(
            f"Backed up the {vendor} database ({tool}) and "
            + ", ".join(f"{count} files of {folder}" for folder, count in counts.items())
            + f": {final.stat().st_size} bytes."
        )
        for old in prune(directory, keep):
            log(f"Removed the older archive {old}.")
    return final


def archives_in(directory):
    """This command's archives in `directory`, oldest first."""
    found = []
    for path in Path(directory).iterdir():
        match = ARCHIVE_NAME.match(path.name)
        if match and path.is_file():
            found.append(((match[1], int(match[2] or 1)), path))
    return [path for _key, path in sorted(found)]


def prune(directory, keep):
    archives = archives_in(directory)
    old = archives[: max(len(archives) - keep, 0)]
    for path in old:
        path.unlink()
    return old


# --- Restoring ------------------------------------------------------------------------------------


def read_manifest(archive_path):
    """The manifest of a readable archive of this format, or a BackupError saying what is wrong with it."""
    archive_path = Path(archive_path)
    if not archive_path.is_file():
        raise BackupError(f"No archive at {archive_path}.")
    try:
        with tarfile.open(archive_path, "r:") as archive:
            member = archive.getmember(MANIFEST)
            manifest = json.load(archive.extractfile(member))
    except (tarfile.TarError, KeyError, ValueError, OSError) as error:
        raise BackupError(f"{archive_path} is not a complete backup archive ({error}).") from error
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"{archive_path} is not a backup of format {FORMAT} {FORMAT_VERSION} "
            f"(it says {manifest.get('format')} {manifest.get('format_version')})."
        )
    for entry in manifest["files"]:
        path = PurePosixPath(entry["path"])
        inside = path.parts and path.parts[0] in {"media", "private-media"} and len(path.parts) > 1
        if path.is_absolute() or ".." in path.parts or not (inside or entry["path"] in DATABASE_FILES.values()):
            raise BackupError(f"{archive_path} names a file outside the site's folders: {entry['path']!r}.")
    return manifest


def verify_archive(archive_path, manifest):
    """Reads every file of the archive and checks it against the manifest, before anything is touched."""
    expected = {entry["path"]: entry for entry in manifest["files"]}
    seen = set()
    with tarfile.open(archive_path, "r:") as archive:
        for member in archive:
            if member.name == MANIFEST:
                continue
            entry = expected.get(member.name)
            if entry is None or not member.isfile():
                raise BackupError(f"{archive_path} holds {member.name!r}, which its manifest does not list.")
            digest = hashlib.sha256()
            stream = archive.extractfile(member)
            while block := stream.read(CHUNK):
                digest.update(block)
            if digest.hexdigest() != entry["sha256"] or member.size != entry["size"]:
                raise BackupError(f"{archive_path} is damaged: {member.name} does not match its checksum.")
            seen.add(member.name)
    missing = sorted(set(expected) - seen)
    if missing:
        raise BackupError(f"{archive_path} is incomplete: {len(missing)} files are missing, e.g. {missing[0]}.")


def rows_in_use(alias="default"):
    """Tables holding rows that `migrate` did not put there, with a row count each (an empty dict: not in use)."""
    connection = connections[alias]
    with connection.cursor() as cursor:
        tables = [table for table in connection.introspection.table_names(cursor) if table not in MIGRATE_FILLED_TABLES]
        in_use = {}
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            count = cursor.fetchone()[0]
            if count:
                in_use[table] = count
    return in_use


def has_tables(alias="default"):
    connection = connections[alias]
    with connection.cursor() as cursor:
        return bool(connection.introspection.table_names(cursor))


def restore_backup(archive_path, *, force=False, log=print, alias="default"):
    archive_path = Path(archive_path).resolve()
    manifest = read_manifest(archive_path)
    vendor = database_vendor(alias)
    archived_vendor = manifest["database"]["vendor"]
    if archived_vendor != vendor:
        raise BackupError(
            f"{archive_path.name} holds a {archived_vendor} database and this site is configured for {vendor}: "
            f"restore it into a {archived_vendor} database (set DATABASE_URL), then move the data across if needed."
        )
    verify_archive(archive_path, manifest)
    log(f"Checked {len(manifest['files'])} files of {archive_path.name} against their checksums.")

    targets = {folder: storage for folder, storage in file_storages().items() if folder in manifest["roots"]}
    in_use = rows_in_use(alias)
    occupied = [describe(storage) for storage in targets.values() if stored_names(storage)]
    if (in_use or occupied) and not force:
        problems = [f"the database has rows in {', '.join(sorted(in_use))}"] if in_use else []
        problems += [f"{place} holds files" for place in occupied]
        raise BackupError(
            "Refusing to restore over a site in use: "
            + "; ".join(problems)
            + ". Restore into an empty database and empty folders (or buckets), or add --force to replace the "
            "database's tables and the folders' (or buckets') contents with the archive's (what is there now is lost)."
        )

    database_name = manifest["database"]["file"]
    checksums = {entry["path"]: entry["sha256"] for entry in manifest["files"]}
    with tempfile.TemporaryDirectory(prefix="ietp-restore-") as work:
        snapshot = Path(work) / database_name
        with tarfile.open(archive_path, "r:") as archive:
            extract_to(archive, archive.getmember(database_name), snapshot, checksums)
            if vendor == "postgresql":
                restore_postgres(snapshot, clean=has_tables(alias), alias=alias)
            else:
                restore_sqlite(snapshot, alias=alias)
            log(f"Restored the {vendor} database from {manifest['created_at']}.")
            for storage in targets.values():
                if force:
                    empty_storage(storage)
            restored = dict.fromkeys(targets, 0)
            # In the archive's order: one pass, however many files.
            for member in archive:
                folder, _slash, name = member.name.partition("/")
                if folder in targets and name:
                    store_from(archive, member, targets[folder], name, checksums, work)
                    restored[folder] += 1
            for folder, count in restored.items():
                log(f"Restored {count} files into {describe(targets[folder])}.")
    missing, unknown = migration_differences(manifest)
    if missing:
        log(
            f"The archive's database lacks {len(missing)} of this release's migrations (e.g. "
            f"{'.'.join(missing[0])}): run `manage.py migrate` next."
        )
    if unknown:
        log(
            f"The archive comes from a newer release ({len(unknown)} migrations this code does not have, e.g. "
            f"{'.'.join(unknown[0])}): run that release's code on it."
        )


def extract_to(archive, member, destination, checksums):
    """Writes one archived file to `destination` (through a temporary name), checking its checksum again."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(f".{destination.name}{PARTIAL_SUFFIX}")
    digest = hashlib.sha256()
    source = archive.extractfile(member)
    with open(partial, "wb") as stream:
        while block := source.read(CHUNK):
            digest.update(block)
            stream.write(block)
    if digest.hexdigest() != checksums[member.name]:
        partial.unlink()
        raise BackupError(f"{member.name} changed while it was restored: the archive is being modified.")
    os.utime(partial, (member.mtime, member.mtime))
    os.replace(partial, destination)


def store_from(archive, member, storage, name, checksums, work):
    """Stores one archived file under its own name through `storage`, once its checksum has been checked again."""
    checked = Path(work) / "file"
    extract_to(archive, member, checked, checksums)
    with open(checked, "rb") as content:
        stored_name = storage.save(name, File(content, name=name))
    checked.unlink()
    if stored_name != name:
        raise BackupError(f"{describe(storage)} already held {name}: restore into an empty one, or add --force.")
    if isinstance(storage, FileSystemStorage):
        os.utime(storage.path(name), (member.mtime, member.mtime))


def empty_storage(storage):
    """Deletes every file in `storage`; a directory itself stays (it may be a mounted volume)."""
    if isinstance(storage, FileSystemStorage):
        empty_directory(Path(storage.location))
        return
    for name in stored_names(storage):
        storage.delete(name)


def empty_directory(root):
    """Removes everything inside `root`, keeping `root` itself."""
    if not root.is_dir():
        return
    for child in root.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def migration_differences(manifest):
    """The migrations of this code the archive's database has not had, and those it had that this code lacks."""
    from django.db.migrations.loader import MigrationLoader

    archived = {(app, name) for app, names in manifest["migrations"].items() for name in names}
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    return sorted(known - archived), sorted(archived - known)
