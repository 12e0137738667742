"""The private storage (settings.STORAGES["private"]): files no visitor may reach, such as membership letters.

On one machine it is a directory, PRIVATE_MEDIA_ROOT, outside MEDIA_ROOT; with MEDIA_STORAGE=s3 it is a bucket of its
own (AWS_PRIVATE_BUCKET_NAME, uploads/private_s3.py) that grants nobody but the site's key any access. Either way a
private file has no address: `url()` refuses, and staff download a letter through the admin, which streams it to them
(membership/admin.py). Code reaches private files only through `private_storage` (the storage API), never by path.
"""

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty

NO_ADDRESS = "Private files have no public address: staff download them through the admin."


class PrivateFileSystemStorage(FileSystemStorage):
    """Files in settings.PRIVATE_MEDIA_ROOT, outside MEDIA_ROOT, with no URL: nothing serves them but the admin."""

    def __init__(self, location=None, **kwargs):
        super().__init__(location=location, base_url=None, **kwargs)

    @property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PRIVATE_MEDIA_ROOT)

    def _clear_cached_properties(self, setting, **kwargs):
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "PRIVATE_MEDIA_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)

    def url(self, name):
        raise ValueError(NO_ADDRESS)


class PrivateStorage(LazyObject):
    """storages["private"], looked up when first used, as Django's default_storage is: a FileField given it keeps
    following the STORAGES setting (tests change it) instead of the instance it found at start-up."""

    def _setup(self):
        self._wrapped = storages["private"]


private_storage = PrivateStorage()


@receiver(setting_changed)
def forget_private_storage(*, setting, **kwargs):
    if setting == "STORAGES":
        private_storage._wrapped = empty
