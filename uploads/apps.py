from django.apps import AppConfig


class UploadsConfig(AppConfig):
    """What news and membership both need for uploaded files: checking and re-encoding an image (images.py), and
    deleting a file once nothing uses it (stored_files.py)."""

    name = "uploads"
