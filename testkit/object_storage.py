"""A real S3 API server for the tests: moto's standalone server (`moto[server]`, pinned in the test extras), in a
process of its own on 127.0.0.1, spoken to over HTTP by boto3 as a cloud provider would be.

How it differs from a provider (docs/operations.md, "More than one machine"): any access key is accepted and no
IAM policy is enforced (a key limited to one bucket is not tested here); signatures are not checked strictly; it
keeps everything in memory (no durability, no versioning unless asked); it lets anyone list a bucket (AWS refuses
without s3:ListBucket). What it does enforce, and the tests rely on: an anonymous GET of an object is refused (403)
unless the bucket's policy, or the object's ACL, allows it, as AWS does.
"""

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass

import pytest

from testkit.ports import free_port

# Any key will do: moto checks none. Set in the environment, where boto3 reads a site's credentials.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "ietp-test-key",
    "AWS_SECRET_ACCESS_KEY": "ietp-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
    # No ~/.aws files and no instance metadata service: only what the test gives.
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    "AWS_EC2_METADATA_DISABLED": "true",
}
MEDIA_LOCATION = "media"


class S3Server:
    """`python -m moto.server` on a free port; `stop()` ends it (and everything it held)."""

    def __init__(self, port=None, host="127.0.0.1"):
        self.port = port or free_port()
        self.host = host  # 0.0.0.0 for containers to reach it too (tests/containers)
        self.process = None

    @property
    def endpoint_url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout=30):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", self.host, "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"moto_server exited at once (code {self.process.returncode})")
            try:
                with urllib.request.urlopen(f"{self.endpoint_url}/moto-api/", timeout=1):
                    return self
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"moto_server did not answer on port {self.port} within {timeout} s")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=CREDENTIALS["AWS_DEFAULT_REGION"],
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )


def public_read_policy(bucket, location=MEDIA_LOCATION):
    """What docs/operations.md tells an operator to give the media bucket: anyone may read its media files."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PublicMedia",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{bucket}/{location}/*",
                }
            ],
        }
    )


@dataclass
class Buckets:
    """A test's own pair of buckets, set up as an operator would: media readable by anyone, letters by nobody."""

    server: S3Server
    media: str
    private: str

    @classmethod
    def create(cls, server):
        suffix = uuid.uuid4().hex[:12]
        buckets = cls(server, f"ietp-media-{suffix}", f"ietp-private-{suffix}")
        client = server.client()
        client.create_bucket(Bucket=buckets.media)
        client.put_bucket_policy(Bucket=buckets.media, Policy=public_read_policy(buckets.media))
        client.create_bucket(Bucket=buckets.private)
        return buckets

    def site_env(self, private_acl=False):
        """The environment a site process runs with on these buckets: what an operator puts in .env."""
        return {
            **CREDENTIALS,
            "MEDIA_STORAGE": "s3",
            "AWS_STORAGE_BUCKET_NAME": self.media,
            "AWS_PRIVATE_BUCKET_NAME": self.private,
            "AWS_S3_ENDPOINT_URL": self.server.endpoint_url,
            "AWS_S3_REGION_NAME": CREDENTIALS["AWS_DEFAULT_REGION"],
            "AWS_LOCATION": MEDIA_LOCATION,
            "AWS_PRIVATE_OBJECT_ACL": "1" if private_acl else "0",
        }

    def storages(self, private_acl=False):
        """The STORAGES entries settings.py makes from site_env(), for a test's own process."""
        from ietp_site.settings import s3_storages

        return s3_storages(
            media_bucket=self.media,
            private_bucket=self.private,
            endpoint_url=self.server.endpoint_url,
            region_name=CREDENTIALS["AWS_DEFAULT_REGION"],
            custom_domain="",
            location=MEDIA_LOCATION,
            private_acl=private_acl,
        )

    def settings(self, directory):
        """The settings a test's own process runs with on these buckets, as MEDIA_STORAGE=s3 makes them; the
        media folders point into `directory`, where they must stay absent."""
        from django.conf import settings

        file_storages = self.storages()
        return {
            "MEDIA_STORAGE": "s3",
            "MEDIA_ROOT": directory / "unused-media",
            "PRIVATE_MEDIA_ROOT": directory / "unused-private-media",
            "STORAGES": {**settings.STORAGES, **file_storages, "private_letters": file_storages["private"]},
        }

    def keys(self, bucket):
        """Every object's key in `bucket`, read from the server."""
        pages = self.server.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def object_url(self, bucket, key):
        return f"{self.server.endpoint_url}/{bucket}/{key}"

    def empty(self):
        client = self.server.client()
        for bucket in (self.media, self.private):
            for key in self.keys(bucket):
                client.delete_object(Bucket=bucket, Key=key)

    def delete(self):
        self.empty()
        client = self.server.client()
        for bucket in (self.media, self.private):
            client.delete_bucket(Bucket=bucket)


def anonymous_get(url):
    """(status, body) of a GET with no credentials, as any visitor's browser would send it."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


# --- pytest fixtures (tests/conftest.py imports them) ---------------------------------------------


@pytest.fixture(scope="session")
def s3_server():
    """One S3 server for the test session; each test gets buckets of its own (s3_buckets)."""
    server = S3Server().start()
    yield server
    server.stop()


@pytest.fixture
def s3_buckets(s3_server, settings, monkeypatch, tmp_path):
    """This test's site keeps media and letters in a fresh pair of buckets on the S3 server, configured as
    MEDIA_STORAGE=s3 configures them. MEDIA_ROOT and PRIVATE_MEDIA_ROOT point at folders that must stay absent."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    buckets = Buckets.create(s3_server)
    for name, value in buckets.settings(tmp_path).items():
        setattr(settings, name, value)
    yield buckets
    buckets.delete()
