"""File fields that own their files: what a model no longer uses is deleted once the change is committed, and what a
failed save wrote is deleted at once."""

import contextlib
import os
import posixpath

from django.db import models, transaction

from .private_storage import private_storage


class DeletesUnusedFilesAfterCommit:
    """For a FileField: remembers the files a loaded model uses, and deletes those a save leaves unused, or all
    of them when the model is deleted, once the transaction commits, so a rolled-back edit keeps its files."""

    def generate_filename(self, instance, filename):
        name = super().generate_filename(instance, filename)
        # Each upload has a directory of its own (upload_to), shared only with files derived from it.
        instance.__dict__[self.new_directory_attname] = posixpath.dirname(name)
        return name

    @property
    def new_directory_attname(self):
        return f"_{self.name}_new_directory"

    def pre_save(self, instance, add):
        with self.removing_new_files_on_failure(instance):
            return super().pre_save(instance, add)

    @contextlib.contextmanager
    def removing_new_files_on_failure(self, instance):
        """When storing fails (the media volume full or read-only), the model's save fails with it (its transaction
        rolls back), and the new upload's directory goes, with anything written into it."""
        instance.__dict__.pop(self.new_directory_attname, None)  # an earlier save's upload is not this one's
        try:
            yield
        except OSError:
            directory = instance.__dict__.pop(self.new_directory_attname, None)
            if directory:
                with contextlib.suppress(OSError, NotImplementedError):
                    for name in self.storage.listdir(directory)[1]:
                        self.storage.delete(f"{directory}/{name}")
                    os.rmdir(self.storage.path(directory))  # a directory only on a filesystem
            raise

    def files_of(self, instance):
        """Every file in storage that this field's value occupies (a subclass adds its derived files)."""
        field_file = getattr(instance, self.attname)
        return {field_file.name} if field_file else set()

    def files_are_loaded(self, instance):
        # A model loaded without this field (.only(), .defer()) cannot know its files.
        return self.attname in instance.__dict__

    def contribute_to_class(self, cls, name, **kwargs):
        super().contribute_to_class(cls, name, **kwargs)
        if not cls._meta.abstract:
            models.signals.post_init.connect(self.remember_stored_files, sender=cls)
            models.signals.post_save.connect(self.delete_unused_files_after_commit, sender=cls)
            models.signals.post_delete.connect(self.delete_all_files_after_commit, sender=cls)

    @property
    def stored_files_attname(self):
        return f"_{self.name}_stored_files"

    def stored_files(self, instance):
        """The files the model used when it was loaded or last saved."""
        return getattr(instance, self.stored_files_attname, set())

    def remember_stored_files(self, instance, **kwargs):
        if not self.files_are_loaded(instance):
            return
        # An upload given to the constructor is not in storage yet (the mark Django's FileField.pre_save reads).
        field_file = getattr(instance, self.attname)
        is_stored = not field_file or field_file._committed
        setattr(instance, self.stored_files_attname, self.files_of(instance) if is_stored else set())

    def delete_unused_files_after_commit(self, instance, **kwargs):
        if hasattr(instance, self.stored_files_attname):
            current_files = self.files_of(instance)
            self.delete_after_commit(
                getattr(instance, self.attname).storage, self.stored_files(instance) - current_files
            )
            setattr(instance, self.stored_files_attname, current_files)

    def delete_all_files_after_commit(self, instance, **kwargs):
        if hasattr(instance, self.stored_files_attname):
            self.delete_after_commit(getattr(instance, self.attname).storage, self.files_of(instance))

    @staticmethod
    def delete_after_commit(storage, paths):
        if paths:
            transaction.on_commit(lambda: [storage.delete(path) for path in sorted(paths)])


def private_uploads_storage():
    """Uploads kept out of the public's reach until they are cleaned: the private storage (uploads/private_storage.py),
    a directory or a private bucket."""
    return private_storage
