"""The private storage in a bucket (MEDIA_STORAGE=s3), apart from uploads/private_storage.py so that boto3 (a fifth
of a process's start-up CPU) is imported only by sites that store in buckets, when the storage is first used."""

from storages.backends.s3 import S3Storage

from .private_storage import NO_ADDRESS


class PrivateS3Storage(S3Storage):
    """A private bucket. Not even a signed, short-lived address is handed out: a link in a browser's history, a
    proxy's log or a forwarded email would give the letter to whoever holds it until it expires, while a download
    through the admin checks who asks every time."""

    def url(self, name, *args, **kwargs):
        raise ValueError(NO_ADDRESS)
